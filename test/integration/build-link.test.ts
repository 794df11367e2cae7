// runBuild with a link folder (what deploys use): unchanged sources skip the go command and
// give the same bytes; a changed source is really rebuilt; the result always matches what
// `go build` makes. Real Go toolchain.
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../../src/core/build/build';
import type { TargetProgress } from '../../src/core/build/types';
import { loadProject } from '../../src/core/project';
import { fixtureModules } from '../support/paths';
import { goEnv } from './fixtures/go';
import { tempDir } from './fixtures/util';

describe('build with a link folder (deploys): unchanged sources skip go, changed ones rebuild', function () {
  this.timeout(300_000);
  const work = tempDir('build-link');

  it('second build of the same sources reuses the binary without running go; an edit rebuilds it', async () => {
    cpSync(join(fixtureModules, 'single'), work.path, { recursive: true });
    writeFileSync(join(work.path, 'godeploy.yaml'), 'app:\n  name: hello\n');
    const build = async () => {
      const p = await loadProject({ file: join(work.path, 'godeploy.yaml'), exists: true });
      const progress: TargetProgress[] = [];
      const r = await runBuild({
        moduleDir: work.path,
        config: p.config,
        inspection: p.inspection,
        targets: ['linux/amd64'],
        env: goEnv(),
        outDir: join(work.path, 'dist', 'deploy', 'x'),
        linkDir: join(work.path, 'dist', 'deploy', 'x', '.link'),
        onProgress: (x) => progress.push(x),
      });
      const a = r.artifacts[0];
      return {
        a,
        bytes: readFileSync(a.path),
        done: progress.find((x) => x.state === 'done')?.message ?? '',
        went: progress.some((x) => x.state === 'verifying'),
      };
    };
    const first = await build();
    assert.ok(first.went, 'the first build runs go');
    const second = await build();
    assert.match(second.done, /sources unchanged/);
    assert.equal(second.went, false, 'go ran again');
    assert.equal(second.a.sha256, first.a.sha256);
    assert.ok(second.bytes.equals(first.bytes));

    const main = join(work.path, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('fmt.Fprintln(w, "ok")', 'fmt.Fprintln(w, "ok, edited")'));
    const third = await build();
    assert.ok(third.went, 'an edited source must run go');
    assert.notEqual(third.a.sha256, first.a.sha256);
    assert.ok(third.bytes.includes(Buffer.from('ok, edited')), 'the new binary carries the edit');
  });

  after(() => work.remove());
});
