// The cross-compilation engine against the real Go toolchain: a multi-main module for five
// targets, verified by the TypeScript inspector and by `go version -m`, SHA256SUMS checked
// with sha256sum, reproducible across folders, the stamped version visible when run.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runBuild } from '../../src/core/build/build';
import type { BuildResult } from '../../src/core/build/types';
import { CancellationSource } from '../../src/core/cancellation';
import { validateConfigText } from '../../src/core/config/load';
import { inspectModule } from '../../src/core/gomod/inspect';
import { goEnv } from './fixtures/go';
import { runOk, tempDir } from './fixtures/util';

const FIXTURES = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules');
const MATRIX = ['linux/amd64', 'linux/arm64', 'linux/arm/7', 'windows/amd64', 'darwin/arm64'];
const CONFIG =
  'app:\n  name: server\n  main: ./cmd/server\nbuild:\n  ldflags: "-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}"\n';
const work = tempDir('build');
after(() => work.remove());

/** A git checkout of the release fixture with one tagged commit at a fixed time. */
async function checkout(name: string, from?: string): Promise<string> {
  const dir = join(work.path, name);
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
    GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  if (from) {
    await runOk('git', ['clone', '-q', from, dir], { env });
    return dir;
  }
  cpSync(join(FIXTURES, 'release'), dir, { recursive: true });
  writeFileSync(join(dir, 'godeploy.yaml'), CONFIG);
  writeFileSync(join(dir, '.gitignore'), 'dist/\n');
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'release'],
    ['tag', 'v1.2.3'],
  ])
    await runOk('git', args, { cwd: dir, env });
  return dir;
}

async function build(dir: string, targets: string[], extra: Partial<Parameters<typeof runBuild>[0]> = {}): Promise<BuildResult> {
  const inspection = await inspectModule(dir);
  const { config } = validateConfigText('godeploy.yaml', readFileSync(join(dir, 'godeploy.yaml'), 'utf8'), inspection);
  if (!config) throw new Error('fixture config invalid');
  return runBuild({ moduleDir: dir, config, inspection, targets, env: goEnv(), ...extra });
}

describe('build matrix (real Go toolchain)', function () {
  this.timeout(600_000);
  let dir: string;
  let result: BuildResult;
  before(async () => {
    dir = await checkout('a');
    result = await build(dir, MATRIX);
  });

  it('builds every target under its name, verified by the inspector and by go version -m', async () => {
    assert.deepEqual(
      result.artifacts.map((a) => a.file),
      ['server_v1.2.3_linux_amd64', 'server_v1.2.3_linux_arm64', 'server_v1.2.3_linux_arm_7', 'server_v1.2.3_windows_amd64.exe', 'server_v1.2.3_darwin_arm64'],
    );
    for (const a of result.artifacts) {
      const [goos, goarch, variant] = a.target.split('/');
      assert.equal(a.binary.os, goos, a.target);
      assert.equal(a.binary.arch, goarch, a.target);
      if (goos === 'linux') assert.equal(a.binary.static, true, `${a.target} is not static`);
      // Go 1.19's linker honours -s for ELF and PE; on Mach-O it keeps the symbols.
      if (a.binary.format !== 'macho') assert.equal(a.binary.stripped, true, `${a.target} kept its symbol table despite -s`);
      const m = (await runOk('go', ['version', '-m', a.path], { env: goEnv() })).stdout;
      assert.match(m, new RegExp(`\\bbuild\\tGOOS=${goos}\\b`));
      assert.match(m, new RegExp(`\\bbuild\\tGOARCH=${goarch}\\b`));
      if (variant) assert.match(m, new RegExp(`\\bbuild\\tGOARM=${variant}\\b`));
      assert.match(m, /\bbuild\t-trimpath=true\b/);
      assert.match(m, /\bbuild\tCGO_ENABLED=0\b/);
      assert.equal(a.binary.buildInfo?.path, 'example.com/release/cmd/server');
      assert.equal(a.binary.goVersion, (await runOk('go', ['env', 'GOVERSION'], { env: goEnv() })).stdout.trim());
    }
  });

  it('writes SHA256SUMS that sha256sum -c accepts, and a build.json manifest', async () => {
    const check = await runOk('sha256sum', ['-c', 'SHA256SUMS'], { cwd: result.outDir });
    assert.equal(
      check.stdout
        .trim()
        .split('\n')
        .filter((l) => l.endsWith(': OK')).length,
      5,
    );
    const manifest = JSON.parse(readFileSync(result.manifestFile, 'utf8')) as {
      version: string;
      date: string;
      artifacts: { target: string; sha256: string; size: number }[];
    };
    assert.equal(manifest.version, 'v1.2.3');
    assert.equal(manifest.date, '2026-01-02T03:04:05Z');
    assert.deepEqual(
      manifest.artifacts.map((a) => a.target),
      MATRIX,
    );
    assert.ok(!readdirSync(result.outDir).some((f) => f.startsWith('.staging')), 'staging folder left behind');
  });

  it('stamps version, commit and commit date: the linux/amd64 binary prints them', async () => {
    const bin = result.artifacts.find((a) => a.target === 'linux/amd64')?.path ?? '';
    const out = (await runOk(bin, ['-version'])).stdout.trim().split(' ');
    assert.equal(out[0], 'v1.2.3');
    assert.match(out[1], /^[0-9a-f]{40}$/);
    assert.equal(out[2], '2026-01-02T03:04:05Z');
  });

  it('is reproducible: the same commit built in another folder gives identical sha256 for every target', async () => {
    const other = await checkout('b', dir);
    const again = await build(other, MATRIX);
    assert.deepEqual(
      again.artifacts.map((a) => a.sha256),
      result.artifacts.map((a) => a.sha256),
    );
  });
});

describe('build: bad input and failures', function () {
  this.timeout(600_000);

  it('a cgo module explains which file needs cgo and how to cross-compile it', async () => {
    const dir = join(work.path, 'cgo');
    cpSync(join(FIXTURES, 'cgo'), dir, { recursive: true });
    writeFileSync(join(dir, 'godeploy.yaml'), 'app: {}\n');
    await assert.rejects(build(dir, ['linux/arm64']), (e: Error & { hint?: string }) => {
      // The go.mod requirement of mattn/go-sqlite3 is not a reason: no package of the main imports it.
      assert.match(e.message, /needs cgo \(main\.go:6 imports "C" \(compiled for linux\/amd64\)\)/);
      assert.match(e.message, /building linux\/arm64 needs a C cross compiler/);
      assert.match(e.hint ?? '', /cc:\n\s+linux\/arm64: aarch64-linux-gnu-gcc/);
      return true;
    });
  });

  it('an unknown platform, a bad variant and a too-old toolchain are clear errors', async () => {
    const dir = await checkout('bad');
    await assert.rejects(build(dir, ['linux/sparc']), /cannot build linux\/sparc[\s\S]*|linux\/sparc/);
    await assert.rejects(build(dir, ['linux/arm/9']), /"9" is not a GOARM value/);
    writeFileSync(join(dir, 'go.mod'), 'module example.com/release\n\ngo 1.99\n');
    await assert.rejects(build(dir, ['linux/amd64']), /go\.mod asks for go 1\.99, but the installed toolchain is go1\.\d+/);
  });

  it('a compile error names the file by absolute path and line, and leaves the previous build untouched', async () => {
    const dir = await checkout('broken');
    const first = await build(dir, ['linux/amd64']);
    const before = readFileSync(first.checksumsFile, 'utf8');
    writeFileSync(join(dir, 'cmd', 'server', 'broken.go'), 'package main\n\nfunc broken() { undefinedThing() }\n');
    await assert.rejects(build(dir, ['linux/amd64', 'linux/arm64']), (e: Error) => {
      assert.ok(e.message.includes(`${join(dir, 'cmd', 'server', 'broken.go')}:3:17: undefined: undefinedThing`), e.message);
      return true;
    });
    assert.equal(readFileSync(first.checksumsFile, 'utf8'), before);
    assert.ok(existsSync(first.artifacts[0].path));
    assert.deepEqual(
      readdirSync(first.outDir).filter((f) => f.startsWith('.')),
      [],
    );
  });

  it('cancellation stops every go build at once and leaves nothing behind', async () => {
    const dir = await checkout('cancel');
    const cold = tempDir('cold-cache'); // a cold cache makes the build long enough to cancel
    const source = new CancellationSource();
    setTimeout(() => source.cancel(), 1500);
    const started = Date.now();
    await assert.rejects(build(dir, MATRIX, { token: source.token, env: goEnv({ GOCACHE: cold.path }) }), /build cancelled; nothing was written/);
    assert.ok(Date.now() - started < 20_000, `cancelling took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(processesIn(dir), [], 'go processes still running in the module folder');
    assert.equal(existsSync(join(dir, 'dist')), false, 'a cancelled build made dist/');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.godeploy-staging')),
      [],
      'staging folder left behind',
    );
    cold.remove();
  });
});

/** Command lines of processes whose working directory is `dir` (Linux /proc). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === dir) found.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
