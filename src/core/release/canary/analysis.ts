// strategy canary: the verdict on one window of traffic (rollout.canary.analysis) and the one
// line of figures the CLI prints for it.
import { LATENCY_FLOOR_MS, type CanaryPolicy, type Figures, type Judgement, type VersionFigures } from './types';

/** The live release needs this many requests in a window before its p95 is a fair yardstick. */
export const MIN_STABLE_REQUESTS_FOR_LATENCY = 20;

/** A number with at most `digits` decimals, trailing zeros dropped: 4.8, 1, 0.25. */
const trim = (n: number, digits = 2): string => String(Number(n.toFixed(digits)));
/** A fraction as a percentage: 0.048 → "4.8%". */
const percent = (fraction: number): string => `${trim(fraction * 100)}%`;

/**
 * Waits until the window is as long as analysis.window and the canary has answered
 * minRequests; then a breach when the canary's 5xx rate is above maxErrorRate or (with
 * maxP95LatencyRatio, and enough live requests to compare with) its p95 is above the ratio
 * times the live release's (both at least LATENCY_FLOOR_MS); else a pass.
 */
export function judge(figures: Figures, policy: CanaryPolicy, windowElapsedMs: number): Judgement {
  const a = policy.analysis;
  const { stable, canary } = figures;
  if (windowElapsedMs < a.windowMs || canary.requests < a.minRequests) return { kind: 'wait', figures };
  if (canary.errorRate > a.maxErrorRate) {
    return {
      kind: 'breach',
      figures,
      reason: `error rate ${percent(canary.errorRate)} (${canary.errors} of ${canary.requests} requests) is above maxErrorRate ${percent(a.maxErrorRate)}`,
    };
  }
  const ratio = a.maxP95LatencyRatio;
  if (ratio !== null && stable.requests >= MIN_STABLE_REQUESTS_FOR_LATENCY && stable.p95Ms !== null && canary.p95Ms !== null) {
    const canaryP95 = Math.max(canary.p95Ms, LATENCY_FLOOR_MS);
    const stableP95 = Math.max(stable.p95Ms, LATENCY_FLOOR_MS);
    if (canaryP95 > ratio * stableP95) {
      const live = stable.p95Ms < LATENCY_FLOOR_MS ? `${trim(stable.p95Ms, 1)} ms (counted as ${LATENCY_FLOOR_MS} ms)` : `${trim(stable.p95Ms, 1)} ms`;
      return {
        kind: 'breach',
        figures,
        reason: `p95 latency ${trim(canary.p95Ms, 1)} ms is ${trim(canaryP95 / stableP95)}× the live release's ${live}, above maxP95LatencyRatio ${trim(ratio)}`,
      };
    }
  }
  return { kind: 'pass', figures };
}

const ms = (v: number | null): string => (v === null ? '-' : `${trim(v, 1)} ms`);
const version = (label: string, v: VersionFigures): string =>
  `${label} ${v.requests} req ${(v.errorRate * 100).toFixed(2)}% 5xx p50 ${ms(v.p50Ms)} p95 ${ms(v.p95Ms)}`;

/** "live 1523 req 0.00% 5xx p50 2 ms p95 4 ms; canary 498 req 0.20% 5xx p50 3 ms p95 6 ms". */
export function formatFigures(f: Figures): string {
  return `${version('live', f.stable)}; ${version('canary', f.canary)}`;
}
