// What a release's container is, as data: its name (<app>-<release id>), image, arguments
// (the port flag, then app.args), environment (the resolved env values, the port variable
// included), labels that say which app, environment, release and version it is, the port
// published (bridge) or the host's network, the restart policy,
// json-file logs with rotation, a memory limit with GOMEMLIMIT at 90% of it, and a hardened
// runtime (no capabilities but binding a low port, no new privileges, a read-only root with
// a small /tmp). Pure: the deploy hands it to the engine, --dry-run prints it, tests read it.
import type { DockerConfig } from '../../config/model';
import { usageError } from '../../errors';
import { launchArgumentsOf } from '../../config/launch';
import { ninetyPercent } from '../../generate/model';

export const LABEL = {
  app: 'godeploy.app',
  environment: 'godeploy.environment',
  release: 'godeploy.release',
  version: 'godeploy.version',
  deployedBy: 'godeploy.deployed-by',
  /** The port the release listens on (app.port, or its blue-green port). */
  port: 'godeploy.port',
  /** Several processes (app.processes): the process a release container runs (absent in the one-process form). */
  process: 'godeploy.process',
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
  /** The service's environment (the port variable is set here, from portEnv). */
  env: Record<string, string>;
  /** The service's arguments after the image's entrypoint (resolved app.args), without the port flag. */
  args?: string[];
  /** The variable the port reaches the service as (default PORT), null when only the flag carries it. */
  portEnv?: string | null;
  /** app.portFlag: the port goes first in the arguments, as this flag. */
  portFlag?: string | null;
  docker: DockerConfig;
  deployedBy: string;
  /** app.shared: named volumes mounted under /app (sharedVolumes), kept across releases. */
  shared?: SharedVolume[];
}

/** A folder of app.shared as a named volume: <app>-<dir with dashes>, mounted at /app/<dir>. */
export interface SharedVolume {
  volume: string;
  target: string;
}

/** app.shared's named volumes of `app` (the app's name: every process of a release mounts the same ones). */
export function sharedVolumes(app: string, shared: readonly string[]): SharedVolume[] {
  return shared.map((d) => ({ volume: `${app}-${d.replace(/[^A-Za-z0-9_.-]+/g, '-')}`, target: `/app/${d}` }));
}

/** The Engine API's container create body (POST /containers/create), with the name. */
export interface ContainerSpec {
  name: string;
  Image: string;
  /** Several processes: [/app/<executable>] of its process (else the image's ENTRYPOINT). */
  Entrypoint?: string[];
  /** The arguments after the image's ENTRYPOINT (launch.ts: the port flag, then app.args); absent: the image's CMD. */
  Cmd?: string[];
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
    /** app.shared's named volumes (created by the engine when missing; never removed by a deploy or rollback). */
    Mounts?: { Type: 'volume'; Source: string; Target: string }[];
  };
}

/** The container name of a release: <app>-<release id> (both already name-safe). */
export const containerName = (app: string, releaseId: string): string => `${app}-${releaseId}`;

/** docker run's --memory: 512M, 1.5G (K/M/G/T as powers of 1024) → bytes. */
export function memoryBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(size);
  if (!m) throw usageError(`docker.memory: cannot read the size ${JSON.stringify(size)}`, 'use a size such as 512M or 2G');
  const bytes = Math.floor(Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2] ?? ' '));
  if (bytes < 6 * 1024 * 1024)
    throw usageError(`docker.memory: ${size} is below the engine's minimum of 6M`, 'give the container at least 6M (a Go service wants tens of megabytes)');
  return bytes;
}

export function containerSpec(input: ContainerInput): ContainerSpec {
  const { docker } = input;
  const network = docker.network ?? 'bridge';
  const env: Record<string, string> = { ...input.env, ...portVariable(input) };
  const cmd = containerArguments(input);
  if (docker.memory && env.GOMEMLIMIT === undefined) env.GOMEMLIMIT = ninetyPercent(docker.memory, 'binary');
  const portKey = `${input.port}/tcp`;
  const restart = docker.restart ?? 'unless-stopped';
  return {
    name: containerName(input.app, input.releaseId),
    Image: input.image,
    ...(cmd.length ? { Cmd: cmd } : {}),
    Env: Object.entries(env)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`),
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
      ...(input.shared?.length ? { Mounts: input.shared.map((v) => ({ Type: 'volume' as const, Source: v.volume, Target: v.target })) } : {}),
    },
  };
}

/** The port as the service's environment has it: { PORT: "8080" } (app.portEnv), or nothing when it goes only by flag. */
export function portVariable(i: Pick<ContainerInput, 'port' | 'portEnv'>): Record<string, string> {
  const name = i.portEnv === undefined ? 'PORT' : i.portEnv;
  return name === null ? {} : { [name]: String(i.port) };
}

/** The container's arguments: the port flag with its port (when the port goes by flag), then app.args. */
export function containerArguments(i: Pick<ContainerInput, 'port' | 'args' | 'portFlag'>): string[] {
  return launchArgumentsOf({ flag: i.portFlag ?? null }, i.args ?? [], String(i.port));
}

/** The spec as --dry-run shows it: docker run's words; the environment by name only (no values). */
export function describeContainer(spec: ContainerSpec): string[] {
  const h = spec.HostConfig;
  const lines = [
    `container ${spec.name} from ${spec.Image}`,
    h.NetworkMode === 'host'
      ? '  network: host'
      : `  network: bridge, publish ${Object.keys(spec.ExposedPorts ?? {})
          .map((p) => `${h.PortBindings?.[p]?.[0]?.HostIp ? `${h.PortBindings[p][0].HostIp}:` : ''}${h.PortBindings?.[p]?.[0]?.HostPort}:${p}`)
          .join(', ')}`,
    `  restart: ${h.RestartPolicy.Name}${h.RestartPolicy.MaximumRetryCount ? `:${h.RestartPolicy.MaximumRetryCount}` : ''}; logs: json-file max-size ${h.LogConfig.Config['max-size']}, max-file ${h.LogConfig.Config['max-file']}`,
    `  memory: ${h.Memory ? `${Math.round(h.Memory / 1024 / 1024)} MiB` : 'no limit'}; cap-drop ALL${h.CapAdd ? ` (cap-add ${h.CapAdd.join(', ')})` : ''}, no-new-privileges, read-only root, /tmp tmpfs`,
    ...(h.Mounts?.length
      ? [`  volumes (app.shared; created when missing, never removed): ${h.Mounts.map((m) => `${m.Source} at ${m.Target}`).join(', ')}`]
      : []),
    `  labels: ${Object.entries(spec.Labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `  env: ${spec.Env.map((e) => e.slice(0, e.indexOf('='))).join(' ')}`,
    ...(spec.Cmd ? [`  args: ${spec.Cmd.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`] : []),
  ];
  return lines;
}
