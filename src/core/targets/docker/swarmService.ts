// A docker environment in swarm mode is one service, <app>-<environment>: `replicas` tasks
// of the release's image with the environment, labels, memory limit, log rotation and a
// read-only root as in container mode, and a health check (godeploy-probe inside the image)
// that Swarm's rolling update watches: one task at a time, the new one started first
// (`order: start-first`), `failure_action: rollback` to the previous spec when a new task
// fails or turns unhealthy. app.port is published through the routing mesh unless
// `publish: false` (then the service is reached on its overlay network, by DNS round-robin).
// Pure: the deploy sends it, tests read it.
import { ninetyPercent } from '../../generate/model';
import type { HealthCheckType } from '../../config/model';
import { containerArguments, LABEL, memoryBytes, portVariable, type ContainerInput } from './containerSpec';
import { PROBE_NAME } from './probe';

/**
 * A swarm service's spec as the Engine API returns and takes it: read defensively (labels,
 * task template, networks), so it stays the loose JSON it is rather than a partial copy of
 * dockerode's types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Engine API's JSON, read field by field
export type ServiceSpec = Record<string, any>;

export const serviceName = (app: string, environment: string): string => `${app}-${environment}`;

/** A release's container input, plus what the health check and the rollout need. */
export interface ServiceInput extends ContainerInput {
  /** healthCheck.type (default http): the tasks' health check GETs the path, connects to the port, or (process) is switched off. */
  healthType?: HealthCheckType;
  /** type process: how long Swarm watches a new task for an exit before it updates the next. */
  healthForMs?: number;
  healthPath: string;
  healthTimeoutSeconds: number;
  healthIntervalMs: number;
  /** The image holds godeploy-probe (docker.build: binary): the tasks get a health check. */
  probe: boolean;
}

const NS = 1_000_000;

/**
 * How long a new task is watched before the next one is updated: its start period and three
 * checks (at least 1 s apart); type process: healthCheck.for and a second.
 */
export function taskWatchMs(h: { healthTimeoutSeconds: number; healthIntervalMs: number; healthType?: HealthCheckType; healthForMs?: number }): number {
  if (h.healthType === 'process') return (h.healthForMs ?? 5000) + 1000;
  return h.healthTimeoutSeconds * 1000 + 3 * Math.max(1000, h.healthIntervalMs);
}

/** The tasks' health check: the probe GETs the path or connects to the port; none for type process (nor the image's own). */
function healthcheck(i: ServiceInput, intervalNs: number): Record<string, unknown> | undefined {
  if (i.healthType === 'process') return { Test: ['NONE'] };
  if (!i.probe) return undefined;
  const target = i.healthType === 'tcp' ? `tcp://127.0.0.1:${i.port}` : `http://127.0.0.1:${i.port}${i.healthPath}`;
  return { Test: ['CMD', `/${PROBE_NAME}`, target], Interval: intervalNs, Timeout: 5_000 * NS, Retries: 3, StartPeriod: i.healthTimeoutSeconds * 1000 * NS };
}

export function serviceSpec(i: ServiceInput): Record<string, unknown> {
  const { docker } = i;
  const env: Record<string, string> = { ...i.env, ...portVariable(i) };
  const args = containerArguments(i);
  const check = healthcheck(i, Math.max(1000, i.healthIntervalMs) * NS);
  if (docker.memory && env.GOMEMLIMIT === undefined) env.GOMEMLIMIT = ninetyPercent(docker.memory, 'binary');
  const labels = {
    [LABEL.app]: i.app,
    [LABEL.environment]: i.environment,
    [LABEL.release]: i.releaseId,
    [LABEL.version]: i.version,
    [LABEL.deployedBy]: i.deployedBy,
  };
  const monitorNs = taskWatchMs(i) * NS;
  const update = { Parallelism: 1, Delay: 0, Monitor: monitorNs, MaxFailureRatio: 0, Order: 'start-first' };
  return {
    Name: serviceName(i.app, i.environment),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: i.image,
        ...(args.length ? { Args: args } : {}),
        Env: Object.entries(env)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        ReadOnly: true,
        Mounts: [
          { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } },
          ...(i.shared ?? []).map((v) => ({ Type: 'volume', Source: v.volume, Target: v.target })),
        ],
        StopGracePeriod: 10_000 * NS,
        ...(check ? { Healthcheck: check } : {}),
      },
      Resources: docker.memory ? { Limits: { MemoryBytes: memoryBytes(docker.memory) } } : {},
      RestartPolicy: { Condition: 'any', Delay: 1_000 * NS },
      LogDriver: { Name: 'json-file', Options: { 'max-size': docker.logMaxSize ?? '10m', 'max-file': String(docker.logMaxFiles ?? 3) } },
      ...(docker.overlayNetwork ? { Networks: [{ Target: docker.overlayNetwork }] } : {}),
    },
    Mode: { Replicated: { Replicas: docker.replicas ?? 2 } },
    UpdateConfig: { ...update, FailureAction: 'rollback' },
    RollbackConfig: { ...update, FailureAction: 'pause' },
    // Without a published port no virtual IP is needed: DNS round-robin on the overlay network.
    EndpointSpec:
      docker.publish === false
        ? { Mode: 'dnsrr' }
        : { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: i.port, PublishedPort: i.port, PublishMode: 'ingress' }] },
  };
}
