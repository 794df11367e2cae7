// `godeploy status ENV` and `godeploy releases ENV` for a docker environment: the engine's
// release containers of the app, the running one's state, pid, uptime and image, and one
// health check of it where a deploy's gate would look.
import type { HostOutcome } from '../deploy/hosts';
import { waitHealthy } from '../deploy/health';
import type { LoadedEnvironment } from '../deploy/hosts';
import type { HostStatus } from '../deploy/status';
import { GoDeployError } from '../errors';
import { liveRelease, listDockerReleases, type DockerRelease } from './dockerReleases';
import { environmentEngineAddress, type EngineAddress } from './engine';
import { openEnvironmentEngine, type EngineOpenOptions } from './environmentEngine';

const HOST = 'engine';

const failure = (address: EngineAddress, e: unknown): HostOutcome<never> => ({
  alias: HOST, address: address.url, ok: false, stage: 'connect', error: (e as Error).message, hint: e instanceof GoDeployError ? e.hint : undefined, cause: e,
});

export async function dockerReleases(e: LoadedEnvironment, options: EngineOpenOptions = {}): Promise<{ address: string; outcome: HostOutcome<DockerRelease[]> }> {
  const address = environmentEngineAddress(e);
  try {
    const engine = await openEnvironmentEngine(e, options);
    try {
      return { address: address.url, outcome: { alias: HOST, address: address.url, ok: true, value: await listDockerReleases(engine, e.model.app.name, e.name) } };
    } finally {
      engine.close();
    }
  } catch (err) {
    return { address: address.url, outcome: failure(address, err) };
  }
}

/** `godeploy releases` as text: oldest first, the running one marked live. */
export function formatDockerReleases(e: LoadedEnvironment, o: HostOutcome<DockerRelease[]>): string[] {
  const head = `${o.alias} (${o.address})`;
  if (!o.ok) return [`${head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`];
  if (!o.value.length) return [`${head}: no releases yet (no ${e.model.app.name} containers labelled godeploy.environment=${e.name})`];
  const width = Math.max(...o.value.map((r) => r.id.length));
  return [
    `${head}: ${o.value.length} release${o.value.length === 1 ? '' : 's'} (containers ${e.model.app.name}-<release>)`,
    ...o.value.map((r) => `  ${r.live ? '*' : ' '} ${r.id.padEnd(width)}  ${r.state.padEnd(8)} ${r.imageId.slice(7, 19)}${r.live ? '  (live)' : ''}`),
  ];
}

export async function dockerStatus(e: LoadedEnvironment, options: EngineOpenOptions = {}): Promise<{ base: string; hosts: HostOutcome<HostStatus>[] }> {
  const address = environmentEngineAddress(e);
  const { app } = e.model;
  let engine;
  try {
    engine = await openEnvironmentEngine(e, options);
    const releases = await listDockerReleases(engine, app.name, e.name);
    const live = liveRelease(releases);
    const service: HostStatus['service'] = { state: 'no container running', running: false, uptimeSeconds: null, pid: null };
    let image: string | undefined;
    if (live) {
      const info = (await engine.docker.getContainer(live.containerId).inspect()) as { State?: { Status?: string; Running?: boolean; Pid?: number; StartedAt?: string; Health?: { Status?: string } }; Config?: { Image?: string } };
      const started = Date.parse(info.State?.StartedAt ?? '');
      service.state = info.State?.Status ?? 'unknown';
      service.running = info.State?.Running === true;
      service.pid = info.State?.Pid || null;
      service.uptimeSeconds = Number.isFinite(started) ? Math.max(0, Math.floor((Date.now() - started) / 1000)) : null;
      image = `${info.Config?.Image ?? live.image} (${live.imageId.slice(7, 19)})`;
    }
    const health = await waitHealthy(engine, { port: app.port, path: app.healthPath, timeoutMs: 0, intervalMs: 1000 });
    const value: HostStatus = { live: live?.id ?? null, version: live?.version ?? null, releases: releases.length, service, health: { healthy: health.healthy, answer: health.last }, image };
    return { base: address.url, hosts: [{ alias: HOST, address: address.url, ok: true, value }] };
  } catch (err) {
    return { base: address.url, hosts: [failure(address, err)] };
  } finally {
    engine?.close();
  }
}
