/**
 * A health path for a main: a GET route with a conventional health name (after router prefixes)
 * whose handler can answer 2xx, on the listener whose port is reported; else, as a lower-ranked
 * fallback, a root "/" route that can (only when the port is known). Look-alikes that cannot
 * answer 2xx, or that another listener serves, are reported with why.
 */
import type { Finding, HealthFacts } from './types';
import { Handlers } from './handlers';
import type { Program } from './program';
import { Routes, type Route } from './routes';
import { Served, type Origin } from './served';
import type { ServeCall } from './serve';
import type { GoNode } from './syntax';
import type { Values } from './values';

export interface HealthAnalysis extends HealthFacts {
  /** A root "/" route that can answer 2xx, for when no health route exists (lower-ranked than `path`; only when the port is known). */
  fallback: { path: string; source: Finding } | null;
  /** Every acceptable health route, best first (the first is `path`). */
  candidates: { path: string; source: Finding }[];
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

/** `portCall`: the serve call the reported port comes from (null when no port is known); `enhancedPatterns`: Go 1.22 ServeMux patterns. */
export function healthFacts(p: Program, values: Values, calls: ServeCall[], portCall: ServeCall | null, enhancedPatterns = true): HealthAnalysis {
  const handlers = new Handlers(p, values);
  const finder = new Routes(p, values, enhancedPatterns);
  const routes = finder.find();
  const listeners = new Listeners(
    new Served(p),
    finder,
    calls.filter((c) => c.kind === 'http'),
  );
  const candidates: { path: string; rank: number; route: Route; reason: string }[] = [];
  const rejected: Finding[] = [];
  let fallback: HealthAnalysis['fallback'] = null;
  for (const route of routes) {
    for (const path of route.paths) {
      const r = rank(path);
      const isRoot = path === '/';
      if ((r === null && !isRoot) || wildcard(path)) continue;
      const why = (reason: string) => p.finding(route.node, `${path}: ${reason}`);
      if (!getable(route)) {
        if (r !== null) rejected.push(why(`registered for ${route.methods?.join(', ')} only`));
        continue;
      }
      const other = portCall ? listeners.other(route, portCall) : null;
      if (other) {
        if (r !== null) rejected.push(why(`served by another listener (${other.evidence.file}:${other.evidence.line}), not the one on the reported port`));
        continue;
      }
      const v = handlers.verdict(route.handler);
      if (!v.ok) {
        if (r !== null || isRoot) rejected.push(why(v.reason));
        continue;
      }
      if (route.subtree && v.readsPath && !isRoot) {
        rejected.push(why('a subtree route whose handler answers by the rest of the path'));
        continue;
      }
      if (!isRoot) candidates.push({ path, rank: r as number, route, reason: `${route.pattern} handled by ${v.reason}` });
      else if (portCall)
        fallback ??= { path, source: p.finding(route.node, `${route.pattern} handled by ${v.reason} (the root page, for when no health route exists)`) };
    }
  }
  candidates.sort((a, b) => a.rank - b.rank || a.path.split('/').length - b.path.split('/').length || a.route.node.start - b.route.node.start);
  const chosen = new Set(candidates.map((c) => c.path));
  const list = candidates.map((c) => ({ path: c.path, source: p.finding(c.route.node, c.reason) }));
  return {
    path: list[0]?.path ?? null,
    source: list[0]?.source ?? null,
    rejected: rejected.filter((f) => !chosen.has(f.reason.slice(0, f.reason.indexOf(':')))),
    fallback,
    candidates: list,
  };
}

/** Matches routes to the HTTP listeners that serve their router. */
class Listeners {
  constructor(
    private readonly served: Served,
    private readonly routes: Routes,
    private readonly calls: ServeCall[],
  ) {}

  /** Another listener that serves the route when the port's listener provably does not; else null. */
  other(route: Route, portCall: ServeCall): ServeCall | null {
    const mine = this.servedBy(portCall);
    const origins = this.routerOrigins(route.receiver, 0);
    if (!mine?.size || !origins.size || intersects(mine, origins)) return null;
    return this.calls.find((c) => c !== portCall && intersects(this.servedBy(c), origins)) ?? null;
  }

  private servedBy(c: ServeCall): Set<Origin> | null {
    if (c.handler === null) return null;
    return c.handler === 'default' ? new Set<Origin>(['default']) : this.served.origins(c.handler);
  }

  /** The router a route is registered on, and the routers it is mounted on. */
  private routerOrigins(receiver: GoNode | null, depth: number): Set<Origin> {
    const base = receiver ? this.served.origins(receiver) : new Set<Origin>(['default']);
    const out = new Set(base);
    if (depth > 4) return out;
    for (const m of this.routes.mounts)
      if (intersects(this.served.origins(m.handler), base)) for (const o of this.routerOrigins(m.receiver, depth + 1)) out.add(o);
    return out;
  }
}

function intersects(a: Set<Origin> | null, b: Set<Origin>): boolean {
  return a !== null && [...a].some((x) => b.has(x));
}
