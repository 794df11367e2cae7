// Loading an environment of godeploy.yaml with the module it deploys.
import { homedir } from 'node:os';
import * as path from 'node:path';
import {
  type DockerEnvironmentConfig,
  type EnvironmentConfig,
  type GoDeployConfig,
  type LocalEnvironmentConfig,
  type SshEnvironmentConfig,
  embeddedDefaultEnvironment,
  environmentNamed,
  hostsOf,
} from '../config/model';
import { type ModuleInspection } from '../gomod/inspect';
import { type GenerateModel, buildGenerateModel } from '../generate/model';
import { loadProject } from '../project';
import { usageError } from '../errors';
import { expandHome } from '../remote/sshConfig';
import { assertDeployBase } from '../config/basePath';

/** An environment of godeploy.yaml (of any type, unless E says which), with the module it deploys. */
export interface LoadedEnvironment<E extends EnvironmentConfig = EnvironmentConfig> {
  name: string;
  env: E;
  config: GoDeployConfig;
  inspection: ModuleInspection;
  model: GenerateModel;
  /** The folder of godeploy.yaml: relative paths in it (identityFile, knownHostsFile) start here. */
  moduleDir: string;
}

/** A loaded ssh or local environment, the hosts target's. */
export interface DeployEnvironment extends LoadedEnvironment<SshEnvironmentConfig | LocalEnvironmentConfig> {
  /** The base folder on the hosts (releases/, current, shared/, .godeploy/); for `type: local`, with ~ expanded on this machine. */
  base: string;
}

/** A loaded docker environment, the docker target's. */
export type DockerLoadedEnvironment = LoadedEnvironment<DockerEnvironmentConfig>;

/** godeploy.yaml's environment `envName` of any type, for `command` (named in the errors). */
export async function loadEnvironment(configFile: { file: string; exists: boolean }, envName: string | undefined, command: string): Promise<LoadedEnvironment> {
  const { moduleDir, inspection, config } = await loadProject(configFile);
  const environments = config.environments ?? embeddedDefaultEnvironment;
  if (!envName) throw usageError(`${command}: which environment?`, `environments: ${Object.keys(environments).join(', ') || '(none)'}`);
  const model = buildGenerateModel(config, inspection, { environment: envName });
  return { name: envName, env: environmentNamed(config, envName)!, config, inspection, model, moduleDir };
}

/** godeploy.yaml's environment `envName`, for `command` (named in the errors): ssh or local, with hosts. */
export async function loadDeployEnvironment(
  configFile: { file: string; exists: boolean },
  envName: string | undefined,
  command: string,
): Promise<DeployEnvironment> {
  return deployEnvironmentOf(await loadEnvironment(configFile, envName, command), command);
}

/** A loaded ssh or local environment with its base folder; a docker one is refused for `command`. */
export function deployEnvironmentOf(loaded: LoadedEnvironment, command: string): DeployEnvironment {
  const { name: envName, env, config, inspection, model, moduleDir } = loaded;
  if (env.type === 'docker')
    throw usageError(`${command} works on the hosts of an ssh or local environment; "${envName}" is a docker environment`, 'use an ssh or local environment');
  if (env.type === 'ssh' && !env.hosts?.length)
    throw usageError(`environment "${envName}" has no hosts`, `add hosts to environments.${envName} in godeploy.yaml`);
  const base = env.type === 'local' ? expandHome(model.paths.base, moduleDir) : model.paths.base;
  for (const p of new Set([model.paths.base, base])) assertDeployBase(p, `environments.${envName}.path ${JSON.stringify(p)}`);
  return { name: envName, env, config, inspection, model, moduleDir, base };
}

/** A loaded docker environment; another type is refused for `command` (core/operations sends only docker environments to the docker target). */
export function dockerEnvironmentOf(loaded: LoadedEnvironment, command: string): DockerLoadedEnvironment {
  const { env } = loaded;
  if (env.type !== 'docker') throw usageError(`${command} works on a docker environment; "${loaded.name}" is of type ${env.type}`);
  return { ...loaded, env };
}

/** The environment's knownHostsFile (relative to godeploy.yaml), else ~/.ssh/known_hosts. ssh and docker (an ssh:// engine) environments have one. */
export function knownHostsFileOf(d: Pick<LoadedEnvironment, 'env' | 'moduleDir'>): string {
  const file = d.env.type === 'local' ? undefined : d.env.knownHostsFile;
  return file ? expandHome(file, d.moduleDir) : path.join(homedir(), '.ssh', 'known_hosts');
}

/** The environment's sshConfigFile (relative to godeploy.yaml), for `ssh -G -F`; undefined: OpenSSH's own ~/.ssh/config. */
export function sshConfigFileOf(d: Pick<LoadedEnvironment, 'env' | 'moduleDir'>): string | undefined {
  const file = d.env.type === 'local' ? undefined : d.env.sshConfigFile;
  return file ? expandHome(file, d.moduleDir) : undefined;
}

/** "ssh · 2 hosts", "local", "docker": an environment's kind as the editor's pickers show it. */
export function environmentKindLabel(env: EnvironmentConfig): string {
  const hosts = hostsOf(env).length;
  return env.type === 'ssh' ? `ssh · ${hosts} host${hosts === 1 ? '' : 's'}` : env.type;
}

/** "ssh · web1, web2", "ssh · 5 hosts", "local · ~/svc", "docker": an environment in a quick pick. */
export function describeEnvironment(env: EnvironmentConfig): string {
  if (env.type === 'ssh') {
    const hosts = hostsOf(env).map((h) => h.host);
    return `ssh · ${hosts.length <= 3 ? hosts.join(', ') : `${hosts.length} hosts`}`;
  }
  return env.type === 'local' ? `local · ${env.path ?? 'this machine'}` : env.type;
}
