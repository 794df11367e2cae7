import { spawn } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs one `go build` in its own process group, so that stopping it (cancel, or another
 * target failing) also stops the compiler and linker processes it started.
 */
export function goBuild(
  go: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  onOutput?: (text: string) => void,
): Promise<{ code: number | null; output: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve({ code: null, output: '', stopped: true });
    const child = spawn(go, args, { cwd, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (b: Buffer) => {
      const s = b.toString();
      output += s;
      onOutput?.(s);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let stopped = false;
    const stop = () => {
      stopped = true;
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        // already gone
      }
    };
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => {
      signal.removeEventListener('abort', stop);
      reject(e);
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', stop);
      resolve({ code, output, stopped });
    });
  });
}

/** Go prints `./main.go:12:2: …` relative to the module; make such lines absolute for problem matchers. */
export function absoluteCompilerPaths(output: string, moduleDir: string): string {
  return output.replace(
    /^(\.{0,2}\/?[^\s:][^:\n]*\.go):(\d+)(:\d+)?: /gm,
    (_m, file: string, line: string, col: string | undefined) => `${path.resolve(moduleDir, file)}:${line}${col ?? ''}: `,
  );
}
