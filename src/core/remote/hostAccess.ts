// The hosts of an environment, for every command that works on them (doctor, lock,
// releases, later deploy): load the environment from godeploy.yaml, then connect to each
// host (host key verified, or recorded when accepted) and run a function on it, in parallel.
import type { CancellationTokenLike } from '../cancellation';
import { connect, type ConnectOptions } from './connection';
import { resolveHost, type ResolvedHost } from './sshConfig';
import { recordedKeys } from './openHosts';
import { type HostRunner, localRunner, remoteRunner } from './hostRunner';
import { HostOutcome, hostFailure } from '../environment/types';
import { DeployEnvironment, knownHostsFileOf, sshConfigFileOf } from '../environment/load';

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
