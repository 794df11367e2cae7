// An unchanged redeploy: when the live release on a host already runs this executable with
// this env file and service definition, and answers its health check, there is nothing to
// switch. A deploy where that holds on every host reports it and changes nothing
// (`--force` deploys anyway: a new release, a restart and the health gate).
import { createHash } from 'node:crypto';
import { waitHealthy } from './health';
import type { HostRunner } from './hostRunner';

// $1 base, $2 executable name, $3 its sha256, $4 env file name, $5 its sha256, then pairs of
// (file, sha256) that must match (service definition, nginx site). Prints "same <id>" or "changed".
export const CHECK_LIVE = `c=$(readlink "$1/current" 2>/dev/null) || { echo changed; exit 0; }
d="$1/$c"
[ -x "$d/$2" ] && [ "$(cat "$d/.sha256" 2>/dev/null)" = "$3" ] || { echo changed; exit 0; }
[ "$(sha256sum < "$d/$4" 2>/dev/null | cut -d' ' -f1)" = "$5" ] || { echo changed; exit 0; }
shift 5
while [ $# -ge 2 ]; do
  [ "$(sha256sum < "$1" 2>/dev/null | cut -d' ' -f1)" = "$2" ] || { echo changed; exit 0; }
  shift 2
done
echo "same \${c#releases/}"`;

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export interface LiveCheck {
  base: string;
  name: string;
  binarySha256: string;
  envFileName: string;
  envFileText: string;
  /** Files installed on the host and what they must hold. */
  files: { path: string; content: string }[];
  healthPath: string;
  /** The port to check, or a file on the host naming it (blue-green). */
  port: number | { file: string };
}

/** The live release's id when it already runs exactly this and is healthy; else null. */
export async function alreadyLive(runner: HostRunner, c: LiveCheck): Promise<string | null> {
  const r = await runner.exec(['sh', '-c', CHECK_LIVE, 'sh', c.base, c.name, c.binarySha256, c.envFileName, sha256(c.envFileText), ...c.files.flatMap((f) => [f.path, sha256(f.content)])]);
  const id = r.code === 0 ? /^same (.+)$/m.exec(r.stdout)?.[1] : undefined;
  if (!id) return null;
  const port = typeof c.port === 'number' ? c.port : Number((await runner.exec(['cat', c.port.file])).stdout.trim());
  if (!port) return null;
  const h = await waitHealthy(runner, { port, path: c.healthPath, timeoutMs: 0, intervalMs: 1000 });
  return h.healthy ? id : null;
}
