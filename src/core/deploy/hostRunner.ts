// Where doctor (and later deploy) runs its commands: a host over ssh, or this machine.
// Both take an argv and never a shell string; neither rejects for a non-zero exit.
import { execFile } from 'node:child_process';
import type { RemoteConnection } from '../remote/connection';

export interface HostRunResult { code: number | null; stdout: string; stderr: string }

export interface HostRunner {
  exec(argv: string[]): Promise<HostRunResult>;
  /** "root@web1:22" or "this machine". */
  describe: string;
}

/** Commands over an authenticated ssh connection (argv quoted by the connection). */
export function remoteRunner(conn: RemoteConnection): HostRunner {
  const h = conn.host;
  return {
    describe: `${h.user}@${h.hostname}:${h.port}`,
    exec: async (argv) => {
      const r = await conn.exec(argv);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** Commands on this machine with execFile: no shell; a missing program is exit 127, as a shell says. */
export function localRunner(options: { timeoutMs?: number } = {}): HostRunner {
  return {
    describe: 'this machine',
    exec: (argv) => new Promise<HostRunResult>((resolve) => {
      const [cmd, ...args] = argv;
      execFile(cmd, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout: String(stdout), stderr: String(stderr) });
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        if (e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${cmd}: command not found\n` });
        resolve({ code: typeof e.code === 'number' ? e.code : null, stdout: String(stdout), stderr: String(stderr) || e.message });
      });
    }),
  };
}
