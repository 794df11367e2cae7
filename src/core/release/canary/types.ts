// strategy canary: the policy a rollout follows (from rollout.canary, defaults filled), the
// figures computed from nginx's JSON access log, the state kept on each host, and what the
// driver needs of a place that serves both versions behind nginx (a host, or a docker
// engine's host). Targets start the canary beside the live release and hand the driver one
// CanarySite per host; the driver (driver.ts) steps the weights and judges the traffic.

/** One step of a canary: the canary's share of requests (percent) and how long it holds (ms; 0 for the last). */
export interface CanaryStep {
  weight: number;
  pauseMs: number;
}

/** rollout.canary with its defaults. */
export interface CanaryPolicy {
  steps: CanaryStep[];
  analysis: {
    windowMs: number;
    /** A fraction: 0.01 for 1%. */
    maxErrorRate: number;
    /** null: latency is not judged. */
    maxP95LatencyRatio: number | null;
    minRequests: number;
  };
  sticky: 'cookie' | 'none';
  onInsufficientTraffic: 'fail' | 'promote';
  insufficientTrafficWaitMs: number;
}

/** Latencies under this count as this much when a ratio of p95s is judged. */
export const LATENCY_FLOOR_MS = 5;

/** One version's traffic in a window: requests, 5xx answers and latencies (ms, nginx's $request_time). */
export interface VersionFigures {
  requests: number;
  errors: number;
  /** errors / requests (0 with no requests). */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Figures {
  stable: VersionFigures;
  canary: VersionFigures;
}

/** The verdict on one window. */
export type Judgement =
  | { kind: 'pass'; figures: Figures }
  | { kind: 'breach'; figures: Figures; reason: string }
  /** Not enough canary requests (or the window not yet long enough) to judge. */
  | { kind: 'wait'; figures: Figures };

/** Where a rollout is. progressing: a driver runs it (heartbeat); paused: none does (left with Ctrl-C); promoted/aborted: over. */
export type RolloutStatus = 'progressing' | 'paused' | 'promoted' | 'aborted';

/** One step as it went: when it started and ended, and the last judged figures. */
export interface StepRecord {
  step: number;
  weight: number;
  startedAt: number;
  endedAt?: number;
  /** passed (judged and met analysis), promoted (by hand), insufficient (promoted by onInsufficientTraffic), breach, aborted (by hand). */
  result?: 'passed' | 'promoted' | 'insufficient' | 'breach' | 'aborted';
  figures?: Figures;
}

/** <base>/.godeploy/rollout.json on each host: the rollout as the last writer left it. */
export interface RolloutState {
  version: 1;
  app: string;
  environment: string;
  /** The canary release id and the live (stable) one it is compared with. */
  release: string;
  previous: string;
  stablePort: number;
  canaryPort: number;
  policy: CanaryPolicy;
  /** Index into policy.steps of the current step. */
  step: number;
  /** The canary's share now (0 after an abort, 100 once promoted). */
  weight: number;
  stepStartedAt: number;
  /** When the current step's pause ends (epoch ms), or null when it has none. */
  pauseUntil: number | null;
  /** Byte offset of the JSON access log where the current window began. */
  logOffset: number;
  status: RolloutStatus;
  /** Why it was aborted or left, in words with the figures. */
  reason?: string;
  /** Who wrote this state last ("user@machine"), and a counter each write increases. */
  by: string;
  revision: number;
  /** Epoch ms of the running driver's last tick; a driver older than DRIVER_STALE_MS is gone. */
  heartbeatAt: number | null;
  updatedAt: number;
  history: StepRecord[];
}

export const DRIVER_STALE_MS = 15_000;

/**
 * A place that serves both versions behind one nginx: a host of an ssh environment, or a
 * docker engine's host. Every change is made on the host under its rollout lock (flock on
 * <state file>.lock) and only when the incoming state's revision is above the host's (and,
 * with expectRevision, the host's is exactly that): two writers (a deploy's driver and a
 * `rollout abort` from another machine) never interleave, and a late write never undoes a
 * newer one. false means another writer got there first: read the state again.
 */
export interface CanarySite {
  /** The host alias (or "engine") as output labels it. */
  name: string;
  readState(): Promise<RolloutState | null>;
  /** Writes only the state (a heartbeat, a step record): no nginx change. */
  writeState(state: RolloutState, expectRevision?: number): Promise<boolean>;
  /** Rewrites the canary include for state.weight between state.stablePort and state.canaryPort (nginx -t, reload; the old include back on a failed check), then writes the state. */
  apply(state: RolloutState, expectRevision?: number): Promise<boolean>;
  /**
   * The end of a rollout, then the state. complete: nginx sends everything to canaryPort, the
   * old workers drain, the stable instance stops, the canary is recorded as the live instance.
   * abort: everything to stablePort, drain, the canary instance stops, current points back at
   * state.previous.
   * onSwitched is called once this host's end is claimed (the revision check passed, the state
   * written) and nginx reloaded with the end's include, before the drain and the hooks: the
   * driver starts the other hosts' ends then, so traffic switches everywhere at once while the
   * primary's revision check still decides. Not called when false is returned or the claim fails.
   */
  finish(state: RolloutState, how: 'complete' | 'abort', expectRevision?: number, onSwitched?: () => void): Promise<boolean>;
  /** The JSON access log from byte `offset`: its text and the offset reached (a file now shorter than offset was rotated: read from 0). */
  readLog(offset: number): Promise<{ text: string; offset: number }>;
  /** The log's size now (where a new window starts). */
  logSize(): Promise<number>;
}

/** Events a rollout reports as it goes (the CLI prints them, the editor shows them). */
export type RolloutEvent =
  | { kind: 'step'; step: number; weight: number; pauseMs: number; message: string }
  | { kind: 'figures'; step: number; weight: number; figures: Figures; message: string }
  | { kind: 'info'; message: string };

/** How a rollout run ended: promoted (live at 100%), aborted (traffic back on the old release), or left (cancelled; the rollout stays where it is). */
export type RolloutOutcome =
  | { kind: 'promoted'; state: RolloutState }
  | { kind: 'aborted'; state: RolloutState; reason: string; figures?: Figures }
  | { kind: 'left'; state: RolloutState };
