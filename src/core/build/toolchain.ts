import { execFile } from 'node:child_process';
import { GoDeployError } from '../errors';

export interface GoToolchain {
  go: string;
  /** "go1.19.8" */
  version: string;
  minor: number;
  targets: string[];
}

function run(go: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(go, args, { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new GoDeployError(missing ? `the Go toolchain (${go}) was not found` : `\`${go} ${args.join(' ')}\` failed: ${stderr.trim() || err.message}`, {
          hint: missing ? 'install Go (Debian/Ubuntu: apt install golang-go) and make sure `go` is on PATH' : undefined,
        }));
      } else resolve(stdout);
    });
  });
}

const cache = new Map<string, Promise<GoToolchain>>();

/** The installed toolchain: version and `go tool dist list` (cached per go command). */
export function goToolchain(go = 'go'): Promise<GoToolchain> {
  let p = cache.get(go);
  if (!p) {
    p = Promise.all([run(go, ['env', 'GOVERSION']), run(go, ['tool', 'dist', 'list'])]).then(([v, list]) => {
      const version = v.trim();
      return { go, version, minor: Number(/^go1\.(\d+)/.exec(version)?.[1] ?? 0), targets: list.split('\n').map((l) => l.trim()).filter(Boolean) };
    });
    p.catch(() => cache.delete(go));
    cache.set(go, p);
  }
  return p;
}

/** go.mod's `go` line must not be newer than the toolchain (unless GOTOOLCHAIN lets go fetch one). */
export function checkGoVersion(toolchain: GoToolchain, required: string | null, env: NodeJS.ProcessEnv = process.env): void {
  if (!required) return;
  const want = /^(\d+)\.(\d+)/.exec(required);
  if (!want || Number(want[1]) !== 1) return;
  if (Number(want[2]) > toolchain.minor && !(env.GOTOOLCHAIN && env.GOTOOLCHAIN !== 'local')) {
    throw new GoDeployError(`go.mod asks for go ${required}, but the installed toolchain is ${toolchain.version}`, {
      hint: `install Go ${required} or newer, or set GOTOOLCHAIN=auto so that go fetches it`,
      exitCode: 2,
    });
  }
}
