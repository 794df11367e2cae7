/** The typed shape of godeploy.yaml, as the schema allows it (before defaults). */

export type EnvValue = string | number | boolean;
export type EnvMap = Record<string, EnvValue>;

export type HealthCheckType = 'http' | 'tcp' | 'process';
export const healthCheckTypes: readonly HealthCheckType[] = ['http', 'tcp', 'process'];

export interface HealthCheckConfig {
  /** http (default): GET path answers 2xx; tcp: the port accepts a connection; process: the process stays up for `for`. */
  type?: HealthCheckType;
  path?: string;
  /** type process: how long the process must stay up (default 5s). */
  for?: string;
  timeout?: string;
  interval?: string;
}

export interface AppConfig {
  name?: string;
  main?: string;
  /** Arguments after the executable; an environment's `args` replaces them. */
  args?: string[];
  port?: number;
  /** Environment variable the port reaches the service as (default PORT, unless portFlag is set). */
  portEnv?: string;
  /** Flag the port reaches the service as: `-port` (→ -port=8080) or `--listen=:{port}`. */
  portFlag?: string;
  healthCheck?: HealthCheckConfig;
  env?: EnvMap;
}

export interface BuildConfig {
  targets?: string[];
  ldflags?: string;
  tags?: string[];
  /** C compiler per target id, for cgo modules. */
  cc?: Record<string, string>;
}

export interface HostConfig {
  host: string;
  port?: number;
  user?: string;
  identityFile?: string;
}

export type EnvironmentType = 'local' | 'ssh' | 'docker';
export const environmentTypes: readonly EnvironmentType[] = ['local', 'ssh', 'docker'];

export type RuntimeKind = 'distroless' | 'scratch' | 'alpine';
export const runtimeKinds: readonly RuntimeKind[] = ['distroless', 'scratch', 'alpine'];

/** How images are built: top-level `docker:` and the image keys of an environment's `docker:`. */
export interface DockerImageConfig {
  runtime?: RuntimeKind;
  buildkit?: boolean;
  builderImage?: string;
  runtimeImage?: string;
}

export interface SystemdConfig {
  user?: string;
  memoryMax?: string;
  goMaxProcs?: number;
  limitNOFILE?: number;
  stopTimeout?: string;
  version?: number;
}

export interface NginxUpstreamConfig {
  address: string;
  weight?: number;
  backup?: boolean;
}

export interface NginxConfig {
  serverName?: string;
  listen?: number;
  version?: string;
  tls?: { certificate?: string; certificateKey?: string; certbot?: boolean; listen?: number; hsts?: boolean };
  realIpFrom?: string[];
  balance?: 'round-robin' | 'least_conn';
  upstreams?: NginxUpstreamConfig[];
  clientMaxBodySize?: string;
}

export interface SupervisorConfig {
  user?: string;
  logDir?: string;
  stopTimeout?: string;
  configFile?: string;
}

export interface KubernetesResources {
  cpu?: string;
  memory?: string;
}

export interface KubernetesConfig {
  image?: string;
  namespace?: string;
  replicas?: number;
  requests?: KubernetesResources;
  limits?: KubernetesResources;
  ingress?: { host: string; className?: string; tlsSecret?: string };
  autoscaling?: { minReplicas?: number; maxReplicas?: number; targetCPU?: number };
}

export interface DockerConfig extends DockerImageConfig {
  host?: string;
  network?: 'bridge' | 'host';
  mode?: 'container' | 'swarm';
  /** swarm: tasks of the service (default 2), publish app.port through the routing mesh (default true), an overlay network to join. */
  replicas?: number;
  publish?: boolean;
  overlayNetwork?: string;
  registry?: string;
  /** Credentials for the registry: the user (literal or reference) and a ${secret:…}/${env:…} reference. */
  registryUser?: string;
  registryPassword?: string;
  build?: 'binary' | 'dockerfile';
  /** Memory limit of the container (512M, 2G); GOMEMLIMIT is 90% of it. */
  memory?: string;
  restart?: 'unless-stopped' | 'always' | 'on-failure' | 'no';
  /** json-file log rotation: max-size (10m) and max-file (3). */
  logMaxSize?: string;
  logMaxFiles?: number;
}

export interface HooksConfig {
  preDeploy?: string[];
  postDeploy?: string[];
}

export interface RolloutConfig {
  parallel?: number;
  batch?: number;
}

export interface EnvironmentConfig {
  type: EnvironmentType;
  hosts?: HostConfig[];
  knownHostsFile?: string;
  /** ssh_config file read by `ssh -G -F` for this environment's hosts (and their ProxyJump hops), relative to godeploy.yaml. */
  sshConfigFile?: string;
  /** Negotiate zlib compression on the SSH connections (slow links). */
  compression?: boolean;
  /** Send only the chunks of a new executable that the live one lacks (default true). */
  deltaUpload?: boolean;
  path?: string;
  processManager?: 'systemd' | 'supervisor' | 'none';
  keepReleases?: number;
  strategy?: 'restart' | 'blue-green';
  blueGreen?: { ports?: [number, number] };
  rollout?: RolloutConfig;
  hooks?: HooksConfig;
  healthCheck?: HealthCheckConfig;
  env?: EnvMap;
  /** Replaces app.args in this environment. */
  args?: string[];
  docker?: DockerConfig;
  systemd?: SystemdConfig;
  nginx?: NginxConfig;
  supervisor?: SupervisorConfig;
}

export interface GoDeployConfig {
  app: AppConfig;
  build?: BuildConfig;
  templates?: string;
  docker?: DockerImageConfig;
  systemd?: SystemdConfig;
  nginx?: NginxConfig;
  supervisor?: SupervisorConfig;
  kubernetes?: KubernetesConfig;
  environments?: Record<string, EnvironmentConfig>;
}

/** The environment every config has unless it names its own. */
export const embeddedDefaultEnvironment: Readonly<Record<string, EnvironmentConfig>> = { dev: { type: 'local' } };

/** The names an environment's hosts go by: its ssh hosts' aliases, else "engine" (docker) or "local". */
export function hostNamesOf(env: EnvironmentConfig): string[] {
  if (env.type === 'ssh') return (env.hosts ?? []).map((h) => h.host);
  return [env.type === 'docker' ? 'engine' : 'local'];
}

/**
 * The environment `name` of the config (or of the embedded default): an own key only, so
 * names like "toString" or "__proto__" are unknown unless the file really defines them.
 */
export function environmentNamed(config: Pick<GoDeployConfig, 'environments'> | undefined, name: string): EnvironmentConfig | undefined {
  const environments: Readonly<Record<string, EnvironmentConfig>> = config?.environments ?? embeddedDefaultEnvironment;
  return Object.hasOwn(environments, name) ? environments[name] : undefined;
}
