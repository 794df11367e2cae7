/** The typed shape of godeploy.yaml, as the schema allows it (before defaults). */

export type EnvValue = string | number | boolean;
export type EnvMap = Record<string, EnvValue>;

export interface HealthCheckConfig {
  path?: string;
  timeout?: string;
  interval?: string;
}

export interface AppConfig {
  name?: string;
  main?: string;
  port?: number;
  healthCheck?: HealthCheckConfig;
  env?: EnvMap;
}

export interface BuildConfig {
  targets?: string[];
  ldflags?: string;
  tags?: string[];
}

export interface HostConfig {
  host: string;
  port?: number;
  user?: string;
  identityFile?: string;
}

export type EnvironmentType = 'local' | 'ssh' | 'docker';
export const environmentTypes: readonly EnvironmentType[] = ['local', 'ssh', 'docker'];

export interface DockerConfig {
  host?: string;
  network?: 'bridge' | 'host';
  mode?: 'container' | 'swarm';
  registry?: string;
  runtime?: 'distroless' | 'scratch' | 'alpine';
  build?: 'binary' | 'dockerfile';
}

export interface EnvironmentConfig {
  type: EnvironmentType;
  hosts?: HostConfig[];
  knownHostsFile?: string;
  path?: string;
  processManager?: 'systemd' | 'supervisor' | 'none';
  keepReleases?: number;
  env?: EnvMap;
  docker?: DockerConfig;
}

export interface GoDeployConfig {
  app: AppConfig;
  build?: BuildConfig;
  environments?: Record<string, EnvironmentConfig>;
}

/** The environment every config has unless it names its own. */
export const embeddedDefaultEnvironment: Readonly<Record<string, EnvironmentConfig>> = { dev: { type: 'local' } };
