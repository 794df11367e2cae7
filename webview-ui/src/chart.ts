// Deploy durations over time: one bar per deploy (oldest left), its height the duration, red
// when it did not go live. SVG with presentation attributes and classes only (no inline style).
import type { HistoryRow } from '../../src/vscode/webview/protocol';

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
