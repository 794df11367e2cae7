// A failed build leaves the output folder exactly as it was, with the real CLI process and
// the real Go toolchain: not created when it did not exist, every file byte for byte (and
// its mode and time) when it did; and the toolchain hint fits the installed Go.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../../src/core/build/build';
import { validateConfigText } from '../../src/core/config/load';
import { inspectModule } from '../../src/core/gomod/inspect';
import { repoRoot } from '../support/paths';
import { goEnv } from './fixtures/go';
import { runOk, tempDir } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const work = tempDir('build-failure');
after(() => work.remove());

/** `godeploy ARGS…` as a user runs it: its own process, real stdout and stderr. */
function godeploy(cwd: string, args: string[], env: NodeJS.ProcessEnv = goEnv()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n';
const BROKEN = 'package main\n\nfunc main() { nosuch() }\n';

/** A module `example.com/server/v3` (go `goLine`) with a godeploy.yaml and main.go. */
function moduleDir(name: string, source: string, goLine = '1.19'): string {
  const dir = join(work.path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), `module example.com/server/v3\n\ngo ${goLine}\n`);
  writeFileSync(join(dir, 'godeploy.yaml'), 'app:\n  port: 8080\nenvironments:\n  dev:\n    type: local\n');
  writeFileSync(join(dir, 'main.go'), source);
  return dir;
}

/**
 * Every entry under `dir`: kind, mode, size, mtime and (files) sha256, so any change shows;
 * but not `dir`'s own time (the staging folder beside dist/ is made and removed in it).
 */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    const digest = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
    if (rel) out[rel] = `${st.isDirectory() ? 'dir' : 'file'} ${st.mode.toString(8)} ${st.isDirectory() ? '' : st.size} ${st.mtimeMs} ${digest}`;
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(rel ? `${rel}/${e}` : e);
  };
  walk('');
  return out;
}

describe('a failed build leaves dist/ as it was (real CLI, real Go)', function () {
  this.timeout(600_000);

  it("a module that does not compile: exit 1, the compiler's error, and no dist/ (nothing in the module changes)", () => {
    const dir = moduleDir('fresh', BROKEN);
    const before = snapshot(dir);
    const r = godeploy(dir, ['build', '--target', 'linux/amd64', '--target', 'linux/arm64']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /main\.go:3:15: undefined: nosuch/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(join(dir, 'dist')), false, 'dist/ was created');
    assert.deepEqual(snapshot(dir), before, 'the module folder changed (a staging folder left behind?)');
  });

  it('with a good dist/ from before: a failed build leaves every file byte for byte, mode and time as they were', () => {
    const dir = moduleDir('previous', GOOD);
    const ok = godeploy(dir, ['build', '--target', 'linux/amd64', '--target', 'linux/arm64']);
    assert.equal(ok.code, 0, ok.stderr);
    // Go's rule names the program: example.com/server/v3 is "server", not "v3".
    assert.deepEqual(readdirSync(join(dir, 'dist')).sort(), ['SHA256SUMS', 'build.json', 'server_dev_linux_amd64', 'server_dev_linux_arm64']);
    const before = snapshot(dir);
    writeFileSync(join(dir, 'main.go'), BROKEN);
    const failed = godeploy(dir, ['build', '--target', 'linux/amd64', '--target', 'linux/arm64', '--target', 'windows/amd64']);
    assert.equal(failed.code, 1, failed.stderr);
    const after = snapshot(dir);
    delete before['main.go'];
    delete after['main.go'];
    assert.deepEqual(after, before);
    // And a good build still replaces the set.
    writeFileSync(join(dir, 'main.go'), GOOD.replace('hello', 'hello again'));
    const again = godeploy(dir, ['build', '--target', 'windows/amd64']);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(existsSync(join(dir, 'dist', 'server_dev_windows_amd64.exe')));
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('.godeploy-staging')).length, 0);
  });

  it('--out into folders that do not exist yet: a failure makes none of them, a success makes them all', () => {
    const dir = moduleDir('out', BROKEN);
    const failed = godeploy(dir, ['build', '--out', 'build/out/bin']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(existsSync(join(dir, 'build')), false, 'build/ was created');
    writeFileSync(join(dir, 'main.go'), GOOD);
    const ok = godeploy(dir, ['build', '--out', 'build/out/bin', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { outDir: string }).outDir, join(dir, 'build', 'out', 'bin'));
    assert.ok(existsSync(join(dir, 'build', 'out', 'bin', 'SHA256SUMS')));
  });

  it('--out naming a file: refused before building, the file untouched', () => {
    const dir = moduleDir('outfile', GOOD);
    writeFileSync(join(dir, 'artifact'), 'keep me');
    const r = godeploy(dir, ['build', '--out', 'artifact']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^godeploy: cannot write to .*artifact: it is a file, not a folder$/m);
    assert.equal(readFileSync(join(dir, 'artifact'), 'utf8'), 'keep me');
  });

  it("a deploy's build (its link folder under dist/deploy/ENV) that fails leaves no dist/ either", async () => {
    const dir = moduleDir('deploybuild', BROKEN);
    const inspection = await inspectModule(dir);
    const { config } = validateConfigText('godeploy.yaml', readFileSync(join(dir, 'godeploy.yaml'), 'utf8'), inspection);
    if (!config) throw new Error('fixture config invalid');
    const outDir = join(dir, 'dist', 'deploy', 'dev');
    await assert.rejects(
      runBuild({ moduleDir: dir, config, inspection, targets: ['linux/amd64'], outDir, linkDir: join(outDir, '.link'), env: goEnv() }),
      /undefined: nosuch/,
    );
    assert.equal(existsSync(join(dir, 'dist')), false, 'dist/ was created');
  });
});

describe('the toolchain hint fits the installed Go (real go)', function () {
  this.timeout(300_000);

  it('go.mod asking for go 1.22: exit 2 naming go 1.22, a hint that this Go can follow, dist/ not made', async () => {
    const dir = moduleDir('newer', GOOD, '1.22');
    const version = (await runOk('go', ['env', 'GOVERSION'], { env: goEnv() })).stdout.trim();
    const minor = Number(/^go1\.(\d+)/.exec(version)?.[1]);
    for (const GOTOOLCHAIN of ['local', 'auto']) {
      const r = godeploy(dir, ['build', '--json'], goEnv({ GOTOOLCHAIN }));
      if (minor >= 21 && GOTOOLCHAIN === 'auto') continue; // a Go that can switch would fetch 1.22 (no network here)
      assert.equal(r.code, 2, r.stderr);
      const [first, hint] = r.stderr.trimEnd().split('\n');
      assert.equal(first, `godeploy: ${join(dir, 'go.mod')}:3:1: go.mod asks for go 1.22, but the installed toolchain is ${version}`);
      if (minor < 21) {
        // Before Go 1.21 there is no GOTOOLCHAIN: the only way is a newer Go.
        assert.match(hint, /^ {2}hint: install Go 1\.22 or newer/);
        assert.doesNotMatch(hint, /set GOTOOLCHAIN/);
        assert.match(hint, new RegExp(`${version.replace(/\./g, '\\.')} cannot fetch a newer Go itself`));
      } else {
        assert.match(hint, /set GOTOOLCHAIN=auto/);
      }
      const json = JSON.parse(r.stdout) as { error: { message: string; hint: string; location: unknown; exitCode: number } };
      assert.deepEqual(json.error.location, { file: join(dir, 'go.mod'), line: 3, col: 1 });
      assert.equal(json.error.exitCode, 2);
      assert.equal(`  hint: ${json.error.hint}`, hint);
      assert.equal(existsSync(join(dir, 'dist')), false);
    }
  });
});
