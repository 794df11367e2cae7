/**
 * A main package's import graph: the packages it compiles in, found by following the
 * compiled files' imports from the main, with the chain of imports that reaches each.
 */
import type { GoPackage } from './types';

export interface GraphPackage<P extends GoPackage = GoPackage> {
  pkg: P;
  /** Import paths from the main to this package (the main alone for the main); a shortest chain. */
  chain: string[];
}

export interface ExternalImport {
  importPath: string;
  /** 'dependency' / 'missing' when the package list knows it; 'unresolved' when it is not in the list (a dependency the file evaluator does not read). */
  origin: 'dependency' | 'missing' | 'unresolved';
  chain: string[];
}

export interface ImportGraph<P extends GoPackage = GoPackage> {
  main: P;
  /** Packages of the module, workspace members, local replacements and vendor/ reachable from the main: the main first, then by import path. */
  packages: GraphPackage<P>[];
  /** Other non-standard imports reached (module-cache dependencies or not found), by import path. */
  external: ExternalImport[];
}

const local = new Set<GoPackage['origin']>(['module', 'workspace', 'vendor']);

/** Go's rule for standard-library paths: the first element has no dot (cmd/go search.IsStandardImportPath). */
export function isStandardImportPath(importPath: string): boolean {
  const first = importPath.split('/')[0];
  return !first.includes('.');
}

/** The import graph of the main package `mainImportPath` within `packages` (one build context's packages). */
export function importGraph<P extends GoPackage>(mainImportPath: string, packages: readonly P[]): ImportGraph<P> {
  const byPath = new Map<string, P>();
  for (const p of packages) if (!byPath.has(p.importPath)) byPath.set(p.importPath, p);
  const main = byPath.get(mainImportPath);
  if (!main) throw new Error(`${mainImportPath} is not among the packages`);
  const chains = new Map<string, string[]>([[mainImportPath, [mainImportPath]]]);
  const external = new Map<string, ExternalImport>();
  const queue: P[] = [main];
  // Breadth first, imports in sorted order: every chain is a shortest one and the result does not depend on input order.
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i];
    const chain = chains.get(from.importPath) as string[];
    for (const imp of [...from.imports].sort()) {
      if (imp === 'C' || chains.has(imp) || external.has(imp)) continue;
      const to = byPath.get(imp);
      if (to?.origin === 'std' || (!to && isStandardImportPath(imp))) continue;
      if (!to) {
        external.set(imp, { importPath: imp, origin: 'unresolved', chain: [...chain, imp] });
        continue;
      }
      if (!local.has(to.origin)) external.set(imp, { importPath: imp, origin: to.origin === 'dependency' ? 'dependency' : 'missing', chain: [...chain, imp] });
      chains.set(imp, [...chain, imp]);
      queue.push(to); // dependencies are followed too: one may import a local (replaced) module again
    }
  }
  const reached = queue.filter((p) => local.has(p.origin));
  const rest = reached.slice(1).sort((a, b) => (a.importPath < b.importPath ? -1 : a.importPath > b.importPath ? 1 : 0));
  return {
    main,
    packages: [main, ...rest].map((pkg) => ({ pkg, chain: chains.get(pkg.importPath) as string[] })),
    external: [...external.values()].sort((a, b) => (a.importPath < b.importPath ? -1 : 1)),
  };
}
