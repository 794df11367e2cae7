// The build context of `docker.build: dockerfile`: the module folder as a tar stream that
// honours its .dockerignore as `docker build` does (patterns from @balena/dockerignore, the
// library dockerode uses; the Dockerfile and .dockerignore always travel, as the CLI sends
// them even when ignored). Files are streamed one at a time, never held in memory; symbolic
// links travel as links. Walks only into folders something could still be included from.
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import createIgnore from '@balena/dockerignore';
import { pack, type Pack } from 'tar-stream';
import { GoDeployError } from '../../errors';

export interface BuildContext {
  /** The tar to hand to the engine; it ends when every file is in it. */
  stream: Pack;
  /** Files, links and folders in it, and the bytes of the files, once `stream` has ended. */
  done: Promise<{ entries: number; bytes: number }>;
}

/**
 * The relative paths (with '/') of the context, after .dockerignore. With `only` (paths
 * relative to `dir`), just those and what is inside them travel, with the folders that lead
 * to them: a context above the module (a go.work workspace) sends the folders the build reads.
 */
export async function contextEntries(dir: string, dockerfile = 'Dockerfile', only?: readonly string[]): Promise<string[]> {
  const ignoreText = await fs.readFile(path.join(dir, '.dockerignore'), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw new GoDeployError(`could not read ${path.join(dir, '.dockerignore')}: ${e.message}`);
  });
  const ignore = createIgnore({ ignorecase: false }).add(ignoreText);
  // A pattern with "!" may bring back a path inside an ignored folder: walk those too.
  const reincludes = /^\s*!/m.test(ignoreText);
  const always = new Set([dockerfile, '.dockerignore']);
  const selected = (p: string): 'in' | 'toward' | 'out' => {
    if (!only || always.has(p)) return 'in';
    if (only.some((o) => p === o || p.startsWith(`${o}/`))) return 'in';
    return only.some((o) => o.startsWith(`${p}/`)) || dockerfile.startsWith(`${p}/`) ? 'toward' : 'out';
  };
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      const selection = selected(p);
      if (selection === 'out' || (selection === 'toward' && !e.isDirectory())) continue;
      const ignored = !always.has(p) && ignore.ignores(p);
      if (e.isDirectory()) {
        if (!ignored) out.push(p);
        if (!ignored || reincludes) await walk(p);
      } else if (!ignored && (e.isFile() || e.isSymbolicLink())) {
        out.push(p);
      }
    }
  };
  await walk('');
  return out;
}

/**
 * Streams the context of `dir`; `dockerfileText`, when given, is sent as the Dockerfile instead
 * of the file; `only` limits it to those paths (see contextEntries).
 */
export async function buildContext(
  dir: string,
  options: { dockerfile?: string; dockerfileText?: string; only?: readonly string[] } = {},
): Promise<BuildContext> {
  const dockerfile = options.dockerfile ?? 'Dockerfile';
  const names = (await contextEntries(dir, dockerfile, options.only)).filter((n) => !(options.dockerfileText !== undefined && n === dockerfile));
  const stream = pack();
  const done = (async () => {
    let bytes = 0;
    if (options.dockerfileText !== undefined) await addEntry(stream, { name: dockerfile, mode: 0o644 }, Buffer.from(options.dockerfileText));
    for (const name of names) {
      const full = path.join(dir, name);
      const st = await fs.lstat(full);
      if (st.isDirectory()) {
        await addEntry(stream, { name, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime });
      } else if (st.isSymbolicLink()) {
        await addEntry(stream, { name, type: 'symlink', linkname: await fs.readlink(full), mode: 0o777, mtime: st.mtime });
      } else {
        bytes += st.size;
        await addFile(stream, { name, mode: st.mode & 0o7777, mtime: st.mtime, size: st.size }, full);
      }
    }
    stream.finalize();
    return { entries: names.length + (options.dockerfileText !== undefined ? 1 : 0), bytes };
  })();
  done.catch((e: Error) => stream.destroy(e));
  return { stream, done };
}

type Header = Parameters<Pack['entry']>[0];

function addEntry(stream: Pack, header: Header, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (e?: Error | null) => (e ? reject(e) : resolve());
    if (content) stream.entry(header, content, cb);
    else stream.entry(header, cb);
  });
}

function addFile(stream: Pack, header: Header, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = stream.entry(header, (e) => (e ? reject(e) : resolve()));
    createReadStream(file)
      .on('error', (e) => {
        entry.destroy(e);
        reject(e);
      })
      .pipe(entry);
  });
}
