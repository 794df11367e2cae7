// An image moved from the engine that built it to the engine that runs it, with no registry:
// GET /images/{name}/get on one (docker save) into POST /images/load on the other (docker
// load), streamed. An image the target already has is only tagged. When the target already
// holds the first layers (an earlier release of the app, the same base image), the save is
// spooled to a temporary folder and those layer.tar entries are left out: the engine's load
// finds them by chain and skips them (moby's tarexport looks a layer up before opening its
// file), so only the new layers travel.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { GoDeployError } from '../../errors';
import type { Engine } from './engine';
import { splitImageRef, tagImage } from './image';

export interface TransferResult {
  /** The target already had the image (only tagged). */
  present: boolean;
  /** Bytes of tar sent to the target. */
  bytesSent: number;
  layers: number;
  /** Layers left out because the target had them. */
  layersSkipped: number;
}

interface ImageInfo {
  Id: string;
  RootFS?: { Layers?: string[] };
  Size?: number;
}

/** How many of `layers`' first layers the target holds as a chain (from images of `repository` there). */
export function sharedPrefix(layers: string[], targetChains: string[][]): number {
  let best = 0;
  for (const chain of targetChains) {
    let i = 0;
    while (i < layers.length && i < chain.length && layers[i] === chain[i]) i++;
    best = Math.max(best, i);
  }
  return best;
}

/**
 * Moves `ref` (repo:tag) from `from` to `to` and tags it there with `ref` and `extraTags`.
 * `onProgress` gets the bytes sent so far and the image's size.
 */
export async function transferImage(
  from: Engine,
  to: Engine,
  ref: string,
  extraTags: string[] = [],
  onProgress?: (sent: number, total: number) => void,
): Promise<TransferResult> {
  const source = (await from.docker.getImage(ref).inspect()) as ImageInfo;
  const layers = source.RootFS?.Layers ?? [];
  const present = await to.docker
    .getImage(source.Id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (present) {
    await tagAll(to, source.Id, [ref, ...extraTags]);
    return { present: true, bytesSent: 0, layers: layers.length, layersSkipped: layers.length };
  }
  const repository = splitImageRef(ref).repo;
  const chains = await targetChains(to, repository);
  const shared = sharedPrefix(layers, chains);
  const saved = await from.docker.getImage(ref).get();
  let sent = 0;
  const total = source.Size ?? 0;
  const counted = new PassThrough();
  counted.on('data', (c: Buffer) => {
    sent += c.length;
    onProgress?.(sent, total);
  });
  if (shared === 0) {
    saved.pipe(counted);
  } else {
    // A layer whose content also comes again later in the image (an empty COPY, say) must travel.
    const later = new Set(layers.slice(shared));
    const skip = new Set(layers.slice(0, shared).filter((d) => !later.has(d)));
    void filteredTar(saved, skip).then(
      (t) => t.pipe(counted),
      (e: Error) => counted.destroy(e),
    );
  }
  try {
    await load(to, counted);
  } catch (e) {
    // The target is gone or refused: stop reading the save, or its open response would keep
    // this process alive after the deploy has reported.
    (saved as Readable).destroy();
    counted.destroy();
    throw e;
  }
  await tagAll(to, source.Id, extraTags);
  return { present: false, bytesSent: sent, layers: layers.length, layersSkipped: shared };
}

/** Layer chains (diff ids, base first) of up to 20 images of `repository` on the engine. */
async function targetChains(engine: Engine, repository: string): Promise<string[][]> {
  const images = (await engine.docker.listImages({ filters: { reference: [repository] } })) as { Id: string; Created?: number }[];
  const newest = images.sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0)).slice(0, 20);
  const infos = await Promise.all(
    newest.map((i) =>
      engine.docker
        .getImage(i.Id)
        .inspect()
        .then(
          (x) => x as ImageInfo,
          () => undefined,
        ),
    ),
  );
  return infos.map((i) => i?.RootFS?.Layers ?? []).filter((l) => l.length);
}

async function tagAll(engine: Engine, id: string, refs: string[]): Promise<void> {
  for (const r of refs) await tagImage(engine, id, r);
}

async function load(engine: Engine, tar: Readable): Promise<void> {
  const out = await engine.docker.loadImage(tar, { quiet: true });
  const messages = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) => {
    engine.docker.modem.followProgress(out, (err: Error | null, all: { error?: string }[]) => (err ? reject(err) : resolve(all)));
  });
  const failed = messages.find((m) => m.error);
  if (failed)
    throw new GoDeployError(`${engine.address.url}: loading the image failed: ${failed.errorDetail?.message ?? failed.error}`, {
      hint: "check the free space on the engine's host (godeploy doctor ENV)",
    });
}

/**
 * The save stream again, without the layer.tar of every layer in `skip` (diff id = the
 * sha256 of the uncompressed layer.tar). Layer files are spooled to a temporary folder
 * first: a layer's id is only known once all of it has been read.
 */
async function filteredTar(saved: NodeJS.ReadableStream, skip: Set<string>): Promise<Readable> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'godeploy-image-'));
  const entries: { header: Parameters<ReturnType<typeof pack>['entry']>[0]; file?: string; body?: Buffer; skipped?: boolean }[] = [];
  try {
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      if (header.type !== 'file') {
        entries.push({ header });
        stream.resume();
        stream.on('end', next);
        return;
      }
      if (!header.name.endsWith('/layer.tar')) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          entries.push({ header, body: Buffer.concat(chunks) });
          next();
        });
        return;
      }
      const file = path.join(dir, `${entries.length}.tar`);
      const hash = createHash('sha256');
      stream.on('data', (c: Buffer) => hash.update(c));
      pipeline(stream, createWriteStream(file)).then(
        () => {
          entries.push({ header, file, skipped: skip.has(`sha256:${hash.digest('hex')}`) });
          next();
        },
        (e: Error) => next(e),
      );
    });
    await pipeline(saved, ex);
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  const out = pack();
  void (async () => {
    for (const e of entries) {
      if (e.skipped) continue;
      if (e.file) {
        await new Promise<void>((resolve, reject) => {
          const w = out.entry(e.header, (err) => (err ? reject(err) : resolve()));
          createReadStream(e.file!).on('error', reject).pipe(w);
        });
      } else {
        await new Promise<void>((resolve, reject) => out.entry(e.header, e.body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
      }
    }
    out.finalize();
  })()
    .catch((err: Error) => out.destroy(err))
    .finally(() => void fs.rm(dir, { recursive: true, force: true }));
  return out;
}
