// Deploy durations over time: one bar per deploy (oldest left), its height the duration, red
// when it did not go live. SVG with presentation attributes and classes only (no inline style).
import type { HistoryRow, RolloutChartStep } from '../../src/vscode/webview/protocol';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function durationChart(rows: HistoryRow[]): SVGElement {
  const width = 640;
  const height = 160;
  const pad = { left: 40, bottom: 20, top: 10 };
  const max = Math.max(1000, ...rows.map((r) => r.durationMs));
  const slot = (width - pad.left) / Math.max(rows.length, 1);
  const chart = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `durations of the last ${rows.length} deploys` });
  const plotHeight = height - pad.bottom - pad.top;
  chart.append(svg('line', { class: 'axis', x1: pad.left, y1: height - pad.bottom, x2: width, y2: height - pad.bottom }));
  chart.append(svg('text', { x: 0, y: pad.top + 8 }, `${(max / 1000).toFixed(1)} s`));
  chart.append(svg('text', { x: 0, y: height - pad.bottom }, '0 s'));
  rows.forEach((r, i) => {
    const h = Math.max(1, (r.durationMs / max) * plotHeight);
    const bar = svg('rect', {
      class: `bar${r.result === 'live' ? '' : ' failed'}`,
      x: pad.left + i * slot + slot * 0.15,
      y: height - pad.bottom - h,
      width: Math.max(2, slot * 0.7),
      height: h,
    });
    bar.append(svg('title', {}, `${r.release} on ${r.host}: ${(r.durationMs / 1000).toFixed(1)} s, ${r.result}`));
    chart.append(bar);
  });
  return chart;
}

/**
 * A canary rollout's weight over its steps: one point per step of the policy (x the step, y the
 * canary's share), joined by a line — solid up to the current step, dashed for the steps ahead.
 * Done steps are coloured by how they ended (passed green, breach or aborted red, promoted by
 * hand or for lack of traffic blue); the current one is ringed and labelled with its weight.
 */
export function weightChart(steps: RolloutChartStep[], weightNow: number): SVGElement {
  const width = 640;
  const height = 150;
  const pad = { left: 44, right: 24, top: 14, bottom: 28 };
  const plotHeight = height - pad.top - pad.bottom;
  const slot = (width - pad.left - pad.right) / Math.max(steps.length - 1, 1);
  const x = (i: number): number => pad.left + (steps.length === 1 ? (width - pad.left - pad.right) / 2 : i * slot);
  const y = (w: number): number => pad.top + plotHeight - (Math.max(0, Math.min(100, w)) / 100) * plotHeight;
  const chart = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    class: 'weights',
    'aria-label': `canary weight over ${steps.length} steps, now ${weightNow}%`,
  });
  chart.append(svg('line', { class: 'axis', x1: pad.left - 8, y1: y(0), x2: width - pad.right + 8, y2: y(0) }));
  chart.append(svg('line', { class: 'grid', x1: pad.left - 8, y1: y(100), x2: width - pad.right + 8, y2: y(100) }));
  chart.append(svg('text', { x: 0, y: y(100) + 4 }, '100%'));
  chart.append(svg('text', { x: 0, y: y(0) + 4 }, '0%'));
  // Solid through the steps taken (done and current), dashed through those ahead (also those an abort skipped).
  const solidUpTo = steps.reduce((last, s, i) => (s.phase === 'next' ? last : i), 0);
  const points = (from: number, to: number): string =>
    steps
      .slice(from, to + 1)
      .map((s, k) => `${x(from + k)},${y(s.weight)}`)
      .join(' ');
  if (solidUpTo > 0) chart.append(svg('polyline', { class: 'line', points: points(0, solidUpTo) }));
  if (solidUpTo < steps.length - 1) chart.append(svg('polyline', { class: 'line ahead', points: points(solidUpTo, steps.length - 1) }));
  steps.forEach((s, i) => {
    const kind =
      s.phase === 'next'
        ? 'next'
        : s.phase === 'current'
          ? 'current'
          : s.result === 'breach' || s.result === 'aborted'
            ? 'failed'
            : s.result === 'promoted' || s.result === 'insufficient'
              ? 'promoted'
              : 'passed';
    const dot = svg('circle', { class: `step ${kind}`, cx: x(i), cy: y(s.weight), r: s.phase === 'current' ? 6 : 4.5, 'data-step': s.step });
    const pause = s.pauseMs ? `, pause ${Math.round(s.pauseMs / 1000)} s` : '';
    dot.append(svg('title', {}, `step ${s.step}: ${s.weight}%${pause} — ${s.phase === 'done' ? (s.result ?? 'done') : s.phase}`));
    chart.append(dot);
    chart.append(svg('text', { x: x(i) - 14, y: height - 8, class: s.phase === 'current' ? 'now' : '' }, `${s.step}: ${s.weight}%`));
  });
  return chart;
}
