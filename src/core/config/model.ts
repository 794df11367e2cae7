/**
 * The typed shape of godeploy.yaml, as the schema allows it (before defaults). The types are
 * generated from schemas/godeploy.schema.json into configTypes.ts (scripts/config-types.mjs);
 * here they get the names the rest of the code uses.
 */
import type {
  DockerConfig,
  DockerEnvironmentConfig,
  DockerImageConfig,
  EnvMap,
  HostConfig,
  EnvironmentConfig as TypedEnvironmentConfig,
  GoDeployConfig as SchemaConfig,
  HealthCheckConfig,
  KubernetesConfig,
  LocalEnvironmentConfig,
  NginxConfig,
  SshEnvironmentConfig,
} from './configTypes';
import type { HookConfig } from './configTypes';

export type {
  DockerConfig,
  DockerEnvironmentConfig,
  DockerImageConfig,
  EnvMap,
  HealthCheckConfig,
  HookConfig,
  HostConfig,
  KubernetesConfig,
  LocalEnvironmentConfig,
  NginxConfig,
  ProcessConfig,
  ReleaseFileConfig,
  SshEnvironmentConfig,
  SupervisorConfig,
  SystemdConfig,
} from './configTypes';

export type EnvValue = EnvMap[string];

export type HealthCheckType = NonNullable<HealthCheckConfig['type']>;
export const healthCheckTypes: readonly HealthCheckType[] = ['http', 'tcp', 'process'];

export type AppConfig = SchemaConfig['app'];
export type BuildConfig = NonNullable<SchemaConfig['build']>;

export type EnvironmentType = TypedEnvironmentConfig['type'];
export const environmentTypes: readonly EnvironmentType[] = ['local', 'ssh', 'docker'];

export type RuntimeKind = NonNullable<DockerImageConfig['runtime']>;
export const runtimeKinds: readonly RuntimeKind[] = ['distroless', 'scratch', 'alpine'];

export type NginxUpstreamConfig = NonNullable<NginxConfig['upstreams']>[number];
export type KubernetesResources = NonNullable<KubernetesConfig['requests']>;
export type HooksConfig = NonNullable<SshEnvironmentConfig['hooks']>;
export type RolloutConfig = NonNullable<SshEnvironmentConfig['rollout']>;
export type BlueGreenConfig = NonNullable<SshEnvironmentConfig['blueGreen']>;

/** An environment, by its type: each member has only the keys its type takes. */
export type { TypedEnvironmentConfig };

/**
 * Every key any environment type takes, each optional: for data not yet known to be valid
 * (the semantic rules), or a reader that looks at a key whatever the type.
 */
export type AnyEnvironmentConfig = { type: EnvironmentType } & Partial<
  Omit<SshEnvironmentConfig, 'type'> & Omit<LocalEnvironmentConfig, 'type'> & Omit<DockerEnvironmentConfig, 'type'>
>;

/** An environment: the union by type (SshEnvironmentConfig | LocalEnvironmentConfig | DockerEnvironmentConfig); narrow by `type` to read a key. */
export type EnvironmentConfig = TypedEnvironmentConfig;

export type GoDeployConfig = SchemaConfig;

/** The environment every config has unless it names its own. */
export const embeddedDefaultEnvironment: Readonly<Record<string, EnvironmentConfig>> = { dev: { type: 'local' } };

/** The names an environment's hosts go by: its ssh hosts' aliases, else "engine" (docker) or "local". */
export function hostNamesOf(env: EnvironmentConfig): string[] {
  if (env.type === 'ssh') return hostsOf(env).map((h) => h.host);
  return [env.type === 'docker' ? 'engine' : 'local'];
}

/** The hosts of an ssh environment; none for the other types (a `hosts` key there is ignored, validation warns). */
export function hostsOf(env: EnvironmentConfig): HostConfig[] {
  return env.type === 'ssh' ? (env.hosts ?? []) : [];
}

/** An ssh environment with only its host `alias`; any other environment as it is. */
export function withOnlyHost<E extends EnvironmentConfig>(env: E, alias: string): E {
  return env.type === 'ssh' ? { ...env, hosts: hostsOf(env).filter((h) => h.host === alias) } : env;
}

/** What runs the service: an ssh environment's processManager (default systemd); none for local (a process of the user) and docker (the engine). */
export function processManagerOf(env: EnvironmentConfig): 'systemd' | 'supervisor' | 'none' {
  return env.type === 'ssh' ? (env.processManager ?? 'systemd') : 'none';
}

/** The engine settings of a docker environment. */
export function dockerOf(env: EnvironmentConfig): DockerConfig | undefined {
  return env.type === 'docker' ? env.docker : undefined;
}

/** How a release replaces the live one: an ssh or docker environment's strategy (default restart); a local one restarts. */
export function strategyOf(env: EnvironmentConfig): 'restart' | 'blue-green' | 'canary' {
  return (env.type === 'local' ? undefined : env.strategy) ?? 'restart';
}

/** How a deploy goes over an ssh environment's hosts (local has one, docker its own rollout). */
/** One hook with its defaults: on every host (all) or once on the primary, or on the deploying machine (local). */
export interface Hook {
  run: string;
  on: 'all' | 'primary';
  local: boolean;
}

/** hooks.preDeploy and hooks.postDeploy of an environment, each entry with its defaults (none for docker). */
export function hooksOf(env: EnvironmentConfig): { preDeploy: Hook[]; postDeploy: Hook[] } {
  const hooks = env.type === 'docker' ? undefined : env.hooks;
  const norm = (h: HookConfig): Hook =>
    typeof h === 'string' ? { run: h, on: 'all', local: false } : { run: h.run, on: h.on ?? 'all', local: h.local ?? false };
  return { preDeploy: (hooks?.preDeploy ?? []).map(norm), postDeploy: (hooks?.postDeploy ?? []).map(norm) };
}

export function rolloutOf(env: EnvironmentConfig): RolloutConfig {
  return (env.type === 'ssh' ? env.rollout : undefined) ?? {};
}

/**
 * The environment `name` of the config (or of the embedded default): an own key only, so
 * names like "toString" or "__proto__" are unknown unless the file really defines them.
 */
export function environmentNamed(config: Pick<GoDeployConfig, 'environments'> | undefined, name: string): EnvironmentConfig | undefined {
  const environments: Readonly<Record<string, EnvironmentConfig>> = config?.environments ?? embeddedDefaultEnvironment;
  return Object.hasOwn(environments, name) ? environments[name] : undefined;
}
