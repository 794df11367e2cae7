// One ssh2 connection per host: host key verified against known_hosts before any
// authentication (for every jump host on the way too), then reused for exec, SFTP uploads
// and local port forwarding.
import { GoDeployError } from '../errors';
import { openClient, type ConnectOptions } from './client';
import { openThroughJumps } from './jump';
import { openSession, type RemoteConnection } from './session';
import type { ResolvedHost } from './sshConfig';

export type { ConnectOptions } from './client';
export type { ExecOptions, ExecResult, RemoteConnection } from './session';

/**
 * Connects, verifies the host key, authenticates; rejects with a GoDeployError that says
 * what to do. A host with a ProxyJump (from ssh_config, as `ssh -G` resolved it) is reached
 * through its jump hosts, each resolved with `ssh -G` (options.sshConfigFile) and verified
 * against the same known_hosts; closing the connection closes the whole chain.
 */
export async function connect(host: ResolvedHost, options: ConnectOptions): Promise<RemoteConnection> {
  if (options.token?.isCancellationRequested) throw new GoDeployError('cancelled');
  if (!host.proxyJump) {
    const opened = await openClient(host, options);
    return openSession(opened.client, host, { negotiated: opened.negotiated });
  }
  const { target, jumps, closeJumps } = await openThroughJumps(host, options);
  target.client.once('close', closeJumps);
  return openSession(target.client, host, { negotiated: target.negotiated, via: jumps.map((j) => j.alias) });
}
