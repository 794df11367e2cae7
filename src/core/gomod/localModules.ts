/**
 * The local module roots whose packages an import in a module can reach, as cmd/go resolves
 * them: the module itself, the other members of a go.work that lists it, folders that its
 * go.mod (or a member's) `replace`s a module with, and vendor/ when Go builds from it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError, usageError } from '../errors';
import { parseModFile, parseWorkFile } from './modfile';

export interface LocalModule {
  /** Absolute folder holding the module's go.mod. */
  dir: string;
  /** The import-path root of its packages (for a replacement: the module path it replaces). */
  path: string;
  origin: 'module' | 'workspace';
  /** How it joins the build. */
  via: 'main' | 'go.work' | 'replace';
}

export interface VendoredPackage {
  importPath: string;
  /** The module that provides it, as vendor/modules.txt says. */
  module: string;
}

export interface ModuleLayout {
  moduleDir: string;
  modulePath: string;
  goVersion: string | undefined;
  toolchain: string | undefined;
  /** The go.work that applies (it lists moduleDir), or null. */
  work: { file: string; members: string[] } | null;
  /** The module first, then workspace members, then local replacement folders. */
  locals: LocalModule[];
  /** When Go builds from vendor/ (vendor/modules.txt present and no workspace): its packages. */
  vendor: { dir: string; packages: VendoredPackage[] } | null;
}

/** Reads go.mod, the go.work above it (if it lists this module) and vendor/modules.txt. */
export async function moduleLayout(moduleDir: string): Promise<ModuleLayout> {
  moduleDir = path.resolve(moduleDir);
  const modPath = path.join(moduleDir, 'go.mod');
  const modText = await readIfExists(modPath);
  if (modText === undefined) throw usageError(`no go.mod in ${moduleDir}`, 'run in a Go module (a folder with go.mod), or pass its folder');
  const mod = parseModFile(modText);
  if (!mod.module)
    throw new GoDeployError(`${modPath} has no module directive`, {
      hint: 'the first line of go.mod is `module <path>`',
      exitCode: 2,
      location: { file: modPath, line: 1, col: 1 },
    });
  const locals: LocalModule[] = [{ dir: moduleDir, path: mod.module, origin: 'module', via: 'main' }];
  const work = await findWork(moduleDir);
  const replaceSources = [{ dir: moduleDir, replaces: mod.replaces }];
  if (work) {
    for (const dir of work.members) {
      if (dir === moduleDir) continue;
      const text = await readIfExists(path.join(dir, 'go.mod'));
      const member = text === undefined ? undefined : parseModFile(text);
      if (!member?.module) continue;
      locals.push({ dir, path: member.module, origin: 'workspace', via: 'go.work' });
      replaceSources.push({ dir, replaces: member.replaces });
    }
  }
  const vendorText = work ? undefined : await readIfExists(path.join(moduleDir, 'vendor', 'modules.txt'));
  if (vendorText === undefined) {
    // Replacements by local folders (vendored modules carry their replacements inside vendor/).
    for (const src of replaceSources) {
      for (const r of src.replaces) {
        if (!r.local || locals.some((l) => l.path === r.path)) continue;
        locals.push({ dir: path.resolve(src.dir, r.to), path: r.path, origin: 'workspace', via: 'replace' });
      }
    }
  }
  return {
    moduleDir,
    modulePath: mod.module,
    goVersion: mod.go,
    toolchain: mod.toolchain,
    work,
    locals,
    vendor: vendorText === undefined ? null : { dir: path.join(moduleDir, 'vendor'), packages: parseVendorModules(vendorText) },
  };
}

/** vendor/modules.txt: `# module version [=> replacement]`, `## explicit…` markers, then one package per line. */
export function parseVendorModules(text: string): VendoredPackage[] {
  const out: VendoredPackage[] = [];
  let module = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('##')) continue;
    if (line.startsWith('# ')) {
      module = line.slice(2).split(/\s+/)[0];
      continue;
    }
    if (!line.startsWith('#') && module) out.push({ importPath: line, module });
  }
  return out;
}

/** cmd/go's go.work search: the current folder and its parents; it applies when it `use`s the module. */
async function findWork(moduleDir: string): Promise<ModuleLayout['work']> {
  if (process.env.GOWORK === 'off') return null;
  let file: string | undefined;
  if (process.env.GOWORK) file = path.resolve(process.env.GOWORK);
  else {
    for (let dir = moduleDir; ; dir = path.dirname(dir)) {
      if ((await readIfExists(path.join(dir, 'go.work'))) !== undefined) {
        file = path.join(dir, 'go.work');
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  if (!file) return null;
  const text = await readIfExists(file);
  if (text === undefined) return null;
  const members = parseWorkFile(text).use.map((u) => path.resolve(path.dirname(file as string), u));
  return members.includes(moduleDir) ? { file, members } : null;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}
