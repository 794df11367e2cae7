// The binary inspector against binaries the real Go toolchain builds (linux, windows and
// darwin targets; stripped and not), cross-checked with the toolchain's own `go version -m`
// and `go tool nm`; plus a system ELF and a cgo binary checked against readelf.
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { inspectBinary } from '../../src/core/build/binary/inspect';
import type { BinaryInfo, GoBuildInfo } from '../../src/core/build/binary/types';
import { goEnv, goToolchain } from './fixtures/go';
import { requireTool, run, runOk, tempDir } from './fixtures/util';

const MODULES = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules');
const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

interface Target {
  goos: string;
  goarch: string;
  goarm?: string;
  stripped: boolean;
}
const TARGETS: Target[] = [];
for (const [goos, goarch, goarm] of [
  ['linux', 'amd64'],
  ['linux', 'arm64'],
  ['linux', 'arm', '7'],
  ['windows', 'amd64'],
  ['darwin', 'arm64'],
]) {
  for (const stripped of [false, true]) TARGETS.push({ goos, goarch, goarm, stripped });
}
const nameOf = (t: Target): string => `${t.goos}-${t.goarch}${t.goarm ? `v${t.goarm}` : ''}${t.stripped ? '-s-w' : ''}`;

/** Runs `tasks` with at most `n` at a time. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return results;
}

/** `go version -m FILE`, parsed: the Go version and the build info as the toolchain sees it. */
async function goVersionM(file: string): Promise<{ goVersion: string; info: GoBuildInfo }> {
  const out = (await runOk('go', ['version', '-m', file], { env: goEnv() })).stdout;
  const [first, ...lines] = out.trimEnd().split('\n');
  const goVersion = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (go\\S+)$`).exec(first)?.[1];
  assert.ok(goVersion, `go version -m first line: ${first}`);
  const info: GoBuildInfo = { path: '', main: null, deps: [], settings: {} };
  for (const line of lines) {
    const [, word, ...f] = line.split('\t');
    if (word === 'path') info.path = f[0];
    else if (word === 'mod') info.main = { path: f[0], version: f[1], sum: f[2] || null };
    else if (word === 'dep') info.deps.push({ path: f[0], version: f[1], sum: f[2] || null });
    else if (word === 'build') {
      const kv = f.join('\t');
      const eq = kv.indexOf('=');
      const raw = kv.slice(eq + 1);
      info.settings[kv.slice(0, eq)] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    } else assert.fail(`unexpected go version -m line: ${JSON.stringify(line)}`);
  }
  return { goVersion, info };
}

/** How many defined (not undefined/imported) symbols `go tool nm` lists. */
async function definedSymbols(file: string): Promise<number> {
  const r = await run('go', ['tool', 'nm', file], { env: goEnv() });
  if (r.code !== 0) {
    assert.match(r.stderr, /no symbols/, `go tool nm ${file} failed:\n${r.stderr}`);
    return 0;
  }
  return r.stdout.split('\n').filter((l) => /^\s*[0-9a-f]*\s+[A-Za-z]\s/.test(l) && !/^\s*[0-9a-f]*\s+U\s/.test(l)).length;
}

/** readelf's view of an ELF file: interpreter and DT_NEEDED libraries. */
async function readelf(file: string): Promise<{ interpreter: string | null; libraries: string[] }> {
  await requireTool('readelf', 'binutils (readelf)');
  const out = (await runOk('readelf', ['-lWd', file], { env: { ...process.env, LC_ALL: 'C' } })).stdout;
  const interpreter = /\[Requesting program interpreter: ([^\]]+)\]/.exec(out)?.[1] ?? null;
  const libraries = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  return { interpreter, libraries };
}

describe('binary inspection of real Go builds', () => {
  const work = tempDir('binary-inspect');
  after(() => work.remove());
  const built = new Map<string, { file: string; info: BinaryInfo }>();
  let toolchain = '';
  let revision = '';

  before(async () => {
    toolchain = (await goToolchain()).version;
    // A copy of the fixture in its own git repository, so vcs.revision is known and the
    // build does not depend on the state of the repository others are working in.
    const mod = join(work.path, 'single');
    cpSync(join(MODULES, 'single'), mod, { recursive: true });
    const git = (...args: string[]): Promise<{ stdout: string }> =>
      runOk('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: mod });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'fixture');
    revision = (await git('rev-parse', 'HEAD')).stdout.trim();
    const started = Date.now();
    await pool(
      TARGETS.map((t) => async () => {
        const file = join(work.path, nameOf(t) + (t.goos === 'windows' ? '.exe' : ''));
        const args = ['build', '-trimpath', ...(t.stripped ? ['-ldflags=-s -w'] : []), '-o', file, '.'];
        const env = goEnv({ GOOS: t.goos, GOARCH: t.goarch, ...(t.goarm ? { GOARM: t.goarm } : {}) });
        const r = await run('go', args, { cwd: mod, env, timeoutMs: 600_000 });
        if (r.code !== 0) throw new Error(`go ${args.join(' ')} for ${nameOf(t)} failed:\n${r.stdout}${r.stderr}`);
        built.set(nameOf(t), { file, info: await inspectBinary(file) });
      }),
      Math.max(2, cpus().length),
    );
    process.stderr.write(`      (${TARGETS.length} builds with ${toolchain} in ${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
  });

  for (const t of TARGETS) {
    it(`${nameOf(t)}: os/arch, linking, stripped and build info match the target and \`go version -m\``, async () => {
      const b = built.get(nameOf(t));
      assert.ok(b, `${nameOf(t)} was built`);
      const { file, info } = b;
      assert.equal(info.format, { linux: 'elf', windows: 'pe', darwin: 'macho' }[t.goos]);
      assert.equal(info.os, t.goos);
      assert.equal(info.arch, t.goarch);
      assert.equal(info.bits, t.goarch === 'arm' ? 32 : 64);
      if (t.goos === 'linux') {
        assert.deepEqual([info.static, info.interpreter, info.libraries], [true, null, []]);
      } else {
        assert.equal(info.static, false);
        assert.equal(info.interpreter, null);
        assert.ok(info.libraries.includes(t.goos === 'windows' ? 'kernel32.dll' : '/usr/lib/libSystem.B.dylib'), info.libraries.join(', '));
      }
      // Stripped means no defined symbols, as the toolchain's own nm sees it. Go's -s removes
      // the ELF and PE symbol tables; for darwin, Go before 1.22 keeps the Mach-O symbol table.
      const defined = await definedSymbols(file);
      assert.equal(info.stripped, defined === 0, `stripped=${info.stripped} but go tool nm lists ${defined} defined symbols`);
      if (t.goos !== 'darwin') assert.equal(info.stripped, t.stripped);
      else if (!t.stripped) assert.equal(info.stripped, false);

      assert.equal(info.goVersion, toolchain);
      const s = info.buildInfo?.settings ?? {};
      assert.equal(s.GOOS, t.goos);
      assert.equal(s.GOARCH, t.goarch);
      assert.equal(s.CGO_ENABLED, '0');
      assert.equal(s['-trimpath'], 'true');
      assert.equal(s.GOARM, t.goarm);
      // cmd/go leaves -ldflags out of the build info under -trimpath (Go 1.19 does).
      assert.ok(s['-ldflags'] === undefined || (t.stripped && s['-ldflags'] === '-s -w'), `-ldflags=${s['-ldflags']}`);
      assert.equal(s['vcs.revision'], revision);
      assert.equal(s['vcs.modified'], 'false');
      assert.equal(info.buildInfo?.path, 'example.com/hello');
      assert.deepEqual(info.buildInfo?.main, { path: 'example.com/hello', version: '(devel)', sum: null });

      const m = await goVersionM(file);
      assert.equal(info.goVersion, m.goVersion);
      assert.deepEqual(info.buildInfo, m.info);
    });
  }

  it('a dynamically linked system ELF (/bin/ls): interpreter and libraries as readelf sees them, no Go', async () => {
    const info = await inspectBinary('/bin/ls');
    const ref = await readelf('/bin/ls');
    assert.equal(info.format, 'elf');
    assert.equal(info.os, 'linux');
    assert.equal(info.arch, HOST_ARCH[process.arch]);
    assert.equal(info.static, false);
    assert.ok(ref.interpreter, 'readelf found the interpreter');
    assert.equal(info.interpreter, ref.interpreter);
    assert.deepEqual(info.libraries, ref.libraries);
    assert.ok(info.libraries.includes('libc.so.6'));
    assert.equal(info.goVersion, null);
    assert.equal(info.buildInfo, null);
  });

  it('a cgo binary (import "C", CGO_ENABLED=1, external linking): dynamic, libc, CGO_ENABLED=1', async () => {
    await requireTool('gcc', 'a C compiler (gcc)');
    const mod = join(work.path, 'cgo');
    mkdirSync(mod);
    writeFileSync(join(mod, 'go.mod'), 'module example.com/cgohello\n\ngo 1.19\n');
    writeFileSync(
      join(mod, 'main.go'),
      'package main\n\n/*\nstatic int answer(void) { return 42; }\n*/\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println(int(C.answer())) }\n',
    );
    const file = join(work.path, 'cgohello');
    const goarch = HOST_ARCH[process.arch];
    const env = goEnv({ CGO_ENABLED: '1', GOOS: 'linux', GOARCH: goarch });
    const started = Date.now();
    const r = await run('go', ['build', '-trimpath', '-o', file, '.'], { cwd: mod, env, timeoutMs: 600_000 });
    assert.equal(r.code, 0, `cgo build failed:\n${r.stdout}${r.stderr}`);
    process.stderr.write(`      (cgo build in ${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    assert.equal((await runOk(file, [])).stdout.trim(), '42', 'the cgo binary runs');

    const info = await inspectBinary(file);
    const ref = await readelf(file);
    assert.equal(info.os, 'linux');
    assert.equal(info.arch, goarch);
    assert.equal(info.static, false);
    assert.ok(info.interpreter && info.interpreter === ref.interpreter, `${info.interpreter} vs readelf ${ref.interpreter}`);
    assert.deepEqual(info.libraries, ref.libraries);
    assert.ok(info.libraries.includes('libc.so.6'), info.libraries.join(', '));
    assert.equal(info.goVersion, toolchain);
    assert.equal(info.buildInfo?.settings.CGO_ENABLED, '1');
    assert.equal(info.buildInfo?.path, 'example.com/cgohello');
    const m = await goVersionM(file);
    assert.deepEqual(info.buildInfo, m.info);
  });
});
