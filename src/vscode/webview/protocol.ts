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

export interface DashboardState {
  environment: string;
  configFile: string;
  type: string;
  hosts: HostRow[];
  /** Newest first, every host's. */
  history: HistoryRow[];
  updatedAt: string;
  loading: boolean;
}

export type DashboardAction = 'deploy' | 'rollback' | 'tailLogs' | 'refresh';

export type FromDashboard =
  | { type: 'ready' }
  | { type: 'request'; id: number; action: DashboardAction; release?: string }
  /** After each state: what the page shows (and in which theme), so the extension knows it rendered. */
  | { type: 'rendered'; hosts: number; history: number; theme: string }
  /** The page's securitypolicyviolation events: the extension logs them. */
  | { type: 'cspViolation'; detail: string };

export type ToDashboard = { type: 'state'; state: DashboardState } | { type: 'reply'; id: number; ok: boolean; message: string };

/** What the page keeps across a reload (vscode.setState) and the serializer restores from. */
export interface DashboardPersisted {
  configFile: string;
  environment: string;
}
