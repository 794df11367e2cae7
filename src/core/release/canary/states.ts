// The rollout's state as data: how a step, an end and an outcome are written into it, and the
// words for them. Pure functions; the driver (driver.ts) and control.ts write what they return.
import { GoDeployError } from '../../errors';
import type { Figures, RolloutEvent, RolloutOutcome, RolloutState, StepRecord } from './types';

/** "1m30s", "45s", "250ms". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

export const stepText = (s: RolloutState): string => `step ${s.step + 1} (${s.weight}%)`;
export const isOver = (s: RolloutState): boolean => s.status === 'promoted' || s.status === 'aborted';

/** The error for a rollout that is not in progress (never started, or ended). */
export function notInProgress(environment: string, state: RolloutState | null): GoDeployError {
  const last = state
    ? `: the last one (release ${state.release}) was ${state.status} at ${new Date(state.updatedAt).toISOString()}${state.reason ? ` (${state.reason})` : ''}`
    : '';
  return new GoDeployError(`no canary rollout in progress on ${environment}${last}`, { hint: `godeploy deploy ${environment} starts one (strategy canary)` });
}

/** The outcome a finished state stands for. */
export function outcomeOf(state: RolloutState): RolloutOutcome {
  if (state.status === 'promoted') return { kind: 'promoted', state };
  if (state.status === 'aborted') {
    const figures = [...state.history].reverse().find((h) => h.figures)?.figures;
    return { kind: 'aborted', state, reason: state.reason ?? `aborted by ${state.by}`, ...(figures ? { figures } : {}) };
  }
  return { kind: 'left', state };
}

/** The state that ends a rollout: weight 0 or 100, the step closed with `result`, no driver. */
export function finalState(
  cur: RolloutState,
  how: 'complete' | 'abort',
  o: { who: string; now: number; result: StepRecord['result']; reason?: string; figures?: Figures },
): RolloutState {
  const history = closeStep(cur.history, cur.step, o.now, o.result, o.figures);
  let step = cur.step;
  if (how === 'complete') {
    step = cur.policy.steps.length - 1;
    if (step !== cur.step) history.push({ step, weight: 100, startedAt: o.now, endedAt: o.now, result: o.result === 'promoted' ? 'promoted' : 'passed' });
  }
  return {
    ...cur,
    step,
    weight: how === 'complete' ? 100 : 0,
    status: how === 'complete' ? 'promoted' : 'aborted',
    reason: o.reason,
    pauseUntil: null,
    by: o.who,
    revision: cur.revision + 1,
    heartbeatAt: null,
    updatedAt: o.now,
    history,
  };
}

/** The history with step `step`'s record ended (its figures kept unless new ones are given). */
export function closeStep(history: StepRecord[], step: number, now: number, result: StepRecord['result'], figures?: Figures): StepRecord[] {
  return history.map((h) => (h.step === step && h.endedAt === undefined ? { ...h, endedAt: now, result, ...(figures ? { figures } : {}) } : h));
}

/** The state at step `step` (its weight and pause from the policy), the previous one closed with `result`. */
export function stepState(
  cur: RolloutState,
  step: number,
  o: { who: string; now: number; result: StepRecord['result']; status?: RolloutState['status'] },
): RolloutState {
  const s = cur.policy.steps[step];
  return {
    ...cur,
    step,
    weight: s.weight,
    stepStartedAt: o.now,
    pauseUntil: s.pauseMs > 0 ? o.now + s.pauseMs : null,
    status: o.status ?? 'progressing',
    reason: undefined,
    by: o.who,
    revision: cur.revision + 1,
    updatedAt: o.now,
    history: [...closeStep(cur.history, cur.step, o.now, o.result), { step, weight: s.weight, startedAt: o.now }],
  };
}

/** The step event for the state's step. */
export function stepEvent(s: RolloutState, how?: string): RolloutEvent {
  const pauseMs = s.policy.steps[s.step]?.pauseMs ?? 0;
  const hold = pauseMs ? ` for ${durationText(pauseMs)}` : '';
  return {
    kind: 'step',
    step: s.step,
    weight: s.weight,
    pauseMs,
    message: `canary: step ${s.step + 1}/${s.policy.steps.length} ${s.weight}%${hold}${how ? ` (${how})` : ''}`,
  };
}
