import { strict as assert } from 'node:assert';
import { absoluteCompilerPaths } from '../../src/core/build/goBuild';
import { runPool } from '../../src/core/build/pool';
import { artifactName, checkTargets, parseTarget, targetEnv } from '../../src/core/build/targets';
import { checkGoVersion, goToolchain } from '../../src/core/build/toolchain';
import { fillLdflags } from '../../src/core/build/version';
import { CancellationSource } from '../../src/core/cancellation';

describe('build targets', () => {
  it('parses os/arch and variants into the per-process environment', () => {
    assert.deepEqual(targetEnv(parseTarget('linux/arm/7')), { GOOS: 'linux', GOARCH: 'arm', GOARM: '7' });
    assert.deepEqual(targetEnv(parseTarget('linux/amd64/v3')), { GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v3' });
    assert.deepEqual(targetEnv(parseTarget('darwin/arm64')), { GOOS: 'darwin', GOARCH: 'arm64' });
  });

  it('rejects malformed targets and variants with an example', () => {
    assert.throws(() => parseTarget('linux'), /invalid target "linux"[\s\S]*/);
    assert.throws(
      () => parseTarget('linux/arm/9'),
      (e: Error & { hint?: string }) => /"9" is not a GOARM value/.test(e.message) && /linux\/arm\/7/.test(e.hint ?? ''),
    );
    assert.throws(() => parseTarget('linux/386/sse2'), /386 has no variants/);
  });

  it('checks platforms against the toolchain list, and GOARM64 against the Go version', () => {
    const list = ['linux/amd64', 'linux/arm64', 'windows/amd64'];
    assert.throws(
      () => checkTargets([parseTarget('linux/sparc')], list, 19, 'go1.19.8'),
      (e: Error & { hint?: string }) => /go1\.19\.8 cannot build linux\/sparc/.test(e.message) && /amd64, arm64/.test(e.hint ?? ''),
    );
    assert.throws(() => checkTargets([parseTarget('linux/arm64/v8.2')], list, 19, 'go1.19.8'), /GOARM64 needs Go 1\.23/);
    checkTargets([parseTarget('linux/arm64/v8.2')], list, 23, 'go1.23.0');
  });

  it('names artifacts <name>_<version>_<os>_<arch>[_<variant>][.exe], with unsafe characters replaced', () => {
    assert.equal(artifactName('api', 'v1.2.3-4-gabc-dirty', parseTarget('linux/arm/7')), 'api_v1.2.3-4-gabc-dirty_linux_arm_7');
    assert.equal(artifactName('api', 'feature/x y', parseTarget('windows/amd64')), 'api_feature-x-y_windows_amd64.exe');
  });

  it('fills ldflags placeholders and checks the toolchain against go.mod', () => {
    assert.equal(
      fillLdflags('-X main.v={{.Version}} -X main.c={{ .Commit }} -X main.d={{.Date}}', { version: 'v1', commit: 'abc', date: '2026-01-01T00:00:00Z' }),
      '-X main.v=v1 -X main.c=abc -X main.d=2026-01-01T00:00:00Z',
    );
    const tc = { go: 'go', version: 'go1.19.8', minor: 19, targets: [], goToolchainSetting: '' };
    assert.throws(() => checkGoVersion(tc, '1.21', {}), /go\.mod asks for go 1\.21, but the installed toolchain is go1\.19\.8/);
    checkGoVersion(tc, '1.19', {});
  });

  it('the toolchain hint fits the installed Go: GOTOOLCHAIN only from Go 1.21 on', () => {
    const old = { go: 'go', version: 'go1.19.8', minor: 19, targets: [], goToolchainSetting: '' };
    // Go 1.19 cannot switch toolchains: GOTOOLCHAIN=auto changes nothing, and the hint says to install Go.
    for (const env of [{}, { GOTOOLCHAIN: 'auto' }]) {
      assert.throws(
        () => checkGoVersion(old, '1.22', env),
        (e: Error & { hint?: string; exitCode?: number }) => {
          assert.match(e.hint ?? '', /^install Go 1\.22 or newer/);
          assert.doesNotMatch(e.hint ?? '', /set GOTOOLCHAIN/);
          assert.equal(e.exitCode, 2);
          return true;
        },
      );
    }
    const switching = { go: 'go', version: 'go1.21.0', minor: 21, targets: [], goToolchainSetting: 'local' };
    assert.throws(
      () => checkGoVersion(switching, '1.22', {}),
      (e: Error & { hint?: string }) => /set GOTOOLCHAIN=auto .*\(GOTOOLCHAIN is local now\)/.test(e.hint ?? ''),
    );
    checkGoVersion(switching, '1.22', { GOTOOLCHAIN: 'auto' });
    checkGoVersion({ ...switching, goToolchainSetting: 'auto' }, '1.22', {});
    assert.throws(() => checkGoVersion({ ...switching, goToolchainSetting: 'auto' }, '1.22', { GOTOOLCHAIN: 'local' }), /asks for go 1\.22/);
  });

  it('a missing Go toolchain is a clear error saying how to install one, with where to download it as its link', async () => {
    await assert.rejects(goToolchain('/nonexistent/bin/go'), (e: Error & { hint?: string; link?: { label: string; url: string } }) => {
      assert.equal(e.message, 'Go is not installed: /nonexistent/bin/go was not found');
      assert.match(e.hint ?? '', /^install Go from https:\/\/go\.dev\/dl\/ \(Debian\/Ubuntu: sudo apt install golang-go\)/);
      assert.deepEqual(e.link, { label: 'Download Go', url: 'https://go.dev/dl/' });
      return true;
    });
  });

  it("rewrites the compiler's relative paths to absolute ones for problem matchers", () => {
    const out = '# example.com/x\n./main.go:12:2: undefined: foo\ncmd/api/x.go:3:1: syntax error\n/abs/y.go:1:1: already absolute\nnote: not a location\n';
    assert.equal(
      absoluteCompilerPaths(out, '/m'),
      '# example.com/x\n/m/main.go:12:2: undefined: foo\n/m/cmd/api/x.go:3:1: syntax error\n/abs/y.go:1:1: already absolute\nnote: not a location\n',
    );
  });
});

describe('the bounded build pool', () => {
  it('never runs more than the limit at once and keeps the order of results', async () => {
    let running = 0;
    let peak = 0;
    const out = await runPool([1, 2, 3, 4, 5], 2, async (n) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [10, 20, 30, 40, 50]);
    assert.equal(peak, 2);
  });

  it('the first failure aborts the others and starts nothing new', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    await assert.rejects(
      runPool([1, 2, 3, 4], 2, async (n, signal) => {
        started.push(n);
        if (n === 1) throw new Error('boom');
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        aborted.push(n);
        return n;
      }),
      /boom/,
    );
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(aborted, [2]);
  });

  it('cancellation aborts running work', async () => {
    const source = new CancellationSource();
    setTimeout(() => source.cancel(), 20);
    await assert.rejects(
      runPool(
        [1, 2],
        2,
        (_n, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
        source.token,
      ),
      /cancelled/,
    );
  });
});
