// The chunk indexes of the executables this machine built for an environment, by sha256, in
// dist/deploy/<env>/.chunks: what a later deploy needs to send a host only what its live
// executable lacks. Small (~16 kB per 20 MB executable); the newest KEEP are kept.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../fs/atomic';
import type { ChunkIndex } from './delta';

const KEEP = 8;

const fileOf = (dir: string, sha256: string): string => path.join(dir, `${sha256}.json`);

/** The index kept for this sha256, or null (none, or not a valid one). */
export async function loadChunkIndex(dir: string, sha256: string): Promise<ChunkIndex | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  try {
    const v = JSON.parse(await fs.readFile(fileOf(dir, sha256), 'utf8')) as Partial<ChunkIndex>;
    const { size, lengths, hashes } = v;
    if (typeof size !== 'number' || !Array.isArray(lengths) || !Array.isArray(hashes) || lengths.length !== hashes.length) return null;
    if (lengths.reduce((a, b) => a + (typeof b === 'number' && b > 0 ? b : NaN), 0) !== size) return null;
    if (!hashes.every((h) => typeof h === 'string' && /^[0-9a-f]{32}$/.test(h))) return null;
    return { size, lengths, hashes };
  } catch {
    return null;
  }
}

/** Keeps `index` for `sha256`, then drops all but the newest KEEP. */
export async function saveChunkIndex(dir: string, sha256: string, index: ChunkIndex): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(fileOf(dir, sha256), JSON.stringify(index), { overwrite: true });
  const names = (await fs.readdir(dir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fs.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(KEEP).map((x) => fs.rm(path.join(dir, x.n), { force: true })));
}
