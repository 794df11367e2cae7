/**
 * Inspection of a Go module: for each main package, the facts Go Deploy needs (cgo, how it
 * serves, its port and how the port is set, a health path, sd_notify, embeds), computed over
 * the files Go compiles for the build targets in that main's import graph. Packages come from
 * `go list` where the toolchain can answer offline, else from the build constraints read from
 * the files (packagesFor says which and why). Reads files and asks `go list`; never runs the
 * module's code.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError, usageError } from '../errors';
import { withFileErrors } from '../fs/fileErrors';
import { goToolchain } from '../build/toolchain';
import { analyzeMain, type SourceFile } from './analyze';
import { importGraph, type ImportGraph } from './graph';
import { parseModFile, parseWorkFile, type ModFile } from './modfile';
import { appNameFor, goBinaryName, mainImportPath } from './names';
import { compare, PackageScanCache, toSlash, type LoadedPackage } from './packages';
import { packagesFor, type PackagesAnswer } from './packagesFor';
import { findStartArgs } from './startArgs';
import { defaultMainOf, normalizeMain } from '../init/chooseMain';
import type { BuildContext, Finding, MainPackageInspection, WorkspaceMember } from './types';

export type { Finding } from './types';

export interface ModuleInspection {
  /** Absolute folder holding go.mod. */
  dir: string;
  module: string;
  goVersion: string | null;
  toolchain: string | null;
  /** Main packages as relative package paths: "." or "./cmd/api" (for the first target). */
  mains: string[];
  /** The deployed main's facts (see `main`); false/null/empty when there is none. */
  cgo: boolean;
  cgoReasons: Finding[];
  port: number | null;
  portSource: Finding | null;
  readsPortEnv: boolean;
  /** The service tells systemd when it is ready (sd_notify): the unit can use Type=notify. */
  sdNotify: Finding | null;
  embed: boolean;
  embedFiles: string[];
  healthPath: string | null;
  /** The go.work that applies to this module, with each member's module path and mains. */
  work: { file: string; goVersion: string | null; use: string[]; members?: WorkspaceMember[] } | null;
  /** The build targets the facts were computed for ("linux/amd64"). */
  targets: string[];
  /** How packages and their files were found: Go's own `go list`, or Go Deploy's reading of the build constraints. */
  via: 'go list' | 'files';
  /** Why `go list` was not used, when it was not. */
  viaReason: string | null;
  /** Facts per main package, in `mains` order. */
  mainPackages: MainPackageInspection[];
  /** The main whose facts fill cgo/port/health above: the requested one (app.main), else the one that serves. Null when none qualifies. */
  main: string | null;
  /** vendor/modules.txt exists: builds use -mod=vendor and need no download. */
  vendored: boolean;
  /** go.mod `replace` directives that point at a local folder (relative to the module). */
  localReplaces: { path: string; to: string; line: number }[];
}

export interface InspectOptions {
  /** GOOS/GOARCH pairs (default linux/amd64: where services run). */
  targets?: string[];
  /** Build tags (build.tags of godeploy.yaml). */
  tags?: string[];
  /** The main whose facts go to the top-level fields (app.main). */
  main?: string;
  /** The go command; null: never ask go (files only). */
  go?: string | null;
  signal?: AbortSignal;
}

/** Dependencies that only build with cgo: used when their sources are not at hand (no module cache). */
const cgoModules = [
  'github.com/mattn/go-sqlite3',
  'github.com/confluentinc/confluent-kafka-go',
  'github.com/google/gopacket/pcap',
  'github.com/miekg/pkcs11',
  'github.com/linxGnu/grocksdb',
  'github.com/tecbot/gorocksdb',
  'github.com/DataDog/zstd',
  'github.com/ceph/go-ceph',
  'gopkg.in/gographics/imagick',
  'github.com/go-gl/glfw',
];

/** The folder with go.mod at or above `start`. */
export async function findModuleDir(start: string): Promise<string> {
  let dir = path.resolve(start);
  for (;;) {
    if (await exists(path.join(dir, 'go.mod'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const work = path.join(path.resolve(start), 'go.work');
  if (await exists(work)) {
    const use = parseWorkFile(await fs.readFile(work, 'utf8')).use;
    throw usageError(
      `${path.resolve(start)} holds a go.work workspace, not a module`,
      `run in one of its modules: ${use.join(', ') || '(go.work lists none)'}`,
    );
  }
  throw usageError(`no go.mod in ${path.resolve(start)} or any parent folder`, 'run in a Go module (a folder with go.mod), or pass its folder');
}

/** Inspects the Go module at or above `start`. */
export async function inspectModule(start: string, options: InspectOptions = {}): Promise<ModuleInspection> {
  const dir = await findModuleDir(start);
  const modFile = path.join(dir, 'go.mod');
  const mod = parseModFile(await withFileErrors('read', modFile, () => fs.readFile(modFile, 'utf8'), 'config'));
  if (!mod.module) {
    throw new GoDeployError(`${modFile} has no module directive`, {
      hint: 'the first line of go.mod is `module <path>`',
      exitCode: 2,
      location: { file: modFile, line: 1, col: 1 },
    });
  }
  const targets = options.targets?.length ? [...new Set(options.targets)] : ['linux/amd64'];
  // Without Go on PATH the files are read instead of asking go list, and the report says why.
  const { go, missing: goMissing } = options.go === undefined ? await goOnPath() : { go: options.go, missing: undefined };
  const goMinor = go ? ((await goToolchain(go).catch(() => undefined))?.minor ?? moduleMinor(mod)) : moduleMinor(mod);
  const cache = new PackageScanCache();
  const answers: { target: string; answer: PackagesAnswer }[] = [];
  const contexts = targets.map((target): BuildContext => {
    const [goos, goarch] = target.split('/');
    // cgo on: what would need cgo is what the facts are about (a main without cgo files builds with CGO_ENABLED=0).
    return { goos, goarch, cgoEnabled: true, tags: options.tags ?? [], goMinor };
  });
  const firstCtx = contexts[0];
  for (const [i, target] of targets.entries()) {
    const ctx = contexts[i];
    answers.push({ target, answer: await withFileErrors('read', dir, () => packagesFor(dir, ctx, { go, cache, signal: options.signal }), 'config') });
  }
  const first = answers[0].answer;
  const mainPkgs = first.packages.filter((p) => p.origin === 'module' && p.name === 'main').sort((a, b) => compare(relMain(dir, a), relMain(dir, b)));
  const texts = new Map<string, Promise<string>>();
  const mainPackages: MainPackageInspection[] = [];
  for (const m of mainPkgs) mainPackages.push(await inspectMain(dir, mod, m, answers, texts));

  const result: ModuleInspection = {
    dir,
    module: mod.module,
    goVersion: mod.go ?? null,
    toolchain: mod.toolchain ?? null,
    mains: mainPackages.map((m) => m.path),
    cgo: false,
    cgoReasons: [],
    port: null,
    portSource: null,
    readsPortEnv: false,
    sdNotify: null,
    embed: false,
    embedFiles: [],
    healthPath: null,
    work: await findWork(dir, mod, first, firstCtx, cache),
    targets,
    via: answers.every((a) => a.answer.via === 'go list') ? 'go list' : 'files',
    viaReason: goMissing ?? answers.find((a) => a.answer.via === 'files')?.answer.fallbackReason ?? null,
    mainPackages,
    main: null,
    vendored: await exists(path.join(dir, 'vendor', 'modules.txt')),
    localReplaces: mod.replaces.filter((r) => r.local).map(({ path: p, to, line }) => ({ path: p, to, line })),
  };
  return focusMain(result, options.main);
}

/** The inspection with the top-level facts (cgo, port, health…) of `main` (app.main), else of the main that serves. */
export function focusMain(inspection: ModuleInspection, main?: string): ModuleInspection {
  const wanted = main ? normalizeMain(main) : undefined;
  const chosenPath = wanted && inspection.mains.includes(wanted) ? wanted : defaultMainOf(inspection);
  const chosen = inspection.mainPackages.find((m) => m.path === chosenPath);
  const none = {
    cgo: false,
    cgoReasons: [],
    port: null,
    portSource: null,
    readsPortEnv: false,
    sdNotify: null,
    embed: false,
    embedFiles: [],
    healthPath: null,
  };
  return {
    ...inspection,
    main: chosen ? chosen.path : null,
    ...(chosen
      ? {
          cgo: chosen.cgo,
          cgoReasons: chosen.cgoReasons,
          port: chosen.port.port,
          portSource: chosen.port.source,
          readsPortEnv: chosen.port.settings.some((s) => s.kind === 'env'),
          sdNotify: chosen.sdNotify,
          embed: chosen.embedFiles.length > 0,
          embedFiles: chosen.embedFiles,
          healthPath: chosen.health.path,
        }
      : none),
  };
}

/** One main's facts: cgo per target over its import graph, the rest from its source (first target). */
async function inspectMain(
  dir: string,
  mod: ModFile,
  m: LoadedPackage,
  answers: { target: string; answer: PackagesAnswer }[],
  texts: Map<string, Promise<string>>,
): Promise<MainPackageInspection> {
  const cgoReasons: Finding[] = [];
  let graph: ImportGraph<LoadedPackage> | undefined;
  for (const { target, answer } of answers) {
    const g = importGraph(m.importPath, answer.packages);
    graph ??= g;
    for (const { pkg } of g.packages) {
      for (const f of pkg.cgoFiles) {
        const file = toSlash(path.relative(dir, path.join(pkg.dir, f)));
        if (!cgoReasons.some((r) => r.file === file)) cgoReasons.push({ file, line: pkg.cgoLines[f] ?? 1, reason: `imports "C" (compiled for ${target})` });
      }
    }
    const listed = new Map(answer.packages.map((p) => [p.importPath, p]));
    for (const ext of g.external) {
      const dep = ext.origin === 'dependency' ? listed.get(ext.importPath) : undefined;
      if (dep?.cgoFiles.length && !cgoReasons.some((r) => r.reason.startsWith(`${ext.importPath} `))) {
        const req = mod.requires.find((r) => ext.importPath === r.path || ext.importPath.startsWith(`${r.path}/`));
        cgoReasons.push({
          file: 'go.mod',
          line: req?.line ?? 1,
          reason: `${ext.importPath} has cgo files (${dep.cgoFiles.slice(0, 3).join(', ')}) for ${target}; ${ext.chain.at(-2) ?? m.importPath} imports it`,
        });
        continue;
      }
      if (dep) continue;
      const needs = cgoModules.find((c) => ext.importPath === c || ext.importPath.startsWith(`${c}/`));
      const req = needs ? mod.requires.find((r) => r.path === needs) : undefined;
      if (needs && !cgoReasons.some((r) => r.reason.includes(needs))) {
        cgoReasons.push({
          file: 'go.mod',
          line: req?.line ?? 1,
          reason: `${needs} needs cgo; ${ext.chain.length > 1 ? `${ext.chain.at(-2)} imports ${ext.importPath}` : `imports ${ext.importPath}`}`,
        });
      }
    }
  }
  const files: SourceFile[] = [];
  for (const { pkg } of graph?.packages ?? []) {
    if (pkg.origin !== 'module' && pkg.origin !== 'workspace') continue;
    for (const f of pkg.goFiles) {
      const abs = path.join(pkg.dir, f);
      let text = texts.get(abs);
      if (!text) texts.set(abs, (text = fs.readFile(abs, 'utf8')));
      files.push({ rel: toSlash(path.relative(dir, abs)), text: await text, importPath: pkg.importPath, packageName: pkg.name });
    }
  }
  const facts = await analyzeMain(files, { goVersion: mod.go });
  // The root route stands in for a health route only where the program's port is known: a
  // listener whose address comes from a config file at run time may not exist at all.
  const portKnown = facts.port.port !== null || facts.port.settings.some((s) => s.kind !== 'fixed');
  const fallback = !facts.health.path && portKnown ? facts.health.fallback : null;
  const health = fallback ? { ...facts.health, path: fallback.path, source: fallback.source } : facts.health;
  return {
    path: relMain(dir, m),
    importPath: m.importPath,
    binaryName: goBinaryName(m.importPath),
    targets: answers.map((a) => a.target),
    cgo: cgoReasons.length > 0,
    cgoReasons,
    serve: facts.serve,
    startArgs: await findStartArgs(files, m.importPath),
    port: facts.port,
    health: { path: health.path, source: health.source, rejected: health.rejected },
    sdNotify: facts.sdNotify,
    embedFiles: [...new Set(facts.embeds.map((e) => e.file))],
  };
}

function relMain(dir: string, p: Pick<LoadedPackage, 'dir'>): string {
  const rel = toSlash(path.relative(dir, p.dir));
  return rel === '' ? '.' : rel.startsWith('../') ? rel : `./${rel}`;
}

function moduleMinor(mod: ModFile): number {
  return Number(/^1\.(\d+)/.exec(mod.go ?? '')?.[1] ?? 22);
}

/**
 * `go` when a Go toolchain answers on PATH, else null and why (with where to get Go). A toolchain
 * found is remembered (goToolchain); a missing one is asked for again, as it may be installed since.
 */
function goOnPath(): Promise<{ go: string | null; missing?: string }> {
  return goToolchain('go').then(
    () => ({ go: 'go' }),
    (e: unknown) => ({ go: null, missing: e instanceof GoDeployError && e.link ? `${e.message}; get Go from ${e.link.url}` : (e as Error).message }),
  );
}

async function findWork(
  moduleDir: string,
  self: ModFile,
  answer: PackagesAnswer,
  ctx: BuildContext,
  cache: PackageScanCache,
): Promise<ModuleInspection['work']> {
  let dir = moduleDir;
  for (;;) {
    const file = path.join(dir, 'go.work');
    if (await exists(file)) {
      const work = parseWorkFile(await fs.readFile(file, 'utf8'));
      const members: WorkspaceMember[] = [];
      for (const use of work.use) {
        const memberDir = path.resolve(dir, use);
        const memberMod = memberDir === moduleDir ? self : await fs.readFile(path.join(memberDir, 'go.mod'), 'utf8').then(parseModFile, () => undefined);
        // Another member's mains: its own packages, read from its files (go list here lists only what this module imports).
        const mains =
          memberDir === moduleDir
            ? answer.packages
                .filter((p) => p.origin === 'module' && p.name === 'main')
                .map((p) => relMain(memberDir, p))
                .sort(compare)
            : await packagesFor(memberDir, ctx, { go: null, cache }).then(
                (a) =>
                  a.packages
                    .filter((p) => p.origin === 'module' && p.name === 'main')
                    .map((p) => relMain(memberDir, p))
                    .sort(compare),
                () => [],
              );
        members.push({
          use,
          dir: toSlash(path.relative(moduleDir, memberDir)) || '.',
          module: memberMod?.module ?? null,
          mains,
          replacesLocal: memberMod?.replaces.filter((r) => r.local).map((r) => r.path) ?? [],
        });
      }
      return { file: path.relative(moduleDir, file) || 'go.work', goVersion: work.go ?? null, use: work.use, members };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The app name a main package implies: the binary name Go gives it (a /vN major-version suffix skipped). */
export function defaultAppName(inspection: Pick<ModuleInspection, 'module'>, main: string): string {
  return appNameFor(mainImportPath(inspection.module, main));
}
