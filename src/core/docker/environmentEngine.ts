// The engine of a docker environment, connected: for an ssh:// engine, first the ssh
// connection to its host, opened exactly as a deploy opens an ssh host (ssh_config through
// `ssh -G`, identity files, the environment's knownHostsFile, an unknown host key refused
// unless accepted), then the engine through it. The caller closes the engine.
import { GoDeployError } from '../errors';
import { openHosts, type OpenHostOptions } from '../deploy/connectHosts';
import type { LoadedEnvironment } from '../deploy/hosts';
import { environmentEngineAddress, openEngine, type Engine } from './engine';

export interface EngineOpenOptions extends OpenHostOptions {
  /** Where DOCKER_HOST and the TLS variables are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Called with the host key recorded for an ssh engine's host (accepted as new). */
  onNewHostKey?: (key: string) => void;
}

export async function openEnvironmentEngine(e: Pick<LoadedEnvironment, 'name' | 'env' | 'moduleDir'>, options: EngineOpenOptions = {}): Promise<Engine> {
  const address = environmentEngineAddress(e, options.env ?? process.env);
  if (address.kind !== 'ssh') return openEngine(address, { env: options.env });
  const [opened] = await openHosts({ env: { ...e.env, type: 'ssh', hosts: [{ host: address.host!, port: address.port, user: address.user }] }, moduleDir: e.moduleDir }, options);
  if (!opened.ok) {
    throw new GoDeployError(`the Docker engine at ${address.url} (${address.from}): ${opened.error.message}`, { hint: opened.error.hint, cause: opened.error });
  }
  if (opened.newHostKey) options.onNewHostKey?.(opened.newHostKey);
  return openEngine(address, { env: options.env, tunnel: { runner: opened.host.runner, close: opened.close } });
}
