// goBinaryName agrees with the real `go build`: each main package is built with -o DIR/
// (go picks the file name itself) and the file go wrote is the name Go Deploy predicts.
import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goBinaryName, mainImportPath } from '../../src/core/gomod/names';
import { goEnv } from './fixtures/go';
import { runOk, tempDir } from './fixtures/util';

const work = tempDir('names');
after(() => work.remove());

/** A module `module` with a trivial main in each of `mains`; returns its folder. */
function moduleWith(folder: string, module: string, mains: string[]): string {
  const dir = join(work.path, folder);
  for (const m of mains) {
    mkdirSync(join(dir, m), { recursive: true });
    writeFileSync(join(dir, m, 'main.go'), 'package main\n\nfunc main() {}\n');
  }
  writeFileSync(join(dir, 'go.mod'), `module ${module}\n\ngo 1.19\n`);
  return dir;
}

describe('program names: goBinaryName against the real go build', function () {
  this.timeout(300_000);

  const cases: [string, string, string[]][] = [
    ['server', 'example.com/server/v3', ['.', 'cmd/v2', 'cmd/v1', 'cmd/v05', 'cmd/v10', 'cmd/go-httpbin']],
    ['gopkgin', 'gopkg.in/tool.v2', ['.']],
    ['hostonly', 'example.com/v2', ['.']],
    ['plain', 'example.com/tool', ['.', 'cmd/worker']],
  ];
  for (const [folder, module, mains] of cases) {
    it(`${module}: ${mains.join(', ')}`, async () => {
      const dir = moduleWith(folder, module, mains);
      for (const m of mains) {
        const out = join(dir, 'out', m.replace(/\//g, '_'));
        mkdirSync(out, { recursive: true });
        await runOk('go', ['build', '-o', `${out}/`, m === '.' ? '.' : `./${m}`], { cwd: dir, env: goEnv() });
        const written = readdirSync(out);
        assert.deepEqual(written, [goBinaryName(mainImportPath(module, m === '.' ? '.' : `./${m}`))], `${module} ${m}`);
      }
    });
  }
});
