// The rollout panel: a canary release of the environment (strategy canary) — the canary
// against the live release, the step and the canary's weight, the time left in the step's
// pause (counted down here between reads), each version's requests, 5xx, error rate, p50 and
// p95 in the current step, a chart of the weight over the steps, and Promote and Abort while
// the rollout is in progress (the extension asks before aborting).
import type { RenderedRollout, RolloutFigures, RolloutPanel } from '../../src/vscode/webview/protocol';
import { figuresCells, figuresLine, statusWords, timeLeft } from '../../src/vscode/webview/rolloutText';
import { weightChart } from './chart';
import { el } from './dom';

export interface RolloutActions {
  promote(): void;
  abort(): void;
}

/** The pause's countdown on this page, from the time left as received. */
let countdown: { timer: number } | undefined;

function pauseText(r: RolloutPanel, leftMs: number): string {
  if (!r.active) return '';
  if (r.pauseLeftMs <= 0 && leftMs <= 0) return r.driven ? 'pause over: waiting for a passing window' : 'pause over';
  return `${timeLeft(leftMs)} left in the pause`;
}

export function rolloutSection(r: RolloutPanel, actions: RolloutActions): { element: HTMLElement; rendered: RenderedRollout } {
  if (countdown) window.clearInterval(countdown.timer);
  countdown = undefined;
  const step = `step ${r.step}/${r.steps}`;
  const weight = `${r.weight}%`;
  const status = statusWords(r);
  const pause = el('span', { class: 'pause', 'data-role': 'pause' }, [pauseText(r, r.pauseLeftMs)]);
  if (r.active && r.pauseLeftMs > 0) {
    const until = Date.now() + r.pauseLeftMs;
    countdown = {
      timer: window.setInterval(() => {
        const left = until - Date.now();
        pause.textContent = pauseText(r, left);
        if (left <= 0 && countdown) window.clearInterval(countdown.timer);
      }, 1000),
    };
  }
  const rows: { label: string; release: string; f?: RolloutFigures }[] = [
    { label: 'live', release: r.previous, f: r.figures?.stable },
    { label: 'canary', release: r.release, f: r.figures?.canary },
  ];
  const figures = rows.flatMap((row) => (row.f ? [figuresLine(`${row.label} ${row.release}`, row.f)] : []));
  const table = el('vscode-table', { zebra: '', bordered: '', 'aria-label': 'rollout figures' }, [
    el(
      'vscode-table-header',
      { slot: 'header' },
      ['Version', 'Release', 'Requests', '5xx', 'Error rate', 'p50', 'p95'].map((t) => el('vscode-table-header-cell', {}, [t])),
    ),
    el(
      'vscode-table-body',
      { slot: 'body' },
      rows.map((row) =>
        el('vscode-table-row', { 'data-version': row.label }, [
          el('vscode-table-cell', {}, [row.label === 'canary' ? `canary (${weight})` : `live (${100 - r.weight}%)`]),
          el('vscode-table-cell', {}, [row.release]),
          ...(row.f ? figuresCells(row.f) : ['0', '0', '—', '—', '—']).map((c) => el('vscode-table-cell', {}, [c])),
        ]),
      ),
    ),
  ]);
  const buttons: HTMLElement[] = [];
  if (r.active) {
    const promote = el('vscode-button', { 'data-action': 'promote' }, ['Promote']);
    promote.addEventListener('click', () => actions.promote());
    const abort = el('vscode-button', { secondary: '', 'data-action': 'abort' }, ['Abort']);
    abort.addEventListener('click', () => actions.abort());
    buttons.push(promote, abort);
  }
  const badgeClass = r.status === 'aborted' ? 'bad' : r.status === 'promoted' ? 'ok' : '';
  const element = el('section', { 'aria-label': 'canary rollout', 'data-status': r.status, 'data-step': String(r.step), 'data-weight': String(r.weight) }, [
    el('h2', {}, [r.active ? 'Canary rollout' : 'Last canary rollout', ' ', el('vscode-badge', { variant: r.active ? 'counter' : 'default' }, [weight])]),
    el('p', { class: 'rollout-summary' }, [
      el('strong', {}, [r.release]),
      ` (canary) against ${r.previous} (live) · `,
      el('strong', { 'data-role': 'step' }, [step]),
      ` · ${weight} of requests · `,
      el('span', { class: badgeClass, 'data-role': 'status' }, [status]),
      ...(r.active ? [' · ', pause] : []),
    ]),
    ...(r.reason ? [el('p', { class: r.status === 'aborted' ? 'bad' : 'muted' }, [r.reason])] : []),
    ...r.hostNotes.map((n) => el('p', { class: 'muted' }, [n])),
    table,
    weightChart(r.chart, r.weight),
    ...(buttons.length ? [el('div', { class: 'rollout-actions' }, buttons)] : []),
    el('p', { class: 'muted' }, [`Read ${new Date(r.readAt).toLocaleTimeString()} · last written by ${r.by}`]),
  ]);
  return {
    element,
    rendered: { step, weight, status, figures, buttons: buttons.map((b) => b.textContent ?? ''), chartSteps: r.chart.length },
  };
}
