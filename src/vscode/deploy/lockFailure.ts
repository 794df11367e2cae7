// Recognizing a deploy or rollback that failed because another operation holds a host's
// deploy lock (the engine's "HOST: locked by USER@HOST since …"), so the failure can offer
// Release Lock…. No vscode here: unit-tested on its own.

/** A host of a DeployResult or RollbackResult, as far as this needs it. */
export interface HostFailureLike {
  host: string;
  result: string;
  error?: string;
}

/** "…: locked by USER@HOST since …", or "…: locked (owner.json missing or unreadable)"; not the lock lost at the end ("not releasing …"). */
export const isLockedError = (error: string): boolean => /(^|: )locked (by |\(owner\.json)/.test(error) && !/not releasing the deploy lock/.test(error);

/** The first host whose failure is a lock held by someone else, or undefined. */
export function lockedHost(result: { ok: boolean; cancelled?: boolean; hosts: readonly HostFailureLike[] }): (HostFailureLike & { error: string }) | undefined {
  if (result.ok || result.cancelled) return undefined;
  return result.hosts.find((h): h is HostFailureLike & { error: string } => h.result !== 'live' && typeof h.error === 'string' && isLockedError(h.error));
}
