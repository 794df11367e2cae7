import type { CancellationToken } from 'vscode';
import type { DeployEnvironment, DeployHost, OpenHostOptions } from '../../core/index';
import { loadEngine } from '../engine';

/** What happened on one host: `fn`'s value, or why it could not run there. */
export type HostRun<T> =
  { host: string; address: string; ok: true; value: T; newHostKey?: string } | { host: string; address: string; ok: false; error: string; hint?: string };

/**
 * Runs `fn` on every host of the environment in parallel (type local: this machine, host
 * "local"), through the same connections a deploy opens, so an unknown host key is asked
 * about the same way. Never rejects for a host's failure.
 */
export async function onEnvironmentHosts<T>(
  d: DeployEnvironment,
  options: Omit<OpenHostOptions, 'token'>,
  token: CancellationToken | undefined,
  fn: (host: DeployHost) => Promise<T>,
): Promise<HostRun<T>[]> {
  const { openHosts, isGoDeployError } = loadEngine();
  const opened = await openHosts(d, { ...options, token });
  try {
    return await Promise.all(
      opened.map(async (o): Promise<HostRun<T>> => {
        if (!o.ok) return { host: o.alias, address: o.address, ok: false, error: o.error.message, hint: o.error.hint };
        try {
          return { host: o.alias, address: o.host.address, ok: true, value: await fn(o.host), newHostKey: o.newHostKey };
        } catch (e) {
          return {
            host: o.alias,
            address: o.host.address,
            ok: false,
            error: e instanceof Error ? e.message : String(e),
            hint: isGoDeployError(e) ? e.hint : undefined,
          };
        }
      }),
    );
  } finally {
    for (const o of opened) if (o.ok) o.close();
  }
}
