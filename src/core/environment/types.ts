// The requests, results, events, statuses, locks and checks every target shares (ssh/local
// hosts, docker engines): what the CLI and the editor pass to core/operations and get back.
import type { Figures, RolloutEvent, RolloutOutcome, RolloutState } from '../release/canary/types';
import { type ReferenceSources } from '../config/references';
import { type OpenHostOptions } from '../remote/openHosts';
import { type CancellationTokenLike } from '../cancellation';
import { type EnvironmentType } from '../config/model';
import { GoDeployError } from '../errors';
import type { NotificationOutcome } from '../notify/types';

export interface DeployRequest {
  configFile: { file: string; exists: boolean };
  environment: string;
  dryRun?: boolean;
  /** Deploy even when every host already runs this build with this environment (a new release, a restart). */
  force?: boolean;
  /** Where ${env:…} and ${secret:…} come from (the CLI: its environment; the editor: SecretStorage too). */
  sources: ReferenceSources;
  hosts?: Omit<OpenHostOptions, 'token'>;
  token?: CancellationTokenLike;
  emit?: (e: DeployEvent) => void;
  /** The plan (as --dry-run prints it, and its steps), once it is made and before any host is touched. */
  onPlan?: (plan: DeployPlan) => void;
  onBuildOutput?: (target: string, text: string) => void;
  /** For the lock and the history: who deploys. Default: this machine's user. */
  user?: string;
  now?: Date;
  buildEnv?: NodeJS.ProcessEnv;
  /** What the webhooks of notify: answered, once the deploy has ended (also when it threw). */
  onNotifications?: (n: NotificationOutcome[]) => void;
  /** strategy canary: the rollout's steps and figures as it goes. */
  onRolloutEvent?: (e: RolloutEvent) => void;
}

export interface DeployResult {
  environment: string;
  releaseId: string;
  version: string;
  ok: boolean;
  cancelled: boolean;
  dryRun: boolean;
  /** Every host already ran this build with this environment, healthy: nothing was changed. */
  alreadyLive: boolean;
  /** The plan as --dry-run prints it. */
  plan: string;
  hosts: HostDeployResult[];
  /** Reported but not fatal (a failing postDeploy hook). */
  warnings: string[];
  durationMs: number;
  /** What each webhook of notify: answered (never part of ok). */
  notifications?: NotificationOutcome[];
  /**
   * strategy canary: how the rollout ended. promoted: live at 100% (ok); aborted: traffic back
   * on the previous release (not ok); left: cancelled during a step, the rollout stays where it
   * is for `godeploy rollout promote|abort|resume` (not ok, cancelled).
   */
  rollout?: { outcome: RolloutOutcome['kind']; state: RolloutState; reason?: string; figures?: Figures };
}

export type HostResultKind = 'live' | 'rolled-back' | 'failed' | 'unchanged';

export interface HostDeployResult {
  host: string;
  address: string;
  /** live: the new release serves; rolled-back: it was switched to and taken back; failed: stopped before the switch (or could not be taken back); unchanged: not touched. */
  result: HostResultKind;
  error?: string;
  hint?: string;
  /** The failed release's last log lines. */
  logs?: string;
  previous?: string | null;
  binary?: 'uploaded' | 'delta' | 'reused' | null;
  /** Bytes of the executable sent to the host (all of it, a delta's literal bytes, or 0 when reused). */
  /** Several processes: how each executable got into the release (an unchanged one is linked from an earlier release, not sent). */
  executables?: Record<string, 'uploaded' | 'reused'>;
  binaryBytesSent?: number;
  timings: Record<string, number>;
}

export type DeployEventState = 'start' | 'done' | 'skip' | 'fail' | 'info';

export interface DeployEvent {
  host: string;
  step: StepId | 'rollback' | 'logs' | 'build' | 'connect' | 'image' | 'transfer' | 'push' | 'pull' | 'container';
  state: DeployEventState;
  message: string;
  ms?: number;
}

export interface RollbackRequest {
  configFile: { file: string; exists: boolean };
  environment: string;
  /** A release id; default: the one before the live release on each host. */
  to?: string;
  hosts?: Omit<OpenHostOptions, 'token'>;
  token?: CancellationTokenLike;
  emit?: (e: DeployEvent) => void;
  user?: string;
  /** For hiding secret values in the log lines shown; what cannot be resolved is not needed. */
  sources?: ReferenceSources;
  /** The rollback's steps, once the releases to go back to are known and before anything is switched. */
  onPlan?: (plan: DeployPlan) => void;
  /** What the webhooks of notify: answered, once the rollback has ended (also when it threw). */
  onNotifications?: (n: NotificationOutcome[]) => void;
}

/**
 * A step of a deploy's or rollback's plan: one for each step the operation reports (a
 * DeployEvent with this host and step), in the order it reports them on that host.
 */
export interface PlannedStep {
  /** The host's alias, "engine" for a docker engine, "*" for work on this machine (connect, build). */
  host: string;
  id: DeployEvent['step'];
  title: string;
  /**
   * The commands it may run on the host, as argv, those run only on a failure (to measure,
   * take back or record) included; `<…>` stands for a value known only when it runs. None
   * for Docker Engine API calls and work on this machine.
   */
  commands: string[][];
  /** Reported only in some runs (said in the title): e.g. an image sent to a remote engine when this machine has one. */
  optional?: boolean;
}

/** What an operation will do, before it does it: the text --dry-run prints, and its steps. */
export interface DeployPlan {
  text: string;
  steps: PlannedStep[];
}

export interface RollbackResult {
  environment: string;
  ok: boolean;
  cancelled: boolean;
  /** Per host: the release it was switched to (or tried to). */
  targets: Record<string, string>;
  hosts: HostDeployResult[];
  durationMs: number;
  /** What each webhook of notify: answered (never part of ok). */
  notifications?: NotificationOutcome[];
}

export interface HostStatus {
  live: string | null;
  version: string | null;
  releases: number;
  service: { state: string; running: boolean; uptimeSeconds: number | null; pid: number | null };
  health: { healthy: boolean; answer: string };
  /**
   * Each process the host runs (its roles'), in the app's order: for an app of several
   * processes (app.processes). `service` and `health` above are then the first process's.
   */
  processes?: ProcessStatus[];
  /** Docker: the live container's image (reference and short id). */
  image?: string;
  /** The releases kept there, oldest first, the live one marked. */
  releaseList?: { id: string; live: boolean }[];
  /** The last entries of the host's history.jsonl, oldest first (none for docker environments). */
  history?: HistoryEntry[];
  /** strategy canary: the rollout state on that host, when one was started (in progress or ended). */
  rollout?: RolloutState;
  /** Maintenance mode is on there (nginx answers 503). */
  maintenance?: boolean;
}

/** One process of the app on a host (a unit, program, container or swarm service named <app>-<process>). */
export interface ProcessStatus {
  /** The key in app.processes. */
  name: string;
  /** Its unit, program, container or swarm service name. */
  service: string;
  state: string;
  running: boolean;
  uptimeSeconds: number | null;
  pid: number | null;
  /** Its health gate's check now (null when not checked). */
  health: { healthy: boolean; answer: string } | null;
  port: number | null;
}

/** A line of <base>/.godeploy/history.jsonl: a deploy or a rollback on that host. */
export interface HistoryEntry {
  release: string;
  version?: string;
  /** live, rolled-back, failed (deploys); rollback, rollback-failed. */
  result: string;
  by: string;
  startedAt: string;
  finishedAt: string;
  previous?: string | null;
  /** Milliseconds per step. */
  steps?: Record<string, number>;
}

export interface StatusReport {
  environment: string;
  type: EnvironmentType;
  base: string;
  hosts: HostOutcome<HostStatus>[];
}

export interface StatusRequest {
  configFile: { file: string; exists: boolean };
  environment: string;
  acceptNewHostKey?: boolean;
  token?: CancellationTokenLike;
  sources?: ReferenceSources;
  /** Only this host (its alias in godeploy.yaml): the editor asks each host on its own. */
  host?: string;
  /** How long connecting may take. */
  timeoutMs?: number;
}

/** What happened on one host: `fn`'s value, or the error of connecting (stage connect) or of `fn` (stage run). */
export type HostOutcome<T> =
  | { alias: string; address: string; ok: true; value: T; newHostKey?: string; knownHostsFile?: string }
  | { alias: string; address: string; ok: false; stage: 'connect' | 'run'; error: string; hint?: string; cause: unknown };

/** The outcome of a host (or engine) where connecting or the work failed. */
export const hostFailure = (alias: string, address: string, stage: 'connect' | 'run', e: unknown): HostOutcome<never> => ({
  alias,
  address,
  ok: false,
  stage,
  error: e instanceof Error ? e.message : String(e),
  hint: e instanceof GoDeployError ? e.hint : undefined,
  cause: e,
});

export type StepId =
  | 'preflight'
  | 'lock'
  | 'prepare'
  | 'binary'
  | 'files'
  | 'env-file'
  | 'service'
  | 'pre-deploy'
  /** hooks on: primary, once per deploy on the primary host. */
  | 'pre-deploy-primary'
  | 'post-deploy-primary'
  | 'switch'
  | 'restart'
  | 'health'
  | 'nginx'
  | 'retire'
  | 'post-deploy'
  | 'finish'
  | 'unlock'
  | 'stop'
  | 'start';

/** How an operation reaches the hosts (or the engine): host keys, passphrases, cancellation, a connect timeout. */
export interface HostAccess extends OpenHostOptions {
  /** How long connecting may take. */
  timeoutMs?: number;
  /** The environment variables the engine address is read from (DOCKER_HOST); default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** A release as every target lists it: its id, whether it is live, whether rollback may return to it. */
export interface ReleaseSummary {
  id: string;
  live: boolean;
  /** Complete (its executable or image is there): a release rollback may return to. */
  complete: boolean;
}

/** The releases of an environment: per host (or the engine), with the target's own text and JSON. */
export interface ReleasesReport {
  environment: string;
  /** The hosts' base folder, or the engine's address. */
  base: string;
  /** "host" for ssh and local environments, "engine" for docker ones. */
  noun: 'host' | 'engine';
  hosts: HostOutcome<ReleaseSummary[]>[];
  /** As `godeploy releases` prints it (the editor shows newest first). */
  lines(order: 'oldest-first' | 'newest-first'): string[];
  /** As `godeploy releases --json` prints it. */
  json(): unknown;
}

export interface LockOwner {
  user: string;
  /** The machine the holder runs on (os.hostname() there). */
  host: string;
  /** UTC, ISO 8601 without milliseconds: 2026-11-21T10:15:00Z. */
  since: string;
  version: string;
  pid: number;
  /** deploy, rollback, … */
  operation: string;
}

export type LockInfo = Omit<LockOwner, 'since'>;

export type LockStatus =
  | { state: 'free' }
  /** owner null: the folder exists without a readable owner.json (being written, or left by a crash); the age is then the folder's. */
  | { state: 'held'; owner: LockOwner | null; ageSeconds: number; stale: boolean; staleReason: string | null };

/** Where a lock is kept: a host's lock folder, or a docker engine's lock container. */
export interface LockPlace {
  /** The host's alias in godeploy.yaml ("local" for this machine, "engine" for a docker engine). */
  alias: string;
  status(): Promise<LockStatus>;
  /** Takes the lock for `info`, or throws "locked by …" naming the holder; a stale lock is taken over only with onTakeOver. The owner written. */
  acquire(info: LockInfo, options?: { onTakeOver?(description: string): void }): Promise<LockOwner>;
  /** With `expectedOwner`, only while that owner still holds it (else "locked by …"); without, whoever holds it. False when it was free. */
  release(expectedOwner?: LockOwner): Promise<boolean>;
}

export type HeldLock = Extract<LockStatus, { state: 'held' }>;

/** What `godeploy lock release` did to one lock. */
export type LockReleaseResult = { result: 'free' } | { result: 'released'; was: HeldLock } | { result: 'refused'; status: HeldLock };

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface CheckReport extends CheckOutcome {
  id: string;
  title: string;
}

export interface HostReport {
  host: string;
  address: string;
  checks: CheckReport[];
}
