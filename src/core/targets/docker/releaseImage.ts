// The image of a release: built where it is cheapest and shipped where it runs. A target
// reached over the network (ssh://, tcp://) gets its image from this machine's engine
// (DOCKER_HOST, else the local socket) when one answers: the build, its cache and any base
// image stay here, and only the layers the target lacks travel (transfer.ts). Without a
// local engine the target builds it itself. Either way the image is the generated
// --from-binary Dockerfile around the cross-compiled executable, or the module's Dockerfile
// with the module folder (after .dockerignore) as context.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BuiltArtifact } from '../../build/types';
import type { VersionInfo } from '../../build/version';
import type { DeployEvent } from '../../environment/types';
import type { LoadedEnvironment } from '../../environment/load';
import { formatBytes } from '../../format';
import { GoDeployError } from '../../errors';
import { dockerBuildContextOf } from '../../generate/buildSource';
import { imageExecutables, renderDockerfile } from '../../generate/dockerfile';
import { buildContext } from './buildContext';
import { engineAddress, openEngine, type Engine } from './engine';
import { buildBinaryImage, buildImage, tagImage } from './image';
import { PROBE_NAME } from './probe';
import { pullImage, pushImage, type RegistryAuth } from './registry';
import { transferImage, type TransferResult } from './transfer';
import type { ReleaseFile } from '../../release/releaseFiles';
import type { ContextEntry } from './image';
import { NONROOT } from '../../generate/dockerfile';

const HOST = 'engine';

/** This machine's engine, when the target is another one reached over the network and a local one answers. */
export async function buildingEngine(target: Engine, env: NodeJS.ProcessEnv = process.env): Promise<Engine | undefined> {
  if (target.address.kind === 'unix') return undefined;
  let local: Engine | undefined;
  try {
    const address = engineAddress(undefined, env);
    if (address.kind === 'ssh') return undefined;
    local = await openEngine(address, { env, timeoutMs: 3000 });
    // The same engine reached two ways (DOCKER_HOST pointing at the target): build there. Engines
    // on one machine may share an ID (/etc/docker/key.json); their data folders differ.
    const [here, there] = (await Promise.all([local.docker.info(), target.docker.info()])) as { ID?: string; DockerRootDir?: string }[];
    if (here.ID === there.ID && here.DockerRootDir === there.DockerRootDir) {
      local.close();
      return undefined;
    }
    return local;
  } catch {
    local?.close();
    return undefined;
  }
}

export interface ReleaseImageInput {
  e: LoadedEnvironment;
  /** The cross-compiled executable (docker.build: binary), else the module's Dockerfile is built. */
  artifact?: BuiltArtifact;
  /** Several processes: every executable's binary, in imageExecutables order (artifact is the first). */
  artifacts?: BuiltArtifact[];
  /** The health probe to pack beside the executable (swarm services), see probe.ts. */
  probe?: string;
  /** app.files resolved on this machine: copied into the image under /app (docker.build: binary). */
  files?: ReleaseFile[];
  tags: string[];
  labels: Record<string, string>;
  info: VersionInfo;
  emit(e: DeployEvent): void;
  onBuildOutput?(target: string, text: string): void;
}

/** Builds the release's image on `engine`; returns its id. */
export async function buildReleaseImage(engine: Engine, i: ReleaseImageInput): Promise<string> {
  const { e, tags, emit } = i;
  const where = engine.address.kind === 'unix' ? '' : ` on ${engine.address.url}`;
  const onLine = (line: string): void => {
    if (/^Step \d+\/\d+ : /.test(line)) emit({ host: HOST, step: 'image', state: 'start', message: line });
    i.onBuildOutput?.('image', `${line}\n`);
  };
  const { processes } = e.model;
  if (i.artifacts && (processes.length > 1 || processes[0]?.service !== e.model.app.name)) {
    const names = imageExecutables(e.model).map((x) => x.executable);
    emit({ host: HOST, step: 'image', state: 'start', message: `packing ${names.join(', ')} into ${tags[0]}${where}` });
    const files = withReleaseFiles(i.files ?? [], e.model.shared);
    const dockerfile = withProbe(renderDockerfile(e.model, { fromBinaries: Object.fromEntries(names.map((n) => [n, n])) }), names[0], i.probe) + files.lines;
    const extraFiles = [
      ...(i.probe ? [{ name: PROBE_NAME, file: i.probe }] : []),
      ...names.slice(1).map((n, k) => ({ name: n, file: i.artifacts![k + 1].path })),
    ];
    return buildBinaryImage(
      engine,
      { dockerfile, binaryFile: i.artifacts[0].path, binaryName: names[0], tags, labels: i.labels, extraFiles, extraEntries: files.entries },
      onLine,
    );
  }
  if (i.artifact) {
    emit({ host: HOST, step: 'image', state: 'start', message: `packing ${path.basename(i.artifact.file)} into ${tags[0]}${where}` });
    const files = withReleaseFiles(i.files ?? [], e.model.shared);
    const dockerfile = withProbe(renderDockerfile(e.model, { fromBinary: e.model.app.name }), e.model.app.name, i.probe) + files.lines;
    const extraFiles = i.probe ? [{ name: PROBE_NAME, file: i.probe }] : [];
    return buildBinaryImage(
      engine,
      { dockerfile, binaryFile: i.artifact.path, binaryName: e.model.app.name, tags, labels: i.labels, extraFiles, extraEntries: files.entries },
      onLine,
    );
  }
  const dockerfile = path.join(e.moduleDir, 'Dockerfile');
  await fs.access(dockerfile).catch(() => {
    throw new GoDeployError(`${dockerfile} does not exist (environments.${e.name}.docker.build: dockerfile builds the module's Dockerfile)`, {
      hint: `write it with \`godeploy generate dockerfile --env ${e.name}\`, or set docker.build: binary to pack the cross-compiled binary instead`,
    });
  });
  // A go.work workspace or replaced modules: the context is the folder above that holds them (buildSource.ts).
  const context = dockerBuildContextOf(e.moduleDir, e.model.source);
  const ctx = await buildContext(context.dir, { dockerfile: context.dockerfile, only: context.only });
  emit({
    host: HOST,
    step: 'image',
    state: 'start',
    message: `docker build of ${path.relative(process.cwd(), dockerfile) || dockerfile} into ${tags[0]}${where}${context.dir === e.moduleDir ? '' : ` (context ${path.relative(process.cwd(), context.dir) || context.dir})`}`,
  });
  const buildargs = { VERSION: i.info.version, REVISION: i.info.commit, BUILD_DATE: i.info.date };
  const id = await buildImage(engine, ctx.stream, { tags, labels: i.labels, buildargs, dockerfile: context.dockerfile }, onLine);
  await ctx.done;
  return id;
}

/** Sends `tags[0]` from the building engine to the target (tagged there with all `tags`); the release tag leaves the builder. */
export async function shipImage(builder: Engine, target: Engine, tags: string[], emit: (e: DeployEvent) => void): Promise<TransferResult> {
  const t0 = Date.now();
  let reported = 0;
  emit({ host: HOST, step: 'transfer', state: 'start', message: `sending ${tags[0]} to ${target.address.url}` });
  const r = await transferImage(builder, target, tags[0], tags.slice(1), (sent, total) => {
    if (sent - reported < 4 * 1024 * 1024) return;
    reported = sent;
    emit({
      host: HOST,
      step: 'transfer',
      state: 'start',
      message: `sending ${tags[0]}: ${formatBytes(sent)}${total ? ` of about ${formatBytes(total)}` : ''}`,
    });
  });
  await builder.docker
    .getImage(tags[0])
    .remove({ noprune: true })
    .catch(() => undefined);
  const what = r.present
    ? 'the engine already had this image: tagged only'
    : `${formatBytes(r.bytesSent)} sent${r.layersSkipped ? `; ${r.layersSkipped} of ${r.layers} layers were already there` : ''}`;
  emit({ host: HOST, step: 'transfer', state: 'done', message: what, ms: Date.now() - t0 });
  return r;
}

/**
 * docker.registry: the image goes to the registry from the engine that built it, and the
 * target (when it is another engine) pulls it, then names it with the local `tags` the
 * releases are known by. The registry names are left on neither engine's release list.
 */
export async function shipThroughRegistry(
  source: Engine,
  target: Engine | undefined,
  tags: string[],
  registryTags: string[],
  auth: RegistryAuth | undefined,
  emit: (e: DeployEvent) => void,
): Promise<void> {
  const id = ((await source.docker.getImage(tags[0]).inspect()) as { Id: string }).Id;
  const p0 = Date.now();
  for (const ref of registryTags) {
    await tagImage(source, id, ref);
    emit({ host: HOST, step: 'push', state: 'start', message: `pushing ${ref}` });
    await pushImage(source, ref, auth, (m) => {
      if (m.status && /^(Pushed|Layer already exists)$/.test(m.status))
        emit({ host: HOST, step: 'push', state: 'start', message: `${ref}: ${m.status.toLowerCase()}` });
    });
  }
  for (const ref of registryTags)
    await source.docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined);
  emit({ host: HOST, step: 'push', state: 'done', message: registryTags.join(', '), ms: Date.now() - p0 });
  if (!target) return;
  const q0 = Date.now();
  emit({ host: HOST, step: 'pull', state: 'start', message: `pulling ${registryTags[0]} on ${target.address.url}` });
  await pullImage(target, registryTags[0], auth);
  for (const t of tags) await tagImage(target, id, t);
  for (const ref of registryTags)
    await target.docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined);
  await source.docker
    .getImage(tags[0])
    .remove({ noprune: true })
    .catch(() => undefined);
  emit({ host: HOST, step: 'pull', state: 'done', message: `${registryTags[0]} pulled, tagged ${tags.join(', ')}`, ms: Date.now() - q0 });
}

/** The --from-binary Dockerfile with the probe copied in before the executable (its layer stays the same from release to release). */
export function withProbe(dockerfile: string, app: string, probe: string | undefined): string {
  if (!probe) return dockerfile;
  const copy = `COPY ${app} /app/${app}`;
  if (!dockerfile.includes(copy)) throw new Error(`the --from-binary Dockerfile has no "${copy}" line`);
  return dockerfile.replace(copy, `COPY ${PROBE_NAME} /${PROBE_NAME}\n${copy}`);
}

/**
 * app.files and app.shared in a binary image: each file under /app/<dest> (its mode kept, owned
 * by root), and each shared folder made empty under /app owned by the runtime user, so that a
 * new named volume mounted there starts from it (the engine copies the image's folder into an
 * empty volume) and the service can write it. A templated file holding a secret is refused: an
 * image's layers are readable by anyone who can pull it. The working folder becomes /app.
 */
export function withReleaseFiles(files: ReleaseFile[], shared: string[]): { entries: ContextEntry[]; lines: string } {
  const secret = files.find((f) => f.secret);
  if (secret)
    throw new GoDeployError(`app.files: ${secret.from} is templated with a \${secret:…} value, which a Docker image would keep in a layer`, {
      hint: 'pass the secret as an environment variable (app.env) instead, or template only ${env:…} values into files for Docker',
      exitCode: 2,
    });
  const entries: ContextEntry[] = files.map((f) => ({ name: `godeploy-files/${f.dest}`, mode: f.mode, content: f.content ?? undefined, file: f.source }));
  const dirs = new Set<string>();
  for (const d of shared) {
    const parts = d.split('/');
    for (let k = 1; k <= parts.length; k++) dirs.add(parts.slice(0, k).join('/'));
  }
  entries.push(...[...dirs].sort().map((d) => ({ name: `godeploy-shared/${d}`, mode: 0o755, directory: true })));
  const lines = [
    ...(files.length ? ['', '# app.files', 'COPY godeploy-files/ /app/'] : []),
    ...(shared.length
      ? ['', '# app.shared: the folders named volumes are mounted on, writable by the runtime user', `COPY --chown=${NONROOT} godeploy-shared/ /app/`]
      : []),
  ];
  // The working folder is /app, as it is the release folder on hosts: relative paths (config/app.yaml) reach the files.
  if (lines.length) lines.push('WORKDIR /app');
  return { entries, lines: lines.length ? `${lines.join('\n')}\n` : '' };
}
