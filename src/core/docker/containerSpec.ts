// What a release's container is, as data: its name (<app>-<release id>), image, environment
// (the resolved env values, PORT included), labels that say which app, environment, release
// and version it is, the port published (bridge) or the host's network, the restart policy,
// json-file logs with rotation, a memory limit with GOMEMLIMIT at 90% of it, and a hardened
// runtime (no capabilities but binding a low port, no new privileges, a read-only root with
// a small /tmp). Pure: the deploy hands it to the engine, --dry-run prints it, tests read it.
import type { DockerConfig } from '../config/model';
import { usageError } from '../errors';
import { ninetyPercent } from '../generate/model';

export const LABEL = {
  app: 'godeploy.app',
  environment: 'godeploy.environment',
  release: 'godeploy.release',
  version: 'godeploy.version',
  deployedBy: 'godeploy.deployed-by',
  /** The port the release listens on (app.port, or its blue-green port). */
  port: 'godeploy.port',
} as const;

export interface ContainerInput {
  app: string;
  environment: string;
  releaseId: string;
  version: string;
  /** Image reference or id the container runs. */
  image: string;
  port: number;
  /** Blue-green: nginx on the engine's host is the way in, so a bridge container publishes its port on 127.0.0.1 only. */
  loopbackOnly?: boolean;
  /** The service's environment (PORT included). */
  env: Record<string, string>;
  docker: DockerConfig;
  deployedBy: string;
}

/** The Engine API's container create body (POST /containers/create), with the name. */
export interface ContainerSpec {
  name: string;
  Image: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    NetworkMode: string;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: string; MaximumRetryCount?: number };
    LogConfig: { Type: 'json-file'; Config: Record<string, string> };
    Memory?: number;
    CapDrop: string[];
    CapAdd?: string[];
    SecurityOpt: string[];
    ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string>;
  };
}

/** The container name of a release: <app>-<release id> (both already name-safe). */
export const containerName = (app: string, releaseId: string): string => `${app}-${releaseId}`;

/** docker run's --memory: 512M, 1.5G (K/M/G/T as powers of 1024) → bytes. */
export function memoryBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(size);
  if (!m) throw usageError(`docker.memory: cannot read the size ${JSON.stringify(size)}`, 'use a size such as 512M or 2G');
  const bytes = Math.floor(Number(m[1]) * 1024 ** (' KMGT'.indexOf(m[2] ?? ' ')));
  if (bytes < 6 * 1024 * 1024) throw usageError(`docker.memory: ${size} is below the engine's minimum of 6M`, 'give the container at least 6M (a Go service wants tens of megabytes)');
  return bytes;
}

export function containerSpec(input: ContainerInput): ContainerSpec {
  const { docker } = input;
  const network = docker.network ?? 'bridge';
  const env: Record<string, string> = { ...input.env, PORT: String(input.port) };
  if (docker.memory && env.GOMEMLIMIT === undefined) env.GOMEMLIMIT = ninetyPercent(docker.memory, 'binary');
  const portKey = `${input.port}/tcp`;
  const restart = docker.restart ?? 'unless-stopped';
  return {
    name: containerName(input.app, input.releaseId),
    Image: input.image,
    Env: Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.app]: input.app,
      [LABEL.environment]: input.environment,
      [LABEL.release]: input.releaseId,
      [LABEL.version]: input.version,
      [LABEL.deployedBy]: input.deployedBy,
      [LABEL.port]: String(input.port),
    },
    ...(network === 'bridge' ? { ExposedPorts: { [portKey]: {} } } : {}),
    HostConfig: {
      NetworkMode: network === 'host' ? 'host' : 'bridge',
      ...(network === 'bridge' ? { PortBindings: { [portKey]: [{ HostIp: input.loopbackOnly ? '127.0.0.1' : '', HostPort: String(input.port) }] } } : {}),
      RestartPolicy: restart === 'on-failure' ? { Name: restart, MaximumRetryCount: 5 } : { Name: restart },
      LogConfig: { Type: 'json-file', Config: { 'max-size': docker.logMaxSize ?? '10m', 'max-file': String(docker.logMaxFiles ?? 3) } },
      ...(docker.memory ? { Memory: memoryBytes(docker.memory) } : {}),
      CapDrop: ['ALL'],
      // Only a port below 1024 needs a capability (inside the container's own network, or the host's).
      ...(input.port < 1024 ? { CapAdd: ['NET_BIND_SERVICE'] } : {}),
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
    },
  };
}

/** The spec as --dry-run shows it: docker run's words; the environment by name only (no values). */
export function describeContainer(spec: ContainerSpec): string[] {
  const h = spec.HostConfig;
  const lines = [
    `container ${spec.name} from ${spec.Image}`,
    h.NetworkMode === 'host' ? '  network: host' : `  network: bridge, publish ${Object.keys(spec.ExposedPorts ?? {}).map((p) => `${h.PortBindings?.[p]?.[0]?.HostIp ? `${h.PortBindings[p][0].HostIp}:` : ''}${h.PortBindings?.[p]?.[0]?.HostPort}:${p}`).join(', ')}`,
    `  restart: ${h.RestartPolicy.Name}${h.RestartPolicy.MaximumRetryCount ? `:${h.RestartPolicy.MaximumRetryCount}` : ''}; logs: json-file max-size ${h.LogConfig.Config['max-size']}, max-file ${h.LogConfig.Config['max-file']}`,
    `  memory: ${h.Memory ? `${Math.round(h.Memory / 1024 / 1024)} MiB` : 'no limit'}; cap-drop ALL${h.CapAdd ? ` (cap-add ${h.CapAdd.join(', ')})` : ''}, no-new-privileges, read-only root, /tmp tmpfs`,
    `  labels: ${Object.entries(spec.Labels).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `  env: ${spec.Env.map((e) => e.slice(0, e.indexOf('='))).join(' ')}`,
  ];
  return lines;
}
