// A docker environment in swarm mode is one service, <app>-<environment>: `replicas` tasks
// of the release's image with the environment, labels, memory limit, log rotation and a
// read-only root as in container mode, and a health check (godeploy-probe inside the image)
// that Swarm's rolling update watches: one task at a time, the new one started first
// (`order: start-first`), `failure_action: rollback` to the previous spec when a new task
// fails or turns unhealthy. app.port is published through the routing mesh unless
// `publish: false` (then the service is reached on its overlay network, by DNS round-robin).
// Pure: the deploy sends it, tests read it.
import { ninetyPercent } from '../generate/model';
import { LABEL, memoryBytes, type ContainerInput } from './containerSpec';
import { PROBE_NAME } from './probe';

export const serviceName = (app: string, environment: string): string => `${app}-${environment}`;

/** A release's container input, plus what the health check and the rollout need. */
export interface ServiceInput extends ContainerInput {
  healthPath: string;
  healthTimeoutSeconds: number;
  healthIntervalMs: number;
  /** The image holds godeploy-probe (docker.build: binary): the tasks get a health check. */
  probe: boolean;
}

const NS = 1_000_000;

/** How long a new task is watched before the next one is updated: its start period and three checks (at least 1 s apart). */
export function taskWatchMs(h: { healthTimeoutSeconds: number; healthIntervalMs: number }): number {
  return h.healthTimeoutSeconds * 1000 + 3 * Math.max(1000, h.healthIntervalMs);
}

export function serviceSpec(i: ServiceInput): Record<string, unknown> {
  const { docker } = i;
  const env: Record<string, string> = { ...i.env, PORT: String(i.port) };
  if (docker.memory && env.GOMEMLIMIT === undefined) env.GOMEMLIMIT = ninetyPercent(docker.memory, 'binary');
  const labels = { [LABEL.app]: i.app, [LABEL.environment]: i.environment, [LABEL.release]: i.releaseId, [LABEL.version]: i.version, [LABEL.deployedBy]: i.deployedBy };
  const intervalNs = Math.max(1000, i.healthIntervalMs) * NS;
  const monitorNs = taskWatchMs(i) * NS;
  const update = { Parallelism: 1, Delay: 0, Monitor: monitorNs, MaxFailureRatio: 0, Order: 'start-first' };
  return {
    Name: serviceName(i.app, i.environment),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: i.image,
        Env: Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        ReadOnly: true,
        Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } }],
        StopGracePeriod: 10_000 * NS,
        ...(i.probe ? {
          Healthcheck: {
            Test: ['CMD', `/${PROBE_NAME}`, `http://127.0.0.1:${i.port}${i.healthPath}`],
            Interval: intervalNs, Timeout: 5_000 * NS, Retries: 3, StartPeriod: i.healthTimeoutSeconds * 1000 * NS,
          },
        } : {}),
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
    EndpointSpec: docker.publish === false
      ? { Mode: 'dnsrr' }
      : { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: i.port, PublishedPort: i.port, PublishMode: 'ingress' }] },
  };
}
