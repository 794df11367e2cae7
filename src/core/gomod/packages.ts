/**
 * The packages Go compiles for one build context, found from files alone (no toolchain):
 * the module's packages as `go list ./...` matches them, the packages of workspace members
 * and local replacements, and vendor/ packages, with build constraints applied per file.
 * File headers and folder listings are cached in a PackageScanCache so that evaluating
 * several targets reads each file once.
 */
import * as path from 'node:path';
import { evaluateFile } from './constraints';
import { PackageScanCache, type SourceDir } from './scanCache';
import { moduleLayout, type LocalModule, type ModuleLayout } from './localModules';
import type { BuildContext, GoPackage } from './types';

export { PackageScanCache } from './scanCache';

export interface ExcludedFile {
  /** File name within the package folder. */
  file: string;
  reason: string;
}

/** A GoPackage with the evidence behind it. */
export interface LoadedPackage extends GoPackage {
  /** Non-test .go files of the folder that are not compiled for the context, with Go's reason. */
  excluded: ExcludedFile[];
  /** Line of `import "C"` per file in cgoFiles. */
  cgoLines: Record<string, number>;
  /** Problems Go reports for the package (invalid files, mixed package names). */
  errors: string[];
}

/** A folder with Go files none of which is compiled for the context (so it is no package for it). */
export interface SkippedFolder {
  importPath: string;
  dir: string;
  rel: string;
  origin: GoPackage['origin'];
  excluded: ExcludedFile[];
}

export interface ModulePackages {
  layout: ModuleLayout;
  /** Module packages by import path, then workspace and replacement packages, then vendor/ packages. */
  packages: LoadedPackage[];
  skipped: SkippedFolder[];
}

export interface LoadOptions {
  /** Share one cache between the targets of one inspection. */
  cache?: PackageScanCache;
  signal?: AbortSignal;
}

/** Packages Go compiles for ctx in the module at moduleDir (and what it can import locally), from files. */
export async function loadModulePackages(moduleDir: string, ctx: BuildContext, options: LoadOptions = {}): Promise<ModulePackages> {
  const cache = options.cache ?? new PackageScanCache();
  const layout = await cache.layout(path.resolve(moduleDir), () => moduleLayout(moduleDir));
  const result: ModulePackages = { layout, packages: [], skipped: [] };
  for (const local of layout.locals) {
    const dirs = await cache.tree(local.dir, options.signal);
    const found = await evaluateDirs(dirs, local, layout, ctx, cache, options.signal);
    result.packages.push(...found.packages);
    result.skipped.push(...found.skipped);
  }
  if (layout.vendor) {
    const vendorDirs: SourceDir[] = [];
    for (const p of layout.vendor.packages) {
      const dir = await cache.folder(path.join(layout.vendor.dir, ...p.importPath.split('/')), options.signal);
      if (dir) vendorDirs.push({ ...dir, rel: p.importPath });
    }
    const found = await evaluateDirs(
      vendorDirs,
      { dir: layout.vendor.dir, path: '', origin: 'module', via: 'main' },
      layout,
      ctx,
      cache,
      options.signal,
      'vendor',
    );
    result.packages.push(...found.packages);
    result.skipped.push(...found.skipped);
  }
  return result;
}

async function evaluateDirs(
  dirs: SourceDir[],
  local: LocalModule,
  layout: ModuleLayout,
  ctx: BuildContext,
  cache: PackageScanCache,
  signal: AbortSignal | undefined,
  origin: GoPackage['origin'] = local.origin,
): Promise<{ packages: LoadedPackage[]; skipped: SkippedFolder[] }> {
  const packages: LoadedPackage[] = [];
  const skipped: SkippedFolder[] = [];
  const evaluated = await Promise.all(
    dirs.map(async (d) => {
      const headers = await Promise.all(d.files.map((f) => cache.header(path.join(d.dir, f), signal)));
      return { d, headers };
    }),
  );
  for (const { d, headers } of evaluated) {
    const importPath = origin === 'vendor' ? d.rel : d.rel ? `${local.path}/${d.rel}` : local.path;
    const rel = toSlash(path.relative(layout.moduleDir, d.dir));
    const pkg: LoadedPackage = {
      importPath,
      dir: d.dir,
      rel,
      name: '',
      goFiles: [],
      cgoFiles: [],
      imports: [],
      origin,
      excluded: [],
      cgoLines: {},
      errors: [],
    };
    const imports = new Set<string>();
    let firstFile = '';
    d.files.forEach((file, i) => {
      const header = headers[i];
      const verdict = evaluateFile(file, header, ctx);
      if (verdict.invalid) pkg.errors.push(`${file}: ${verdict.invalid}`);
      if (!verdict.included) {
        pkg.excluded.push({ file, reason: verdict.reason });
        return;
      }
      const name = header.packageName ?? '';
      if (!pkg.name) {
        pkg.name = name;
        firstFile = file;
      } else if (name !== pkg.name) pkg.errors.push(`found packages ${pkg.name} (${firstFile}) and ${name} (${file}) in ${d.dir}`);
      pkg.goFiles.push(file);
      if (verdict.cgo) {
        pkg.cgoFiles.push(file);
        pkg.cgoLines[file] = header.cgoLine as number;
      }
      for (const imp of header.imports) if (imp.path !== 'C') imports.add(imp.path);
    });
    if (!pkg.goFiles.length) {
      if (pkg.excluded.length) skipped.push({ importPath, dir: d.dir, rel, origin, excluded: pkg.excluded });
      continue;
    }
    pkg.imports = [...imports].sort();
    packages.push(pkg);
  }
  packages.sort((a, b) => compare(a.importPath, b.importPath));
  return { packages, skipped };
}

/** The packages of a ModulePackages result that are mains (package main with compiled files). */
export function mainPackages(found: ModulePackages, origins: GoPackage['origin'][] = ['module']): LoadedPackage[] {
  return found.packages.filter((p) => p.name === 'main' && origins.includes(p.origin));
}

export function toSlash(p: string): string {
  return p.split(path.sep).join('/');
}

/** Go's string order (bytewise for ASCII; by UTF-16 code unit otherwise, close enough for file names). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
