// Where doctor and deploy run their commands: a host over ssh, or this machine. Both take
// an argv and never a shell string; neither rejects for a non-zero exit. Files travel by
// SFTP (or a local copy) with their mode set before any byte is written, and the host's
// loopback ports are reached through a port forward (or directly on this machine).
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { CancellationTokenLike } from '../cancellation';
import { GoDeployError } from '../errors';
import type { RemoteConnection, RemoteProcess, UploadOptions } from './session';
import type { InteractiveTerminal } from './terminal';
import { connect as netConnect } from 'node:net';

/** A running command whose output streams (a log follower). */
export type HostProcess = RemoteProcess;

export interface HostRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The line of a failed command's output that says why: the last of stderr (else stdout). */
export const lastOutputLine = (r: HostRunResult): string => (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'no output';

export interface HostRunner {
  exec(argv: string[], opts?: { stdin?: string | Buffer; token?: CancellationTokenLike }): Promise<HostRunResult>;
  /** Starts argv with its output streamed; stdin stays open until kill() (a missing program exits 127). */
  spawn(argv: string[]): Promise<HostProcess>;
  /** Runs argv in a terminal until it exits (exec --tty): a pseudo-terminal over ssh; this machine's own terminal locally. */
  interactive(argv: string[], terminal: InteractiveTerminal): Promise<{ code: number | null; signal?: string }>;
  /** Writes a local file or a buffer to `path` on the host with exactly `mode`. */
  upload(source: string | Buffer, path: string, opts: UploadOptions): Promise<void>;
  /** Creates the folder `path` with `mode` (its parent must exist), without running a process on the host. */
  mkdir(path: string, mode: number): Promise<void>;
  /** A port on this machine's 127.0.0.1 (or on `host`) that reaches 127.0.0.1:`port` as seen from the host. */
  reach(port: number): Promise<{ host?: string; port: number; close(): Promise<void> }>;
  /**
   * A TCP connection to 127.0.0.1:`port` opened by the host itself (sshd connects for an ssh
   * host), so a refused port rejects ("connection refused") instead of being accepted by a
   * local forward first. Absent: connect through reach().
   */
  connectTcp?(port: number): Promise<{ close(): void }>;
  /** "root@web1:22" or "this machine". */
  describe: string;
  local: boolean;
  /** Gets file transfers ready ahead of the first upload (SFTP's subsystem), if there is anything to prepare. */
  prepareUploads?(): void;
  /** A stream to a unix socket on the host (over ssh; absent for this machine, which opens it directly). */
  openUnixSocket?(socketPath: string): Promise<Duplex>;
}

/** Commands over an authenticated ssh connection (argv quoted by the connection). */
export function remoteRunner(conn: RemoteConnection): HostRunner {
  const h = conn.host;
  return {
    describe: `${h.user}@${h.hostname}:${h.port}`,
    local: false,
    exec: async (argv, opts) => {
      const r = await conn.exec(argv, opts);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    spawn: (argv) => conn.spawn(argv),
    interactive: (argv, terminal) => conn.interactive(argv, terminal),
    upload: (source, path, opts) => conn.upload(source, path, opts),
    mkdir: (path, mode) => conn.mkdir(path, mode),
    prepareUploads: () => conn.prepareUploads(),
    openUnixSocket: (socketPath) => conn.openUnixSocket(socketPath),
    connectTcp: async (port) => {
      const stream = await conn.openTcp(port);
      return { close: () => stream.destroy() };
    },
    reach: async (port) => {
      const f = await conn.forwardLocal(port);
      return { port: f.localPort, close: f.close };
    },
  };
}

/** Commands on this machine with execFile: no shell; a missing program is exit 127, as a shell says. */
export function localRunner(options: { timeoutMs?: number } = {}): HostRunner {
  return {
    describe: 'this machine',
    local: true,
    exec: (argv, opts) =>
      new Promise<HostRunResult>((resolve) => {
        const [cmd, ...args] = argv;
        const child = execFile(cmd, args, { timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          sub?.dispose();
          if (!err) return resolve({ code: 0, stdout: String(stdout), stderr: String(stderr) });
          const e = err as NodeJS.ErrnoException & { code?: number | string };
          if (e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${cmd}: command not found\n` });
          resolve({ code: typeof e.code === 'number' ? e.code : null, stdout: String(stdout), stderr: String(stderr) || e.message });
        });
        const sub = opts?.token?.onCancellationRequested(() => child.kill('SIGTERM'));
        if (opts?.stdin !== undefined) child.stdin?.end(opts.stdin);
        else child.stdin?.end();
      }),
    spawn: async (argv) => {
      const [cmd, ...args] = argv;
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const exit = new Promise<{ code: number | null; signal?: string }>((done) => {
        child.on('error', (e: NodeJS.ErrnoException) => done({ code: e.code === 'ENOENT' ? 127 : null }));
        child.on('close', (code, signal) => done({ code, ...(signal ? { signal } : {}) }));
      });
      return {
        stdout: child.stdout,
        stderr: child.stderr,
        exit,
        kill: () => {
          child.stdin.destroy();
          child.kill('SIGTERM');
        },
      };
    },
    // The command shares this process's terminal (stdio inherited): it is the one the user typed in.
    interactive: (argv) =>
      new Promise((done) => {
        const [cmd, ...args] = argv;
        const child = spawn(cmd, args, { stdio: 'inherit' });
        child.on('error', (e: NodeJS.ErrnoException) => done({ code: e.code === 'ENOENT' ? 127 : null }));
        child.on('close', (code, signal) => done({ code, ...(signal ? { signal } : {}) }));
      }),
    upload: async (source, path, opts) => {
      if (opts.token?.isCancellationRequested) throw new GoDeployError(`copy to ${path} cancelled`);
      // Created with the mode (and fchmod'd in case the file existed) before the content.
      const out = await fs.open(path, 'w', opts.mode).catch((e: Error) => {
        throw new GoDeployError(`could not create ${path}: ${e.message}`, { cause: e });
      });
      try {
        await out.chmod(opts.mode);
        const data = typeof source === 'string' ? await fs.readFile(source) : source;
        await out.writeFile(data).catch((e: Error) => {
          throw new GoDeployError(`could not write ${path}: ${e.message}`, { cause: e });
        });
      } finally {
        await out.close();
      }
    },
    mkdir: async (path, mode) => {
      await fs.mkdir(path, { mode }).catch((e: Error) => {
        throw new GoDeployError(`could not create ${path}: ${e.message}`, { cause: e });
      });
    },
    reach: async (port) => ({ port, close: async () => undefined }),
    connectTcp: (port) => connectLocal(port),
  };
}

/** Connects to 127.0.0.1:`port` on this machine; rejects with the reason. */
export function connectLocal(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    // Closed gently: what the server says is read and dropped, then FIN (an unread greeting would make it a reset).
    sock.once('connect', () => {
      clearTimeout(t);
      resolve({
        close: () => {
          sock
            .on('error', () => undefined)
            .resume()
            .end();
          setTimeout(() => sock.destroy(), 1000).unref();
        },
      });
    });
    sock.once('error', (e) => {
      clearTimeout(t);
      sock.destroy();
      reject(e);
    });
  });
}
