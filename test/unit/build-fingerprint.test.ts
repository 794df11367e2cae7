// The source fingerprint that lets a deploy skip the go command: it must change with
// anything that changes the binary, stay put for what does not, and refuse when the
// sources are not all in the module folder.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceFingerprint, type FingerprintInputs } from '../../src/core/build/sourceFingerprint';

describe('build: source fingerprint', () => {
  let dir: string;
  const inputs = (over: Partial<FingerprintInputs> = {}): FingerprintInputs => ({
    moduleDir: dir, goVersion: 'go1.19.8', args: ['build', '-trimpath', '-ldflags=-s -w', '-o', 'out', '.'],
    env: { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0', GOCACHE: '/a', GOENV: join(dir, 'no-go-env') }, cgo: false, inWorkspace: false, ...over,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'godeploy-fp-'));
    writeFileSync(join(dir, 'go.mod'), 'module example.com/fp\n\ngo 1.19\n');
    writeFileSync(join(dir, 'main.go'), 'package main\nfunc main() {}\n');
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<p>hi</p>');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is stable for the same inputs, and ignores dist/, .git/, caches and mtimes', async () => {
    const a = await sourceFingerprint(inputs());
    assert.match(a ?? '', /^[0-9a-f]{64}$/);
    mkdirSync(join(dir, 'dist', 'deploy'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'deploy', 'x'), 'build output');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
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
