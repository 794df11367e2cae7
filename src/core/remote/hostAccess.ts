// Running work on the hosts of an environment: on one host (withRemoteHost), or on every
// host of an ssh or local environment in parallel through the connections a deploy opens
// (onOpenedHosts), closing them after. Neither rejects for a host's sake.
import type { CancellationTokenLike } from '../cancellation';
import { connect, type ConnectOptions } from './connection';
import { type ResolvedHost } from './sshConfig';
import { openHosts, recordedKeys, type DeployHost, type OpenHostOptions } from './openHosts';
import { type HostRunner, remoteRunner } from './hostRunner';
import { HostOutcome, hostFailure } from '../environment/types';
import { DeployEnvironment, knownHostsFileOf } from '../environment/load';

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

/**
 * Runs `fn` on every host of an ssh or local environment in parallel, through the
 * connections a deploy opens (`options`: host keys asked about or accepted, passphrases,
 * cancellation), then closes them. Never rejects for a host's sake.
 */
export async function onOpenedHosts<T>(
  d: Pick<DeployEnvironment, 'env' | 'moduleDir'>,
  options: OpenHostOptions,
  fn: (host: DeployHost) => Promise<T>,
): Promise<HostOutcome<T>[]> {
  const opened = await openHosts(d, options);
  const knownHostsFile = d.env.type === 'local' ? undefined : knownHostsFileOf(d);
  try {
    return await Promise.all(
      opened.map(async (o): Promise<HostOutcome<T>> => {
        if (!o.ok) return hostFailure(o.alias, o.address, 'connect', o.error);
        try {
          return { alias: o.alias, address: o.host.address, ok: true, value: await fn(o.host), newHostKey: o.newHostKey, knownHostsFile };
        } catch (e) {
          return hostFailure(o.alias, o.host.address, 'run', e);
        }
      }),
    );
  } finally {
    for (const o of opened) if (o.ok) o.close();
  }
}
