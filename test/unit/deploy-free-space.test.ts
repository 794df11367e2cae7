// Free space is reported as `df` reports it: the Avail column, found even when the file
// system's or the mount point's name holds spaces (where the fourth field is another column:
// a 2 MB tmpfs named "my disk" read as "0 B free").
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DF_AVAILABLE_AWK, PREPARE } from '../../src/core/targets/hosts/releaseScripts';
import { LIVE_STATE } from '../../src/core/targets/hosts/unchanged';

const availableOf = (dfOutput: string): string => execFileSync('sh', ['-c', DF_AVAILABLE_AWK], { input: dfOutput, encoding: 'utf8' }).trim();

describe('free space as df reports it', () => {
  it('reads the Avail column of `df -Pk` whatever spaces the names hold', () => {
    const header = 'Filesystem     1024-blocks  Used Available Capacity Mounted on\n';
    assert.equal(availableOf(`${header}/dev/sda1         41152812 20971520  18063212      54% /\n`), '18063212');
    assert.equal(availableOf(`${header}my disk               2048     0      2048       0% /srv/a b\n`), '2048');
    assert.equal(availableOf(`${header}//nas/share 1 2   10485760  8388608   2097152      80% /mnt/50% full\n`), '2097152');
  });

  it('PREPARE and LIVE_STATE on a 2 MB tmpfs named "my disk": free 2048 (kB), as df says', function () {
    const root = mkdtempSync(path.join(tmpdir(), 'godeploy-df-'));
    const base = path.join(root, 'base dir');
    mkdirSync(path.join(base, 'releases'), { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2048k', 'my disk', path.join(base, 'releases')]);
    if (mounted.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      // Mounting needs root with CAP_SYS_ADMIN, as CI has: without it the test fails, never skips.
      assert.fail(`mounting a tmpfs needs root: ${String(mounted.stderr)}`);
    }
    try {
      const df = execFileSync('df', ['-Pk', path.join(base, 'releases')], { encoding: 'utf8' }).split('\n')[1];
      assert.match(df, /^my disk\s+2048\s+0\s+2048\s/);
      assert.match(execFileSync('sh', ['-c', PREPARE, 'sh', base, '20260101T000000-v1'], { encoding: 'utf8' }), /^free 2048$/m);
      assert.match(execFileSync('sh', ['-c', LIVE_STATE, 'sh', base, 'app', '.env', '-'], { encoding: 'utf8' }), /^free 2048$/m);
    } finally {
      spawnSync('umount', [path.join(base, 'releases')]);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
