// `godeploy status ENV` and `godeploy releases ENV` for a docker environment: the engine's
// release containers of the app, the running one's state, pid, uptime and image, and one
// health check of it where a deploy's gate would look.
import { dockerOf } from '../../config/model';
import { waitHealthy } from '../../release/health';
import { gateSpecOf } from '../../release/healthGate';
import { containerGate, probeImageTag } from './containerGate';
import type { LoadedEnvironment } from '../../environment/load';
import type { HostOutcome } from '../../environment/types';
import type { HostStatus } from '../../environment/types';
import { liveRelease, listDockerReleases, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';
import { LABEL } from './containerSpec';
import { inspectService } from './swarmRollout';
import { serviceName } from './swarmService';
import { onEnvironmentEngine, type EngineOpenOptions } from './environmentEngine';
import { type ServiceSpec } from './swarmService';
import { processContainer, processStatuses, severalProcesses } from './processContainers';
import { processServiceName, swarmProcessStatuses } from './swarmProcesses';
import { readRolloutState } from '../../release/canary/hostSite';
import type { RolloutState } from '../../release/canary/types';
import { maintenanceStatus } from '../../release/maintenance';
import { engineHost } from './blueGreenContainers';
import { dockerRolloutStateFile } from './canaryRelease';

export async function dockerReleases(
  e: LoadedEnvironment,
  options: EngineOpenOptions = {},
): Promise<{ address: string; outcome: HostOutcome<DockerRelease[]> }> {
  const outcome = await onEnvironmentEngine(e, options, (engine) =>
    dockerOf(e.env)?.mode === 'swarm' ? swarmReleases(engine, e) : listDockerReleases(engine, e.model.app.name, e.name),
  );
  return { address: outcome.address, outcome };
}

/** `godeploy releases` as text: oldest first, the running one marked live. */
export function formatDockerReleases(e: LoadedEnvironment, o: HostOutcome<DockerRelease[]>): string[] {
  const head = `${o.alias} (${o.address})`;
  if (!o.ok) return [`${head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`];
  if (!o.value.length) return [`${head}: no releases yet (no ${e.model.app.name} containers labelled godeploy.environment=${e.name})`];
  const width = Math.max(...o.value.map((r) => r.id.length));
  return [
    dockerOf(e.env)?.mode === 'swarm'
      ? `${head}: service ${o.value[0].container}: its spec and the previous one (what rollback returns to)`
      : `${head}: ${o.value.length} release${o.value.length === 1 ? '' : 's'} (containers ${e.model.app.name}-<release>)`,
    ...o.value.map((r) => `  ${r.live ? '*' : ' '} ${r.id.padEnd(width)}  ${r.state.padEnd(8)} ${r.imageId.slice(7, 19)}${r.live ? '  (live)' : ''}`),
  ];
}

export async function dockerStatus(e: LoadedEnvironment, options: EngineOpenOptions = {}): Promise<{ base: string; hosts: HostOutcome<HostStatus>[] }> {
  const outcome = await onEnvironmentEngine(e, options, (engine) => (dockerOf(e.env)?.mode === 'swarm' ? swarmStatus(engine, e) : containerStatus(engine, e)));
  return { base: outcome.address, hosts: [outcome] };
}

/** Container mode: the running release container's state, pid, uptime and image, and one health check. */
async function containerStatus(engine: Engine, e: LoadedEnvironment): Promise<HostStatus> {
  const { app } = e.model;
  const releases = await listDockerReleases(engine, app.name, e.name);
  const several = severalProcesses(e.model);
  const nginx = await nginxOnEngineHost(engine, e);
  const inRollout = nginx.rollout && (nginx.rollout.status === 'progressing' || nginx.rollout.status === 'paused') ? nginx.rollout : undefined;
  // Several processes: the first process's container stands for the release; each has its own line in processes.
  // A canary rollout in progress: the release it started from is the live one (the canary runs beside it).
  const live = several
    ? processContainer(releases, e.model, undefined)
    : ((inRollout && releases.find((r) => r.live && r.id === inRollout.previous)) ?? liveRelease(releases));
  const service: HostStatus['service'] = { state: 'no container running', running: false, uptimeSeconds: null, pid: null };
  let image: string | undefined;
  if (live) {
    const info = (await engine.docker.getContainer(live.containerId).inspect()) as {
      State?: { Status?: string; Running?: boolean; Pid?: number; StartedAt?: string };
      Config?: { Image?: string };
    };
    const started = Date.parse(info.State?.StartedAt ?? '');
    service.state = info.State?.Status ?? 'unknown';
    service.running = info.State?.Running === true;
    service.pid = info.State?.Pid || null;
    service.uptimeSeconds = Number.isFinite(started) ? Math.max(0, Math.floor((Date.now() - started) / 1000)) : null;
    image = `${info.Config?.Image ?? live.image} (${live.imageId.slice(7, 19)})`;
  }
  // Where the live release listens: app.port, or its blue-green port.
  const spec = gateSpecOf(e.model);
  // tcp: from inside the container when the engine has the probe image (a deploy put it there); never built for a status.
  const probeImage =
    spec.type === 'tcp' &&
    (await engine.docker
      .getImage(probeImageTag())
      .inspect()
      .then(
        () => true,
        () => false,
      ))
      ? probeImageTag()
      : undefined;
  if (several) {
    const processes = await processStatuses(engine, e, releases, probeImage);
    const ids = [...new Set(releases.map((r) => r.id))];
    return {
      live: live?.id ?? null,
      version: live?.version ?? null,
      releases: ids.length,
      service,
      health: {
        healthy: processes.every((p) => p.health?.healthy === true),
        answer: processes.map((p) => `${p.name}: ${p.health?.answer ?? p.state}`).join('; '),
      },
      image,
      releaseList: ids.map((id) => ({ id, live: id === live?.id })),
      processes,
    };
  }
  const health = live
    ? await containerGate({ engine, spec, port: live.port ?? app.port, probeImage, once: true }, live.containerId)
    : spec.type === 'process'
      ? { healthy: false, last: 'no container running' }
      : await waitHealthy(engine, { port: app.port, path: app.healthPath, timeoutMs: 0, intervalMs: 1000 });
  return {
    live: live?.id ?? null,
    version: live?.version ?? null,
    releases: releases.length,
    service,
    health: { healthy: health.healthy, answer: health.last },
    image,
    releaseList: releases.map((r) => ({ id: r.id, live: r.live && (!inRollout || r === live) })),
    ...(nginx.rollout ? { rollout: nginx.rollout } : {}),
    ...(nginx.maintenance !== undefined ? { maintenance: nginx.maintenance } : {}),
  };
}

/**
 * strategy blue-green or canary (nginx on the engine's host): the rollout's state kept there
 * (canary) and whether maintenance mode is on. Unread when the host cannot be reached (a
 * tcp:// engine) or the read fails: status reports the release either way.
 */
async function nginxOnEngineHost(engine: Engine, e: LoadedEnvironment): Promise<{ rollout?: RolloutState; maintenance?: boolean }> {
  const runner = e.model.blueGreen ? engineHost(engine) : undefined;
  if (!runner) return {};
  const [rollout, maintenance] = await Promise.all([
    e.model.canary ? readRolloutState(runner, dockerRolloutStateFile(e.model.app.name, e.name)).catch(() => null) : null,
    maintenanceStatus(runner, e.model).then(
      (m) => m.on,
      () => undefined,
    ),
  ]);
  return { ...(rollout ? { rollout } : {}), ...(maintenance !== undefined ? { maintenance } : {}) };
}

/** Swarm: the service's spec (live) and its previous spec, as the releases rollback can reach. */
async function swarmReleases(engine: Engine, e: LoadedEnvironment): Promise<DockerRelease[]> {
  const svc = await inspectService(
    engine,
    severalProcesses(e.model) ? processServiceName(e.model.processes[0], e.name) : serviceName(e.model.app.name, e.name),
  );
  if (!svc) return [];
  const release = (spec: ServiceSpec, live: boolean): DockerRelease => ({
    id: spec.Labels?.[LABEL.release] ?? '?',
    version: spec.Labels?.[LABEL.version] ?? '',
    container: svc.Spec.Name,
    containerId: svc.ID,
    state: live ? 'service' : 'previous',
    imageId: '',
    image: spec.TaskTemplate?.ContainerSpec?.Image ?? '',
    live,
    restart: '',
  });
  return [...(svc.PreviousSpec ? [release(svc.PreviousSpec, false)] : []), release(svc.Spec, true)];
}

/** Swarm: the service's release, its tasks running of those wanted, and their health as the engine sees it. */
async function swarmStatus(engine: Engine, e: LoadedEnvironment): Promise<HostStatus> {
  // Several processes: the first process's service stands for the release; each has its own line in processes.
  const several = severalProcesses(e.model);
  const name = several ? processServiceName(e.model.processes[0], e.name) : serviceName(e.model.app.name, e.name);
  if (several) {
    const processes = await swarmProcessStatuses(engine, e);
    const first = await swarmStatusOf(engine, name);
    return {
      ...first,
      service: { ...first.service, running: processes.every((p) => p.running) },
      health: { healthy: processes.every((p) => p.health?.healthy === true), answer: processes.map((p) => `${p.name}: ${p.state}`).join('; ') },
      processes,
    };
  }
  return swarmStatusOf(engine, name);
}

async function swarmStatusOf(engine: Engine, name: string): Promise<HostStatus> {
  const svc = await inspectService(engine, name);
  if (!svc)
    return {
      live: null,
      version: null,
      releases: 0,
      service: { state: `no service ${name}`, running: false, uptimeSeconds: null, pid: null },
      health: { healthy: false, answer: 'no service' },
    };
  const wanted = Number(svc.Spec.Mode?.Replicated?.Replicas ?? 1);
  const tasks = (await engine.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as { Status?: { State?: string } }[];
  const running = tasks.filter((t) => t.Status?.State === 'running').length;
  const update = svc.UpdateStatus?.State ? `, update ${svc.UpdateStatus.State}` : '';
  return {
    live: svc.Spec.Labels?.[LABEL.release] ?? null,
    version: svc.Spec.Labels?.[LABEL.version] ?? null,
    releases: svc.PreviousSpec ? 2 : 1,
    service: { state: `service ${name}: ${running}/${wanted} tasks running${update}`, running: running >= wanted, uptimeSeconds: null, pid: null },
    // With a health check a task only counts as running once it is healthy.
    health: { healthy: running >= wanted, answer: `${running}/${wanted} tasks healthy` },
    image: svc.Spec.TaskTemplate?.ContainerSpec?.Image,
    releaseList: [
      ...(svc.PreviousSpec?.Labels?.[LABEL.release] ? [{ id: svc.PreviousSpec.Labels[LABEL.release], live: false }] : []),
      ...(svc.Spec.Labels?.[LABEL.release] ? [{ id: svc.Spec.Labels[LABEL.release], live: true }] : []),
    ],
  };
}
