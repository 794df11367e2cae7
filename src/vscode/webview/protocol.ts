// The deployment dashboard's messages, shared by the extension (src/vscode/webview) and the
// page (webview-ui/): types only, so both sides compile against the same shapes. The page
// says "ready" once it listens; the extension answers with the state, and again whenever it
// changes. Actions are requests with ids; each gets one reply.

export interface HostRow {
  host: string;
  address: string;
  reachable: boolean;
  error?: string;
  live: string | null;
  version: string | null;
  healthy: boolean;
  health: string;
  service: string;
  uptimeSeconds: number | null;
  releases: { id: string; live: boolean }[];
}

export interface HistoryRow {
  host: string;
  release: string;
  version: string;
  result: string;
  by: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Milliseconds per step, in the order they ran. */
  steps: [string, number][];
  rolledBack: boolean;
}

/** One version's traffic in the current step, as the rollout panel shows it. */
export interface RolloutFigures {
  requests: number;
  errors: number;
  /** errors / requests, a fraction. */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** One step of the rollout's policy, for the chart: done (with how it ended), the current one, or still ahead. */
export interface RolloutChartStep {
  /** 1-based. */
  step: number;
  weight: number;
  pauseMs: number;
  phase: 'done' | 'current' | 'next';
  /** done steps: passed, promoted, insufficient, breach or aborted. */
  result?: string;
}

/** A canary rollout of the environment (strategy canary), from `godeploy rollout status`. */
export interface RolloutPanel {
  /** The canary release, and the live one it is compared with. */
  release: string;
  previous: string;
  status: 'progressing' | 'paused' | 'promoted' | 'aborted';
  /** In progress or paused: Promote and Abort apply. */
  active: boolean;
  /** 1-based step and the number of steps. */
  step: number;
  steps: number;
  /** The canary's share of requests now (percent). */
  weight: number;
  /** ms left in the current step's pause when `readAt` was taken (0: over, or none). */
  pauseLeftMs: number;
  /** A deploy or a resume is driving it now (else it waits for promote, abort or resume). */
  driven: boolean;
  by: string;
  reason?: string;
  /** The current step's traffic so far, every host together (absent before any request). */
  figures?: { stable: RolloutFigures; canary: RolloutFigures };
  chart: RolloutChartStep[];
  /** Hosts that disagree or could not be read. */
  hostNotes: string[];
  /** When the view was read (ISO). */
  readAt: string;
}

export interface DashboardState {
  environment: string;
  configFile: string;
  type: string;
  hosts: HostRow[];
  /** Newest first, every host's. */
  history: HistoryRow[];
  /** strategy canary: the environment's last or current rollout (read every ~2 s while one is in progress). */
  rollout?: RolloutPanel;
  /** Why the rollout could not be read, when it could not. */
  rolloutError?: string;
  updatedAt: string;
  loading: boolean;
}

/** What the page shows of a rollout (its own text), reported after each render. */
export interface RenderedRollout {
  /** "step 2/3", the weight "25%", the status. */
  step: string;
  weight: string;
  status: string;
  /** One line per version row: "canary R2: 120 requests, 3 5xx (2.5%), p50 4 ms, p95 9 ms". */
  figures: string[];
  /** The labels of the buttons shown (Promote, Abort). */
  buttons: string[];
  /** Points of the chart (one per step). */
  chartSteps: number;
}

export type DashboardAction = 'deploy' | 'rollback' | 'tailLogs' | 'refresh' | 'promote' | 'abort';

export type FromDashboard =
  | { type: 'ready' }
  | { type: 'request'; id: number; action: DashboardAction; release?: string }
  /** After each state: what the page shows (and in which theme), so the extension knows it rendered. */
  | { type: 'rendered'; hosts: number; history: number; theme: string; rollout?: RenderedRollout }
  /** The page's securitypolicyviolation events: the extension logs them. */
  | { type: 'cspViolation'; detail: string }
  /** Answer to `press`: whether the page had that button to click (its click then sends the request). */
  | { type: 'pressed'; action: DashboardAction; found: boolean };

export type ToDashboard =
  | { type: 'state'; state: DashboardState }
  | { type: 'reply'; id: number; ok: boolean; message: string }
  /** Click the page's button of `action`, as a user would (the editor's API for tests and automation). */
  | { type: 'press'; action: DashboardAction };

/** What the page keeps across a reload (vscode.setState) and the serializer restores from. */
export interface DashboardPersisted {
  configFile: string;
  environment: string;
}
