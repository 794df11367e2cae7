// The deployment dashboard page: hosts with their live release, version, health and uptime;
// the deploy history (time, who, version, duration per step, result, rolled back or not)
// with a chart of deploy durations; Deploy, Rollback to a chosen release, Tail Logs and
// Refresh. Built from @vscode-elements/elements, which follow the editor's theme. No inline
// styles or scripts (the CSP allows neither): page styles are a constructed stylesheet.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type {
  DashboardAction,
  DashboardPersisted,
  DashboardState,
  FromDashboard,
  HistoryRow,
  HostRow,
  RolloutPanel,
  ToDashboard,
} from '../../src/vscode/webview/protocol';
import { durationChart } from './chart';
import { el } from './dom';
import { rolloutSection } from './rollout';

interface VsCodeApi {
  postMessage(m: FromDashboard): void;
  setState(s: DashboardPersisted): void;
  getState(): DashboardPersisted | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const persisted: DashboardPersisted = { environment: document.body.dataset.environment ?? '', configFile: document.body.dataset.configFile ?? '' };
vscode.setState(persisted);

const sheet = new CSSStyleSheet();
sheet.replaceSync(`
  body { padding: 0 20px 20px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
  header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
  header h1 { font-size: 1.4em; font-weight: 600; margin: 0 12px 0 0; }
  h2 { font-size: 1.1em; font-weight: 600; margin: 24px 0 8px; }
  .muted { color: var(--vscode-descriptionForeground); }
  .ok { color: var(--vscode-testing-iconPassed); }
  .bad { color: var(--vscode-testing-iconFailed); }
  .status { min-height: 1.4em; }
  svg text { fill: var(--vscode-descriptionForeground); font-size: 10px; }
  svg .bar { fill: var(--vscode-charts-blue); }
  svg .bar.failed { fill: var(--vscode-charts-red); }
  svg .axis { stroke: var(--vscode-editorWidget-border); }
  svg .grid { stroke: var(--vscode-editorWidget-border); stroke-dasharray: 2 4; }
  svg.weights .line { fill: none; stroke: var(--vscode-charts-blue); stroke-width: 2; }
  svg.weights .line.ahead { stroke: var(--vscode-descriptionForeground); stroke-dasharray: 4 4; stroke-width: 1.5; }
  svg.weights .step { stroke: var(--vscode-editor-background); stroke-width: 1.5; }
  svg.weights .step.passed { fill: var(--vscode-charts-green); }
  svg.weights .step.failed { fill: var(--vscode-charts-red); }
  svg.weights .step.promoted { fill: var(--vscode-charts-blue); }
  svg.weights .step.current { fill: var(--vscode-charts-orange); stroke: var(--vscode-foreground); stroke-width: 2; }
  svg.weights .step.next { fill: var(--vscode-editor-background); stroke: var(--vscode-descriptionForeground); }
  svg.weights text.now { fill: var(--vscode-foreground); font-weight: 600; }
  section[aria-label="canary rollout"] { border: 1px solid var(--vscode-editorWidget-border); border-radius: 4px; padding: 0 16px 12px; margin: 8px 0 16px; }
  .rollout-actions { display: flex; gap: 8px; margin: 8px 0; }
`);
document.adoptedStyleSheets = [sheet];

document.addEventListener('securitypolicyviolation', (e) => {
  vscode.postMessage({ type: 'cspViolation', detail: `${e.violatedDirective}: ${e.blockedURI || 'inline'}` });
});

let nextId = 1;
const pending = new Map<number, (r: { ok: boolean; message: string }) => void>();
function request(action: DashboardAction, release?: string): Promise<{ ok: boolean; message: string }> {
  const id = nextId++;
  vscode.postMessage({ type: 'request', id, action, release });
  return new Promise((resolve) => pending.set(id, resolve));
}

let state: DashboardState | undefined;
let statusText = '';

// The page is rendered again when a new state arrives (before the reply): say it where the status is now.
function say(text: string): void {
  statusText = text;
  const current = app.querySelector('[role="status"]');
  if (current) current.textContent = text;
}
const run = (action: DashboardAction, label: string, release?: string) => async () => {
  say(`${label}…`);
  const r = await request(action, release);
  say(`${label}: ${r.message}`);
};

window.addEventListener('message', (event: MessageEvent<ToDashboard>) => {
  const m = event.data;
  if (m.type === 'state') {
    state = m.state;
    render();
  } else if (m.type === 'reply') {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  } else if (m.type === 'press') {
    const button = app.querySelector<HTMLElement>(`vscode-button[data-action="${m.action}"]`);
    vscode.postMessage({ type: 'pressed', action: m.action, found: button !== null });
    button?.click();
  }
});

const uptime = (s: number | null): string =>
  s === null ? '—' : s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A host's live release; during a rollout the one the canary is compared with, and the canary with its share. */
function liveCell(h: HostRow, rollout: RolloutPanel | undefined): (Node | string)[] {
  if (rollout?.active && h.reachable) return [rollout.previous, el('div', { class: 'muted' }, [`canary ${rollout.release} at ${rollout.weight}%`])];
  return [h.live ?? (h.reachable ? 'none' : '—')];
}

function hostsTable(hosts: HostRow[], rollout?: RolloutPanel): HTMLElement {
  return el('vscode-table', { zebra: '', bordered: '', resizable: '', 'aria-label': 'hosts' }, [
    el(
      'vscode-table-header',
      { slot: 'header' },
      ['Host', 'Live release', 'Version', 'Health', 'Service', 'Uptime'].map((t) => el('vscode-table-header-cell', {}, [t])),
    ),
    el(
      'vscode-table-body',
      { slot: 'body' },
      hosts.map((h) =>
        el('vscode-table-row', { 'data-host': h.host }, [
          el('vscode-table-cell', {}, [h.host, el('div', { class: 'muted' }, [h.address])]),
          el('vscode-table-cell', {}, liveCell(h, rollout)),
          el('vscode-table-cell', {}, [h.version ?? '—']),
          el('vscode-table-cell', {}, [
            h.reachable
              ? el('span', { class: h.healthy ? 'ok' : 'bad' }, [h.healthy ? `healthy (${h.health})` : `not healthy (${h.health})`])
              : el('span', { class: 'bad' }, [`unreachable: ${h.error ?? ''}`]),
          ]),
          el('vscode-table-cell', {}, [h.service]),
          el('vscode-table-cell', {}, [uptime(h.uptimeSeconds)]),
        ]),
      ),
    ),
  ]);
}

function historyTable(history: HistoryRow[]): HTMLElement {
  if (!history.length) return el('p', { class: 'muted' }, ['No deploys recorded yet (docker environments keep no history file).']);
  return el('vscode-table', { zebra: '', bordered: '', 'aria-label': 'deploy history' }, [
    el(
      'vscode-table-header',
      { slot: 'header' },
      ['Finished', 'Host', 'Release', 'Version', 'Result', 'By', 'Duration', 'Steps'].map((t) => el('vscode-table-header-cell', {}, [t])),
    ),
    el(
      'vscode-table-body',
      { slot: 'body' },
      history
        .slice(0, 50)
        .map((r) =>
          el('vscode-table-row', { 'data-release': r.release }, [
            el('vscode-table-cell', {}, [new Date(r.finishedAt).toLocaleString()]),
            el('vscode-table-cell', {}, [r.host]),
            el('vscode-table-cell', {}, [r.release]),
            el('vscode-table-cell', {}, [r.version || '—']),
            el('vscode-table-cell', {}, [
              el('vscode-badge', { variant: r.result === 'live' || r.result === 'rollback' ? 'counter' : 'default' }, [
                r.rolledBack ? `${r.result} ↩` : r.result,
              ]),
            ]),
            el('vscode-table-cell', {}, [r.by]),
            el('vscode-table-cell', {}, [seconds(r.durationMs)]),
            el('vscode-table-cell', { class: 'muted' }, [r.steps.map(([s, ms]) => `${s} ${seconds(ms)}`).join(' · ')]),
          ]),
        ),
    ),
  ]);
}

function actions(s: DashboardState): HTMLElement {
  const releases = [...new Set(s.hosts.flatMap((h) => h.releases.filter((r) => !r.live).map((r) => r.id)))].sort().reverse();
  const select = el('vscode-single-select', { 'aria-label': 'release to roll back to', id: 'release' }, [
    el('vscode-option', { value: '' }, ['previous release']),
    ...releases.map((id) => el('vscode-option', { value: id }, [id])),
  ]) as HTMLElement & { value: string };
  const status = el('span', { class: 'status muted', role: 'status' }, [statusText]);
  const button = (label: string, action: DashboardAction, secondary = false, release?: () => string | undefined): HTMLElement => {
    const b = el('vscode-button', { 'data-action': action, ...(secondary ? { secondary: '' } : {}) }, [label]);
    b.addEventListener('click', () => void run(action, label, release?.())());
    return b;
  };
  return el('header', {}, [
    el('h1', {}, [s.environment]),
    el('span', { class: 'muted' }, [s.type]),
    button('Deploy', 'deploy'),
    select,
    button('Rollback', 'rollback', true, () => select.value || undefined),
    button('Tail Logs', 'tailLogs', true),
    button('Refresh', 'refresh', true),
    ...(s.loading ? [el('vscode-progress-ring', { 'aria-label': 'reading the hosts' })] : []),
    status,
  ]);
}

function render(): void {
  if (!state) return;
  app.removeAttribute('aria-busy');
  const deploys = state.history
    .filter((h) => !h.result.startsWith('rollback'))
    .slice(0, 30)
    .reverse();
  const rollout = state.rollout
    ? rolloutSection(state.rollout, { promote: () => void run('promote', 'Promote')(), abort: () => void run('abort', 'Abort')() })
    : undefined;
  app.replaceChildren(
    actions(state),
    ...(rollout ? [rollout.element] : []),
    ...(state.rolloutError ? [el('p', { class: 'bad' }, [`The rollout could not be read: ${state.rolloutError}`])] : []),
    el('h2', {}, ['Hosts']),
    hostsTable(state.hosts, state.rollout),
    el('h2', {}, ['Deploy durations']),
    deploys.length ? durationChart(deploys) : el('p', { class: 'muted' }, ['No deploys yet.']),
    el('h2', {}, ['History']),
    historyTable(state.history),
    el('p', { class: 'muted' }, [`Read ${new Date(state.updatedAt).toLocaleTimeString()}.`]),
  );
  const theme = document.body.classList.contains('vscode-dark') ? 'dark' : document.body.classList.contains('vscode-high-contrast') ? 'high-contrast' : 'light';
  vscode.postMessage({ type: 'rendered', hosts: state.hosts.length, history: state.history.length, theme, ...(rollout ? { rollout: rollout.rendered } : {}) });
}

vscode.postMessage({ type: 'ready' });
