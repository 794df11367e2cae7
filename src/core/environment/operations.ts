// Day-2 operations on a live release: `godeploy exec` (a command in the live release's
// folder with its environment, on some or all hosts) and `godeploy restart|stop|start`. What
// the CLI and the editor pass to core/operations, the plan a target makes of it (per host,
// the commands it runs, printed by --dry-run) and what comes back. Processes and roles
// (several per app, issue 20) narrow the selection later: `process` is the hook for that.
import type { CancellationTokenLike } from '../cancellation';
import type { ReferenceSources } from '../config/references';
import type { DeployEvent, HostAccess } from './types';
import type { InteractiveTerminal } from '../remote/terminal';
import type { Figures, RolloutEvent, RolloutOutcome, RolloutState } from '../release/canary/types';

export type { InteractiveTerminal } from '../remote/terminal';

/** Which hosts (and, later, which processes) an operation acts on. */
export interface OperationSelection {
  /** Only these hosts: ssh hosts' aliases in godeploy.yaml, "local" or "engine" for the others (all when absent or empty). */
  only?: string[];
  /** Only the primary host: the first of the environment's hosts. */
  primary?: boolean;
  /** Only this process of the app (an app.processes name; the one-process form's is app.name). */
  process?: string;
  /** exec: only the hosts that run this process (hosts[].roles; a host without roles runs all). */
  role?: string;
}

export interface OperationRequest extends OperationSelection {
  configFile: { file: string; exists: boolean };
  environment: string;
  hosts?: Omit<HostAccess, 'token'>;
  token?: CancellationTokenLike;
  /** Make and report the plan, run nothing. */
  dryRun?: boolean;
  /** Where ${env:…} and ${secret:…} come from, to hide their values in what is shown (those that cannot be resolved are not needed). */
  sources?: ReferenceSources;
  /** The plan, once made and before any host is touched. */
  onPlan?(plan: OperationPlan): void;
}

/** One host's part of an operation: what it does there, and the argv it runs (none for Engine API calls). */
export interface OperationStep {
  /** The host's alias, "local" or "engine". */
  host: string;
  title: string;
  commands: string[][];
}

/** What an operation will do, before it does it: the text --dry-run prints, and its steps. */
export interface OperationPlan {
  text: string;
  steps: OperationStep[];
}

export interface ExecRequest extends OperationRequest {
  /** The command and its arguments, run as they are (no shell: give `sh -c '…'` for one). */
  command: string[];
  /** An interactive session on one host, in a pseudo-terminal, instead of output lines. */
  tty?: InteractiveTerminal;
  /** Each line of output as it comes, with its host and stream (a last line without a newline comes at the end). */
  onOutput?(line: ExecOutputLine): void;
}

export interface ExecOutputLine {
  host: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The exit code a host gets when it could not be reached or the command could not be started there (ssh's own). */
export const UNREACHABLE_EXIT = 255;

export interface ExecHostResult {
  host: string;
  address: string;
  /** The command's exit code (128+N for a signal N); UNREACHABLE_EXIT when it never ran. */
  exitCode: number;
  signal?: string;
  /** Why it did not run (unreachable host, no live release…). */
  error?: string;
  hint?: string;
  durationMs: number;
}

export interface ExecResult {
  environment: string;
  dryRun: boolean;
  plan: OperationPlan;
  /** The worst of the hosts' exit codes: 0 when every host exited 0. */
  exitCode: number;
  hosts: ExecHostResult[];
}

/** The worst exit code: the highest (0 only when all are 0; none at all is 0). */
export const worstExitCode = (codes: readonly number[]): number => codes.reduce((a, b) => Math.max(a, b), 0);

export type ServiceAction = 'restart' | 'stop' | 'start';

export interface ServiceActionRequest extends OperationRequest {
  action: ServiceAction;
  /** Progress per host (lock, the action, the health gate, unlock). */
  emit?(e: DeployEvent): void;
  /** Who, for the deploy lock: default this machine's user. */
  user?: string;
}

/** A service as its manager (or the engine) reports it. */
export interface ServiceSnapshot {
  state: string;
  running: boolean;
  pid: number | null;
}

export interface ServiceActionHostResult {
  host: string;
  address: string;
  /** The process this result is about, when the app has several (one result per host and process). */
  process?: string;
  ok: boolean;
  /** The release the host runs (current, or the release container), when known. */
  release: string | null;
  before: ServiceSnapshot | null;
  after: ServiceSnapshot | null;
  /** restart and start: the health gate after; null for stop (or when it did not run). */
  health: { healthy: boolean; answer: string } | null;
  /** Nothing had to be done (start of a running service, stop of a stopped one). */
  unchanged?: boolean;
  error?: string;
  hint?: string;
  /** The service's last log lines, when the gate failed. */
  logs?: string;
  durationMs: number;
}

export interface ServiceActionResult {
  environment: string;
  action: ServiceAction;
  ok: boolean;
  dryRun: boolean;
  cancelled: boolean;
  plan: OperationPlan;
  hosts: ServiceActionHostResult[];
  durationMs: number;
}

/**
 * What a target makes of a request: the plan, and how to carry it out. core/operations
 * reports the plan, then runs it unless it is a dry run.
 */
export interface PreparedOperation<T> {
  plan: OperationPlan;
  run(): Promise<T>;
}

/** `godeploy setup ENV`: prepare the hosts (service user, folders, service definitions, nginx site, logrotate, journald) once, idempotently. */
export type SetupRequest = OperationRequest;

/** What setup did to one item on a host: `unchanged` when it was already as it should be. */
export type SetupItemOutcome = 'unchanged' | 'created' | 'installed' | 'updated' | 'failed';

export interface SetupItemResult {
  /** user, folders, service, nginx, logrotate, journald, network, volume… */
  id: string;
  title: string;
  outcome: SetupItemOutcome;
  detail: string;
}

export interface SetupHostResult {
  host: string;
  address: string;
  ok: boolean;
  items: SetupItemResult[];
  error?: string;
  hint?: string;
  durationMs: number;
}

export interface SetupResult {
  environment: string;
  ok: boolean;
  dryRun: boolean;
  plan: OperationPlan;
  hosts: SetupHostResult[];
  durationMs: number;
}

/** `godeploy rollout status|promote|abort|resume ENV`: a canary rollout (strategy: canary) watched or moved by hand. */
export type RolloutAction = 'status' | 'promote' | 'abort' | 'resume';

export interface RolloutRequest extends OperationRequest {
  action: RolloutAction;
  /** promote: straight to 100% (the old release drains and stops) instead of the next step. */
  full?: boolean;
  /** Who, for the state and the lock: default this machine's user@host. */
  user?: string;
  /** resume: the rollout's events as it goes (steps, figures). */
  onRolloutEvent?(e: RolloutEvent): void;
}

/** One version's figures in the current step (or window), as status shows them. */
export interface RolloutView {
  environment: string;
  /** No rollout was ever started on this environment (or its state is gone): the other fields are absent. */
  none: boolean;
  state?: RolloutState;
  /** The current step's traffic so far, all hosts together, per version. */
  figures?: Figures;
  /** Per host: its weight and figures (hosts disagree only while a step is being applied). */
  hosts?: { host: string; weight: number | null; figures?: Figures; error?: string }[];
  /** ms left in the current step's pause (0 when it is over or there is none). */
  pauseLeftMs?: number;
  /** A driver (a deploy or a resume) is running it now. */
  driven?: boolean;
}

export interface RolloutResult {
  environment: string;
  action: RolloutAction;
  ok: boolean;
  /** What the environment's rollout looks like after the action. */
  view: RolloutView;
  /** resume: how the run ended. */
  outcome?: RolloutOutcome['kind'];
  /** What was done, in words ("promoted to step 2: 25%", "aborted: traffic back on R"). */
  message: string;
  durationMs: number;
}

/** `godeploy maintenance on|off|status ENV`: nginx answers 503 with a page for every path except the health path and /.well-known/. */
export interface MaintenanceRequest extends OperationRequest {
  action: 'on' | 'off' | 'status';
  /** on: the page's message (plain text, HTML-escaped into the page). */
  message?: string;
  /** on: seconds for Retry-After (default 300). */
  retryAfterSeconds?: number;
}

export interface MaintenanceHostResult {
  host: string;
  ok: boolean;
  /** Maintenance mode on that host after the action. */
  on: boolean;
  message?: string;
  /** Nothing had to change. */
  unchanged?: boolean;
  error?: string;
  hint?: string;
}

export interface MaintenanceResult {
  environment: string;
  action: 'on' | 'off' | 'status';
  ok: boolean;
  dryRun: boolean;
  plan: OperationPlan;
  hosts: MaintenanceHostResult[];
  durationMs: number;
}
