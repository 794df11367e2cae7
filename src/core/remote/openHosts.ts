// Connections held for a whole operation (deploy, rollback): one per host, opened in
// parallel, able to reconnect when the link drops so the lock is released and a switched
// host can be taken back.
import type { CancellationTokenLike } from '../cancellation';
import { GoDeployError } from '../errors';
import { connect, type ConnectOptions } from './connection';
import { resolveHost } from './sshConfig';
import { localRunner, remoteRunner } from './hostRunner';
import { knownHostsFileOf, sshConfigFileOf, type DeployEnvironment } from '../environment/load';
import { type HostRunner } from './hostRunner';

export interface OpenHostOptions {
  /** How long connecting to each host may take (default 20 s). */
  timeoutMs?: number;
  acceptNewHostKey?: boolean;
  onUnknownHostKey?: ConnectOptions['onUnknownHostKey'];
  passphrase?: string;
  /** The editor asks for the passphrase of an encrypted key (see ConnectOptions). */
  askPassphrase?: ConnectOptions['askPassphrase'];
  onPassphraseAccepted?: ConnectOptions['onPassphraseAccepted'];
  token?: CancellationTokenLike;
}

export type OpenedHost =
  { alias: string; ok: true; host: DeployHost; close(): void; newHostKey?: string } | { alias: string; ok: false; address: string; error: GoDeployError };

/** "keyType SHA256:…" of a recorded host key; a ProxyJump hop's key (also recorded) is named by its host:port. */
export function recordedKeys(
  before: string | undefined,
  target: { hostname: string; port: number },
  fingerprint: string,
  info: { host: string; port: number; keyType: string },
): string {
  const own = info.host === target.hostname && info.port === target.port;
  const key = `${own ? '' : `jump ${info.host}:${info.port} `}${info.keyType} ${fingerprint}`;
  return before ? `${before}, ${key}` : key;
}

/** Opens every host of the environment (type local: this machine, alias "local"). Never rejects. */
export async function openHosts(d: Pick<DeployEnvironment, 'env' | 'moduleDir'>, options: OpenHostOptions): Promise<OpenedHost[]> {
  if (d.env.type === 'local') {
    return [{ alias: 'local', ok: true, host: { alias: 'local', address: 'this machine', runner: localRunner() }, close: () => undefined }];
  }
  const knownHostsFile = knownHostsFileOf(d);
  const sshConfigFile = sshConfigFileOf(d);
  const common = {
    knownHostsFile,
    sshConfigFile,
    compression: d.env.compression === true,
    passphrase: options.passphrase,
    askPassphrase: options.askPassphrase,
    onPassphraseAccepted: options.onPassphraseAccepted,
    timeoutMs: options.timeoutMs,
  } satisfies ConnectOptions;
  return Promise.all(
    (d.env.hosts ?? []).map(async (h): Promise<OpenedHost> => {
      let address = h.host;
      try {
        const resolved = await resolveHost(h, { baseDir: d.moduleDir, configFile: sshConfigFile });
        address = `${resolved.user}@${resolved.hostname}:${resolved.port}`;
        let recorded: string | undefined;
        const opts: ConnectOptions = {
          ...common,
          token: options.token,
          onUnknownHostKey:
            options.onUnknownHostKey ??
            (options.acceptNewHostKey
              ? async (fp, info) => {
                  recorded = recordedKeys(recorded, resolved, fp, info);
                  return true;
                }
              : undefined),
        };
        let conn = await connect(resolved, opts);
        const host: DeployHost = {
          alias: h.host,
          address,
          runner: remoteRunner(conn),
          // The key is in known_hosts now: a reconnect verifies it like any other.
          reconnect: async () => {
            conn.close();
            conn = await connect(resolved, common);
            return remoteRunner(conn);
          },
        };
        return { alias: h.host, ok: true, host, close: () => conn.close(), newHostKey: recorded };
      } catch (e) {
        const error = e instanceof GoDeployError ? e : new GoDeployError((e as Error).message, { cause: e });
        return { alias: h.host, ok: false, address, error };
      }
    }),
  );
}

export interface DeployHost {
  alias: string;
  address: string;
  runner: HostRunner;
  /** Opens a fresh connection when the old one was lost (absent for this machine). */
  reconnect?: () => Promise<HostRunner>;
}
