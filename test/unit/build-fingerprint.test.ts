// The source fingerprint that lets a deploy skip the go command: it must change with
// anything that changes the binary, stay put for what does not, and refuse when the
// sources are not all in the module folder.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceFingerprint, STAGING_PREFIX, type FingerprintInputs } from '../../src/core/build/sourceFingerprint';

describe('build: source fingerprint', () => {
  let dir: string;
  const inputs = (over: Partial<FingerprintInputs> = {}): FingerprintInputs => ({
    moduleDir: dir,
    goVersion: 'go1.19.8',
    args: ['build', '-trimpath', '-ldflags=-s -w', '-o', 'out', '.'],
    env: { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0', GOCACHE: '/a', GOENV: join(dir, 'no-go-env') },
    cgo: false,
    inWorkspace: false,
    ...over,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'godeploy-fp-'));
    writeFileSync(join(dir, 'go.mod'), 'module example.com/fp\n\ngo 1.19\n');
    writeFileSync(join(dir, 'main.go'), 'package main\nfunc main() {}\n');
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<p>hi</p>');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is stable for the same inputs, and ignores dist/, a build's staging folder, .git/, caches and mtimes", async () => {
    const a = await sourceFingerprint(inputs());
    assert.match(a ?? '', /^[0-9a-f]{64}$/);
    mkdirSync(join(dir, 'dist', 'deploy'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'deploy', 'x'), 'build output');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    // A build stages beside its output folder, so maybe in the module while another target is fingerprinted.
    mkdirSync(join(dir, `${STAGING_PREFIX}dist-x1`));
    writeFileSync(join(dir, `${STAGING_PREFIX}dist-x1`, 'app_dev_linux_amd64'), 'a binary being staged');
    utimesSync(join(dir, 'main.go'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    assert.equal(await sourceFingerprint(inputs({ env: { ...inputs().env, GOCACHE: '/elsewhere', GOPROXY: 'off' } })), a);
  });

  it('changes with a source file, an embedded file, a new file, the flags, the toolchain, the target and Go settings', async () => {
    const a = await sourceFingerprint(inputs());
    const seen = new Set([a]);
    const differs = async (what: string, over: Partial<FingerprintInputs> = {}): Promise<void> => {
      const f = await sourceFingerprint(inputs(over));
      assert.ok(f && !seen.has(f), `${what} did not change the fingerprint`);
      seen.add(f);
    };
    writeFileSync(join(dir, 'main.go'), 'package main\nfunc main() { println(1) }\n');
    await differs('main.go');
    writeFileSync(join(dir, 'static', 'index.html'), '<p>hello</p>');
    await differs('an embedded file');
    writeFileSync(join(dir, 'extra.go'), 'package main\n');
    await differs('a new file');
    await differs('ldflags', { args: ['build', '-trimpath', '-ldflags=-s', '-o', 'out', '.'] });
    await differs('the toolchain', { goVersion: 'go1.22.0' });
    await differs('GOARCH', { env: { ...inputs().env, GOARCH: 'arm64' } });
    await differs('GOFLAGS', { env: { ...inputs().env, GOFLAGS: '-tags=prod' } });
    writeFileSync(join(dir, 'go-env'), 'GOFLAGS=-tags=x\n');
    await differs('go env -w settings', { env: { ...inputs().env, GOENV: join(dir, 'go-env') } });
  });

  it('with a hash cache: the same fingerprint; settled unchanged files are not read again; a rewrite with mtime and size kept is', async () => {
    const cacheFile = join(dir, 'dist', 'hashes.json');
    mkdirSync(join(dir, 'dist'));
    const plain = await sourceFingerprint(inputs());
    // Files older than the racy window, as a checkout from a while ago would be.
    const old = new Date(Date.now() - 60_000);
    for (const f of ['go.mod', 'main.go', 'static/index.html']) utimesSync(join(dir, f), old, old);
    assert.equal(await sourceFingerprint(inputs({ cacheFile })), plain, 'first run, cache written');
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as { writtenAtMs: number; files: Record<string, { sha256: string }> };
    assert.deepEqual(Object.keys(cache.files).sort(), ['go.mod', 'main.go', 'static/index.html']);
    // A settled entry is trusted: a (test-only) altered hash shows through. (utimes moved the
    // files' ctime to now, so the cache is dated as if written well after.)
    cache.writtenAtMs = Date.now() + 10_000;
    cache.files['static/index.html'].sha256 = '0'.repeat(64);
    writeFileSync(cacheFile, JSON.stringify(cache));
    const trusted = await sourceFingerprint(inputs({ cacheFile }));
    assert.notEqual(trusted, plain, 'the cached hash was not used');
    // Same size, mtime put back: ctime moved, so the file is read again.
    cache.files['static/index.html'].sha256 = '0'.repeat(64);
    writeFileSync(cacheFile, JSON.stringify(cache));
    await new Promise((r) => setTimeout(r, 50)); // past the filesystem's timestamp granularity
    writeFileSync(join(dir, 'static', 'index.html'), '<p>ho</p>');
    utimesSync(join(dir, 'static', 'index.html'), old, old);
    const changed = await sourceFingerprint(inputs({ cacheFile }));
    assert.notEqual(changed, plain);
    assert.notEqual(changed, trusted);
    writeFileSync(join(dir, 'static', 'index.html'), '<p>hi</p>');
    assert.equal(await sourceFingerprint(inputs({ cacheFile })), plain, 'back to the same content');
  });

  it('gives none when the sources may lie outside the module or cgo is involved', async () => {
    assert.equal(await sourceFingerprint(inputs({ cgo: true })), null);
    assert.equal(await sourceFingerprint(inputs({ inWorkspace: true })), null);
    assert.equal(await sourceFingerprint(inputs({ env: { ...inputs().env, GOWORK: '/w/go.work' } })), null);
    writeFileSync(join(dir, 'go.mod'), 'module example.com/fp\n\ngo 1.19\n\nreplace example.com/lib => ../lib\n');
    assert.equal(await sourceFingerprint(inputs()), null);
    writeFileSync(join(dir, 'go.mod'), 'module example.com/fp\n\ngo 1.19\n\nreplace example.com/lib => example.com/fork v1.0.0\n');
    assert.notEqual(await sourceFingerprint(inputs()), null);
  });
});
