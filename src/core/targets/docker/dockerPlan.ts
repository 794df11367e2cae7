// What a docker deploy will do, before it does it: the plan --dry-run prints (numbered steps
// the editor's progress counts), the image tag a version becomes, and the combinations of
// settings refused up front (exit 2 with what to use instead).
import { describeCanarySteps } from '../../release/canary/describe';
import { dockerOf, strategyOf } from '../../config/model';
import { DRAIN, flipNginxArgv, upstreamServer } from '../../release/nginxSwitch';
import { shArgv } from '../../remote/quote';
import type { DeployPlan, PlannedStep } from '../../environment/types';
import { durationText } from '../../release/canary/states';
import { gateSpecOf } from '../../release/healthGate';
import type { LoadedEnvironment } from '../../environment/load';
import { usageError } from '../../errors';
import type { DockerBlueGreen } from './blueGreenContainers';
import type { DockerCanary } from './canaryRelease';
import { describeContainer, type ContainerSpec } from './containerSpec';
import { lockContainerName } from './dockerLock';
import type { EngineAddress } from './engine';
import { registryRef } from './registry';
import { serviceName } from './swarmService';

/** The host of a docker deploy's events: the engine. */
export const DOCKER_HOST = 'engine';

/** A rollback's plan: its heading, then its steps numbered. */
export function rollbackPlan(heading: string, steps: PlannedStep[]): DeployPlan {
  return { text: [heading, ...steps.map((s, i) => `  ${i + 1}. ${s.title}`)].join('\n'), steps };
}

/** An image tag from a version: [A-Za-z0-9_.-], at most 128, not starting with . or -. */
export function imageTag(version: string): string {
  const t = version
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return t || 'unversioned';
}

/** Checks what docker environments cannot do; exit 2 with what to do. */
export function refuseUnsupported(e: LoadedEnvironment, address?: EngineAddress): void {
  const where = `environments.${e.name}`;
  if (dockerOf(e.env)?.mode === 'swarm' && dockerOf(e.env)?.network === 'host') {
    throw usageError(
      `${where}.docker.network: host cannot be used with docker.mode: swarm`,
      "a start-first rolling update runs two tasks on a node at once, and they cannot share the host's port: remove network: host (app.port is published through the routing mesh)",
    );
  }
  // blue-green and canary: two containers behind nginx on the engine's host.
  const strategy = strategyOf(e.env);
  const twoInstances = strategy === 'blue-green' || strategy === 'canary';
  if (twoInstances && dockerOf(e.env)?.mode === 'swarm') {
    throw usageError(
      `${where}.strategy: ${strategy} cannot be used with docker.mode: swarm`,
      `Swarm already starts each new task before it stops an old one, behind its routing mesh: remove strategy: ${strategy}, or use docker.mode: container`,
    );
  }
  const processes = e.model?.processes ?? [];
  if (processes.length && (processes.length > 1 || processes[0].service !== e.model.app.name) && twoInstances) {
    throw usageError(
      `${where}.strategy: ${strategy} cannot be used with several processes (app.processes: ${processes.map((p) => p.name).join(', ')}) on docker yet`,
      'use strategy: restart (each process gets its own container, switched together behind its health gate), or deploy one process per environment',
    );
  }
  if (twoInstances && address?.kind === 'tcp') {
    throw usageError(
      `${where}.strategy: ${strategy} ${strategy === 'canary' ? 'splits traffic in' : 'switches'} nginx on the engine's host, and a tcp:// engine gives Go Deploy no way onto that host`,
      `reach the same engine as ssh://user@host (the API then goes through ssh, and nginx is ${strategy === 'canary' ? 'changed' : 'switched'} there), or use strategy: restart`,
    );
  }
}

/**
 * The plan: its text as --dry-run prints it (numbered steps, no secret values), and the
 * steps the deploy reports (DeployEvent.step on the engine, the build on this machine), in order.
 */
export function describeDockerPlan(
  e: LoadedEnvironment,
  version: string,
  releaseId: string,
  spec: ContainerSpec,
  engineUrl: string,
  blueGreen?: DockerBlueGreen,
): DeployPlan {
  const { app } = e.model;
  const docker = dockerOf(e.env) ?? {};
  const fromBinary = (docker.build ?? 'binary') === 'binary';
  const [container, ...details] = describeContainer(spec);
  const [p1, p2] = blueGreen?.ports ?? [];
  const canary = blueGreen && 'policy' in blueGreen ? (blueGreen as DockerCanary) : undefined;
  const gate = gateSpecOf(e.model);
  const waitFor = (port: number | string): string =>
    gate.type === 'tcp'
      ? `port ${port} accepts a TCP connection from inside the container's network (godeploy-probe in a container that joins it; healthCheck.type tcp), up to ${app.healthTimeoutSeconds} s`
      : gate.type === 'process'
        ? `the container's process stays up for ${gate.forMs / 1000} s (healthCheck.type process: running, not restarted), up to ${app.healthTimeoutSeconds} s to start`
        : `GET ${app.healthPath} on ${typeof port === 'number' ? `port ${port}` : port} until 2xx (timeout ${app.healthTimeoutSeconds} s)`;
  const swarmCheck =
    gate.type === 'process'
      ? `no health check (healthCheck.type process; the image's own switched off): each new task must keep running for ${gate.forMs / 1000} s`
      : fromBinary
        ? `health check: godeploy-probe ${gate.type === 'tcp' ? `connects to port ${app.port}` : `GET ${app.healthPath}`} every ${Math.max(1, app.healthIntervalMs / 1000)} s`
        : "no health check added (the image's own HEALTHCHECK, if any)";
  const steps = [
    canary
      ? `connect: the engine's version and platform; preflight: nginx on the engine's host and no canary rollout in progress (${canary.stateFile}); after the lock, which of ports ${p1}/${p2} nginx sends traffic to (${canary.include}), and nothing but this app holds the other`
      : blueGreen
        ? `connect: the engine's version and platform; preflight: nginx on the engine's host; after the lock, which of ports ${p1}/${p2} nginx sends traffic to (${blueGreen.include}), and nothing but this app holds the other`
        : "connect: the engine's version and platform; preflight: nothing but this app's running release holds app.port",
    `lock: container ${lockContainerName(app.name)} on the engine (created, never started)`,
    fromBinary
      ? `build: go build for linux/<the engine's architecture>, packed by the --from-binary Dockerfile (runtime ${e.model.docker.runtime}); the context is the Dockerfile and the executable`
      : "build: docker build of the module's Dockerfile; the context is the module folder after .dockerignore",
    `image: ${app.name}:${releaseId}, ${app.name}:${imageTag(version)}${
      docker.registry
        ? `; pushed to ${registryRef(docker.registry, app.name, releaseId)} (and :${imageTag(version)})${engineUrl.startsWith('unix://') ? '' : ", built on this machine's Docker engine when one answers and pulled by the target"}${docker.registryUser ? ` as ${docker.registryUser} (password from ${docker.registryPassword})` : ''}`
        : engineUrl.startsWith('unix://')
          ? ''
          : "; built on this machine's Docker engine when one answers, then sent there without a registry (save → load, the layers it has left out), else built there"
    }`,
    ...(docker.mode === 'swarm'
      ? [
          `service ${serviceName(app.name, e.name)}: ${docker.replicas ?? 2} replicas of ${app.name}:${releaseId}, ${docker.publish === false ? 'no published port (DNS round-robin)' : `app.port ${app.port} published through the routing mesh`}${docker.overlayNetwork ? `, on network ${docker.overlayNetwork}` : ''}; ${swarmCheck}`,
          'rollout: created, or updated one task at a time, order start-first, failure_action rollback (Swarm takes the service back to its previous spec when a new task fails or turns unhealthy)',
          `retire: keep the newest ${e.env.keepReleases ?? 5} release images; the lock released`,
        ]
      : canary
        ? [
            [`${container} on the idle port (shown for ${p1}; PORT and the label follow the port)`, ...details.map((l) => `   ${l}`)].join('\n'),
            `switch: start ${spec.name} on the idle port beside the live container, which keeps serving`,
            `health: ${waitFor('the idle port')}; on failure its last 50 log lines and ${spec.name} removed: nginx and the live container untouched`,
            `nginx: the site ${canary.site.path} is installed with ${canary.include} sending every request to the live container (nginx -t, reload; the old files come back if the check fails); with nothing live, to the new one at once and no steps follow`,
            `rollout: the canary's share in steps ${describeCanarySteps(canary.policy)}, each step a rewrite of ${canary.include} (nginx -t, reload); ${describeCanaryAnalysis(canary)}; state in ${canary.stateFile} (godeploy rollout status|promote|abort ${e.name}); at 100% nginx's old workers finish and the old container stops, on a breach every request goes back to the live container and ${spec.name} is removed; keep the newest ${e.env.keepReleases ?? 5} releases; the lock released (held while the rollout runs)`,
          ]
        : blueGreen
          ? [
              [`${container} on the idle port (shown for ${p1}; PORT and the label follow the port)`, ...details.map((l) => `   ${l}`)].join('\n'),
              `switch: start ${spec.name} on the idle port beside the live container, which keeps serving`,
              `health: ${waitFor('the idle port')}; on failure its last 50 log lines and ${spec.name} removed: nginx and the live container untouched`,
              `nginx: ${blueGreen.include} becomes \`${upstreamServer('<idle port>')}\`, the site ${blueGreen.site.path} is installed, nginx -t, reload (the old files come back if the check fails)`,
              `retire: wait for nginx's old workers to finish, stop the old container (restart policy no); keep the newest ${e.env.keepReleases ?? 5} releases; the lock released`,
            ]
          : [
              [container, ...details.map((l) => `   ${l}`)].join('\n'),
              `switch: stop the running ${app.name} container (restart policy set to no), start ${spec.name}`,
              `health: ${waitFor(app.port)}; on failure its last 50 log lines, ${spec.name} removed, the old container started again`,
              `retire: keep the newest ${e.env.keepReleases ?? 5} releases (stopped containers and their release tags); older ones removed; the lock released`,
            ]),
  ];
  const procs = e.model.processes;
  // Several processes: a container (swarm: a service) per process, switched in order.
  if (procs.length > 1 || (procs[0] !== undefined && procs[0].service !== app.name)) {
    const argv = (p: (typeof procs)[number]): string =>
      [`/app/${p.executable}`, ...(p.port !== null && p.portFlag ? [`${p.portFlag}…`] : []), ...p.args].join(' ');
    const names = procs.map((p) => p.name).join(', ');
    if (docker.mode === 'swarm') {
      steps[4] = [
        `services, one per process, ${docker.replicas ?? 2} replicas each of ${app.name}:${releaseId}, updated in order (${names}):`,
        ...procs.map((p) => `     ${serviceName(p.service, e.name)}: ${argv(p)}${p.port === null ? ' (no port, nothing published)' : ` (port ${p.port})`}`),
      ].join('\n');
      steps[5] = `rollout: each service created, or updated one task at a time behind Swarm's rollback; when one fails, the services updated before it go back to their previous spec`;
    } else if (!blueGreen) {
      steps[4] = [
        `containers, one per process, from ${app.name}:${releaseId} (labels as one release, plus godeploy.process):`,
        ...procs.map((p) => `     ${p.service}-${releaseId}: ${argv(p)}${p.port === null ? ' (no port)' : ` (port ${p.port})`}`),
      ].join('\n');
      steps[5] = `switch, in order (${names}): stop each process's running container, start its new one`;
      steps[6] = `health: each process's own gate (http/tcp on its port; without a port it must stay up); on failure its last 50 log lines, every new container removed and every process's old container started again`;
    }
  }
  const text = [`deploy ${app.name} ${version} to ${e.name} (Docker Engine at ${engineUrl})`, ...steps.map((t, i) => `  ${i + 1}. ${t}`)].join('\n');
  // The steps as the deploy reports them: the numbered lines above, split where one line says two steps.
  const local = engineUrl.startsWith('unix://');
  const step = (id: PlannedStep['id'], title: string, more: Partial<PlannedStep> = {}): PlannedStep => ({
    host: id === 'build' ? '*' : DOCKER_HOST,
    id,
    title,
    commands: [],
    ...more,
  });
  const [, lockLine, buildLine, imageLine, ...rest] = steps.map((t) => t.replace(/^[a-z]+: /, ''));
  const ship = docker.registry
    ? [
        step('push', `push ${registryRef(docker.registry, app.name, releaseId)}`),
        ...(local ? [] : [step('pull', "pull it on the engine (when the image was built on this machine's engine)", { optional: true })]),
      ]
    : local
      ? []
      : [step('transfer', "send the image to the engine without a registry (when this machine's engine built it)", { optional: true })];
  const nginxCommand = blueGreen && !canary ? [flipNginxArgv(blueGreen, '<idle port>')] : [];
  const after =
    docker.mode === 'swarm'
      ? [step('switch', `${rest[0]}; ${rest[1]}`), step('retire', rest[2])]
      : blueGreen
        ? [
            step('container', rest[0].split('\n')[0]),
            step('switch', rest[1]),
            step('health', rest[2]),
            step('nginx', rest[3], { commands: nginxCommand }),
            step('retire', rest[4], { commands: canary ? [] : [shArgv(DRAIN, "<nginx's old workers>")] }),
          ]
        : [step('container', rest[0].split('\n')[0]), step('switch', rest[1]), step('health', rest[2]), step('retire', rest[3])];
  return {
    text,
    steps: [
      step('connect', `connect to the Docker Engine at ${engineUrl}`),
      step(
        'preflight',
        canary
          ? "nginx on the engine's host, no rollout in progress, the idle port"
          : blueGreen
            ? "nginx on the engine's host, the idle port"
            : docker.mode === 'swarm'
              ? 'a swarm manager'
              : 'app.port',
      ),
      step('lock', lockLine),
      ...(fromBinary ? [step('build', buildLine)] : []),
      step('image', imageLine),
      ...ship,
      ...after,
      step('unlock', `release the lock ${lockContainerName(app.name)}`),
    ],
  };
}

/** How each window of the access log is judged, in words. */
function describeCanaryAnalysis(c: DockerCanary): string {
  const { analysis: a, insufficientTrafficWaitMs, onInsufficientTraffic } = c.policy;
  const latency = a.maxP95LatencyRatio ? ` and a p95 latency at most ${a.maxP95LatencyRatio}× the live container's` : '';
  return `each ${durationText(a.windowMs)} window of ${c.accessLog} passes with a 5xx rate at most ${Math.round(a.maxErrorRate * 10_000) / 100}%${latency} over at least ${a.minRequests} canary requests (too few after ${durationText(insufficientTrafficWaitMs)}: ${onInsufficientTraffic === 'fail' ? 'abort' : 'promote'})`;
}
