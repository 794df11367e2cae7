// What a Docker build of the module must hold, by Go's own rules. `go build` in the module's
// folder uses the go.work workspace above it (every `use` folder must be there, or nothing
// builds) and the folders its go.mod `replace`s modules with; a vendored module reads vendor/
// instead, replaced modules included (vendor/modules.txt lists them), and downloads nothing.
// When the build reads folders outside the module, the build context is the folder above
// that holds them all: the workspace root, or the common parent of module and replacements.
import * as path from 'node:path';
import type { ModuleInspection } from '../gomod/inspect';

export interface BuildSource {
  /** vendor/modules.txt and no workspace: the build uses -mod=vendor and downloads nothing. */
  vendored: boolean;
  /** The module folder is the context (null), or a folder above it. */
  context: BuildContextAbove | null;
  /** `replace` targets given as absolute folders: no build context can hold them ("example.com/x => /abs"). */
  absoluteReplaces: string[];
}

export interface BuildContextAbove {
  /** The context folder, relative to the module's folder ("..", "../.."). */
  root: string;
  /** The module's folder, relative to the context ("api", "services/api"). */
  module: string;
  /** The folder of go.work (and go.work.sum) relative to the context, usually "."; null: no workspace. */
  workspace: string | null;
  /** Module folders the build reads, relative to the context, sorted: the module, the workspace's members, replacements. */
  modules: string[];
}

/** The build's sources for the module `inspection` describes. */
export function buildSourceOf(inspection: Pick<ModuleInspection, 'dir' | 'work' | 'vendored' | 'localReplaces'>): BuildSource {
  const moduleDir = path.resolve(inspection.dir);
  const absoluteReplaces = inspection.localReplaces.filter((r) => path.isAbsolute(r.to)).map((r) => `${r.path} => ${r.to}`);
  const dirs = [moduleDir];
  let workRoot: string | null = null;
  if (inspection.work) {
    const root = path.resolve(moduleDir, path.dirname(inspection.work.file));
    const members = inspection.work.use.map((u) => path.resolve(root, u));
    // A module that go.work does not list cannot be built inside it (go says so): the workspace is not its.
    if (members.includes(moduleDir)) {
      workRoot = root;
      dirs.push(...members);
    }
  }
  if (!workRoot && inspection.vendored) return { vendored: true, context: null, absoluteReplaces: [] };
  for (const r of inspection.localReplaces) if (!path.isAbsolute(r.to)) dirs.push(path.resolve(moduleDir, r.to));
  const root = [...dirs, ...(workRoot ? [workRoot] : [])].reduce(commonParent);
  if (root === moduleDir) return { vendored: false, context: null, absoluteReplaces };
  const rel = (d: string): string => toSlash(path.relative(root, d)) || '.';
  const modules = [...new Set(dirs.map(rel))].sort();
  // A folder inside another listed one travels with it.
  const outer = modules.filter((m) => !modules.some((o) => o !== m && (o === '.' || m.startsWith(`${o}/`))));
  return {
    vendored: false,
    context: { root: toSlash(path.relative(moduleDir, root)), module: rel(moduleDir), workspace: workRoot === null ? null : rel(workRoot), modules: outer },
    absoluteReplaces,
  };
}

/**
 * Where `docker build` runs for the module at `moduleDir` with `source`: the context folder,
 * the Dockerfile's path inside it, and (for a context above the module) the only paths it
 * needs to send: go.work, go.work.sum and the module folders.
 */
export function dockerBuildContextOf(moduleDir: string, source: BuildSource): { dir: string; dockerfile: string; only?: string[] } {
  if (!source.context) return { dir: moduleDir, dockerfile: 'Dockerfile' };
  const c = source.context;
  const only = c.modules.includes('.')
    ? undefined
    : [...(c.workspace === null ? [] : ['go.work', 'go.work.sum'].map((f) => inFolder(c.workspace as string, f))), ...c.modules];
  return { dir: path.resolve(moduleDir, c.root), dockerfile: `${c.module}/Dockerfile`, only };
}

/** `file` in the context-relative `folder` ("." is the context itself). */
export function inFolder(folder: string, file: string): string {
  return folder === '.' ? file : `${folder}/${file}`;
}

function commonParent(a: string, b: string): string {
  let p = a;
  while (!(b === p || b.startsWith(p.endsWith(path.sep) ? p : p + path.sep))) p = path.dirname(p);
  return p;
}

function toSlash(p: string): string {
  return p.split(path.sep).join('/');
}
