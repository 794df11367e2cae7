import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError, type SourceLocation } from '../errors';

export interface GoToolchain {
  go: string;
  /** "go1.19.8" */
  version: string;
  minor: number;
  targets: string[];
  /** `go env GOTOOLCHAIN` ("auto", "local"…); "" before Go 1.21, which has no toolchain switching. */
  goToolchainSetting: string;
}

/** Where Go is downloaded from; the Go-missing error names it and the editor opens it. */
export const goDownloadUrl = 'https://go.dev/dl/';

/** The error for a machine without Go (`go` is the command that was not found): what is missing, what to install, where from. */
export function goNotFoundError(go = 'go'): GoDeployError {
  return new GoDeployError(go === 'go' ? 'Go is not installed: there is no `go` command on PATH' : `Go is not installed: ${go} was not found`, {
    hint: `install Go from ${goDownloadUrl} (Debian/Ubuntu: sudo apt install golang-go), then check that \`go version\` works where Go Deploy runs`,
    link: { label: 'Download Go', url: goDownloadUrl },
  });
}

function run(go: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(go, args, { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? goNotFoundError(go)
            : new GoDeployError(`\`${go} ${args.join(' ')}\` failed: ${stderr.trim() || err.message}`),
        );
      } else resolve(stdout);
    });
  });
}

const cache = new Map<string, Promise<GoToolchain>>();

/** The installed toolchain: version and `go tool dist list` (cached per go command); without Go, goNotFoundError (asked again next time). */
export function goToolchain(go = 'go'): Promise<GoToolchain> {
  let p = cache.get(go);
  if (!p) {
    p = Promise.all([run(go, ['env', 'GOVERSION', 'GOTOOLCHAIN']), run(go, ['tool', 'dist', 'list'])]).then(([v, list]) => {
      const [version, setting = ''] = v.split('\n').map((l) => l.trim());
      return {
        go,
        version,
        minor: Number(/^go1\.(\d+)/.exec(version)?.[1] ?? 0),
        targets: list
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        goToolchainSetting: setting,
      };
    });
    p.catch(() => cache.delete(go));
    cache.set(go, p);
  }
  return p;
}

/** Go 1.21 brought toolchain switching (GOTOOLCHAIN): older go commands cannot fetch a newer Go. */
const SWITCHING_MINOR = 21;

/**
 * go.mod's `go` line must not be newer than the toolchain, unless this go can switch to a
 * newer one (Go 1.21+, with GOTOOLCHAIN other than "local": from the environment, else go's
 * own setting). The hint fits the installed Go: GOTOOLCHAIN=auto only from Go 1.21 on.
 */
export function checkGoVersion(
  toolchain: GoToolchain,
  required: string | null,
  env: NodeJS.ProcessEnv = process.env,
  where: { toolchainLine?: string | null; location?: SourceLocation } = {},
): void {
  if (!required) return;
  const want = /^(\d+)\.(\d+)/.exec(required);
  if (!want || Number(want[1]) !== 1 || Number(want[2]) <= toolchain.minor) return;
  const canSwitch = toolchain.minor >= SWITCHING_MINOR;
  const setting = env.GOTOOLCHAIN || toolchain.goToolchainSetting || 'local';
  if (canSwitch && setting !== 'local') return;
  const newer = where.toolchainLine && /^go1\.\d+/.test(where.toolchainLine) ? ` (its toolchain line names ${where.toolchainLine})` : '';
  throw new GoDeployError(`go.mod asks for go ${required}${newer}, but the installed toolchain is ${toolchain.version}`, {
    hint: canSwitch
      ? `install Go ${required} or newer, or set GOTOOLCHAIN=auto so that go fetches it (GOTOOLCHAIN is ${setting} now)`
      : `install Go ${required} or newer (${goDownloadUrl}, or your system's package); ${toolchain.version} cannot fetch a newer Go itself (GOTOOLCHAIN came with Go 1.${SWITCHING_MINOR})`,
    location: where.location,
    exitCode: 2,
  });
}

/** Where go.mod's `go` line is (1-based), for errors about it. */
export async function goLineLocation(moduleDir: string): Promise<SourceLocation | undefined> {
  const file = path.join(moduleDir, 'go.mod');
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return undefined;
  const line = text.split('\n').findIndex((l) => /^\s*go\s+\d/.test(l));
  return line < 0 ? undefined : { file, line: line + 1, col: text.split('\n')[line].search(/\S/) + 1 };
}
