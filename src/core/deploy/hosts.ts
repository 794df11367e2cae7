// The hosts of an environment, for every command that works on them (doctor, lock,
// releases, later deploy): load the environment from godeploy.yaml, then connect to each
// host (host key verified, or recorded when accepted) and run a function on it, in parallel.
import { loadProject } from '../project';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { CancellationTokenLike } from '../cancellation';
import { assertDeployBase } from '../config/basePath';
import { embeddedDefaultEnvironment, environmentNamed, type EnvironmentConfig, type GoDeployConfig } from '../config/model';
import { GoDeployError, usageError } from '../errors';
import { buildGenerateModel, type GenerateModel } from '../generate/model';
import type { ModuleInspection } from '../gomod/inspect';
import { connect, type ConnectOptions } from '../remote/connection';
import { expandHome, resolveHost, type ResolvedHost } from '../remote/sshConfig';
import { recordedKeys } from './connectHosts';
import { type HostRunner, localRunner, remoteRunner } from './hostRunner';

export interface DeployEnvironment {
  name: string;
  env: EnvironmentConfig;
  config: GoDeployConfig;
  inspection: ModuleInspection;
  model: GenerateModel;
  /** The folder of godeploy.yaml: relative paths in it (identityFile, knownHostsFile) start here. */
  moduleDir: string;
  /** The base folder on the hosts (releases/, current, shared/, .godeploy/); for `type: local`, with ~ expanded on this machine. */
  base: string;
}

/** An environment of godeploy.yaml, of any type, with the module it deploys. */
export type LoadedEnvironment = Omit<DeployEnvironment, 'base'>;

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

/** The environment's knownHostsFile (relative to godeploy.yaml), else ~/.ssh/known_hosts. */
export function knownHostsFileOf(d: Pick<DeployEnvironment, 'env' | 'moduleDir'>): string {
  return d.env.knownHostsFile ? expandHome(d.env.knownHostsFile, d.moduleDir) : path.join(homedir(), '.ssh', 'known_hosts');
}

/** The environment's sshConfigFile (relative to godeploy.yaml), for `ssh -G -F`; undefined: OpenSSH's own ~/.ssh/config. */
export function sshConfigFileOf(d: Pick<DeployEnvironment, 'env' | 'moduleDir'>): string | undefined {
  return d.env.sshConfigFile ? expandHome(d.env.sshConfigFile, d.moduleDir) : undefined;
}

export interface HostTarget {
  alias: string;
  resolve(): Promise<ResolvedHost>;
}
export interface RemoteHostOptions {
  knownHostsFile: string;
  acceptNewHostKey: boolean;
  token?: CancellationTokenLike;
  timeoutMs?: number;
  /** For the ProxyJump hops (`ssh -G -F`): the environment's sshConfigFile. */
  sshConfigFile?: string;
  compression?: boolean;
  askPassphrase?: ConnectOptions['askPassphrase'];
}

/** A host `fn` runs on: its alias from godeploy.yaml, user@hostname:port (or "this machine"), a new host key it recorded. */
export interface ConnectedHost {
  alias: string;
  address: string;
  runner: HostRunner;
  newHostKey?: string;
}

/** What happened on one host: `fn`'s value, or the error of connecting (stage connect) or of `fn` (stage run). */
export type HostOutcome<T> =
  | { alias: string; address: string; ok: true; value: T; newHostKey?: string; knownHostsFile?: string }
  | { alias: string; address: string; ok: false; stage: 'connect' | 'run'; error: string; hint?: string; cause: unknown };

/** The outcome of a host (or engine) where connecting or the work failed. */
export const hostFailure = (alias: string, address: string, stage: 'connect' | 'run', e: unknown): HostOutcome<never> => ({
  alias,
  address,
  ok: false,
  stage,
  error: e instanceof Error ? e.message : String(e),
  hint: e instanceof GoDeployError ? e.hint : undefined,
  cause: e,
});

/** Connects to one host over ssh (an unknown key refused unless accepted), runs `fn`, closes. Never rejects. */
export async function withRemoteHost<T>(target: HostTarget, options: RemoteHostOptions, fn: (host: ConnectedHost) => Promise<T>): Promise<HostOutcome<T>> {
  let host: ResolvedHost | undefined;
  let recorded: string | undefined;
  let conn;
  try {
    host = await target.resolve();
    const resolvedHost = host;
    conn = await connect(host, {
      knownHostsFile: options.knownHostsFile,
      token: options.token,
      timeoutMs: options.timeoutMs,
      sshConfigFile: options.sshConfigFile,
      compression: options.compression,
      askPassphrase: options.askPassphrase,
      // Without the flag connect() refuses an unknown key itself, naming the fingerprint.
      onUnknownHostKey: options.acceptNewHostKey
        ? async (fingerprint, info) => {
            recorded = recordedKeys(recorded, resolvedHost, fingerprint, info);
            return true;
          }
        : undefined,
    });
  } catch (e) {
    return hostFailure(target.alias, host ? `${host.user}@${host.hostname}:${host.port}` : target.alias, 'connect', e);
  }
  const runner = remoteRunner(conn);
  try {
    return {
      alias: target.alias,
      address: runner.describe,
      ok: true,
      value: await fn({ alias: target.alias, address: runner.describe, runner, newHostKey: recorded }),
      newHostKey: recorded,
      knownHostsFile: options.knownHostsFile,
    };
  } catch (e) {
    return hostFailure(target.alias, runner.describe, 'run', e);
  } finally {
    conn.close();
  }
}

/** Runs `fn` on every host of an ssh environment in parallel (type local: once, on this machine, alias "local"). Never rejects. */
export async function forEachHost<T>(
  d: Pick<DeployEnvironment, 'env' | 'moduleDir'>,
  options: { acceptNewHostKey: boolean; token?: CancellationTokenLike; timeoutMs?: number },
  fn: (host: ConnectedHost) => Promise<T>,
): Promise<HostOutcome<T>[]> {
  if (d.env.type === 'local') {
    const runner = localRunner();
    try {
      return [{ alias: 'local', address: runner.describe, ok: true, value: await fn({ alias: 'local', address: runner.describe, runner }) }];
    } catch (e) {
      return [hostFailure('local', runner.describe, 'run', e)];
    }
  }
  const knownHostsFile = knownHostsFileOf(d);
  const sshConfigFile = sshConfigFileOf(d);
  return Promise.all(
    (d.env.hosts ?? []).map((h) =>
      withRemoteHost(
        { alias: h.host, resolve: () => resolveHost(h, { baseDir: d.moduleDir, configFile: sshConfigFile }) },
        {
          knownHostsFile,
          sshConfigFile,
          compression: d.env.compression === true,
          acceptNewHostKey: options.acceptNewHostKey,
          token: options.token,
          timeoutMs: options.timeoutMs,
        },
        fn,
      ),
    ),
  );
}
