// The deploy lock of a host: `<base>/.godeploy/lock/`, taken atomically with mkdir (it fails
// when the folder exists), with owner.json inside saying who holds it, since when and why.
// Paths and the owner text reach the fixed scripts below only as positional arguments.
import { randomBytes } from 'node:crypto';
import { GoDeployError } from '../../errors';
import { BASE_GUARD, REFUSED_EXIT, refusedError } from './baseLayout';
import type { HostRunner, HostRunResult } from '../../remote/hostRunner';
import {
  StaleContext,
  isoSeconds,
  serializeOwner,
  parseOwner,
  staleReason,
  describeHolder,
  takeOverNotice,
  LockHeldError,
  lockedError,
  defaultStaleContext,
} from '../../release/lockOwner';
import { LockOwner, LockInfo, LockStatus } from '../../environment/types';

// $1 base. Prints "free", or "held", then "<folder mtime> <host clock>" (epoch seconds), then owner.json.
const STATUS_SCRIPT = `d="$1/.godeploy/lock"
if [ -d "$d" ]; then
  echo held
  echo "$(stat -c %Y "$d" 2>/dev/null || echo -) $(date +%s)"
  cat "$d/owner.json" 2>/dev/null
  exit 0
fi
if [ -e "$d" ] || [ -L "$d" ]; then echo "$d exists and is not a folder" >&2; exit 3; fi
echo free`;

// $1 base, $2 owner.json text. mkdir is the atomic step; owner.json is written through a
// temporary name so a reader sees all of it or nothing. When the folder exists, prints what
// STATUS_SCRIPT prints, waiting a moment for owner.json from a holder that just won. First
// BASE_GUARD: exit 6 (the reason on stderr) when the base is not Go Deploy's to write.
const ACQUIRE_SCRIPT = `${BASE_GUARD}
d="$1/.godeploy/lock"
mkdir -p "$1/.godeploy" || exit 3
if mkdir "$d" 2>/dev/null; then
  if printf '%s\\n' "$2" > "$d/owner.json.tmp" && mv -f "$d/owner.json.tmp" "$d/owner.json"; then echo acquired; exit 0; fi
  rm -rf "$d"
  exit 3
fi
[ -d "$d" ] || { echo "could not create $d" >&2; exit 3; }
i=0
while [ ! -s "$d/owner.json" ] && [ $i -lt 20 ] && [ -d "$d" ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done
echo held
echo "$(stat -c %Y "$d" 2>/dev/null || echo -) $(date +%s)"
cat "$d/owner.json" 2>/dev/null
exit 0`;

// $1 base. Renames the folder away first, so a new holder's lock is never half-deleted.
const RELEASE_SCRIPT = `d="$1/.godeploy/lock"
[ -e "$d" ] || { echo free; exit 0; }
g="$1/.godeploy/lock.released.$$"
mv "$d" "$g" && rm -rf "$g" && echo released`;

// $1 base, $2 owner.json text: releases the lock only while owner.json still holds exactly
// that text (one round trip); else prints what STATUS_SCRIPT prints for a held lock.
export const RELEASE_OWNED_SCRIPT = `d="$1/.godeploy/lock"
[ -e "$d" ] || { echo free; exit 0; }
o=
IFS= read -r o < "$d/owner.json" 2>/dev/null
if [ "$o" != "$2" ]; then
  echo held
  echo "$(stat -c %Y "$d" 2>/dev/null || echo -) $(date +%s)"
  cat "$d/owner.json" 2>/dev/null
  exit 0
fi
g="$1/.godeploy/lock.released.$$"
mv "$d" "$g" && rm -rf "$g" && echo released`;

/**
 * What RELEASE_OWNED_SCRIPT printed (from its first line of output on): true when released,
 * false when there was no lock; throws "not releasing … locked by …" when someone else holds it.
 */
export function interpretOwnedRelease(describe: string, lines: string[], expectedOwner: LockOwner): boolean {
  if (lines[0] === 'released') return true;
  if (lines[0] === 'free') return false;
  const o = parseOwner(lines.slice(2).join('\n').trim());
  throw new GoDeployError(
    `${describe}: not releasing the deploy lock: ${describeHolder(o)}, not ${expectedOwner.user}@${expectedOwner.host} (pid ${expectedOwner.pid}) since ${expectedOwner.since}`,
    {
      hint: 'someone else took it meanwhile; see `godeploy lock status ENV`',
      exitCode: 1,
    },
  );
}

function parseHeld(lines: string[], now: Date, ctx: StaleContext): Extract<LockStatus, { state: 'held' }> {
  const [mtime, hostNow] = (lines[0] ?? '').split(' ').map(Number);
  const owner = parseOwner(lines.slice(1).join('\n').trim());
  // owner.since is this machine's clock (the holder wrote it); the folder's mtime is the host's.
  const ageSeconds = owner
    ? Math.max(0, (now.getTime() - Date.parse(owner.since)) / 1000)
    : Number.isFinite(mtime) && Number.isFinite(hostNow)
      ? Math.max(0, hostNow - mtime)
      : 0;
  const reason = staleReason(owner, ageSeconds, ctx);
  return { state: 'held', owner, ageSeconds: Math.floor(ageSeconds), stale: reason !== null, staleReason: reason };
}

function scriptFailed(what: string, runner: HostRunner, r: { code: number | null; stdout: string; stderr: string }): GoDeployError {
  if (r.code === REFUSED_EXIT) return refusedError(runner.describe, r.stderr);
  return new GoDeployError(`${runner.describe}: ${what} failed (exit ${r.code ?? 'signal'}): ${(r.stderr || r.stdout).trim().split('\n')[0] || 'no output'}`);
}

export async function lockStatus(runner: HostRunner, base: string, ctx: StaleContext = defaultStaleContext()): Promise<LockStatus> {
  const r = await runner.exec(['sh', '-c', STATUS_SCRIPT, 'sh', base]);
  const lines = r.stdout.split('\n');
  if (r.code !== 0 || !/^(free|held)$/.test(lines[0])) throw scriptFailed('reading the deploy lock', runner, r);
  return lines[0] === 'free' ? { state: 'free' } : parseHeld(lines.slice(1), ctx.now, ctx);
}

/**
 * Takes the lock of `base` for `info`, or throws "locked by …" (exit 1) naming the holder,
 * with a hint to `godeploy lock release ENV` when the lock looks stale. Returns the owner written.
 */
export async function acquireLock(runner: HostRunner, base: string, info: LockInfo, options: AcquireOptions = {}): Promise<LockOwner> {
  return (await acquireLockThen(runner, base, info, options)).owner;
}

export interface AcquireOptions {
  environment?: string;
  staleAfterSeconds?: number;
  now?: Date;
  /**
   * Called when a stale lock (its process on this machine is gone, or it is older than the
   * stale age) was taken over, with what it was. Without it a stale lock is refused as a held one.
   */
  onTakeOver?: (description: string) => void;
}

/** A script run right after the lock is taken, in the same round trip: its text and positional arguments. */
export interface AfterLock {
  script: string;
  args: string[];
}

/**
 * acquireLock, then (only when the lock was taken) `then` in the same round trip; returns
 * the owner and `then`'s result. A failing `then` does not give the lock back: the caller
 * holds it either way and releases it as always.
 */
export async function acquireLockThen(
  runner: HostRunner,
  base: string,
  info: LockInfo,
  options: AcquireOptions = {},
  then?: AfterLock,
): Promise<{ owner: LockOwner; then?: HostRunResult }> {
  const now = options.now ?? new Date();
  const owner: LockOwner = { ...info, since: isoSeconds(now) };
  const token = `@@godeploy-${randomBytes(12).toString('hex')}`;
  const r = then
    ? await runner.exec(['sh', '-c', ACQUIRE_THEN_SCRIPT(then.script), 'sh', base, serializeOwner(owner), token, ...then.args])
    : await runner.exec(['sh', '-c', ACQUIRE_SCRIPT, 'sh', base, serializeOwner(owner)]);
  const at = then ? r.stdout.indexOf(`\n${token} `) : -1;
  const lockOut = at < 0 ? r.stdout : r.stdout.slice(0, at + 1);
  const lines = lockOut.split('\n');
  if ((r.code === 0 || at >= 0) && lines[0] === 'acquired') {
    if (at < 0) return { owner };
    const eol = r.stdout.indexOf('\n', at + 1);
    const code = Number(r.stdout.slice(at + token.length + 2, eol < 0 ? undefined : eol));
    return { owner, then: { code: Number.isInteger(code) ? code : r.code, stdout: eol < 0 ? '' : r.stdout.slice(eol + 1), stderr: r.stderr } };
  }
  if (r.code === 0 && lines[0] === 'held') {
    const ctx = { ...defaultStaleContext(options.staleAfterSeconds), now: new Date() };
    const held = parseHeld(lines.slice(1), ctx.now, ctx);
    if (held.stale && options.onTakeOver) {
      // Released only while owner.json is still the stale holder's (another deploy may be
      // taking it over at the same moment: then that one holds it and this one is refused).
      const ownerLine = lines[2] ?? '';
      const gone = await runner.exec(['sh', '-c', held.owner ? RELEASE_OWNED_SCRIPT : RELEASE_SCRIPT, 'sh', base, ownerLine]);
      if (/^(released|free)$/.test(gone.stdout.split('\n')[0])) {
        const taken = await acquireLockThen(runner, base, info, { ...options, onTakeOver: undefined }, then);
        options.onTakeOver(takeOverNotice(held));
        return taken;
      }
    }
    throw lockedError(held, runner.describe, options.environment);
  }
  throw scriptFailed('taking the deploy lock', runner, r);
}

/**
 * acquireLockThen, recording in `owners` under `key` the lock it took, or may have taken: when
 * the answer was lost with the connection (not refused), the script may still have taken it on
 * the host, and the caller's way out releases it while owner.json is still exactly this owner.
 */
export async function acquireLockRecorded<K>(
  owners: Map<K, LockOwner>,
  key: K,
  runner: HostRunner,
  base: string,
  info: LockInfo,
  options: AcquireOptions = {},
  then?: AfterLock,
): Promise<{ owner: LockOwner; then?: HostRunResult }> {
  const now = options.now ?? new Date();
  try {
    const locked = await acquireLockThen(runner, base, info, { ...options, now }, then);
    owners.set(key, locked.owner);
    return locked;
  } catch (e) {
    if (!(e instanceof LockHeldError)) owners.set(key, { ...info, since: isoSeconds(now) });
    throw e;
  }
}

// ACQUIRE_SCRIPT ($1 base, $2 owner); when it printed "acquired": `then` in a subshell with
// the arguments after $3, then a line "$3 <then's exit code>", then then's output.
const ACQUIRE_THEN_SCRIPT = (then: string): string => `# take the deploy lock, then read the host's state
a=$( (
${ACQUIRE_SCRIPT}
) ) || exit $?
printf '%s\n' "$a"
[ "$a" = acquired ] || exit 0
T=$3
shift 3
o=$( (
${then}
) ) ; c=$?
printf '%s %s\n%s\n' "$T" "$c" "$o"`;

/**
 * Removes the lock of `base`. With `expectedOwner`, only when owner.json still names that
 * owner (user, host, pid, since): otherwise throws "locked by …". Without it, whoever holds
 * it (forced). Returns false when there was no lock.
 */
export async function releaseLock(runner: HostRunner, base: string, expectedOwner?: LockOwner): Promise<boolean> {
  if (expectedOwner) {
    const r = await runner.exec(['sh', '-c', RELEASE_OWNED_SCRIPT, 'sh', base, serializeOwner(expectedOwner)]);
    const lines = r.stdout.trim().split('\n');
    if (r.code !== 0 || !/^(free|released|held)$/.test(lines[0])) throw scriptFailed('releasing the deploy lock', runner, r);
    return interpretOwnedRelease(runner.describe, lines, expectedOwner);
  }
  const r = await runner.exec(['sh', '-c', RELEASE_SCRIPT, 'sh', base]);
  const state = r.stdout.trim();
  if (r.code !== 0 || !/^(free|released)$/.test(state)) throw scriptFailed('releasing the deploy lock', runner, r);
  return state === 'released';
}
