// The releases of an app on a Docker engine: one container per release, <app>-<release id>,
// labelled with the app, environment, release and version, running the image tagged
// <app>:<release id>. The live release is the running one; the others are kept stopped (with
// restart policy "no", so an engine restart does not bring them back) for a rollback, the
// newest `keepReleases` of them, as the ssh targets keep release folders.
import { PassThrough } from 'node:stream';
import { LABEL } from './containerSpec';
import type { Engine } from './engine';

export interface DockerRelease {
  id: string;
  version: string;
  /** Container name without the leading slash. */
  container: string;
  containerId: string;
  /** running, exited, created, … */
  state: string;
  /** The image id the container runs (sha256:…). */
  imageId: string;
  /** The image as created (the release tag). */
  image: string;
  live: boolean;
  /** The restart policy it was created with (label), to give back when it runs again. */
  restart: string;
  /** The port it listens on (label; absent on containers made before the label existed). */
  port?: number;
  /** Several processes: the process it runs (label godeploy.process). */
  process?: string;
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  State?: string;
  Labels?: Record<string, string>;
}

export const RESTART_LABEL = 'godeploy.restart';

/** This app's release containers in `environment`, oldest first. */
export async function listDockerReleases(engine: Engine, app: string, environment: string): Promise<DockerRelease[]> {
  const all = (await engine.docker.listContainers({
    all: true,
    filters: { label: [`${LABEL.app}=${app}`, `${LABEL.environment}=${environment}`] },
  })) as ContainerSummary[];
  return all
    .filter((c) => c.Labels?.[LABEL.release])
    .map((c) => ({
      id: c.Labels![LABEL.release],
      version: c.Labels![LABEL.version] ?? '',
      container: (c.Names?.[0] ?? '').replace(/^\//, ''),
      containerId: c.Id,
      state: c.State ?? 'unknown',
      imageId: c.ImageID ?? '',
      image: c.Image ?? '',
      live: c.State === 'running',
      restart: c.Labels![RESTART_LABEL] ?? 'unless-stopped',
      port: Number(c.Labels![LABEL.port]) || undefined,
      ...(c.Labels![LABEL.process] ? { process: c.Labels![LABEL.process] } : {}),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The live release: the running one (the newest if several run). */
export const liveRelease = (releases: DockerRelease[]): DockerRelease | undefined => releases.filter((r) => r.live).pop();

/** Releases to remove so that `keep` remain: the oldest that are not running. */
export function releasesToPrune(releases: DockerRelease[], keep: number): DockerRelease[] {
  // A release is every container with its id (one per process): whole releases go, the
  // oldest first, never one with a running container.
  const ids = [...new Set(releases.map((r) => r.id))];
  const extra = ids.length - keep;
  if (extra <= 0) return [];
  const running = new Set(releases.filter((r) => r.live).map((r) => r.id));
  const gone = new Set(ids.filter((id) => !running.has(id)).slice(0, extra));
  return releases.filter((r) => gone.has(r.id));
}

/** Removes a release's container and its release tag (the image goes once nothing else uses it). */
export async function removeRelease(engine: Engine, app: string, r: Pick<DockerRelease, 'containerId' | 'id'>): Promise<void> {
  await engine.docker.getContainer(r.containerId).remove({ force: true }).catch(ignoreMissing);
  await engine.docker
    .getImage(`${app}:${r.id}`)
    .remove()
    .catch((e: { statusCode?: number }) => {
      // 404: already gone; 409: another container (a newer release of the same build) uses it.
      if (e?.statusCode !== 404 && e?.statusCode !== 409) throw e;
    });
}

export function ignoreMissing(e: { statusCode?: number }): void {
  if (e?.statusCode !== 404) throw e;
}

/** The last `lines` lines of a container's output (stdout and stderr, in order). */
export async function containerLogTail(engine: Engine, containerId: string, lines = 50): Promise<string> {
  const raw = (await engine.docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => out.on('end', resolve));
  const input = new PassThrough();
  engine.docker.modem.demuxStream(input, out, out);
  input.on('end', () => out.end());
  input.end(raw);
  await done;
  return Buffer.concat(chunks).toString('utf8').trimEnd();
}
