// The engine of a docker environment, connected: for an ssh:// engine, first the ssh
// connection to its host, opened exactly as a deploy opens an ssh host (ssh_config through
// `ssh -G`, identity files, the environment's knownHostsFile, an unknown host key refused
// unless accepted), then the engine through it. The caller closes the engine, or lets
// onEnvironmentEngine open, use and close it.
import { GoDeployError } from '../../errors';
import { openHosts, type OpenHostOptions } from '../../remote/openHosts';
import { type LoadedEnvironment } from '../../environment/load';
import { hostFailure, type HostOutcome } from '../../environment/types';
import { environmentEngineAddress, openEngine, type Engine } from './engine';

/** The alias of a docker environment's engine where hosts have theirs. */
export const ENGINE_ALIAS = 'engine';

export interface EngineOpenOptions extends OpenHostOptions {
  /** Where DOCKER_HOST and the TLS variables are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Called with the host key recorded for an ssh engine's host (accepted as new). */
  onNewHostKey?: (key: string) => void;
}

export async function openEnvironmentEngine(e: Pick<LoadedEnvironment, 'name' | 'env' | 'moduleDir'>, options: EngineOpenOptions = {}): Promise<Engine> {
  const address = environmentEngineAddress(e, options.env ?? process.env);
  if (address.kind !== 'ssh') return openEngine(address, { env: options.env });
  const [opened] = await openHosts(
    { env: { ...e.env, type: 'ssh', hosts: [{ host: address.host!, port: address.port, user: address.user }] }, moduleDir: e.moduleDir },
    options,
  );
  if (!opened.ok) {
    throw new GoDeployError(`the Docker engine at ${address.url} (${address.from}): ${opened.error.message}`, { hint: opened.error.hint, cause: opened.error });
  }
  if (opened.newHostKey) options.onNewHostKey?.(opened.newHostKey);
  return openEngine(address, { env: options.env, tunnel: { runner: opened.host.runner, close: opened.close } });
}

/**
 * Opens the environment's engine, runs `fn` on it and closes it. Never rejects for the
 * engine's sake: not reaching it (stage connect) or `fn` failing (stage run) is the outcome,
 * as forEachHost reports a host.
 */
export async function onEnvironmentEngine<T>(
  e: Pick<LoadedEnvironment, 'name' | 'env' | 'moduleDir'>,
  options: EngineOpenOptions,
  fn: (engine: Engine) => Promise<T>,
): Promise<HostOutcome<T>> {
  const address = environmentEngineAddress(e, options.env ?? process.env).url;
  let engine: Engine;
  try {
    engine = await openEnvironmentEngine(e, options);
  } catch (err) {
    return hostFailure(ENGINE_ALIAS, address, 'connect', err);
  }
  try {
    return { alias: ENGINE_ALIAS, address, ok: true, value: await fn(engine) };
  } catch (err) {
    return hostFailure(ENGINE_ALIAS, address, 'run', err);
  } finally {
    engine.close();
  }
}
