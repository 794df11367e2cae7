/**
 * One answer to "which packages does Go compile for this module and target": from
 * `go list` when the toolchain can answer, else from the file evaluator, saying which and why.
 */
import * as path from 'node:path';
import { goToolchain } from '../build/toolchain';
import { evaluateFile } from './constraints';
import { goList, toGoPackages } from './goList';
import { loadModulePackages, PackageScanCache, type LoadedPackage, type ModulePackages, type SkippedFolder } from './packages';
import type { ModuleLayout } from './localModules';
import type { BuildContext } from './types';

export interface PackagesAnswer {
  via: 'go list' | 'files';
  /** Why go list was not used (only when via is 'files'). */
  fallbackReason?: string;
  /** The go list command line, when go list answered. */
  command?: string;
  layout: ModuleLayout;
  /** Non-standard packages: module, workspace, vendor; with go list also module-cache dependencies and missing ones. */
  packages: LoadedPackage[];
  /** Folders of the module whose Go files are all excluded for the target, with the reasons. */
  skipped: SkippedFolder[];
}

export interface PackagesForOptions {
  /** The go command; null: do not ask go (files only). Default `go` on PATH. */
  go?: string | null;
  cache?: PackageScanCache;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Packages for moduleDir and ctx: go list's answer when it gives one, else the file evaluator's. */
export async function packagesFor(moduleDir: string, ctx: BuildContext, options: PackagesForOptions = {}): Promise<PackagesAnswer> {
  const cache = options.cache ?? new PackageScanCache();
  const files = await loadModulePackages(moduleDir, ctx, { cache, signal: options.signal });
  const fromFiles = (fallbackReason: string): PackagesAnswer => ({
    via: 'files',
    fallbackReason,
    layout: files.layout,
    packages: files.packages,
    skipped: files.skipped,
  });
  if (options.go === null) return fromFiles('go list was not asked (files only)');
  const go = options.go ?? 'go';
  let goMinor: number;
  try {
    goMinor = (await goToolchain(go)).minor;
  } catch (e) {
    return fromFiles((e as Error).message);
  }
  const listed = await goList(files.layout, ctx, { go, goMinor, signal: options.signal, timeoutMs: options.timeoutMs });
  if (!listed.ok) return fromFiles(`go list cannot answer for this module: ${listed.reason}`);
  const byPath = new Map(files.packages.map((p) => [p.importPath, p]));
  const packages: LoadedPackage[] = [];
  const listedLocal = new Set<string>();
  const rawByPath = new Map(listed.packages.map((r) => [r.ImportPath, r]));
  for (const p of toGoPackages(listed.packages, files.layout)) {
    if (p.origin === 'std') continue;
    const raw = rawByPath.get(p.importPath);
    listedLocal.add(p.importPath);
    const isLocal = p.origin === 'module' || p.origin === 'workspace' || p.origin === 'vendor';
    const evidence = isLocal ? await evidenceFor(p.dir, raw?.IgnoredGoFiles ?? [], p.cgoFiles, ctx, cache, options.signal) : { excluded: [], cgoLines: {} };
    const errors = [raw?.Error?.Err, ...(raw?.InvalidGoFiles ?? []).map((f) => `${f}: invalid`)].filter((e): e is string => !!e);
    packages.push({ ...p, ...evidence, errors: p.origin === 'missing' ? errors : errors.length ? errors : (byPath.get(p.importPath)?.errors ?? []) });
  }
  packages.sort((a, b) => rank(a) - rank(b) || (a.importPath < b.importPath ? -1 : a.importPath > b.importPath ? 1 : 0));
  return { via: 'go list', command: listed.command, layout: files.layout, packages, skipped: files.skipped.filter((s) => !listedLocal.has(s.importPath)) };
}

function rank(p: LoadedPackage): number {
  return ['module', 'workspace', 'vendor', 'dependency', 'missing', 'std'].indexOf(p.origin);
}

/** Reasons for go list's IgnoredGoFiles and the import "C" lines of its CgoFiles, from the file headers. */
async function evidenceFor(
  dir: string,
  ignored: string[],
  cgoFiles: string[],
  ctx: BuildContext,
  cache: PackageScanCache,
  signal?: AbortSignal,
): Promise<Pick<LoadedPackage, 'excluded' | 'cgoLines'>> {
  const excluded: LoadedPackage['excluded'] = [];
  const cgoLines: Record<string, number> = {};
  for (const file of ignored) {
    if (file.endsWith('_test.go')) continue;
    const verdict = evaluateFile(file, await cache.header(path.join(dir, file), signal), ctx);
    excluded.push({ file, reason: verdict.included ? 'excluded by go list' : verdict.reason });
  }
  for (const file of cgoFiles) {
    const line = (await cache.header(path.join(dir, file), signal)).cgoLine;
    if (line !== undefined) cgoLines[file] = line;
  }
  return { excluded, cgoLines };
}

export type { ModulePackages };
