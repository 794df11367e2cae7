// app.files and app.shared: where each file lands in the release, and the rules for it.
// The paths are the deploying machine's module (globs relative to go.mod, resolved with
// tinyglobby); the destinations are relative paths inside the release folder (and /app in
// an image). Rules that need no module (a `to` or `from` leaving its folder) run with the
// semantic rules; the ones that read the module (a glob matching nothing, two files on one
// destination, a file on an executable, the env file or a shared folder) run with the module
// checks (load.ts), and again at deploy time against the model (release/releaseFiles.ts).
import * as path from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { isObject, type RawObject } from './raw';
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument, PathSegment } from './document';

/** One app.files entry as written (the string form is `{from}`). */
export interface ReleaseFileEntry {
  from: string;
  to: string | null;
  template: boolean;
}

/** A file of the module and where it goes in the release (both relative, with /). */
export interface ReleaseFileMatch {
  /** The entry's index in app.files. */
  entry: number;
  /** Relative to the module folder. */
  from: string;
  /** Relative to the release folder. */
  dest: string;
  template: boolean;
}

/** Names a deploy writes into every release itself: no file of app.files may land there. */
export const RESERVED_RELEASE_NAMES = ['.sha256', '.went-live', '.files'];

/** Why a relative path (`to`, `from`, a shared folder) leaves its folder, or null. */
export function escapingPath(p: string): string | null {
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) return 'is absolute';
  const n = path.posix.normalize(p.replace(/\\/g, '/'));
  if (n === '..' || n.startsWith('../')) return 'leaves its folder (..)';
  return null;
}

/** The folder part of a glob before its first pattern segment ('' for the module folder). */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const p of parts.slice(0, -1)) {
    if (isDynamicPattern(p)) break;
    fixed.push(p);
  }
  return fixed.join('/');
}

/** The files an entry's `from` matches in `moduleDir` (sorted, relative with /; a folder: every file under it). */
export function matchReleaseFiles(moduleDir: string, from: string): string[] {
  const pattern = from.replace(/\\/g, '/').replace(/^\.\//, '');
  return globSync(pattern, { cwd: moduleDir, onlyFiles: true, dot: true, followSymbolicLinks: true, expandDirectories: true }).sort();
}

/**
 * Where each matched file goes: no `to`, the same relative path as in the module; a `to`
 * ending in / or an entry matching several files (or naming a folder), `to` is a folder and
 * each file keeps its path below the glob's fixed part; otherwise `to` is the file's name.
 */
export function releaseDestinations(entry: ReleaseFileEntry, matches: string[], isFolder = false): string[] {
  if (entry.to === null) return matches.map((m) => path.posix.normalize(m));
  const to = path.posix.normalize(entry.to.replace(/\\/g, '/'));
  if (entry.to.endsWith('/') || matches.length > 1 || isFolder || isDynamicPattern(entry.from)) {
    const pattern = entry.from.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    const base = isDynamicPattern(pattern) ? globBase(pattern) : isFolder ? pattern : path.posix.dirname(pattern);
    return matches.map((m) => path.posix.join(to, base && base !== '.' ? path.posix.relative(base, m) : m));
  }
  return matches.map(() => to.replace(/\/+$/, ''));
}

/** app.files as written, in the model's shape; entries of the wrong type are skipped (the schema reports them). */
export function releaseFileEntries(files: unknown): (ReleaseFileEntry | null)[] {
  if (!Array.isArray(files)) return [];
  return files.map((f) =>
    typeof f === 'string'
      ? { from: f, to: null, template: false }
      : isObject(f) && typeof f.from === 'string'
        ? { from: f.from, to: typeof f.to === 'string' ? f.to : null, template: f.template === true }
        : null,
  );
}

/** A problem with app.files found by expanding it: which entry (and key), and what. */
export interface ReleaseFileProblem {
  entry: number;
  key: 'from' | 'to';
  message: string;
  hint?: string;
}

/**
 * Expands app.files in `moduleDir`: the matches with their destinations, and the problems (a
 * glob matching nothing, two files on one destination, a destination that is an executable,
 * a name the deploy writes itself, or inside or above a shared folder).
 */
export function expandReleaseFiles(
  moduleDir: string,
  entries: (ReleaseFileEntry | null)[],
  reserved: { executables: string[]; envFiles: string[]; shared: string[] },
): { matches: ReleaseFileMatch[]; problems: ReleaseFileProblem[] } {
  const matches: ReleaseFileMatch[] = [];
  const problems: ReleaseFileProblem[] = [];
  const taken = new Map<string, ReleaseFileMatch>();
  entries.forEach((e, i) => {
    if (!e || escapingPath(e.from) || (e.to !== null && escapingPath(e.to))) return;
    const found = matchReleaseFiles(moduleDir, e.from);
    if (!found.length) {
      problems.push({
        entry: i,
        key: 'from',
        message: `app.files[${i}]: ${JSON.stringify(e.from)} matches no file in ${moduleDir}`,
        hint: 'paths and globs are relative to the folder of go.mod (for example config/*.yaml)',
      });
      return;
    }
    const plain = e.from.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    const isFolder = !isDynamicPattern(plain) && !found.includes(plain);
    releaseDestinations(e, found, isFolder).forEach((dest, k) => {
      const m: ReleaseFileMatch = { entry: i, from: found[k], dest, template: e.template };
      const key = e.to === null ? 'from' : 'to';
      const clash = destinationProblem(dest, reserved);
      if (clash) {
        problems.push({ entry: i, key, message: `app.files[${i}]: ${found[k]} would land on ${dest} in the release, ${clash}` });
        return;
      }
      const first = taken.get(dest);
      if (first) {
        problems.push({
          entry: i,
          key,
          message: `app.files[${i}]: ${found[k]} and ${first.from} (app.files[${first.entry}]) would both land on ${dest} in the release`,
          hint: 'give one of them another destination with to:',
        });
        return;
      }
      taken.set(dest, m);
      matches.push(m);
    });
  });
  return { matches, problems };
}

function destinationProblem(dest: string, reserved: { executables: string[]; envFiles: string[]; shared: string[] }): string | null {
  if (dest === '' || dest === '.') return 'which is the release folder itself';
  if (reserved.executables.includes(dest)) return 'where the executable of the same name goes';
  if (reserved.envFiles.includes(dest)) return "where the release's env file goes";
  if (RESERVED_RELEASE_NAMES.includes(dest)) return 'a name Go Deploy writes in every release';
  for (const s of reserved.shared) {
    if (dest === s || dest.startsWith(`${s}/`)) return `inside the shared folder ${s} (app.shared), which is a link to <path>/shared/${s}`;
    if (s.startsWith(`${dest}/`)) return `where a folder holding the shared folder ${s} (app.shared) goes`;
  }
  return null;
}

/** The rules that need no module: a `to`, `from` or shared folder that leaves its folder. */
export function filesDiagnostics(document: ConfigDocument, data: RawObject, out: ConfigDiagnostic[]): void {
  const app = isObject(data.app) ? data.app : {};
  if (Array.isArray(app.shared))
    app.shared.forEach((d: unknown, i: number) => {
      const bad = typeof d === 'string' ? escapingPath(d) : null;
      if (bad)
        out.push(
          document.diagnosticAt(
            ['app', 'shared', i],
            'value',
            'error',
            `app.shared[${i}]: ${JSON.stringify(d)} ${bad}: a shared folder lives under <path>/shared/`,
            'a folder path relative to the release, for example storage/uploads',
          ),
        );
    });
  if (!Array.isArray(app.files)) return;
  app.files.forEach((f: unknown, i: number) => {
    const from = typeof f === 'string' ? f : isObject(f) ? f.from : undefined;
    const at: PathSegment[] = typeof f === 'string' ? ['app', 'files', i] : ['app', 'files', i, 'from'];
    const bad = typeof from === 'string' ? escapingPath(from) : null;
    if (bad)
      out.push(
        document.diagnosticAt(at, 'value', 'error', `app.files[${i}]: ${JSON.stringify(from)} ${bad}`, 'files come from the module: a path relative to go.mod'),
      );
    if (isObject(f) && typeof f.to === 'string') {
      const badTo = escapingPath(f.to);
      if (badTo)
        out.push(
          document.diagnosticAt(
            ['app', 'files', i, 'to'],
            'value',
            'error',
            `app.files[${i}].to: ${JSON.stringify(f.to)} ${badTo}: a file goes inside the release`,
            'a path relative to the release folder, for example config/ or etc/app.yaml',
          ),
        );
    }
  });
}

/**
 * The rules that read the module (moduleDir): see expandReleaseFiles. The names an executable
 * or env file takes come from app.name (default: the last element of the module path) and
 * the mains of app.processes.
 */
export function moduleFilesDiagnostics(document: ConfigDocument, data: unknown, moduleDir: string, modulePath: string): ConfigDiagnostic[] {
  const app = isObject(data) && isObject(data.app) ? data.app : {};
  if (!Array.isArray(app.files) || !app.files.length) return [];
  const name = typeof app.name === 'string' ? app.name : (modulePath.split('/').pop() ?? '');
  const processes = isObject(app.processes) ? Object.entries(app.processes) : [];
  const executables = processes.length
    ? processes.map(([, p]) => {
        const main = isObject(p) && typeof p.main === 'string' ? p.main : typeof app.main === 'string' ? app.main : '.';
        const last = main.replace(/\/+$/, '').split('/').pop() ?? '';
        return last === '.' || last === '' ? name : last;
      })
    : [name];
  const envFiles = processes.length ? processes.map(([p]) => `${name}-${p}.env`) : [`${name}.env`];
  const shared = Array.isArray(app.shared)
    ? app.shared.filter((s: unknown): s is string => typeof s === 'string').map((s: string) => s.replace(/\/+$/, ''))
    : [];
  const { problems } = expandReleaseFiles(moduleDir, releaseFileEntries(app.files), { executables, envFiles, shared });
  return problems.map((p) => {
    const f = app.files[p.entry];
    const at: PathSegment[] = typeof f === 'string' ? ['app', 'files', p.entry] : ['app', 'files', p.entry, p.key];
    return document.diagnosticAt(at, 'value', 'error', p.message, p.hint);
  });
}
