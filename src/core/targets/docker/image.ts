// An image from a binary built here: the Dockerfile (the generators' --from-binary variant)
// and the executable streamed to the engine as a tar build context (nothing else of the
// module travels), built through the engine API with its progress reported line by line,
// then tagged. A failing step ends in an error that names the step and its output.
import { createReadStream, promises as fs } from 'node:fs';
import { pack } from 'tar-stream';
import { GoDeployError } from '../../errors';
import type { Engine } from './engine';

export interface BinaryImageInput {
  /** The Dockerfile's text; it COPYs `binaryName` from the context. */
  dockerfile: string;
  /** The executable on this machine, and its path in the context. */
  binaryFile: string;
  binaryName: string;
  /** repo:tag names; the first names the build, the others are added after it. */
  tags: string[];
  labels?: Record<string, string>;
  /** More executables for the context (the health probe), by their name in it. */
  extraFiles?: { name: string; file: string }[];
  /** More entries (app.files, app.shared's folders): a file's bytes or path with its mode, or a folder. */
  extraEntries?: ContextEntry[];
}

/** An entry of a binary image's context besides the executables (see BinaryImageInput.extraEntries). */
export interface ContextEntry {
  name: string;
  mode: number;
  /** The bytes (a templated file), else `file` is read. */
  content?: Buffer;
  file?: string;
  directory?: boolean;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Builds and tags the image; returns its id (sha256:…). */
export async function buildBinaryImage(engine: Engine, input: BinaryImageInput, onOutput?: (line: string) => void): Promise<string> {
  const context = pack();
  context.entry({ name: 'Dockerfile', mode: 0o644 }, input.dockerfile);
  const files = [...(input.extraFiles ?? []), { name: input.binaryName, file: input.binaryFile }];
  const sizes = await Promise.all(files.map((f) => fs.stat(f.file).then((s) => s.size)));
  void (async () => {
    for (const x of input.extraEntries ?? []) {
      const body = x.directory ? undefined : (x.content ?? (await fs.readFile(x.file!)));
      await new Promise<void>((resolve, reject) => {
        const cb = (e?: Error | null): void => (e ? reject(e) : resolve());
        if (body) context.entry({ name: x.name, mode: x.mode }, body, cb);
        else context.entry({ name: x.name, type: 'directory', mode: x.mode }, cb);
      });
    }
    for (const [i, f] of files.entries()) {
      await new Promise<void>((resolve, reject) => {
        const entry = context.entry({ name: f.name, mode: 0o755, size: sizes[i] }, (e) => (e ? reject(e) : resolve()));
        createReadStream(f.file).on('error', reject).pipe(entry);
      });
    }
    context.finalize();
  })().catch((e: Error) => context.destroy(e));
  return buildImage(engine, context, { tags: input.tags, labels: input.labels }, onOutput);
}

export interface ImageBuildOptions {
  /** repo:tag names; the first names the build, the others are added after it. */
  tags: string[];
  labels?: Record<string, string>;
  buildargs?: Record<string, string>;
  /** The Dockerfile's path inside the context (default Dockerfile at its root). */
  dockerfile?: string;
}

/** Builds the tar `context` (Dockerfile at its root, or at `dockerfile`), tags the result; returns the image id. */
export async function buildImage(
  engine: Engine,
  context: NodeJS.ReadableStream,
  options: ImageBuildOptions,
  onOutput?: (line: string) => void,
): Promise<string> {
  const [first, ...more] = options.tags;
  if (!first) throw new Error('buildImage needs a tag');
  const stream = await engine.docker.buildImage(context, {
    t: first,
    labels: options.labels ?? {},
    buildargs: options.buildargs ?? {},
    rm: true,
    forcerm: true,
    ...(options.dockerfile ? { dockerfile: options.dockerfile } : {}),
  });
  const steps: string[] = [];
  let output: string[] = [];
  const messages = await new Promise<BuildMessage[]>((resolve, reject) => {
    engine.docker.modem.followProgress(
      stream,
      (err: Error | null, all: BuildMessage[]) => (err ? reject(err) : resolve(all)),
      (m: BuildMessage) => {
        for (const line of (m.stream ?? '')
          .split('\n')
          .map((l) => l.trimEnd())
          .filter(Boolean)) {
          if (/^Step \d+\/\d+ : /.test(line)) {
            steps.push(line);
            output = [];
          } else output.push(line);
          onOutput?.(line);
        }
      },
    );
  });
  const failed = messages.find((m) => m.error);
  if (failed) {
    const step = steps[steps.length - 1] ?? 'the build';
    throw new GoDeployError(
      `building ${first} failed at ${step}: ${failed.errorDetail?.message ?? failed.error}${output.length ? `\n${output.slice(-20).join('\n')}` : ''}`,
      {
        hint: "fix the Dockerfile or the step's input; the image was not tagged and no container changed",
      },
    );
  }
  const image = engine.docker.getImage(first);
  const inspected = (await image.inspect()) as { Id: string };
  for (const t of more) await tagImage(engine, inspected.Id, t);
  return inspected.Id;
}

/** repo and tag of a reference: the tag is after the last ':' that follows the last '/' (a registry may have a port). */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: 'latest' };
}

/** Adds `ref` as a name of image `id` on `engine`. */
export async function tagImage(engine: Engine, id: string, ref: string): Promise<void> {
  await engine.docker.getImage(id).tag(splitImageRef(ref));
}
