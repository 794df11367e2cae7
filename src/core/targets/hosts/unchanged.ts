// An unchanged redeploy: when the live release on a host already runs this executable with
// this env file and service definition, and answers its health check, there is nothing to
// switch. A deploy where that holds on every host reports it and changes nothing
// (`--force` deploys anyway: a new release, a restart and the health gate).
import { createHash } from 'node:crypto';
import { CLAIM_BASE, REFUSED_EXIT, refusedError, BASE_MARKER } from './baseLayout';
import { waitHealthy } from '../../release/health';
import type { GateSpec } from '../../release/healthGate';
import { runHostGate } from './hostGate';
import type { ServiceManager } from './serviceManager';
import { DF_AVAILABLE_AWK } from './releaseScripts';
import type { HostRunner, HostRunResult } from '../../remote/hostRunner';

// $1 base, $2 executable name, $3 env file name, $4 its sha256, then pairs of (file, sha256)
// that must match (service definition, nginx site). Prints "free <kB>" (where releases go),
// "release <id> <sha256 or ->" for each release's executable, then "live <id>" (or "none"),
// "binary <the live executable's sha256>" and "rest same" or "rest changed" (env file, in the
// release and installed in shared/, and files), so that one run answers for any build's sha256. Builtins where it can (read, not cat).
// A live release whose deploy never passed its health gate (no .went-live: the deploy was
// killed between the switch and the gate) prints "rest unproven": the process serving may
// still be the previous release's, so only a new deploy (restart, gate) can tell.
export const LIVE_STATE = `echo "free $(df -Pk -- "$1/releases" 2>/dev/null | ${DF_AVAILABLE_AWK})"
for d in "$1"/releases/*/; do [ -d "$d" ] || continue; s=-; [ -f "$d.sha256" ] && read -r s < "$d.sha256"; d=\${d%/}; echo "release \${d##*/} $s"; done
c=$(readlink "$1/current" 2>/dev/null) || { echo none; exit 0; }
d="$1/$c"
echo "live \${c#releases/}"
s=-
[ -x "$d/$2" ] && { read -r s < "$d/.sha256"; } 2>/dev/null
echo "binary $s"
[ -e "$d/.went-live" ] || { echo "rest unproven"; exit 0; }
same() { h=$(sha256sum 2>/dev/null < "$1") && [ "\${h%% *}" = "$2" ]; }
same "$d/$3" "$4" || { echo "rest changed"; exit 0; }
same "$1/shared/$3" "$4" || { echo "rest changed"; exit 0; }
shift 4
while [ $# -ge 2 ]; do
  same "$1" "$2" || { echo "rest changed"; exit 0; }
  shift 2
done
echo "rest same"`;

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export interface LiveCheck {
  base: string;
  name: string;
  /** The executable LIVE_STATE looks for, when it is not named `name` (several processes: the first's; the base is still claimed for the app `name`). */
  executable?: string;
  envFileName: string;
  envFileText: string;
  /** Files installed on the host and what they must hold. */
  files: { path: string; content: string }[];
  healthPath: string;
  /** The port to check, or a file on the host naming it (blue-green). */
  port: number | { file: string };
  /** The gate's type (tcp, process) and the service manager a process check asks; default: GET healthPath. */
  gate?: { spec: GateSpec; manager: Pick<ServiceManager, 'name' | 'observe' | 'parseObservation'> };
}

/** What runs on a host now, and whether it is healthy when everything but the executable matches. */
export interface LiveState {
  /** The live release, or null when there is none. */
  id: string | null;
  binarySha256: string | null;
  /** Env file and files match (and the release answers its health check). */
  restSameAndHealthy: boolean;
  /** Every release and its executable's sha256 ('-' when it has none recorded), and the free space where releases go (kB; null when unknown). */
  releases: { id: string; sha256: string }[];
  freeKb: number | null;
}

// CLAIM_BASE (the base marked as Go Deploy's, its layout complete; exit 6 when it may not be),
// then LIVE_STATE, with LIVE_STATE's arguments ($2, the executable's name, is the app's).
const CLAIM_THEN_LIVE_STATE = `${CLAIM_BASE}
claim "$1" "$2" || exit ${REFUSED_EXIT}
${LIVE_STATE}`;

/**
 * The base claimed for this app, then LIVE_STATE, with the arguments for `c` (run right after
 * the deploy lock is taken, in the same round trip).
 */
export function liveStateScript(c: LiveCheck): { script: string; args: string[] } {
  if (c.executable !== undefined && c.executable !== c.name)
    return {
      script: `${CLAIM_BASE}\nclaim "$1" "$2" || exit ${REFUSED_EXIT}\nb=$1\nshift 2\nset -- "$b" "$@"\n${LIVE_STATE}`,
      args: [c.base, c.name, c.executable, c.envFileName, sha256(c.envFileText), ...c.files.flatMap((f) => [f.path, sha256(f.content)])],
    };
  return {
    script: CLAIM_THEN_LIVE_STATE,
    args: [c.base, c.name, c.envFileName, sha256(c.envFileText), ...c.files.flatMap((f) => [f.path, sha256(f.content)])],
  };
}

/**
 * What claiming the base said (from liveStateScript's result): notes for the user (adopted,
 * recreated parts). Throws the refusal (naming the path, with a hint) when the base or a part
 * of it is not Go Deploy's to write.
 */
export function claimNotes(where: string, base: string, r: HostRunResult | undefined): string[] {
  if (!r) return [];
  if (r.code === REFUSED_EXIT) throw refusedError(where, r.stderr);
  const notes: string[] = [];
  const adopted = /^adopted (absent|empty|legacy)$/m.exec(r.stdout)?.[1];
  if (adopted)
    notes.push(`${adopted === 'legacy' ? 'marked the deployment of an earlier Go Deploy in' : 'adopted'} ${base} as this app's base (${BASE_MARKER})`);
  for (const m of r.stdout.matchAll(/^recreated (.+)$/gm)) notes.push(`${base}/${m[1]} was missing: made it again`);
  return notes;
}

/** The state from LIVE_STATE's result `r`, with the health check when everything but the executable matches. */
export async function readLiveState(runner: HostRunner, c: LiveCheck, r: HostRunResult): Promise<LiveState> {
  const id = r.code === 0 ? (/^live (.+)$/m.exec(r.stdout)?.[1] ?? null) : null;
  const binary = /^binary ([0-9a-f]{64})$/m.exec(r.stdout)?.[1] ?? null;
  const releases = r.code === 0 ? [...r.stdout.matchAll(/^release (\S+) ([0-9a-f]{64}|-)$/gm)].map((m) => ({ id: m[1], sha256: m[2] })) : [];
  const free = Number(/^free (\d+)$/m.exec(r.stdout)?.[1] ?? NaN);
  const known = { id, binarySha256: binary, releases, freeKb: r.code === 0 && Number.isFinite(free) ? free : null };
  if (!id || !binary || !/^rest same$/m.test(r.stdout)) return { ...known, restSameAndHealthy: false };
  const port = typeof c.port === 'number' ? c.port : Number((await runner.exec(['cat', c.port.file])).stdout.trim());
  if (!port) return { ...known, restSameAndHealthy: false };
  const h = c.gate
    ? await runHostGate({
        runner,
        spec: c.gate.spec,
        port,
        what: c.gate.manager.name,
        observe: c.gate.manager.observe,
        parseObservation: c.gate.manager.parseObservation,
        once: true,
      })
    : await waitHealthy(runner, { port, path: c.healthPath, timeoutMs: 0, intervalMs: 1000 });
  return { ...known, restSameAndHealthy: h.healthy };
}

/** The live release's id when it runs exactly this executable (and the rest matches, healthy); else null. */
export function liveWithBinary(state: LiveState | undefined, binarySha256: string): string | null {
  return state && state.restSameAndHealthy && state.binarySha256 === binarySha256 ? state.id : null;
}
