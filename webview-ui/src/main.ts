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
import type { DashboardAction, DashboardPersisted, DashboardState, FromDashboard, HistoryRow, HostRow, ToDashboard } from '../../src/vscode/webview/protocol';
import { durationChart } from './chart';
import { el } from './dom';

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

window.addEventListener('message', (event: MessageEvent<ToDashboard>) => {
  const m = event.data;
  if (m.type === 'state') {
    state = m.state;
    render();
  } else if (m.type === 'reply') {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  }
});

const uptime = (s: number | null): string =>
  s === null ? '—' : s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function hostsTable(hosts: HostRow[]): HTMLElement {
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
          el('vscode-table-cell', {}, [h.live ?? (h.reachable ? 'none' : '—')]),
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
  // The page is rendered again when a new state arrives (before the reply): say it where the status is now.
  const say = (text: string): void => {
    statusText = text;
    const current = app.querySelector('[role="status"]');
    if (current) current.textContent = text;
  };
  const run = (action: DashboardAction, label: string, release?: string) => async () => {
    say(`${label}…`);
    const r = await request(action, release);
    say(`${label}: ${r.message}`);
  };
  const button = (label: string, action: DashboardAction, secondary = false, release?: () => string | undefined): HTMLElement => {
    const b = el('vscode-button', secondary ? { secondary: '' } : {}, [label]);
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
  app.replaceChildren(
    actions(state),
    el('h2', {}, ['Hosts']),
    hostsTable(state.hosts),
    el('h2', {}, ['Deploy durations']),
    deploys.length ? durationChart(deploys) : el('p', { class: 'muted' }, ['No deploys yet.']),
    el('h2', {}, ['History']),
    historyTable(state.history),
    el('p', { class: 'muted' }, [`Read ${new Date(state.updatedAt).toLocaleTimeString()}.`]),
  );
  const theme = document.body.classList.contains('vscode-dark') ? 'dark' : document.body.classList.contains('vscode-high-contrast') ? 'high-contrast' : 'light';
  vscode.postMessage({ type: 'rendered', hosts: state.hosts.length, history: state.history.length, theme });
}

vscode.postMessage({ type: 'ready' });
