// One ssh2 connection per host: host key verified against known_hosts before any
// authentication, then reused for exec, SFTP uploads and local port forwarding.
import { Client } from 'ssh2';
import type { CancellationTokenLike } from '../cancellation';
import { GoDeployError } from '../errors';
import { planAuth } from './auth';
import { appendKnownHost, fingerprintSha256, hostKeyName, keyTypeOf, lookup, type KnownHostStatus } from './knownHosts';
import { openSession, type RemoteConnection } from './session';
import type { ResolvedHost } from './sshConfig';

export type { ExecOptions, ExecResult, RemoteConnection } from './session';

export interface ConnectOptions {
  /** The environment's known_hosts file (absolute). */
  knownHostsFile: string;
  /** CLI `--accept-new-host-key`: trust and record a host key seen for the first time. */
  acceptNewHostKey?: boolean;
  /** The editor asks the user, showing the fingerprint; true trusts and records the key. */
  onUnknownHostKey?: (fingerprint: string, info: { host: string; port: number; keyType: string }) => Promise<boolean>;
  /** Passphrase for encrypted identity files; else GODEPLOY_SSH_PASSPHRASE. Never logged. */
  passphrase?: string;
  token?: CancellationTokenLike;
  /** TCP connect + handshake + authentication, not counting time spent asking the user. Default 20 s. */
  timeoutMs?: number;
}

function hostKeyError(name: string, entryName: string, r: Exclude<KnownHostStatus, { status: 'known' | 'unknown' }>): GoDeployError {
  const where = `${r.file}:${r.line}`;
  if (r.status === 'revoked') {
    return new GoDeployError(`the host key of ${name} (${r.fingerprint}) is marked @revoked in ${where}; refusing to connect`, {
      hint: 'the host must get a new host key; do not remove the @revoked line unless you know why it is there',
    });
  }
  return new GoDeployError(`the host key of ${name} has CHANGED: it now presents ${r.fingerprint}, which does not match ${where}; refusing to connect`, {
    hint: `someone may be intercepting the connection, or the host was reinstalled. Check the fingerprint with the host's administrator; if it is right, delete line ${r.line} of ${r.file} (or run \`ssh-keygen -R '${entryName}' -f ${r.file}\`) and connect again`,
  });
}

function networkError(e: NodeJS.ErrnoException & { level?: string }, name: string): GoDeployError {
  switch (e.code) {
    case 'ECONNREFUSED':
      return new GoDeployError(`could not connect to ${name}: connection refused`, { hint: 'check that sshd runs on the host and the port is right (port in godeploy.yaml, or Port in ~/.ssh/config)', cause: e });
    case 'ENOTFOUND': case 'EAI_AGAIN':
      return new GoDeployError(`could not connect to ${name}: host name not found`, { hint: 'check the host name in godeploy.yaml (or HostName in ~/.ssh/config)', cause: e });
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH':
      return new GoDeployError(`could not connect to ${name}: ${e.code === 'ETIMEDOUT' ? 'timed out' : 'host unreachable'}`, { hint: 'check the network path and firewall to the host', cause: e });
    default:
      return new GoDeployError(`ssh connection to ${name} failed: ${e.message}`, { cause: e });
  }
}

/** Connects, verifies the host key, authenticates; rejects with a GoDeployError that says what to do. */
export function connect(host: ResolvedHost, options: ConnectOptions): Promise<RemoteConnection> {
  const name = `${host.hostname}:${host.port}`;
  if (host.proxyJump) {
    return Promise.reject(new GoDeployError(`${host.alias} uses ProxyJump ${host.proxyJump} (from ~/.ssh/config), which Go Deploy does not support yet`, {
      hint: 'deploy from a machine that reaches the host directly',
    }));
  }
  const token = options.token;
  if (token?.isCancellationRequested) return Promise.reject(new GoDeployError('cancelled'));
  const auth = planAuth(host, options.passphrase);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const client = new Client();

  return new Promise<RemoteConnection>((resolve, reject) => {
    let settled = false;
    let failure: GoDeployError | undefined;
    let timer: NodeJS.Timeout | undefined;
    const armTimer = (): void => {
      timer = setTimeout(() => fail(new GoDeployError(`could not connect to ${name}: timed out after ${Math.round(timeoutMs / 1000)} s`, {
        hint: 'check that the host is up and that sshd listens on that port (a firewall may drop the packets)',
      })), timeoutMs);
    };
    const cancel = token?.onCancellationRequested(() => fail(new GoDeployError('cancelled')));
    const done = (): void => { settled = true; clearTimeout(timer); cancel?.dispose(); };
    function fail(e: GoDeployError): void {
      if (settled) return;
      done();
      client.removeAllListeners('ready');
      client.on('error', () => { /* after failure */ });
      client.destroy();
      reject(e);
    }

    const verify = async (key: Buffer): Promise<boolean> => {
      const keyType = keyTypeOf(key);
      const r = lookup(options.knownHostsFile, host.hostname, host.port, keyType, key);
      if (r.status === 'known') return true;
      if (r.status === 'changed' || r.status === 'revoked') { failure = hostKeyError(name, hostKeyName(host.hostname, host.port), r); return false; }
      const fingerprint = fingerprintSha256(key);
      let accept = false;
      if (options.onUnknownHostKey) {
        clearTimeout(timer);
        try { accept = await options.onUnknownHostKey(fingerprint, { host: host.hostname, port: host.port, keyType }); } finally { if (!settled) armTimer(); }
        if (!accept) failure = new GoDeployError(`the host key of ${name} (${keyType} ${fingerprint}) was not accepted; not connecting`);
      } else if (options.acceptNewHostKey) {
        accept = true;
      } else {
        failure = new GoDeployError(`the host key of ${name} is not known: ${keyType} ${fingerprint} (not in ${options.knownHostsFile}); refusing to connect`, {
          hint: `check that fingerprint with the host's administrator (on the host: \`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-/, '').replace(/^ecdsa-.*/, 'ecdsa')}_key.pub\`), then run again with --accept-new-host-key to record it`,
        });
      }
      if (accept) {
        try { appendKnownHost(options.knownHostsFile, host.hostname, host.port, keyType, key); } catch (e) {
          failure = new GoDeployError(`could not record the host key of ${name} in ${options.knownHostsFile}: ${(e as Error).message}`, { cause: e });
          return false;
        }
      }
      return accept;
    };

    client.on('ready', () => {
      if (settled) return;
      done();
      // Small SSH packets (each exec's request and reply) otherwise wait on Nagle's algorithm
      // against delayed ACKs: about 40 ms per command, measured by the deploy benchmark.
      client.setNoDelay(true);
      resolve(openSession(client, host));
    });
    client.on('error', (e: NodeJS.ErrnoException & { level?: string }) => {
      if (failure) return fail(failure);
      if (e.level === 'client-authentication') {
        const tried = auth.tried.length ? auth.tried.join(', ') : 'nothing (no identity file or ssh-agent available)';
        return fail(new GoDeployError(`authentication as ${host.user} on ${name} failed; tried: ${tried}${auth.skipped.length ? `; skipped: ${auth.skipped.join(', ')}` : ''}`, {
          hint: `add the public key to ~${host.user}/.ssh/authorized_keys on the host, or set identityFile for this host in godeploy.yaml (or IdentityFile in ~/.ssh/config)`,
        }));
      }
      fail(networkError(e, name));
    });
    client.on('close', () => fail(failure ?? new GoDeployError(`ssh connection to ${name} closed during the handshake`)));

    armTimer();
    client.connect({
      host: host.hostname,
      port: host.port,
      username: host.user,
      readyTimeout: 0,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer, callback: (ok: boolean) => void) => {
        verify(key).then(callback, (e: unknown) => { failure = new GoDeployError(`host key check for ${name} failed: ${(e as Error).message}`); callback(false); });
      },
      authHandler: auth.handler,
    });
  });
}
