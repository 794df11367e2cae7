// What an authenticated connection offers: exec of quoted argv, SFTP uploads with an exact
// mode, and local TCP forwarding, all over the one ssh2 Client.
import { performance } from 'node:perf_hooks';
import { open as openLocal, stat } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Client, NegotiatedAlgorithms, SFTPWrapper } from 'ssh2';
import type { CancellationTokenLike } from '../cancellation';
import type { InteractiveTerminal } from './terminal';
import { GoDeployError } from '../errors';
import { formatBytes } from '../format';
import { shellQuote } from './quote';
import type { ResolvedHost } from './sshConfig';

export interface ExecOptions {
  /** Not supported: sshd drops most env requests (AcceptEnv); pass values as arguments or files. */
  env?: never;
  stdin?: Buffer | string;
  token?: CancellationTokenLike;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface UploadOptions {
  mode: number;
  token?: CancellationTokenLike;
  /** What is sent, for messages: "the executable" (default: the remote path). */
  label?: string;
}

/** A command still running on the host, its output as streams (pausing them holds the command back: ssh flow control). */
export interface RemoteProcess {
  stdout: Readable;
  stderr: Readable;
  /** Settles when the channel closes: the exit code, or null when it was killed or the connection went. */
  exit: Promise<{ code: number | null; signal?: string }>;
  /** Closes the channel; the command's stdin ends (see logs' FOLLOW_UNTIL_EOF for commands that must stop then). */
  kill(): void;
}

export interface RemoteConnection {
  readonly host: ResolvedHost;
  /** The jump hosts on the way (ssh_config aliases, first hop first); empty for a direct connection. */
  readonly via?: readonly string[];
  /** What the last key exchange with the host agreed on (kex, cipher, mac, compression per direction). */
  negotiated?(): NegotiatedAlgorithms | undefined;
  /** Runs argv (quoted with shellQuote) through the login shell; never rejects for a non-zero exit. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts argv (quoted with shellQuote) and hands its output over as it comes; stdin stays open until kill(). */
  spawn(argv: string[]): Promise<RemoteProcess>;
  /** Runs argv in a pseudo-terminal wired to `terminal` (exec --tty) until it exits: its code, or null when the connection went. */
  interactive(argv: string[], terminal: InteractiveTerminal): Promise<{ code: number | null; signal?: string }>;
  /** Writes a local file or a buffer to `remotePath` with exactly `mode`, set before any content is written. */
  upload(source: string | Buffer, remotePath: string, opts: UploadOptions): Promise<void>;
  /** Creates the folder `remotePath` (its parent must exist) by SFTP: no process on the host. */
  mkdir(remotePath: string, mode: number): Promise<void>;
  /** A listener on 127.0.0.1:<localPort> tunnelled to 127.0.0.1:remotePort on the host. */
  forwardLocal(remotePort: number): Promise<{ localPort: number; close(): Promise<void> }>;
  /** A stream to the unix socket `socketPath` on the host (OpenSSH streamlocal forwarding), e.g. the Docker Engine's. */
  openUnixSocket(socketPath: string): Promise<Duplex>;
  /** A TCP connection the host opens to 127.0.0.1:`port` (direct-tcpip); rejects when the host's connect fails ("Connection refused"). */
  openTcp(port: number): Promise<Duplex>;
  /** Starts the SFTP subsystem now (in the background) so the first upload does not wait for it. */
  prepareUploads(): void;
  close(): void;
}

// SFTP writes of 255 KiB (OpenSSH's sftp-server limit is 256 KiB per packet): 20 MB in
// about half the time of 32 KiB writes, measured by the deploy benchmark.
const CHUNK = 255 * 1024;
// Writes in flight. More than the link needs costs the host dearly: with 2 MB in flight
// (OpenSSH's whole channel window) sshd and sftp-server keep big buffers they compact over
// and over, and a 20 MB upload to a nearby host took 2.5 times the CPU and time of 1 MB in
// flight. 1 MB fills any link whose round trip is under 10 ms up to 800 Mbit/s; a link
// with a longer round trip (measured on the upload's fchmod) gets the channel's 2 MB.
const WINDOW_NEAR = 4;
const WINDOW_FAR = 8;
const FAR_RTT_MS = 10;

export function openSession(
  client: Client,
  host: ResolvedHost,
  extra: { negotiated?: () => NegotiatedAlgorithms | undefined; via?: string[] } = {},
): RemoteConnection {
  const name = `${host.hostname}:${host.port}`;
  let closed = false;
  let lost: Error | undefined;
  // Every wait on this connection (a command, an SFTP request, a channel being opened) is
  // here until it settles: when the connection goes, each is rejected with what it was
  // doing, so nothing waits on a callback that will never come.
  const waits = new Set<() => void>();
  const gone = (): void => {
    closed = true;
    for (const w of [...waits]) w();
  };
  client.on('error', (e: Error) => {
    lost = e;
    gone();
  });
  client.on('end', gone);
  client.on('close', gone);
  const forwards = new Set<() => Promise<void>>();
  let sftpP: Promise<SFTPWrapper> | undefined;

  const closedError = (doing: string): GoDeployError =>
    new GoDeployError(`connection to ${name} closed while ${doing}${lost ? ` (${lost.message})` : ''}`, {
      hint: 'the host or the network dropped the ssh connection; nothing after this point ran',
    });
  const ensureOpen = (): void => {
    if (closed) throw new GoDeployError(`the ssh connection to ${name} is closed${lost ? `: ${lost.message}` : ''}`);
  };
  /** A promise that also rejects (with `doing()`) when the connection closes before it settles. */
  const untilClosed = <T>(doing: () => string, body: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) {
        reject(closedError(doing()));
        return;
      }
      const onGone = (): void => {
        waits.delete(onGone);
        reject(closedError(doing()));
      };
      waits.add(onGone);
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A): void => {
          waits.delete(onGone);
          f(a);
        };
      try {
        body(settle(resolve), settle(reject));
      } catch (e) {
        settle(reject)(e);
      }
    });
  const sftp = (): Promise<SFTPWrapper> =>
    (sftpP ??= untilClosed<SFTPWrapper>(
      () => 'starting SFTP',
      (res, rej) => client.sftp((e, s) => (e ? rej(e) : res(s))),
    ).catch((e: Error) => {
      sftpP = undefined;
      if (e instanceof GoDeployError) throw e;
      throw new GoDeployError(`could not start SFTP on ${name}: ${e.message}`, { hint: "the host's sshd needs an sftp Subsystem", cause: e });
    }));

  const exec = async (argv: string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const command = shellQuote(argv);
    ensureOpen();
    if (opts.token?.isCancellationRequested) throw new GoDeployError('cancelled');
    return untilClosed<ExecResult>(
      () => `running ${commandSummary(argv)}`,
      (resolve, reject) => {
        client.exec(command, (err, stream) => {
          if (err) return reject(new GoDeployError(`could not run ${argv[0]} on ${name}: ${err.message}`, { cause: err }));
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code: number | null = null;
          let signal: string | undefined;
          let cancelled = false;
          stream.on('data', (d: Buffer) => out.push(d));
          stream.stderr.on('data', (d: Buffer) => errOut.push(d));
          stream.on('exit', (c: number | null, s?: string) => {
            if (typeof c === 'number') code = c;
            else signal = s ?? undefined;
          });
          // Cancelling asks sshd to KILL the command and closes the channel, then rejects at
          // once: sshd may ignore the signal request, so the command can run on to its end.
          const sub = opts.token?.onCancellationRequested(() => {
            cancelled = true;
            try {
              stream.signal('KILL');
            } catch {
              /* channel gone */
            }
            stream.close();
            reject(new GoDeployError(`${argv[0]} on ${name} cancelled`));
          });
          stream.on('close', () => {
            sub?.dispose();
            if (cancelled) return;
            resolve({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
          });
          if (opts.stdin !== undefined) stream.end(opts.stdin);
          else stream.end();
        });
      },
    );
  };

  const spawn = (argv: string[]): Promise<RemoteProcess> =>
    untilClosed<RemoteProcess>(
      () => `starting ${commandSummary(argv)}`,
      (resolve, reject) => {
        client.exec(shellQuote(argv), (err, stream) => {
          if (err) return reject(new GoDeployError(`could not run ${argv[0]} on ${name}: ${err.message}`, { cause: err }));
          let code: number | null = null;
          let signal: string | undefined;
          stream.on('exit', (c: number | null, s?: string) => {
            if (typeof c === 'number') code = c;
            else signal = s ?? undefined;
          });
          const exit = new Promise<{ code: number | null; signal?: string }>((done) => {
            const onGone = (): void => {
              waits.delete(onGone);
              done({ code: null });
            };
            waits.add(onGone);
            stream.on('close', () => {
              waits.delete(onGone);
              done({ code, ...(signal ? { signal } : {}) });
            });
          });
          resolve({
            stdout: stream,
            stderr: stream.stderr,
            exit,
            kill: () => {
              try {
                stream.close();
              } catch {
                /* gone */
              }
            },
          });
        });
      },
    );

  const interactive = (argv: string[], terminal: InteractiveTerminal): Promise<{ code: number | null; signal?: string }> =>
    untilClosed<{ code: number | null; signal?: string }>(
      () => `running ${commandSummary(argv)} in a terminal`,
      (resolve, reject) => {
        const pty = { rows: terminal.rows, cols: terminal.columns, term: terminal.term };
        client.exec(shellQuote(argv), { pty }, (err, stream) => {
          if (err) return reject(new GoDeployError(`could not run ${argv[0]} on ${name}: ${err.message}`, { cause: err }));
          let code: number | null = null;
          let signal: string | undefined;
          stream.on('exit', (c: number | null, s?: string) => {
            if (typeof c === 'number') code = c;
            else signal = s ?? undefined;
          });
          const typed = (d: Buffer | string): void => void stream.write(d);
          terminal.raw?.(true);
          terminal.input.on('data', typed);
          stream.on('data', (d: Buffer) => terminal.output.write(d));
          stream.stderr.on('data', (d: Buffer) => terminal.output.write(d));
          const resized = terminal.onResize?.((size) => stream.setWindow(size.rows, size.columns, 0, 0));
          const onGone = (): void => finish({ code: null });
          waits.add(onGone);
          const finish = (r: { code: number | null; signal?: string }): void => {
            waits.delete(onGone);
            terminal.input.removeListener('data', typed);
            terminal.raw?.(false);
            resized?.dispose();
            resolve(r);
          };
          stream.on('close', () => finish({ code, ...(signal ? { signal } : {}) }));
        });
      },
    );

  const mkdir = async (remotePath: string, mode: number): Promise<void> => {
    ensureOpen();
    const s = await sftp();
    await untilClosed<void>(
      () => `creating ${remotePath}`,
      (res, rej) =>
        s.mkdir(remotePath, { mode }, (e) => (e ? rej(new GoDeployError(`could not create ${name}:${remotePath}: ${e.message}`, { cause: e })) : res())),
    );
  };

  const upload = async (source: string | Buffer, remotePath: string, opts: UploadOptions): Promise<void> => {
    ensureOpen();
    const where = `${name}:${remotePath}`;
    let size = 0;
    let sent = 0;
    const doing = (): string => `uploading ${opts.label ?? remotePath} (${formatBytes(sent)} of ${formatBytes(size)} sent)`;
    const sftpErr = (what: string, e: Error): GoDeployError => new GoDeployError(`could not ${what} ${where}: ${e.message}`, { cause: e });
    const local =
      typeof source === 'string'
        ? await openLocal(source, 'r').catch((e: Error) => {
            throw new GoDeployError(`could not read ${source}: ${e.message}`, { cause: e });
          })
        : undefined;
    try {
      size = local ? (await stat(source as string)).size : (source as Buffer).length;
      const read = async (pos: number, len: number): Promise<Buffer> => {
        if (!local) return (source as Buffer).subarray(pos, pos + len);
        const buf = Buffer.allocUnsafe(len); // filled by the read below (a short read throws)
        const { bytesRead } = await local.read(buf, 0, len, pos);
        if (bytesRead !== len) throw new GoDeployError(`${source as string} changed while it was being uploaded`);
        return buf;
      };
      const s = await sftp();
      const handle = await untilClosed<Buffer>(doing, (res, rej) =>
        s.open(remotePath, 'w', { mode: opts.mode }, (e, h) => (e ? rej(sftpErr('create', e)) : res(h))),
      );
      try {
        // Before any content: an existing file keeps its old mode through open(), so set it now.
        const rtt0 = performance.now();
        await untilClosed<void>(doing, (res, rej) => s.fchmod(handle, opts.mode, (e) => (e ? rej(sftpErr('chmod', e)) : res())));
        const window = performance.now() - rtt0 < FAR_RTT_MS ? WINDOW_NEAR : WINDOW_FAR;
        const inflight = new Set<Promise<void>>();
        for (let pos = 0; pos < size;) {
          if (opts.token?.isCancellationRequested) throw new GoDeployError(`upload to ${where} cancelled`);
          const len = Math.min(CHUNK, size - pos);
          const buf = await read(pos, len);
          const at = pos;
          const p = untilClosed<void>(doing, (res, rej) =>
            s.write(handle, buf, 0, len, at, (e) => {
              if (e) rej(sftpErr('write', e));
              else {
                sent += len;
                res();
              }
            }),
          );
          inflight.add(p);
          p.then(
            () => inflight.delete(p),
            () => undefined,
          );
          pos += len;
          if (inflight.size >= window) await Promise.race(inflight);
        }
        await Promise.all(inflight);
        if (closed) throw closedError(doing());
      } finally {
        // A lost connection leaves nothing to close: settle either way.
        await untilClosed<void>(doing, (res) => s.close(handle, () => res())).catch(() => undefined);
      }
    } finally {
      await local?.close();
    }
  };

  const forwardLocal = async (remotePort: number): Promise<{ localPort: number; close(): Promise<void> }> => {
    ensureOpen();
    const sockets = new Set<Socket>();
    const server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      if (closed) {
        sock.destroy();
        return;
      }
      try {
        client.forwardOut('127.0.0.1', sock.remotePort ?? 0, '127.0.0.1', remotePort, (err, stream) => {
          if (err || sock.destroyed) {
            stream?.close();
            sock.destroy();
            return;
          }
          stream.on('error', () => sock.destroy());
          stream.on('close', () => sock.destroy());
          sock.on('close', () => stream.close());
          sock.pipe(stream).pipe(sock);
        });
      } catch {
        // ssh2 throws "Not connected" synchronously once the connection dropped.
        sock.destroy();
      }
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(0, '127.0.0.1', () => res());
    });
    const addr = server.address();
    const localPort = typeof addr === 'object' && addr ? addr.port : 0;
    const close = (): Promise<void> => {
      forwards.delete(close);
      for (const s of sockets) s.destroy();
      return new Promise<void>((res) => server.close(() => res()));
    };
    forwards.add(close);
    return { localPort, close };
  };

  const openUnixSocket = (socketPath: string): Promise<Duplex> =>
    untilClosed<Duplex>(
      () => `opening ${socketPath}`,
      (resolve, reject) => {
        try {
          client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
            if (err) {
              reject(
                new GoDeployError(`${host.user}@${host.hostname}:${host.port}: could not open ${socketPath} through ssh: ${err.message}`, {
                  hint: 'the socket must exist and be writable by the ssh user (for Docker: a member of the docker group), and sshd must allow it (AllowStreamLocalForwarding yes, the default)',
                  cause: err,
                }),
              );
              return;
            }
            resolve(stream);
          });
        } catch (e) {
          reject(e);
        }
      },
    );

  const openTcp = (port: number): Promise<Duplex> =>
    untilClosed<Duplex>(
      () => `connecting to 127.0.0.1:${port}`,
      (resolve, reject) => {
        try {
          client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, stream) => (err ? reject(err) : resolve(stream)));
        } catch (e) {
          reject(e);
        }
      },
    );

  return {
    host,
    via: extra.via ?? [],
    openUnixSocket,
    openTcp,
    negotiated: extra.negotiated ?? (() => undefined),
    exec,
    spawn,
    interactive,
    upload,
    mkdir,
    forwardLocal,
    prepareUploads: () => {
      if (!closed) sftp().catch(() => undefined); // a failure is reported by the upload that needs it
    },
    close: () => {
      for (const f of [...forwards]) void f();
      closed = true;
      client.end();
    },
  };
}

/** A command as messages name it: a script's leading "# comment", else its program and first argument. */
export function commandSummary(argv: string[]): string {
  if (argv[0] === 'sh' && argv[1] === '-c') {
    const first = (argv[2] ?? '').split('\n')[0];
    if (first.startsWith('# ')) return first.slice(2);
    return 'a shell script';
  }
  return argv.slice(0, 2).join(' ');
}
