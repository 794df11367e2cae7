// What a docker deploy will do, before it does it: the plan --dry-run prints (numbered steps
// the editor's progress counts), the image tag a version becomes, and the combinations of
// settings refused up front (exit 2 with what to use instead).
import { dockerOf, strategyOf } from '../../config/model';
import { DRAIN, flipNginxArgv, upstreamServer } from '../../release/nginxSwitch';
import { shArgv } from '../../remote/quote';
import type { DeployPlan, PlannedStep } from '../../environment/types';
import { gateSpecOf } from '../../release/healthGate';
import type { LoadedEnvironment } from '../../environment/load';
import { usageError } from '../../errors';
import type { DockerBlueGreen } from './blueGreenContainers';
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
  if (strategyOf(e.env) === 'blue-green' && dockerOf(e.env)?.mode === 'swarm') {
    throw usageError(
      `${where}.strategy: blue-green cannot be used with docker.mode: swarm`,
      'Swarm already starts each new task before it stops an old one, behind its routing mesh: remove strategy: blue-green, or use docker.mode: container',
    );
  }
  if (strategyOf(e.env) === 'blue-green' && address?.kind === 'tcp') {
    throw usageError(
      `${where}.strategy: blue-green switches nginx on the engine's host, and a tcp:// engine gives Go Deploy no way onto that host`,
      'reach the same engine as ssh://user@host (the API then goes through ssh, and nginx is switched there), or use strategy: restart',
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
    blueGreen
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
  const nginxCommand = blueGreen ? [flipNginxArgv(blueGreen, '<idle port>')] : [];
  const after =
    docker.mode === 'swarm'
      ? [step('switch', `${rest[0]}; ${rest[1]}`), step('retire', rest[2])]
      : blueGreen
        ? [
            step('container', rest[0].split('\n')[0]),
            step('switch', rest[1]),
            step('health', rest[2]),
            step('nginx', rest[3], { commands: nginxCommand }),
            step('retire', rest[4], { commands: [shArgv(DRAIN, "<nginx's old workers>")] }),
          ]
        : [step('container', rest[0].split('\n')[0]), step('switch', rest[1]), step('health', rest[2]), step('retire', rest[3])];
  return {
    text,
    steps: [
      step('connect', `connect to the Docker Engine at ${engineUrl}`),
      step('preflight', blueGreen ? "nginx on the engine's host, the idle port" : docker.mode === 'swarm' ? 'a swarm manager' : 'app.port'),
      step('lock', lockLine),
      ...(fromBinary ? [step('build', buildLine)] : []),
      step('image', imageLine),
      ...ship,
      ...after,
      step('unlock', `release the lock ${lockContainerName(app.name)}`),
    ],
  };
}
