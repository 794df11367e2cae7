/**
 * A health path for a main: a GET route with a conventional health name (after router prefixes)
 * whose handler can answer 2xx; else, as a lower-ranked fallback, a root "/" route that can.
 * Look-alikes that cannot answer 2xx are reported with why.
 */
import type { Finding, HealthFacts } from './types';
import { Handlers } from './handlers';
import type { Program } from './program';
import { Routes, type Route } from './routes';
import type { Values } from './values';

export interface HealthAnalysis extends HealthFacts {
  /** A root "/" route that can answer 2xx, for when no health route exists (lower-ranked than `path`). */
  fallback: { path: string; source: Finding } | null;
}

/** Health names, best first: the last path segment of a route. */
const ranks: [RegExp, number][] = [
  [/^(healthz|health|_health|healthcheck|health-check|health_check|livez|healthy)$/i, 0],
  [/^(readyz|ready|readiness|liveness|live|alive|heartbeat)$/i, 1],
  [/^(ping|status)$/i, 2],
];

function rank(path: string): number | null {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  for (const [re, r] of ranks) if (re.test(last)) return r;
  return null;
}

const getable = (r: Route) => r.methods === null || r.methods.some((m) => m === 'GET' || m === 'ANY' || m === '?');
const wildcard = (path: string) => /[{*:]/.test(path);

export function healthFacts(p: Program, values: Values): HealthAnalysis {
  const handlers = new Handlers(p, values);
  const routes = new Routes(p, values).find();
  const candidates: { path: string; rank: number; route: Route; reason: string }[] = [];
  const rejected: Finding[] = [];
  let fallback: HealthAnalysis['fallback'] = null;
  routes.forEach((route) => {
    for (const path of route.paths) {
      const r = rank(path);
      const isRoot = path === '/';
      if ((r === null && !isRoot) || wildcard(path)) continue;
      if (!getable(route)) {
        if (r !== null) rejected.push(p.finding(route.node, `${path}: registered for ${route.methods?.join(', ')} only`));
        continue;
      }
      const v = handlers.verdict(route.handler);
      if (!v.ok) {
        if (r !== null || isRoot) rejected.push(p.finding(route.node, `${path}: ${v.reason}`));
        continue;
      }
      if (route.subtree && v.readsPath && !isRoot) {
        rejected.push(p.finding(route.node, `${path}: a subtree route whose handler answers by the rest of the path`));
        continue;
      }
      if (isRoot) fallback ??= { path, source: p.finding(route.node, `${route.pattern} → ${v.reason} (no health route; the root answers)`) };
      else candidates.push({ path, rank: r as number, route, reason: `${route.pattern} → ${v.reason}` });
    }
  });
  candidates.sort((a, b) => a.rank - b.rank || a.path.split('/').length - b.path.split('/').length || a.route.node.start - b.route.node.start);
  const best = candidates[0];
  const chosen = new Set(candidates.map((c) => c.path));
  return {
    path: best?.path ?? null,
    source: best ? p.finding(best.route.node, best.reason) : null,
    rejected: rejected.filter((f) => !chosen.has(f.reason.split(':')[0])),
    fallback,
  };
}
