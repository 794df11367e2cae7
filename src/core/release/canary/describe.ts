// A rollout in words, as both targets say it: the steps of a policy, and a rollout that is
// still in progress (driven or paused) on a host or an engine.
import { durationText } from './states';
import type { CanaryPolicy, RolloutState } from './types';

/** "10% for 1m, 50% for 1m, 100%". */
export function describeCanarySteps(policy: CanaryPolicy): string {
  return policy.steps.map((s) => (s.pauseMs ? `${s.weight}% for ${durationText(s.pauseMs)}` : `${s.weight}%`)).join(', ');
}

/** The state when its rollout is progressing or paused, else null. */
export const inProgress = (s: RolloutState | null): RolloutState | null => (s && (s.status === 'progressing' || s.status === 'paused') ? s : null);

/** "a canary rollout of R is in progress on WHERE (step 2, 25%, paused)". */
export const inProgressText = (s: RolloutState, where: string): string =>
  `a canary rollout of ${s.release} is in progress on ${where} (step ${s.step + 1}, ${s.weight}%${s.status === 'paused' ? ', paused' : ''})`;

/** The hint of a refused deploy: what each rollout command does. */
export const rolloutCommandsHint = (s: RolloutState, environment: string): string =>
  `godeploy rollout promote|abort|resume ${environment}: promote moves it on (--full: to 100%), abort sends every request back to ${s.previous}, resume drives it again`;
