// One authenticated ssh2 Client to one host, over TCP or over a stream tunnelled through a
// jump host: the host key verified against known_hosts before any authentication.
import type { Duplex } from 'node:stream';
import { Client, type NegotiatedAlgorithms } from 'ssh2';
import type { CancellationTokenLike } from '../cancellation';
import { GoDeployError } from '../errors';
import { planAuth } from './auth';
import { appendKnownHost, fingerprintSha256, hostKeyName, keyTypeOf, lookup, type KnownHostStatus } from './knownHosts';
import type { ResolvedHost } from './sshConfig';

export interface ConnectOptions {
  /** The environment's known_hosts file (absolute); jump hosts are checked against it too. */
  knownHostsFile: string;
  /** CLI `--accept-new-host-key`: trust and record a host key seen for the first time. */
  acceptNewHostKey?: boolean;
  /** The editor asks the user, showing the fingerprint; true trusts and records the key. */
  onUnknownHostKey?: (fingerprint: string, info: { host: string; port: number; keyType: string }) => Promise<boolean>;
  /** Passphrase for encrypted identity files; else GODEPLOY_SSH_PASSPHRASE. Never logged. */
  passphrase?: string;
  /**
   * Asked for the passphrase of an encrypted identity file that neither `passphrase` nor
   * GODEPLOY_SSH_PASSPHRASE decrypts (a key ssh-agent already let in is never opened).
   * Asked again after a wrong answer (attempt 2, 3), then the connection fails naming the
   * file. undefined skips that key. Time spent here does not count against timeoutMs.
   */
  askPassphrase?: (keyFile: string, attempt: number) => Promise<string | undefined>;
  /** Told when an answer of askPassphrase decrypted the key, so the caller may keep it. */
  onPassphraseAccepted?: (keyFile: string, passphrase: string) => void;
  /** The ssh_config file `ssh -G -F` reads for the ProxyJump hops (default: OpenSSH's own ~/.ssh/config). */
  sshConfigFile?: string;
  /** Offer zlib@openssh.com (then zlib) compression to the target, for slow links. */
  compression?: boolean;
  token?: CancellationTokenLike;
  /** TCP connect + handshake + authentication per hop, not counting time spent asking the user. Default 20 s. */
  timeoutMs?: number;
}

/** An authenticated client and what the last key exchange agreed on. */
export interface OpenedClient {
  client: Client;
  negotiated(): NegotiatedAlgorithms | undefined;
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
      return new GoDeployError(`could not connect to ${name}: connection refused`, {
        hint: 'check that sshd runs on the host and the port is right (port in godeploy.yaml, or Port in ~/.ssh/config)',
        cause: e,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new GoDeployError(`could not connect to ${name}: host name not found`, {
        hint: 'check the host name in godeploy.yaml (or HostName in ~/.ssh/config)',
        cause: e,
      });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new GoDeployError(`could not connect to ${name}: ${e.code === 'ETIMEDOUT' ? 'timed out' : 'host unreachable'}`, {
        hint: 'check the network path and firewall to the host',
        cause: e,
      });
    default:
      return new GoDeployError(`ssh connection to ${name} failed: ${e.message}`, { cause: e });
  }
}

/** zlib@openssh.com starts after authentication (what OpenSSH servers offer by default); none stays as the fallback. */
const COMPRESSION = ['zlib@openssh.com', 'zlib', 'none'] as const;

/**
 * Connects to `host` (over `sock` when given: a channel through a jump host), verifies the
 * host key under the host's own name, authenticates; rejects with a GoDeployError that says
 * what to do, naming `hostname:port`.
 */
export function openClient(host: ResolvedHost, options: ConnectOptions, sock?: Duplex): Promise<OpenedClient> {
  const name = `${host.hostname}:${host.port}`;
  const token = options.token;
  if (token?.isCancellationRequested) return Promise.reject(new GoDeployError('cancelled'));
  const timeoutMs = options.timeoutMs ?? 20_000;
  const client = new Client();
  let negotiated: NegotiatedAlgorithms | undefined;
  client.on('handshake', (n: NegotiatedAlgorithms) => {
    negotiated = n;
  });

  return new Promise<OpenedClient>((resolve, reject) => {
    let settled = false;
    let failure: GoDeployError | undefined;
    let timer: NodeJS.Timeout | undefined;
    const armTimer = (): void => {
      timer = setTimeout(
        () =>
          fail(
            new GoDeployError(`could not connect to ${name}: timed out after ${Math.round(timeoutMs / 1000)} s`, {
              hint: 'check that the host is up and that sshd listens on that port (a firewall may drop the packets)',
            }),
          ),
        timeoutMs,
      );
    };
    /** Time the user spends answering does not count against the timeout. */
    const whileAsking = async <T>(ask: () => Promise<T>): Promise<T> => {
      clearTimeout(timer);
      try {
        return await ask();
      } finally {
        if (!settled) armTimer();
      }
    };
    const auth = planAuth(host, {
      passphrase: options.passphrase,
      askPassphrase: options.askPassphrase,
      onPassphraseAccepted: options.onPassphraseAccepted,
      whileAsking,
    });
    const cancel = token?.onCancellationRequested(() => fail(new GoDeployError('cancelled')));
    const done = (): void => {
      settled = true;
      clearTimeout(timer);
      cancel?.dispose();
    };
    function fail(e: GoDeployError): void {
      if (settled) return;
      done();
      client.removeAllListeners('ready');
      client.on('error', () => {
        /* after failure */
      });
      client.destroy();
      sock?.destroy();
      reject(e);
    }

    const verify = async (key: Buffer): Promise<boolean> => {
      const keyType = keyTypeOf(key);
      const r = lookup(options.knownHostsFile, host.hostname, host.port, keyType, key);
      if (r.status === 'known') return true;
      if (r.status === 'changed' || r.status === 'revoked') {
        failure = hostKeyError(name, hostKeyName(host.hostname, host.port), r);
        return false;
      }
      const fingerprint = fingerprintSha256(key);
      let accept = false;
      if (options.onUnknownHostKey) {
        accept = await whileAsking(() => options.onUnknownHostKey!(fingerprint, { host: host.hostname, port: host.port, keyType }));
        if (!accept) failure = new GoDeployError(`the host key of ${name} (${keyType} ${fingerprint}) was not accepted; not connecting`);
      } else if (options.acceptNewHostKey) {
        accept = true;
      } else {
        failure = new GoDeployError(`the host key of ${name} is not known: ${keyType} ${fingerprint} (not in ${options.knownHostsFile}); refusing to connect`, {
          hint: `check that fingerprint with the host's administrator (on the host: \`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-/, '').replace(/^ecdsa-.*/, 'ecdsa')}_key.pub\`), then run again with --accept-new-host-key to record it`,
        });
      }
      if (accept) {
        try {
          appendKnownHost(options.knownHostsFile, host.hostname, host.port, keyType, key);
        } catch (e) {
          failure = new GoDeployError(`could not record the host key of ${name} in ${options.knownHostsFile}: ${(e as Error).message}`, { cause: e });
          return false;
        }
      }
      return accept;
    };

    client.on('ready', () => {
      if (settled) return;
      done();
      resolve({ client, negotiated: () => negotiated });
    });
    client.on('error', (e: NodeJS.ErrnoException & { level?: string }) => {
      // ssh2 reports an agent it cannot reach (no such socket or pipe) and goes on to the identity files.
      if (e.level === 'agent') return auth.agentFailed(e);
      if (failure) return fail(failure);
      if (auth.fatal) return fail(auth.fatal);
      if (e.level === 'client-authentication') {
        const tried = auth.tried.length ? auth.tried.join(', ') : 'nothing (no identity file or ssh-agent available)';
        return fail(
          new GoDeployError(
            `authentication as ${host.user} on ${name} failed; tried: ${tried}${auth.skipped.length ? `; skipped: ${auth.skipped.join(', ')}` : ''}`,
            {
              hint: `add the public key to ~${host.user}/.ssh/authorized_keys on the host, or set identityFile for this host in godeploy.yaml (or IdentityFile in ~/.ssh/config)`,
            },
          ),
        );
      }
      fail(networkError(e, name));
    });
    client.on('close', () => fail(failure ?? auth.fatal ?? new GoDeployError(`ssh connection to ${name} closed during the handshake`)));

    armTimer();
    client.connect({
      ...(sock ? { sock } : { host: host.hostname, port: host.port }),
      username: host.user,
      readyTimeout: 0,
      keepaliveInterval: 15_000,
      ...(options.compression ? { algorithms: { compress: [...COMPRESSION] } } : {}),
      hostVerifier: (key: Buffer, callback: (ok: boolean) => void) => {
        verify(key).then(callback, (e: unknown) => {
          failure = new GoDeployError(`host key check for ${name} failed: ${(e as Error).message}`);
          callback(false);
        });
      },
      authHandler: auth.handler,
    });
    // Small SSH packets (the handshake's, each exec's request and reply) otherwise wait on
    // Nagle's algorithm against delayed ACKs: about 40 ms each time, in the handshake too
    // (after NEWKEYS), measured by the deploy benchmark. connect() has created the socket.
    // (A no-op over a jump host's channel: the first hop's TCP socket has it set.)
    client.setNoDelay(true);
  });
}
