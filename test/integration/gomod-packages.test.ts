// The file evaluator against the real Go toolchain (go 1.19): for every corpus project and
// every fixture module, for five build contexts, the packages of the module, their compiled
// GoFiles and CgoFiles, and the mains from `go list` equal the file evaluator's. Then the
// corpus facts truth.json states, import graphs per main, and how go list fails and falls back.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { goToolchain as installedGo } from '../../src/core/build/toolchain';
import { goList, toGoPackages } from '../../src/core/gomod/goList';
import { importGraph } from '../../src/core/gomod/graph';
import { moduleLayout } from '../../src/core/gomod/localModules';
import { loadModulePackages, PackageScanCache } from '../../src/core/gomod/packages';
import { packagesFor } from '../../src/core/gomod/packagesFor';
import type { BuildContext, GoPackage } from '../../src/core/gomod/types';
import { corpusNames, corpusTruth, scratchCopyForGo119, unpackCorpus } from '../support/corpus';
import { fixtureModules } from '../support/paths';
import { goEnv } from './fixtures/go';

const contexts: [string, boolean][] = [
  ['linux/amd64', true],
  ['linux/amd64', false],
  ['linux/arm64', false],
  ['darwin/arm64', true],
  ['windows/amd64', false],
];
let goMinor = 0;
const ctx = (target: string, cgoEnabled: boolean, tags: string[] = []): BuildContext => {
  const [goos, goarch] = target.split('/');
  return { goos, goarch, cgoEnabled, tags, goMinor };
};
const label = (c: BuildContext) => `${c.goos}/${c.goarch} cgo ${c.cgoEnabled ? 'on' : 'off'}`;

/** What the comparison looks at: per in-module package, its name, Go files and cgo files. */
function shape(packages: GoPackage[], origins: GoPackage['origin'][] = ['module']): Record<string, { name: string; goFiles: string[]; cgoFiles: string[] }> {
  const out: Record<string, { name: string; goFiles: string[]; cgoFiles: string[] }> = {};
  for (const p of packages.filter((x) => origins.includes(x.origin))) out[p.importPath] = { name: p.name, goFiles: p.goFiles, cgoFiles: p.cgoFiles };
  return out;
}
const mains = (packages: GoPackage[]) =>
  packages
    .filter((p) => p.origin === 'module' && p.name === 'main')
    .map((p) => p.importPath)
    .sort();

/** Every go.mod folder under the fixtures, as a path relative to the fixtures folder. */
function fixtureModuleDirs(dir = fixtureModules): string[] {
  const out: string[] = [];
  const names = readdirSync(dir, { withFileTypes: true });
  if (names.some((e) => e.isFile() && e.name === 'go.mod')) out.push(relative(fixtureModules, dir) || '.');
  for (const e of names) if (e.isDirectory() && e.name !== 'vendor') out.push(...fixtureModuleDirs(join(dir, e.name)));
  return out.sort();
}

/** go.mod lines Go 1.19 cannot read (a three-part go version, a toolchain line). */
function needsScratch(dir: string): boolean {
  const mod = readFileSync(join(dir, 'go.mod'), 'utf8');
  const go = /^go\s+1\.(\d+)(\.\d+)?\s*$/m.exec(mod);
  return /^toolchain\s/m.test(mod) || (!!go && (Number(go[1]) > goMinor || (!!go[2] && goMinor < 21)));
}

/** Content fingerprint of a folder tree (to prove go list writes nothing). */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      h.update(relative(dir, p));
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(readFileSync(p)).update(String(statSync(p).mtimeMs));
    }
  };
  walk(dir);
  return h.digest('hex');
}

async function agree(fileDir: string, listDir: string): Promise<void> {
  const cache = new PackageScanCache();
  const layout = await moduleLayout(listDir);
  for (const [target, cgo] of contexts) {
    const c = ctx(target, cgo);
    const files = await loadModulePackages(fileDir, c, { cache });
    const listed = await goList(layout, c, { goMinor, env: goEnv() });
    assert.ok(listed.ok, `go list failed for ${listDir} (${label(c)}): ${listed.ok ? '' : listed.reason}`);
    const fromGo = toGoPackages(listed.packages, layout);
    assert.deepEqual(shape(files.packages), shape(fromGo), `module packages for ${label(c)} in ${fileDir}`);
    assert.deepEqual(mains(files.packages), mains(fromGo), `mains for ${label(c)}`);
    // Workspace and vendor packages that go list reached: the file evaluator has the same files for them.
    const reachedLocal = fromGo.filter((p) => p.origin === 'workspace' || p.origin === 'vendor');
    assert.deepEqual(
      shape(
        files.packages.filter((p) => reachedLocal.some((r) => r.importPath === p.importPath)),
        ['workspace', 'vendor'],
      ),
      shape(reachedLocal, ['workspace', 'vendor']),
      `workspace/vendor packages for ${label(c)}`,
    );
  }
}

describe('packages per target: go list and the file evaluator agree', function () {
  this.timeout(600_000);
  before(async () => {
    goMinor = (await installedGo('go')).minor;
    assert.ok(goMinor >= 19, 'the tests expect Go 1.19 or later');
  });

  for (const name of ['go-httpbin', 'whoami', 'node_exporter', 'litestream']) {
    it(`corpus ${name}`, async () => {
      assert.ok(corpusNames().includes(name as never), `${name} is in truth.json`);
      const project = await unpackCorpus(name);
      const listDir = needsScratch(project) ? await scratchCopyForGo119(project) : project;
      const before = treeHash(listDir);
      await agree(project, listDir);
      assert.equal(treeHash(listDir), before, 'go list wrote nothing into the module (no go.sum, no go.mod change)');
    });
  }

  it('every fixture module', async () => {
    const dirs = fixtureModuleDirs();
    for (const must of ['constraints', 'vendored', 'workreplace/api', 'workreplace/lib', 'single', 'multi', 'cgo'])
      assert.ok(dirs.includes(must), `fixture ${must} is found`);
    for (const rel of dirs) {
      const dir = join(fixtureModules, rel);
      const listDir = needsScratch(dir) ? await scratchCopyForGo119(dir) : dir;
      const before = treeHash(listDir);
      await agree(dir, listDir);
      assert.equal(treeHash(listDir), before, `go list wrote nothing into ${rel}`);
    }
  });
});

describe('packages per target: what the corpus truth says', function () {
  this.timeout(600_000);
  before(async () => {
    goMinor = (await installedGo('go')).minor;
  });
  const linux = () => ctx('linux/amd64', true);
  const modulePaths = (truthModule: string, dirs: string[]) => dirs.map((d) => (d === '.' ? truthModule : `${truthModule}/${d.slice(2)}`));

  for (const name of ['go-httpbin', 'whoami', 'node_exporter', 'litestream']) {
    it(`${name}: the mains and not-mains for linux/amd64, from files and from go list`, async () => {
      const truth = corpusTruth()[name];
      const project = await unpackCorpus(name);
      const files = await loadModulePackages(project, linux());
      assert.deepEqual(mains(files.packages), modulePaths(truth.module, truth.mains).sort());
      for (const not of modulePaths(truth.module, truth.notMains)) assert.ok(!mains(files.packages).includes(not), `${not} is not a main`);
      const answer = await packagesFor(needsScratch(project) ? await scratchCopyForGo119(project) : project, linux(), {});
      assert.equal(answer.via, 'go list', answer.fallbackReason);
      assert.deepEqual(mains(answer.packages), modulePaths(truth.module, truth.mains).sort());
    });
  }

  it('node_exporter: no in-module CgoFiles for linux/amd64, some for darwin/amd64 with cgo on', async () => {
    const project = await unpackCorpus('node_exporter');
    const cache = new PackageScanCache();
    const onLinux = await loadModulePackages(project, linux(), { cache });
    assert.deepEqual(
      onLinux.packages.flatMap((p) => p.cgoFiles),
      [],
    );
    const onDarwin = await loadModulePackages(project, ctx('darwin/amd64', true), { cache });
    const cgo = onDarwin.packages.flatMap((p) => p.cgoFiles.map((f) => `${p.rel}/${f}:${p.cgoLines[f]}`));
    assert.ok(cgo.includes('collector/cpu_darwin.go:48'), `cgo files for darwin: ${cgo.join(', ')}`);
    // The 22 import "C" files of the module are excluded for linux, each with Go's reason.
    const collector = onLinux.packages.find((p) => p.rel === 'collector');
    assert.equal(collector?.excluded.find((e) => e.file === 'cpu_darwin.go')?.reason, 'excluded by its name: _darwin');
    const scratch = await scratchCopyForGo119(project);
    const listed = await packagesFor(scratch, ctx('darwin/amd64', true));
    assert.equal(listed.via, 'go list');
    assert.deepEqual(
      listed.packages
        .filter((p) => p.origin === 'module')
        .flatMap((p) => p.cgoFiles.map((f) => `${p.rel}/${f}:${p.cgoLines[f]}`))
        .sort(),
      cgo.sort(),
    );
  });

  it('litestream: ./cmd/litestream-vfs is excluded by its build tag, with the reason', async () => {
    const project = await unpackCorpus('litestream');
    const files = await loadModulePackages(project, linux());
    const vfs = files.skipped.find((s) => s.rel === 'cmd/litestream-vfs');
    assert.deepEqual(vfs?.excluded, [{ file: 'main.go', reason: '//go:build SQLITE3VFS_LOADABLE_EXT at line 1' }]);
    assert.ok(!files.packages.some((p) => p.rel === 'cmd/litestream-vfs'));
    const withTag = await loadModulePackages(project, ctx('linux/amd64', true, ['SQLITE3VFS_LOADABLE_EXT']));
    assert.ok(mains(withTag.packages).includes('github.com/benbjohnson/litestream/cmd/litestream-vfs'), 'the user tag brings it back');
  });

  it("litestream: each main's import graph; ./cmd/litestream reaches modernc.org/sqlite, not mattn/go-sqlite3, and the same packages either way", async () => {
    const project = await unpackCorpus('litestream');
    const files = await loadModulePackages(project, linux());
    const server = importGraph('github.com/benbjohnson/litestream/cmd/litestream', files.packages);
    assert.equal(server.packages[0].pkg.importPath, 'github.com/benbjohnson/litestream/cmd/litestream');
    assert.deepEqual(
      server.packages.flatMap((p) => p.pkg.cgoFiles),
      [],
    );
    const ext = server.external.map((e) => e.importPath);
    assert.ok(ext.includes('modernc.org/sqlite'), ext.join(' '));
    assert.ok(!ext.some((e) => e.startsWith('github.com/mattn/go-sqlite3')), 'mattn/go-sqlite3 is not in the server graph');
    const sqlite = server.external.find((e) => e.importPath === 'modernc.org/sqlite');
    assert.equal(sqlite?.chain[0], 'github.com/benbjohnson/litestream/cmd/litestream', 'a chain from the main');
    const tester = importGraph('github.com/benbjohnson/litestream/cmd/litestream-test', files.packages);
    assert.ok(
      tester.external.some((e) => e.importPath === 'github.com/mattn/go-sqlite3'),
      'litestream-test imports mattn/go-sqlite3',
    );
    // go list's graph of the same main has the same module packages.
    const listed = await packagesFor(await scratchCopyForGo119(project), linux());
    assert.equal(listed.via, 'go list');
    const viaGo = importGraph('github.com/benbjohnson/litestream/cmd/litestream', listed.packages);
    assert.deepEqual(
      viaGo.packages.map((p) => p.pkg.importPath),
      server.packages.map((p) => p.pkg.importPath),
    );
    assert.equal(server.packages.length, 11, 'truth.json: 11 module packages');
  });
});

describe('packages per target: vendor/, go.work with a replace, and falling back', function () {
  this.timeout(600_000);
  before(async () => {
    goMinor = (await installedGo('go')).minor;
  });

  it('a vendored module: the graph reaches vendor/ packages, and vendored cgo files count per target', async () => {
    const dir = join(fixtureModules, 'vendored');
    const answer = await packagesFor(dir, ctx('darwin/arm64', true));
    assert.equal(answer.via, 'go list', answer.fallbackReason);
    assert.match(answer.command ?? '', /go list -e -json/);
    const graph = importGraph('example.com/vendored/cmd/server', answer.packages);
    assert.deepEqual(
      graph.packages.map((p) => [p.pkg.importPath, p.pkg.origin, p.pkg.rel]),
      [
        ['example.com/vendored/cmd/server', 'module', 'cmd/server'],
        ['example.com/tinydep', 'vendor', 'vendor/example.com/tinydep'],
        ['example.com/tinydep/sub', 'vendor', 'vendor/example.com/tinydep/sub'],
      ],
    );
    assert.deepEqual(graph.packages[2].chain, ['example.com/vendored/cmd/server', 'example.com/tinydep', 'example.com/tinydep/sub']);
    assert.deepEqual(graph.packages[1].pkg.cgoFiles, ['dep_darwin.go']);
    const files = await loadModulePackages(dir, ctx('linux/amd64', true));
    const onLinux = importGraph('example.com/vendored/cmd/server', files.packages);
    assert.deepEqual(
      onLinux.packages.flatMap((p) => p.pkg.cgoFiles),
      [],
    );
    assert.deepEqual(onLinux.external, []);
  });

  it('go.work with a member that replaces the other: the graph reaches the sibling as a workspace package', async () => {
    for (const go of ['go', null] as const) {
      const answer = await packagesFor(join(fixtureModules, 'workreplace', 'api'), ctx('linux/amd64', false), { go });
      assert.equal(answer.via, go ? 'go list' : 'files');
      const graph = importGraph('example.com/wr/api/cmd/api', answer.packages);
      assert.deepEqual(
        graph.packages.map((p) => [p.pkg.importPath, p.pkg.origin, p.pkg.rel, p.pkg.goFiles]),
        [
          ['example.com/wr/api/cmd/api', 'module', 'cmd/api', ['main.go']],
          ['example.com/wr/lib/store', 'workspace', '../lib/store', ['store.go']],
        ],
      );
    }
    const layout = await moduleLayout(join(fixtureModules, 'workreplace', 'api'));
    assert.equal(layout.work?.file, resolve(fixtureModules, 'workreplace', 'go.work'));
  });

  it('go list cannot read a go.mod with a toolchain line (Go 1.19): files answer, and say why', async function () {
    // Debian 12's Go (1.19, what setup installs) cannot read a toolchain line; newer Go would, and this fallback would not be shown.
    assert.ok(goMinor < 21, `this test needs a Go older than 1.21; found go1.${goMinor}`);
    const answer = await packagesFor(join(fixtureModules, 'multi'), ctx('linux/amd64', false));
    assert.equal(answer.via, 'files');
    assert.match(answer.fallbackReason ?? '', /go list cannot answer for this module: .*go\.mod:\d+: unknown directive: toolchain/);
    assert.deepEqual(mains(answer.packages), ['example.com/shop/cmd/api', 'example.com/shop/cmd/worker']);
    const project = await unpackCorpus('litestream');
    const corpus = await packagesFor(project, ctx('linux/amd64', false));
    assert.equal(corpus.via, 'files');
    assert.match(corpus.fallbackReason ?? '', /invalid go version '1\.25\.0'|unknown directive: toolchain/);
  });

  it('no go binary, a timeout and a cancel are typed failures, never hangs', async () => {
    const dir = join(fixtureModules, 'single');
    const missing = await packagesFor(dir, ctx('linux/amd64', false), { go: '/no/such/go' });
    assert.equal(missing.via, 'files');
    assert.match(missing.fallbackReason ?? '', /was not found/);
    const layout = await moduleLayout(dir);
    const slow = await goList(layout, ctx('linux/amd64', false), { timeoutMs: 1, goMinor });
    assert.deepEqual([slow.ok, slow.ok ? '' : slow.reason], [false, 'go list did not finish within 0.001 s']);
    const abort = new AbortController();
    const started = Date.now();
    const pending = goList(layout, ctx('linux/amd64', false), { signal: abort.signal, goMinor });
    setTimeout(() => abort.abort(), 5);
    const cancelled = await pending;
    assert.deepEqual([cancelled.ok, cancelled.ok ? '' : cancelled.reason], [false, 'cancelled']);
    assert.ok(Date.now() - started < 5000);
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      loadModulePackages(await unpackCorpus('node_exporter'), ctx('linux/amd64', false), { signal: stop.signal }),
      /package loading was cancelled/,
    );
    await assert.rejects(loadModulePackages(join(fixtureModules, 'work'), ctx('linux/amd64', false)), /no go\.mod in .*work/);
  });

  it('the file evaluator reads each file once for several targets', async () => {
    const project = await unpackCorpus('node_exporter');
    const cache = new PackageScanCache();
    const t0 = Date.now();
    await loadModulePackages(project, ctx('linux/amd64', true), { cache });
    const first = Date.now() - t0;
    const t1 = Date.now();
    for (const [target, cgo] of contexts) await loadModulePackages(project, ctx(target, cgo), { cache });
    const five = Date.now() - t1;
    assert.ok(five < Math.max(first, 50) * 3, `five cached targets took ${five} ms, the first ${first} ms`);
  });
});
