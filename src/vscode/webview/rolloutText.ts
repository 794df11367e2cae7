// A rollout in words, the same on the dashboard page, in the status bar, the tree and the
// editor's messages. No imports but the protocol's types: the page's bundle uses it too.
import type { RolloutFigures, RolloutPanel } from './protocol';

/** "3m 05s", "42 s": time left in a pause. */
export function timeLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

const latency = (v: number | null): string => (v === null ? '—' : `${Math.round(v)} ms`);
const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** A version's figures in one line: "canary R2: 120 requests, 3 5xx (2.5%), p50 4 ms, p95 9 ms". */
export function figuresLine(label: string, f: RolloutFigures): string {
  return `${label}: ${f.requests} requests, ${f.errors} 5xx (${percent(f.errorRate)}), p50 ${latency(f.p50Ms)}, p95 ${latency(f.p95Ms)}`;
}

/** The cells of a version's row: requests, 5xx, error rate, p50, p95. */
export function figuresCells(f: RolloutFigures): string[] {
  return [String(f.requests), String(f.errors), percent(f.errorRate), latency(f.p50Ms), latency(f.p95Ms)];
}

/** "in progress", "paused (waiting for promote, abort or resume)", "promoted", "aborted". */
export function statusWords(r: Pick<RolloutPanel, 'status' | 'driven'>): string {
  if (r.status === 'progressing') return r.driven ? 'in progress' : 'in progress (no driver running: promote, abort or resume)';
  if (r.status === 'paused') return 'paused (promote, abort or resume)';
  return r.status;
}

/** "canary 25%": the status bar's text and the tree's mark. */
export const canaryMark = (weight: number): string => `canary ${weight}%`;
