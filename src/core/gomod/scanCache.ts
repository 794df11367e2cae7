/**
 * Folder listings and Go file headers, read once per inspection and shared by every build
 * context evaluated in it. A cache is meant for one inspection: it does not notice later edits.
 */
import { closeSync, openSync, promises as fs, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError } from '../errors';
import { readGoHeader, type GoFileHeader } from './goHeader';
import type { ModuleLayout } from './localModules';

/** A folder with non-test Go files (names sorted, `_x.go` and `.x.go` left out as Go does). */
export interface SourceDir {
  dir: string;
  /** Relative to the walked root, with '/' ("" for the root). */
  rel: string;
  files: string[];
}

const headChunk = 4 * 1024;
const parallelReads = 32;
const sliceMs = 8;
const chunk = Buffer.alloc(headChunk);

interface HeaderRead {
  file: string;
  signal: AbortSignal | undefined;
  resolve: (h: GoFileHeader) => void;
  reject: (e: unknown) => void;
}

/** The first 4 KiB of a file (in a shared buffer: synchronous use only), or all of it when its header runs longer. */
function readHeaderSync(file: string): GoFileHeader {
  const fd = openSync(file, 'r');
  let bytesRead: number;
  try {
    bytesRead = readSync(fd, chunk, 0, headChunk, 0);
  } finally {
    closeSync(fd);
  }
  const whole = bytesRead < headChunk;
  const first = readGoHeader(chunk.toString('utf8', 0, bytesRead), whole);
  return first.complete ? first : readGoHeader(readFileSync(file, 'utf8'), true);
}

export class PackageScanCache {
  private readonly headers = new Map<string, Promise<GoFileHeader>>();
  private readonly trees = new Map<string, Promise<SourceDir[]>>();
  private readonly folders = new Map<string, Promise<SourceDir | undefined>>();
  private readonly layouts = new Map<string, Promise<ModuleLayout>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private fileCount = 0;
  private readonly queue: HeaderRead[] = [];
  private pumping = false;

  /** maxFiles: more non-test Go files than this under the walked roots is an error (a folder far above a module). */
  constructor(readonly maxFiles = 100_000) {}

  layout(moduleDir: string, read: () => Promise<ModuleLayout>): Promise<ModuleLayout> {
    return memo(this.layouts, moduleDir, read);
  }

  /** The package folders under root as `go list ./...` walks them: no testdata, _x, .x, vendor or nested modules. */
  tree(root: string, signal?: AbortSignal): Promise<SourceDir[]> {
    return memo(this.trees, root, async () => {
      const out: SourceDir[] = [];
      // A go.work `use` or a `replace` naming a folder that is not there: go reports it; no packages here.
      if (!(await isDir(root))) return out;
      await this.walk(root, '', out, signal);
      return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    });
  }

  /** One folder's Go files (for vendor/ packages), or undefined when it does not exist. */
  folder(dir: string, signal?: AbortSignal): Promise<SourceDir | undefined> {
    return memo(this.folders, dir, async () => {
      try {
        return (await this.list(dir, '', signal)).source;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw e;
      }
    });
  }

  /** The header of a Go file: its first 4 KiB, or all of it when the imports run longer. */
  header(file: string, signal?: AbortSignal): Promise<GoFileHeader> {
    return memo(this.headers, file, () => new Promise<GoFileHeader>((resolve, reject) => this.enqueue({ file, signal, resolve, reject })));
  }

  /**
   * Headers are read with synchronous calls, in slices of a few milliseconds that yield to the
   * event loop between them: for thousands of small reads this is several times faster than
   * promise-based file handles, and the editor stays responsive.
   */
  private enqueue(read: HeaderRead): void {
    this.queue.push(read);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => this.pump());
    }
  }

  private pump(): void {
    const until = Date.now() + sliceMs;
    while (this.queue.length && Date.now() < until) {
      const read = this.queue.shift() as HeaderRead;
      if (read.signal?.aborted) {
        read.reject(new GoDeployError('package loading was cancelled'));
        continue;
      }
      try {
        read.resolve(readHeaderSync(read.file));
      } catch (e) {
        read.reject(e);
      }
    }
    if (this.queue.length) setImmediate(() => this.pump());
    else this.pumping = false;
  }

  private async walk(root: string, rel: string, out: SourceDir[], signal?: AbortSignal): Promise<void> {
    const dir = rel ? path.join(root, ...rel.split('/')) : root;
    const { source, subdirs, hasGoMod } = await this.list(dir, rel, signal);
    if (rel && hasGoMod) return; // a nested module
    if (source) out.push(source);
    await Promise.all(subdirs.map((name) => this.walk(root, rel ? `${rel}/${name}` : name, out, signal)));
  }

  private async list(dir: string, rel: string, signal?: AbortSignal): Promise<{ source: SourceDir | undefined; subdirs: string[]; hasGoMod: boolean }> {
    const entries = await this.limited(signal, () => fs.readdir(dir, { withFileTypes: true }));
    const files: string[] = [];
    const subdirs: string[] = [];
    let hasGoMod = false;
    for (const e of entries) {
      const name = e.name;
      if (e.isDirectory()) {
        // Symbolic links to folders are not followed (cmd/go walks with Lstat).
        if (!name.startsWith('.') && !name.startsWith('_') && name !== 'testdata' && name !== 'vendor') subdirs.push(name);
        continue;
      }
      if (name === 'go.mod' && e.isFile()) hasGoMod = true;
      if (!name.endsWith('.go') || name.endsWith('_test.go') || name.startsWith('.') || name.startsWith('_')) continue;
      if (e.isFile() || (e.isSymbolicLink() && (await isFile(path.join(dir, name))))) files.push(name);
    }
    this.fileCount += files.length;
    if (this.fileCount > this.maxFiles) {
      throw new GoDeployError(`more than ${this.maxFiles} Go files under ${dir}`, {
        hint: 'inspect a module folder (the one with go.mod), not a folder above many modules',
      });
    }
    files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { source: files.length ? { dir, rel, files } : undefined, subdirs, hasGoMod };
  }

  private async limited<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new GoDeployError('package loading was cancelled');
    if (this.active >= parallelReads) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      if (signal?.aborted) throw new GoDeployError('package loading was cancelled');
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

function memo<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    p = make();
    p.catch(() => map.delete(key));
    map.set(key, p);
  }
  return p;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}
