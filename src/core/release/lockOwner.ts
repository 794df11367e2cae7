// Who holds a deploy lock and whether it is stale: the lock model every target shares
// (a host's lock folder, a docker engine's lock container).
import { hostname, userInfo } from 'node:os';
import { GoDeployError } from '../errors';
import { LockOwner, LockInfo, LockStatus, LockPlace, HeldLock, LockReleaseResult } from '../environment/types';

/** Who runs an operation, as a lock names its holder and a release records it: USER@MACHINE (USER defaults to this process's user). */
export function holderName(user: string | undefined): string {
  return `${user ?? userInfo().username}@${hostname()}`;
}

/** The owner record this process writes into a lock it takes (the lock adds `since`). */
export function lockOwnerFor(user: string | undefined, version: string, operation: string): LockInfo {
  return { user: user ?? userInfo().username, host: hostname(), pid: process.pid, version, operation };
}

/** A lock older than this looks abandoned (a deploy takes minutes). */
export const DEFAULT_STALE_AFTER_SECONDS = 30 * 60;

export interface StaleContext {
  /** os.hostname() of this machine. */
  thisHost: string;
  /** Whether a pid is running on this machine. */
  pidAlive(pid: number): boolean;
  now: Date;
  staleAfterSeconds: number;
}

export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function serializeOwner(o: LockOwner): string {
  return JSON.stringify({ user: o.user, host: o.host, since: o.since, version: o.version, pid: o.pid, operation: o.operation });
}

/** owner.json's text → LockOwner, or null when it is not one (missing fields, not JSON). */
export function parseOwner(text: string): LockOwner | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const str = (k: string) => typeof o[k] === 'string';
  if (!str('user') || !str('host') || !str('since') || !Number.isFinite(Date.parse(o.since as string)) || !Number.isInteger(o.pid)) return null;
  return {
    user: o.user as string,
    host: o.host as string,
    since: o.since as string,
    pid: o.pid as number,
    version: typeof o.version === 'string' ? o.version : '',
    operation: typeof o.operation === 'string' ? o.operation : '',
  };
}

/** Whether a pid runs on this machine (signal 0: EPERM means it runs as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** "1h 5m", "3m 12s", "40s". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** Why a held lock looks abandoned, or null when it looks alive. */
export function staleReason(
  owner: LockOwner | null,
  ageSeconds: number,
  ctx: Pick<StaleContext, 'thisHost' | 'pidAlive' | 'staleAfterSeconds'>,
): string | null {
  if (owner && owner.host === ctx.thisHost && !ctx.pidAlive(owner.pid)) return `process ${owner.pid} on this machine (${owner.host}) is gone`;
  if (ageSeconds > ctx.staleAfterSeconds) return `held for ${formatAge(ageSeconds)}, longer than ${formatAge(ctx.staleAfterSeconds)}`;
  return null;
}

/** "locked by USER@HOST since TIME (version V, operation O)". */
export function describeHolder(owner: LockOwner | null): string {
  if (!owner) return 'locked (owner.json missing or unreadable)';
  return `locked by ${owner.user}@${owner.host} since ${owner.since} (version ${owner.version || '?'}, operation ${owner.operation || '?'})`;
}

/** What a deploy says when it took over a stale lock. */
export function takeOverNotice(held: Extract<LockStatus, { state: 'held' }>): string {
  return `took over a stale deploy lock: ${describeHolder(held.owner)}; ${held.staleReason}`;
}

/** A lock refused because someone holds it (as against a lock whose taking failed or whose answer was lost). */
export class LockHeldError extends GoDeployError {}

/** The error for a lock someone else holds; the hint names `godeploy lock release ENV` when it looks stale. */
export function lockedError(status: Extract<LockStatus, { state: 'held' }>, where: string, environment = 'ENV'): LockHeldError {
  const hint = status.stale
    ? `the lock looks stale (${status.staleReason}): if no deploy is running there, release it with \`godeploy lock release ${environment}\``
    : `another operation is running (held for ${formatAge(status.ageSeconds)}): wait for it to finish; if you are sure none is, release it with \`godeploy lock release ${environment} --force\``;
  return new LockHeldError(`${where}: ${describeHolder(status.owner)}`, { hint, exitCode: 1 });
}

export function defaultStaleContext(staleAfterSeconds = DEFAULT_STALE_AFTER_SECONDS): StaleContext {
  return { thisHost: hostname(), pidAlive, now: new Date(), staleAfterSeconds };
}

/** "locked by USER@HOST since … (version V, operation O), held 3m 12s". */
export const describeHeldLock = (s: HeldLock): string => `${describeHolder(s.owner)}, held ${formatAge(s.ageSeconds)}`;

/**
 * The release policy: a free lock stays free; a stale one is released; one that is not
 * stale is refused unless `force`. Not forced, only the holder read first is released (a
 * new holder that took it meanwhile is kept).
 */
export async function releaseIfAllowed(lock: LockPlace, force: boolean): Promise<LockReleaseResult> {
  const s = await lock.status();
  if (s.state === 'free') return { result: 'free' };
  if (!force && !s.stale) return { result: 'refused', status: s };
  const released = await lock.release(force ? undefined : (s.owner ?? undefined));
  return released ? { result: 'released', was: s } : { result: 'free' };
}
