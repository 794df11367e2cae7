// ProxyJump as OpenSSH does it: connect to the first jump host, open a direct-tcpip channel
// from it to the next hop's HostName:Port, run the next SSH connection over that channel,
// and so on to the target. Every hop's host key is verified before authenticating to it.
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import type { CancellationTokenLike } from '../cancellation';
import { GoDeployError } from '../errors';
import { openClient, type ConnectOptions, type OpenedClient } from './client';
import { resolveHost, type ResolvedHost } from './sshConfig';

/** One hop of a ProxyJump value: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

/** More hops than this (counting jumps of jumps) is a loop in ssh_config, most likely. */
const MAX_HOPS = 10;

/**
 * Parses ProxyJump as `ssh -G` prints it: comma-separated hops, each `[user@]host[:port]`
 * (IPv6 in brackets) or an ssh:// URI. `none` (or empty) is no jump: [].
 */
export function parseProxyJump(value: string): JumpSpec[] {
  const v = value.trim();
  if (!v || v === 'none') return [];
  return v.split(',').map((raw) => {
    const part = raw.trim();
    const bad = (why: string): GoDeployError =>
      new GoDeployError(`invalid ProxyJump hop ${JSON.stringify(part)} in ${JSON.stringify(value)}: ${why}`, {
        hint: 'ProxyJump takes [user@]host[:port] or ssh://[user@]host[:port], comma-separated',
      });
    let rest = part.startsWith('ssh://') ? part.slice('ssh://'.length).replace(/\/$/, '') : part;
    let user: string | undefined;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      user = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (!user) throw bad('empty user name');
    }
    let host = rest;
    let portText: string | undefined;
    const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
    if (bracket) {
      host = bracket[1];
      portText = bracket[2];
    } else if (rest.indexOf(':') >= 0 && rest.indexOf(':') === rest.lastIndexOf(':')) {
      [host, portText] = rest.split(':');
    }
    if (!host) throw bad('no host name');
    if (host.startsWith('-') || /[\s\0/]/.test(host)) throw bad('not a host name');
    let port: number | undefined;
    if (portText !== undefined) {
      port = Number(portText);
      if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw bad(`port ${JSON.stringify(portText)} is not 1-65535`);
    }
    return { host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
  });
}

/**
 * The hops to `proxyJump`, in order, each resolved with `ssh -G` (its own HostName, User,
 * Port, IdentityFile…). As with OpenSSH, the first hop's own ProxyJump applies (jumps of
 * jumps), later hops' do not: they are reached through the ones before them.
 */
export async function resolveJumpChain(proxyJump: string, configFile: string | undefined, depth = 0): Promise<ResolvedHost[]> {
  const specs = parseProxyJump(proxyJump);
  const hops = await Promise.all(specs.map((s) => resolveHost({ host: s.host, user: s.user, port: s.port }, { configFile })));
  if (!hops.length) return [];
  const first = hops[0];
  if (first.proxyJump && depth + 1 >= MAX_HOPS) throw loopError(first.alias);
  const before = first.proxyJump ? await resolveJumpChain(first.proxyJump, configFile, depth + 1) : [];
  const chain = [...before, ...hops.map((h) => ({ ...h, proxyJump: undefined }))];
  if (chain.length > MAX_HOPS) throw loopError(first.alias);
  return chain;
}

function loopError(alias: string): GoDeployError {
  return new GoDeployError(`the chain of jump hosts through ${alias} has more than ${MAX_HOPS} hops (a loop in the ssh configuration?)`, {
    hint: `run \`ssh -G ${alias}\` and check its proxyjump; a jump host itself usually needs \`ProxyJump none\``,
  });
}

/** SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 5.1); OpenSSH's descriptions say only "open failed". */
const OPEN_FAILURE: Record<number, string> = {
  1: 'administratively prohibited (the jump host does not allow this forwarding)',
  2: 'connection failed (refused or unreachable from the jump host)',
  3: 'unknown channel type',
  4: 'resource shortage',
};

/** A direct-tcpip channel from `client` (a jump host) to host:port, as `ssh -W` opens it. */
function forwardThrough(
  client: Client,
  jumpName: string,
  host: string,
  port: number,
  timeoutMs: number,
  token?: CancellationTokenLike,
): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => {
    let done = false;
    const finish = (e: GoDeployError | undefined, ch?: ClientChannel): void => {
      if (done) {
        ch?.close();
        return;
      }
      done = true;
      clearTimeout(timer);
      sub?.dispose();
      if (e) {
        ch?.close();
        reject(e);
      } else resolve(ch!);
    };
    const timer = setTimeout(
      () => finish(new GoDeployError(`${jumpName} did not open a connection to ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    const sub = token?.onCancellationRequested(() => finish(new GoDeployError('cancelled')));
    try {
      // The originator is informational for sshd (it logs it); OpenSSH's `ssh -W` sends 127.0.0.1:0 too.
      client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) {
          const reason = (err as Error & { reason?: number }).reason;
          const why = OPEN_FAILURE[reason ?? 0] ?? err.message.replace(/^\(SSH\) Channel open failure: /, '');
          return finish(
            new GoDeployError(`${jumpName} could not open a connection to ${host}:${port}: ${why}`, {
              hint:
                reason === 1
                  ? `the jump host's sshd does not allow TCP forwarding to it (AllowTcpForwarding, PermitOpen or DisableForwarding in its sshd_config)`
                  : `check that ${host}:${port} is reachable from ${jumpName.replace(/^jump /, '')}`,
              cause: err,
            }),
          );
        }
        finish(undefined, ch);
      });
    } catch (e) {
      finish(new GoDeployError(`${jumpName} could not open a connection to ${host}:${port}: ${(e as Error).message}`, { cause: e }));
    }
  });
}

const addressOf = (h: ResolvedHost): string => `${h.user}@${h.hostname}:${h.port}`;

/**
 * Connects to `host` through the hops of its ProxyJump. Returns the target's client and a
 * function that closes the jump connections (the caller ties it to the target's close). A
 * failure on the way names the hop: "could not reach web1 through jump bastion (root@…)".
 */
export async function openThroughJumps(
  host: ResolvedHost,
  options: ConnectOptions,
): Promise<{ target: OpenedClient; jumps: ResolvedHost[]; closeJumps(): void }> {
  const spec = host.proxyJump ?? '';
  const timeoutMs = options.timeoutMs ?? 20_000;
  const clients: Client[] = [];
  const closeJumps = (): void => {
    for (const c of clients.splice(0).reverse()) c.end();
  };
  const hopError = (hop: ResolvedHost, e: unknown): GoDeployError => {
    const inner = e instanceof Error ? e.message : String(e);
    return new GoDeployError(`could not reach ${host.alias} through jump ${hop.alias} (${addressOf(hop)}; ProxyJump ${spec}): ${inner}`, {
      hint: e instanceof GoDeployError && e.hint ? e.hint : `check the jump host ${hop.alias} (\`ssh -G ${hop.alias}\` shows what it resolves to)`,
      cause: e,
    });
  };
  let jumps: ResolvedHost[];
  try {
    jumps = await resolveJumpChain(spec, options.sshConfigFile);
  } catch (e) {
    throw new GoDeployError(`could not resolve the ProxyJump ${spec} of ${host.alias}: ${(e as Error).message}`, { hint: (e as GoDeployError).hint, cause: e });
  }
  try {
    // Jump hosts carry the target's (possibly compressed) stream: compressing again gains nothing.
    const hopOptions: ConnectOptions = { ...options, compression: false };
    let prev: { client: Client; hop: ResolvedHost } | undefined;
    for (const hop of jumps) {
      try {
        const sock: Duplex | undefined = prev
          ? await forwardThrough(prev.client, `jump ${prev.hop.alias}`, hop.hostname, hop.port, timeoutMs, options.token)
          : undefined;
        const opened = await openClient(hop, hopOptions, sock);
        // A jump connection that drops later closes the channels over it, so the target sees its close.
        opened.client.on('error', () => undefined);
        clients.push(opened.client);
        prev = { client: opened.client, hop };
      } catch (e) {
        throw options.token?.isCancellationRequested ? new GoDeployError('cancelled') : hopError(hop, e);
      }
    }
    if (!prev) return { target: await openClient(host, options), jumps, closeJumps };
    const last = prev;
    let sock: ClientChannel;
    try {
      sock = await forwardThrough(last.client, `jump ${last.hop.alias}`, host.hostname, host.port, timeoutMs, options.token);
    } catch (e) {
      if (options.token?.isCancellationRequested) throw new GoDeployError('cancelled');
      throw new GoDeployError(
        `could not reach ${host.alias} (${addressOf(host)}) through jump ${last.hop.alias} (${addressOf(last.hop)}; ProxyJump ${spec}): ${(e as Error).message}`,
        {
          hint: (e as GoDeployError).hint,
          cause: e,
        },
      );
    }
    // The target's own host key, authentication and errors: named by its hostname:port, as without a jump.
    const target = await openClient(host, options, sock);
    return { target, jumps, closeJumps };
  } catch (e) {
    closeJumps();
    throw e;
  }
}
