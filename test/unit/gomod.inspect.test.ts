import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { inspectModule } from '../../src/core/gomod/inspect';
import { parseModFile, parseWorkFile } from '../../src/core/gomod/modfile';
import { readGoFile } from '../../src/core/gomod/source';
import { fixtureModules } from '../support/paths';

const mod = (name: string) => inspectModule(path.join(fixtureModules, name));

describe('Go module inspection', () => {
  it('a module with one main at the root, reading PORT with a default', async () => {
    const r = await mod('single');
    assert.equal(r.module, 'example.com/hello');
    assert.equal(r.goVersion, '1.19');
    assert.deepEqual(r.mains, ['.']);
    assert.equal(r.cgo, false);
    assert.equal(r.port, 8081, 'the default of the PORT variable, not the commented-out :9999');
    assert.deepEqual([r.portSource?.file, r.portSource?.line], ['main.go', 16]);
    assert.equal(r.readsPortEnv, true);
    assert.deepEqual(r.mainPackages[0].port.settings, [{ kind: 'env', name: 'PORT' }], 'the port reaches it as $PORT');
    assert.equal(r.main, '.');
    assert.equal(r.healthPath, '/healthz');
    assert.equal(r.embed, false);
    assert.equal(r.work, null);
  });

  it('several mains under cmd/, ignoring //go:build ignore generators, with the toolchain line', async () => {
    const r = await mod('multi');
    assert.deepEqual(r.mains, ['./cmd/api', './cmd/worker']);
    assert.equal(r.goVersion, '1.21');
    assert.equal(r.toolchain, 'go1.21.5');
    assert.equal(r.port, 8080);
    assert.equal(r.portSource?.file, 'cmd/api/main.go');
  });

  it('cgo from import "C" in a compiled file, with file:line; a go.mod requirement the main never imports does not count', async () => {
    const r = await mod('cgo');
    assert.equal(r.cgo, true);
    assert.deepEqual(r.cgoReasons, [{ file: 'main.go', line: 6, reason: 'imports "C" (compiled for linux/amd64)' }]);
    assert.equal(r.port, 7070);
  });

  it('embed', async () => {
    const r = await mod('embed');
    assert.equal(r.embed, true);
    assert.deepEqual(r.embedFiles, ['main.go']);
  });

  it('go.work members, from a module inside the workspace', async () => {
    const r = await mod('work/api');
    assert.equal(r.module, 'example.com/work/api');
    assert.deepEqual({ ...r.work, members: undefined }, { file: '../go.work', goVersion: '1.19', use: ['./api', './lib'], members: undefined });
    assert.deepEqual(
      r.work?.members?.map((m) => [m.dir, m.module, m.mains]),
      [
        ['.', 'example.com/work/api', ['.']],
        ['../lib', 'example.com/work/lib', []],
      ],
    );
    assert.equal(r.healthPath, '/health');
  });

  it('a go.work folder without go.mod is a clear error listing its modules', async () => {
    await assert.rejects(mod('work'), (e: Error & { hint?: string }) => {
      assert.match(e.message, /holds a go\.work workspace, not a module/);
      assert.match(e.hint ?? '', /\.\/api, \.\/lib/);
      return true;
    });
  });
});

describe('go.mod, go.work and Go source reading', () => {
  it('parses directives and require blocks with line numbers, ignoring comments', () => {
    const m = parseModFile(
      '// header\nmodule "example.com/x" // the module\n\ngo 1.22\ntoolchain go1.22.3\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n\tgithub.com/c/d v2.0.0\n)\nrequire github.com/e/f v0.1.0\n',
    );
    assert.equal(m.module, 'example.com/x');
    assert.equal(m.go, '1.22');
    assert.equal(m.toolchain, 'go1.22.3');
    assert.deepEqual(
      m.requires.map((r) => [r.path, r.line]),
      [
        ['github.com/a/b', 7],
        ['github.com/c/d', 8],
        ['github.com/e/f', 10],
      ],
    );
    assert.deepEqual(parseWorkFile('go 1.22\nuse ./a\nuse (\n ./b // x\n)\n').use, ['./a', './b']);
  });

  it('reads package and imports, never from comments or strings', () => {
    const f = readGoFile(
      '/* package nope */\n// import "C"\npackage main\n\nimport (\n\tstdhttp "net/http"\n\t_ "embed"\n)\nimport "C"\n\nvar s = `import "os"`\n',
    );
    assert.equal(f.packageName, 'main');
    assert.deepEqual(f.imports, [
      { path: 'net/http', line: 6 },
      { path: 'embed', line: 7 },
      { path: 'C', line: 9 },
    ]);
    assert.equal(f.ignored, false);
  });

  it('recognises ignore build constraints', () => {
    assert.equal(readGoFile('//go:build ignore\n\npackage main\n').ignored, true);
    assert.equal(readGoFile('// +build ignore\n\npackage main\n').ignored, true);
    assert.equal(readGoFile('//go:build !ignore && linux\n\npackage main\n').ignored, false);
    assert.equal(readGoFile('//go:build linux\n\npackage main\n').ignored, false);
  });
});

describe('sd_notify detection', () => {
  it('a module that writes to $NOTIFY_SOCKET is detected, with file:line; others are not', async () => {
    const r = await inspectModule(path.join(fixtureModules, 'notify'));
    assert.deepEqual(r.sdNotify, { file: 'main.go', line: 21, reason: 'reads NOTIFY_SOCKET' });
    assert.equal((await inspectModule(path.join(fixtureModules, 'single'))).sdNotify, null);
  });
});
