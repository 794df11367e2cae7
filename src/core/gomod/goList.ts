/**
 * Asks the Go toolchain which packages it compiles for a build context:
 * `go list -e -json -deps ./...` in the module folder, offline, without writing to the module.
 * When go cannot answer for the module as a whole (no go binary, a go.mod this Go cannot read)
 * the result is a typed failure that says why, so callers can fall back to the file evaluator.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { splitJsonStream } from './jsonStream';
import type { ModuleLayout } from './localModules';
import type { BuildContext, GoPackage } from './types';

/** The fields of `go list -json` that are used. */
export interface GoListPackage {
  Dir?: string;
  ImportPath: string;
  Name?: string;
  Standard?: boolean;
  GoFiles?: string[];
  CgoFiles?: string[];
  IgnoredGoFiles?: string[];
  InvalidGoFiles?: string[];
  Imports?: string[];
  Module?: { Path: string; Dir?: string; Main?: boolean; Replace?: { Path: string; Dir?: string; Version?: string } };
  Error?: { Err: string };
  DepsErrors?: { Err: string }[];
  Incomplete?: boolean;
}

export interface GoListOptions {
  /** The go command (default `go` on PATH). */
  go?: string;
  /** Toolchain minor version, when known: `-json=fields` needs Go 1.19. */
  goMinor?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Environment to start from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Package patterns (default ./...). */
  patterns?: string[];
}

export type GoListResult = { ok: true; packages: GoListPackage[]; command: string } | { ok: false; reason: string; command: string };

const fields = [
  'Dir',
  'ImportPath',
  'Name',
  'Standard',
  'GoFiles',
  'CgoFiles',
  'IgnoredGoFiles',
  'InvalidGoFiles',
  'Imports',
  'Module',
  'Error',
  'DepsErrors',
  'Incomplete',
];

/** Runs go list for ctx in layout.moduleDir. Never throws for go's own failures: see GoListResult. */
export async function goList(layout: ModuleLayout, ctx: BuildContext, options: GoListOptions = {}): Promise<GoListResult> {
  const go = options.go ?? 'go';
  const args = ['list', '-e', (options.goMinor ?? 0) >= 19 ? `-json=${fields.join(',')}` : '-json', '-deps'];
  if (ctx.tags.length) args.push(`-tags=${ctx.tags.join(',')}`);
  args.push(...(options.patterns ?? ['./...']));
  const command = `${go} ${args.join(' ')}`;
  const env = goListEnv(layout, ctx, options.env ?? process.env);
  const run = await runGo(go, args, layout.moduleDir, env, options.timeoutMs ?? 60_000, options.signal);
  if (run.error) return { ok: false, reason: run.error, command };
  let packages: GoListPackage[];
  try {
    packages = splitJsonStream(run.stdout).map((t) => JSON.parse(t) as GoListPackage);
  } catch (e) {
    return { ok: false, reason: `could not read the output of go list: ${(e as Error).message}`, command };
  }
  // With -e, go exits 0 even for broken packages; it fails for the module as a whole (go.mod
  // unreadable, a go version it does not know). A module with no package for the target is an answer.
  const inModule = packages.some((p) => p.Module?.Main && p.Dir && samePath(p.Module.Dir ?? '', layout.moduleDir));
  if (run.code !== 0 && !inModule) return { ok: false, reason: firstLines(run.stderr) || `go list exited with ${run.code}`, command };
  return { ok: true, packages, command };
}

/** The environment for go list: the target, offline, no toolchain switch, no writes to go.mod/go.sum. */
export function goListEnv(layout: ModuleLayout, ctx: BuildContext, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    GOOS: ctx.goos,
    GOARCH: ctx.goarch,
    CGO_ENABLED: ctx.cgoEnabled ? '1' : '0',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GO111MODULE: 'on',
    GOFLAGS: layout.vendor ? '-mod=vendor' : '-mod=readonly',
  };
  delete env.GOWORK;
  if (layout.work) env.GOWORK = layout.work.file;
  else env.GOWORK = 'off';
  // Feature levels that change which files build: leave them at Go's defaults, as the file evaluator does.
  for (const k of ['GOAMD64', 'GOARM', 'GO386', 'GOMIPS', 'GOMIPS64', 'GOPPC64', 'GOEXPERIMENT']) delete env[k];
  return env;
}

/** GoPackage records from go list output (see origins in types.ts). */
export function toGoPackages(list: GoListPackage[], layout: ModuleLayout): GoPackage[] {
  const out: GoPackage[] = [];
  const vendorDir = path.join(layout.moduleDir, 'vendor') + path.sep;
  for (const p of list) {
    const goFiles = [...(p.GoFiles ?? []), ...(p.CgoFiles ?? [])].sort();
    const origin = originOf(p, layout, vendorDir);
    if (origin !== 'std' && origin !== 'missing' && origin !== 'dependency' && goFiles.length === 0) continue; // test-only folders
    out.push({
      importPath: p.ImportPath,
      dir: p.Dir ?? '',
      rel: p.Dir ? path.relative(layout.moduleDir, p.Dir).split(path.sep).join('/') : '',
      name: p.Name ?? '',
      goFiles,
      cgoFiles: [...(p.CgoFiles ?? [])].sort(),
      imports: (p.Imports ?? []).filter((i) => i !== 'C'),
      origin,
    });
  }
  return out;
}

function originOf(p: GoListPackage, layout: ModuleLayout, vendorDir: string): GoPackage['origin'] {
  if (p.Standard) return 'std';
  const dir = p.Dir ?? '';
  if (!dir) return 'missing'; // "no required module provides package", "module lookup disabled by GOPROXY=off"…
  if (layout.vendor && dir.startsWith(vendorDir)) return 'vendor';
  const moduleDir = p.Module?.Replace?.Dir ?? p.Module?.Dir;
  if (moduleDir && samePath(moduleDir, layout.moduleDir)) return 'module';
  if (p.Module?.Main) return 'workspace';
  if (p.Module?.Replace && !p.Module.Replace.Version) return 'workspace'; // replaced by a local folder
  if (!p.Module) return 'missing';
  return 'dependency';
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

function firstLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('go: downloading'))
    .slice(0, 3)
    .join('; ');
}

interface GoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** Runs go in its own process group; a timeout or an abort kills the group. */
function runGo(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, signal?: AbortSignal): Promise<GoRun> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ code: null, stdout: '', stderr: '', error: 'cancelled' });
    const child = spawn(go, args, { cwd, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stoppedFor: string | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const stop = (why: string) => {
      stoppedFor ??= why;
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`go list did not finish within ${timeoutMs / 1000} s`), timeoutMs);
    const onAbort = () => stop('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (r: GoRun) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) =>
      done({ code: null, stdout: '', stderr: '', error: e.code === 'ENOENT' ? `the Go toolchain (${go}) was not found` : e.message }),
    );
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), error: stoppedFor }));
  });
}
