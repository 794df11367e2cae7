// A fingerprint of everything that decides a build's bytes, so that a deploy rebuilding
// unchanged sources can skip the go command (whose own up-to-date check costs a few hundred
// ms: it hashes every source and embedded file anyway). It covers the toolchain version,
// the target and its environment, the go build arguments, the Go settings of the
// environment and of `go env -w`, and the content of every file in the module (embedded
// files included). When the sources may lie outside the module (a go.work workspace, a
// replace pointing at a local folder) or cgo reads system headers, there is no fingerprint
// and go decides, as always.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../fs/atomic';

/** Folders that are not part of the build: output, VCS and tool folders. */
const SKIP_DIRS = new Set(['dist', '.git', '.hg', '.svn', 'node_modules', '.godeploy', '.vscode', '.idea']);
/** The folders a build stages its binaries in (beside the output folder, possibly in the module) start with this. */
export const STAGING_PREFIX = '.godeploy-staging-';
/** Environment variables that do not change the output (caches, module download settings). */
const NEUTRAL_ENV = new Set([
  'GOPATH',
  'GOCACHE',
  'GOMODCACHE',
  'GOPROXY',
  'GOSUMDB',
  'GONOSUMDB',
  'GONOPROXY',
  'GOPRIVATE',
  'GOINSECURE',
  'GOTELEMETRY',
  'GOTELEMETRYDIR',
  'GOTMPDIR',
  'GOENV',
]);

export interface FingerprintInputs {
  moduleDir: string;
  goVersion: string;
  /** go build's arguments (flags, output, package). */
  args: string[];
  /** The environment go runs with (process env plus the target's GOOS/GOARCH/…). */
  env: NodeJS.ProcessEnv;
  cgo: boolean;
  /** The module is a member of a go.work workspace. */
  inWorkspace: boolean;
  /**
   * A file keeping each source file's sha256 with its size, inode, mtime and ctime, so that
   * an unchanged file (a big embedded asset, say) is not read again. ctime cannot be set by
   * tools that preserve mtimes, and a file changed shortly before the cache was written is
   * hashed again (the "racy" rule git's index follows).
   */
  cacheFile?: string;
}

interface CachedHash {
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  sha256: string;
}
interface HashCache {
  writtenAtMs: number;
  files: Record<string, CachedHash>;
}

/** A file whose timestamps are this close to the cache's writing may have changed again within the same tick. */
const RACY_MS = 2000;

async function readCache(file: string | undefined): Promise<HashCache> {
  if (!file) return { writtenAtMs: 0, files: {} };
  try {
    const c = JSON.parse(await fs.readFile(file, 'utf8')) as HashCache;
    return typeof c.writtenAtMs === 'number' && c.files && typeof c.files === 'object' ? c : { writtenAtMs: 0, files: {} };
  } catch {
    return { writtenAtMs: 0, files: {} };
  }
}

/** The fingerprint, or null when the sources cannot be known from the module folder alone. */
export async function sourceFingerprint(i: FingerprintInputs): Promise<string | null> {
  if (i.cgo || i.inWorkspace || (i.env.GOWORK && i.env.GOWORK !== 'off')) return null;
  const gomod = await fs.readFile(path.join(i.moduleDir, 'go.mod'), 'utf8').catch(() => null);
  if (gomod === null || /=>\s*(\.{1,2}[\\/]|\/|[A-Za-z]:[\\/])/.test(gomod)) return null;
  const h = createHash('sha256');
  const part = (s: string): void => {
    h.update(s);
    h.update('\0');
  };
  part(i.goVersion);
  for (const a of i.args) part(a);
  for (const k of Object.keys(i.env)
    .filter((k) => (/^(GO|CGO_)/.test(k) || k === 'CC' || k === 'CXX') && !NEUTRAL_ENV.has(k))
    .sort())
    part(`${k}=${i.env[k]}`);
  const goenv = i.env.GOENV ?? path.join(process.env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'go', 'env');
  part(await fs.readFile(goenv, 'utf8').catch(() => ''));
  const cache = await readCache(i.cacheFile);
  const next: Record<string, CachedHash> = {};
  for (const file of await listFiles(i.moduleDir)) {
    const full = path.join(i.moduleDir, file);
    const st = await fs.lstat(full);
    part(file);
    if (st.isSymbolicLink()) {
      part(`symlink:${await fs.readlink(full)}`);
      continue;
    }
    const key = { size: st.size, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    const c = cache.files[file];
    const settled = Math.max(st.mtimeMs, st.ctimeMs) < cache.writtenAtMs - RACY_MS;
    const sha256 =
      c && settled && c.size === key.size && c.ino === key.ino && c.mtimeMs === key.mtimeMs && c.ctimeMs === key.ctimeMs
        ? c.sha256
        : createHash('sha256')
            .update(await fs.readFile(full))
            .digest('hex');
    next[file] = { ...key, sha256 };
    part(sha256);
  }
  // A cache that cannot be written only means hashing again next time.
  if (i.cacheFile) await writeFileAtomic(i.cacheFile, JSON.stringify({ writtenAtMs: Date.now(), files: next }), { overwrite: true }).catch(() => undefined);
  return h.digest('hex');
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(STAGING_PREFIX)) out.push(...(await listFiles(root, p)));
    } else if (e.isFile() || e.isSymbolicLink()) {
      out.push(p);
    }
  }
  return out;
}
