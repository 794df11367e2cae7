// What notifications say (one report per deploy or rollback) and what came of sending them.
// (No imports: environment/types refers to NotificationOutcome, and imports never go in circles.)

export type NotifyFormat = 'generic' | 'slack' | 'teams';

/** What a webhook can be told about: `on:` in godeploy.yaml. */
export type NotifyOn = 'deploy' | 'rollback' | 'failure';

/**
 * How the operation ended, about `release`: live (it serves), unchanged (it already served:
 * nothing was switched), rolled-back (it was switched to and taken back), failed (it never
 * went live), cancelled.
 */
export type NotifyResult = 'live' | 'unchanged' | 'rolled-back' | 'failed' | 'cancelled';

/** One deploy or rollback, as every payload format tells it (the generic format sends it as is). */
export interface NotificationReport {
  event: 'deploy' | 'rollback';
  environment: string;
  app: string;
  /** The release deployed or rolled back to; null when the operation ended before it had one (or rolled hosts back to different releases). */
  release: string | null;
  version: string | null;
  /** USER@MACHINE: who holds the deploy lock during the operation. */
  who: string;
  /** UTC, ISO 8601. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: NotifyResult;
  ok: boolean;
  hosts: NotificationHost[];
  /** Why it failed, when it ended with an error rather than a host's outcome. */
  error?: string;
  /** Reported but not fatal (a failing postDeploy hook). */
  warnings: string[];
}

export interface NotificationHost {
  host: string;
  address: string;
  /** As HostDeployResult's result. */
  result: 'live' | 'rolled-back' | 'failed' | 'unchanged';
  /** Rollbacks: the release this host went back to. */
  release?: string;
  error?: string;
}

/** What one webhook answered. The URL is never kept here: it carries the webhook's token. */
export interface NotificationOutcome {
  /** The webhook's place in the environment's notify list, from 1. */
  index: number;
  format: NotifyFormat;
  /** The URL's host (and port), when the URL could be resolved and parsed. */
  host: string | null;
  ok: boolean;
  /** The HTTP status, when the webhook answered. */
  status?: number;
  error?: string;
  ms: number;
}
