/**
 * The files Go compiles for one main's import graph (linux/amd64, from files: the corpus has no
 * module cache), as the source analyzers take them, and their analysis.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { analyzeMain, type MainSourceFacts, type SourceFile } from '../../src/core/gomod/analyze';
import { importGraph } from '../../src/core/gomod/graph';
import { loadModulePackages } from '../../src/core/gomod/packages';

/** `main` is "." or "./cmd/x". goMinor 25: the corpus modules declare go 1.24 and 1.25. */
export async function mainFiles(moduleDir: string, main = '.'): Promise<SourceFile[]> {
  const found = await loadModulePackages(moduleDir, { goos: 'linux', goarch: 'amd64', cgoEnabled: true, tags: [], goMinor: 25 });
  const rel = main === '.' ? '' : main.replace(/^\.\//, '');
  const pkg = found.packages.find((p) => p.origin === 'module' && p.rel === rel && p.name === 'main');
  if (!pkg) throw new Error(`no main package ${main} in ${moduleDir}`);
  const files: SourceFile[] = [];
  for (const { pkg: p } of importGraph(pkg.importPath, found.packages).packages) {
    for (const f of p.goFiles)
      files.push({ rel: p.rel ? `${p.rel}/${f}` : f, text: await fs.readFile(path.join(p.dir, f), 'utf8'), importPath: p.importPath, packageName: p.name });
  }
  return files;
}

/** Analyzes a main with go.mod's go version (it decides net/http's pattern syntax). */
export async function analyze(moduleDir: string, main = '.'): Promise<MainSourceFacts> {
  const goVersion = /^go\s+(\S+)/m.exec(await fs.readFile(path.join(moduleDir, 'go.mod'), 'utf8'))?.[1] ?? null;
  return analyzeMain(await mainFiles(moduleDir, main), { goVersion });
}
