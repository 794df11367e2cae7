// rollout.canary as a CanaryPolicy: durations in ms, the error rate as a fraction, defaults
// filled. The config rules (config/canaryRules.ts) have already refused what cannot be read.
import { parseDuration } from '../../config/duration';
import type { SshEnvironmentConfig } from '../../config/configTypes';
import type { CanaryPolicy } from './types';

type CanaryConfig = NonNullable<NonNullable<SshEnvironmentConfig['rollout']>['canary']>;

export const DEFAULT_CANARY_STEPS = [{ weight: 10, pause: '1m' }, { weight: 50, pause: '1m' }, { weight: 100 }] as const;

/** A percentage as written (1%, "0.5 %", or a number of percent) as a fraction; NaN when unreadable. */
export function percentOf(value: number | string): number {
  if (typeof value === 'number') return value / 100;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(value);
  return m ? Number(m[1]) / 100 : NaN;
}

const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : (parseDuration(text) ?? fallback));

export function canaryPolicyOf(canary: CanaryConfig | undefined): CanaryPolicy {
  const steps = (canary?.steps ?? DEFAULT_CANARY_STEPS).map((s) => ({
    weight: s.weight,
    pauseMs: s.weight >= 100 ? 0 : ms('pause' in s ? s.pause : undefined, 0),
  }));
  const a = canary?.analysis;
  return {
    steps,
    analysis: {
      windowMs: ms(a?.window, 30_000),
      maxErrorRate: a?.maxErrorRate === undefined ? 0.01 : percentOf(a.maxErrorRate),
      maxP95LatencyRatio: a?.maxP95LatencyRatio ?? null,
      minRequests: a?.minRequests ?? 50,
    },
    sticky: canary?.sticky ?? 'cookie',
    onInsufficientTraffic: canary?.onInsufficientTraffic ?? 'fail',
    insufficientTrafficWaitMs: ms(canary?.insufficientTrafficWait, 300_000),
  };
}
