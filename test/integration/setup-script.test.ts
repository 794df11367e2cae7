// The test set-up command CONTRIBUTING.md documents, `npm run setup:test`, as written: as
// root on a Debian machine without sudo it must not call sudo ("sudo: command not found");
// as a user without sudo it installs nothing and says what to run as root (the apt-get
// command of what is missing, then the script); as a user with sudo it runs itself as root
// through sudo. This machine has every package installed, so each run takes seconds.
import * as assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { pathWithout as pathWithoutIn, run, tempDir } from './fixtures/util';

const work = tempDir('setup-script');
// nobody reaches the PATH folders and homes inside it.
chmodSync(work.path, 0o755);
after(() => work.remove());

/** A PATH folder named `name` without the programs `without`. */
function pathWithout(name: string, without: string[]): string {
  return pathWithoutIn(join(work.path, name), without);
}

/** A home folder owned by `nobody`, for npm's cache and the setup's ~/.cache. */
async function nobodysHome(name: string): Promise<string> {
  const home = join(work.path, name);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const uid = Number((await run('id', ['-u', 'nobody'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'nobody'])).stdout.trim());
  chownSync(home, uid, gid);
  return home;
}

/** `npm run setup:test` in the checkout as `nobody` with only HOME and PATH set. */
function setupAsNobody(home: string, path: string) {
  return run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', '-i', `HOME=${home}`, `PATH=${path}`, 'npm', 'run', 'setup:test'], {
    cwd: repoRoot,
    timeoutMs: 60_000,
  });
}

describe('the test set-up command (npm run setup:test)', function () {
  this.timeout(120_000);

  it('as root with no sudo on PATH: sets up without calling sudo, in under a minute', async () => {
    const started = Date.now();
    const r = await run('npm', ['run', 'setup:test'], { cwd: repoRoot, env: { ...process.env, PATH: pathWithout('root-path', ['sudo']) }, timeoutMs: 60_000 });
    const output = r.stdout + r.stderr;
    assert.doesNotMatch(output, /sudo: (command )?not found/, output);
    assert.equal(r.code, 0, `npm run setup:test failed as root:\n${output}`);
    assert.match(r.stdout, /\[setup\] test environment ready/, output);
    assert.ok(Date.now() - started < 60_000, `took ${(Date.now() - started) / 1000}s`);
  });

  it('as a user without sudo: installs nothing, names the apt-get command for what is missing and the command to run as root', async () => {
    const home = await nobodysHome('nobody-home');
    // A machine where chromium and ripgrep are not installed, as the scripts see it (on PATH), and no sudo.
    const r = await setupAsNobody(home, pathWithout('user-path', ['sudo', 'chromium', 'rg']));
    const output = r.stdout + r.stderr;
    assert.doesNotMatch(output, /sudo: (command )?not found/, output);
    assert.notEqual(r.code, 0, `exited 0 as nobody without sudo:\n${output}`);
    assert.ok(
      output.includes('as root, run: apt-get update && apt-get install -y --no-install-recommends chromium ripgrep'),
      `no apt-get command for the missing packages:\n${output}`,
    );
    assert.ok(output.includes(`as root, run: bash ${join(repoRoot, 'scripts', 'setup-test-env.sh')}`), `no command to run as root:\n${output}`);
    assert.ok(!existsSync(join(home, '.cache', 'godeploy')), 'it installed something as nobody');
  });

  it('as a user with sudo: runs itself as root through sudo (a sudo that records its arguments stands in; this machine has none)', async () => {
    const home = await nobodysHome('sudoer-home');
    const path = pathWithout('sudoer-path', ['sudo']);
    const record = join(home, 'sudo-args');
    writeFileSync(join(path, 'sudo'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`, { mode: 0o755 });
    const r = await setupAsNobody(home, path);
    const output = r.stdout + r.stderr;
    assert.equal(r.code, 0, output);
    assert.match(output, /setup-test-env\.sh needs root: running it as root through sudo/, output);
    assert.deepEqual(readFileSync(record, 'utf8').trimEnd().split('\n'), [
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'bash',
      join(repoRoot, 'scripts', 'setup-test-env.sh'),
    ]);
  });
});
