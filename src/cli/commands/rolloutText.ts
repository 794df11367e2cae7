// strategy canary as the CLI prints it: `godeploy rollout status` (a header line, the table of
// both versions' traffic in the analysis window being collected, the steps with their results), the lines a
// deploy or a resume prints as the rollout goes, and how its run ended. Pure: text from the
// view, the events and the result (no I/O), so the unit tests render them from plain objects.
import { durationText, formatAge, formatFigures, type Figures, type RolloutEvent, type RolloutState, type RolloutView, type VersionFigures } from '../../core';

/** "step 2/3 (25%)" for the state's current step. */
export function stepText(state: Pick<RolloutState, 'step' | 'weight' | 'policy'>): string {
  return `step ${state.step + 1}/${state.policy.steps.length} (${state.weight}%)`;
}

/** An epoch-ms time as ISO seconds in UTC: 2026-12-06T09:31:02Z. */
export const isoTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const ms = (v: number | null): string => (v === null ? '-' : `${Math.round(v)} ms`);
const percent = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;

/** The table of both versions' traffic: requests, 5xx, error rate, p50, p95. */
export function figuresTable(figures: Figures, indent = '  '): string[] {
  const rows: [string, VersionFigures][] = [
    ['live', figures.stable],
    ['canary', figures.canary],
  ];
  const cells = [
    ['', 'requests', '5xx', 'error rate', 'p50', 'p95'],
    ...rows.map(([name, f]) => [name, String(f.requests), String(f.errors), percent(f.errorRate), ms(f.p50Ms), ms(f.p95Ms)]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  // The name left-aligned, the figures right-aligned under their heading.
  return cells.map((r) => `${indent}${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`.trimEnd());
}

const resultWords: Record<NonNullable<RolloutState['history'][number]['result']>, string> = {
  passed: 'passed',
  promoted: 'promoted by hand',
  insufficient: 'promoted with too few requests (onInsufficientTraffic: promote)',
  breach: 'BREACH',
  aborted: 'aborted by hand',
};

/** Each step of the policy: its weight, its pause, and how it went (or that it is the current one). */
export function stepLines(state: RolloutState, indent = '  '): string[] {
  const n = state.policy.steps.length;
  const over = state.status === 'promoted' || state.status === 'aborted';
  return state.policy.steps.map((s, i) => {
    const record = [...state.history].reverse().find((h) => h.step === i);
    const head = `${indent}${`${i + 1}/${n}`.padEnd(String(n).length * 2 + 1)}  ${`${s.weight}%`.padStart(4)}  ${(s.pauseMs ? `for ${durationText(s.pauseMs)}` : '').padEnd(10)}`;
    let how: string;
    if (record?.result) how = `${resultWords[record.result]}${record.endedAt ? ` at ${isoTime(record.endedAt)}` : ''}`;
    else if (i === state.step && !over) how = `current, since ${isoTime(state.stepStartedAt)}`;
    else if (i < state.step) how = 'done';
    else how = over ? 'not reached' : 'to come';
    const figures = record?.figures ? `: ${formatFigures(record.figures)}` : '';
    return `${head}  ${how}${figures}`.trimEnd();
  });
}

/** What the rollout is doing now, in a few words: who drives it, how long the step has left, how it ended. */
function phase(view: RolloutView, env: string, state: RolloutState, now: number): string {
  switch (state.status) {
    case 'promoted':
      return `promoted at ${isoTime(state.updatedAt)} by ${state.by}: ${state.release} is live`;
    case 'aborted':
      return `aborted at ${isoTime(state.updatedAt)} by ${state.by}: traffic back on ${state.previous}${state.reason ? `; ${state.reason}` : ''}`;
    case 'paused':
      return `paused, nobody drives it${state.reason ? ` (${state.reason})` : ''}: godeploy rollout resume ${env}, promote ${env} or abort ${env}`;
    case 'progressing': {
      const left = view.pauseLeftMs ? `, ${durationText(view.pauseLeftMs)} left in the step` : ', the pause is over (waiting for a judged window)';
      if (view.driven) return `driven by ${state.by}${left}`;
      const since = state.heartbeatAt === null ? '' : ` (last heard of ${formatAge((now - state.heartbeatAt) / 1000)} ago)`;
      return `its driver is gone${since}${left}: godeploy rollout resume ${env} continues it`;
    }
  }
}

/** `godeploy rollout status ENV` for people: the header line, the traffic table, the steps, the hosts that disagree or failed. */
export function formatRolloutView(view: RolloutView, now: number = Date.now()): string {
  const env = view.environment;
  const failed = (view.hosts ?? []).filter((h) => h.error);
  const hostLines = failed.map((h) => `${h.host}: FAIL ${h.error}`);
  if (view.none || !view.state) {
    return [`rollout ${env}: no canary rollout on this environment (a deploy with strategy: canary starts one)`, ...hostLines].join('\n');
  }
  const s = view.state;
  const lines = [
    `rollout ${env}: canary ${s.release} vs live ${s.previous}, ${stepText(s)}, ${phase(view, env, s, now)}`,
    ...(s.status === 'progressing' || s.status === 'paused'
      ? [`traffic in the analysis window being collected (the step began ${isoTime(s.stepStartedAt)}):`]
      : ['traffic in the last analysis window:']),
    ...(view.figures ? figuresTable(view.figures) : ['  (no figures)']),
    'steps:',
    ...stepLines(s),
  ];
  const hosts = view.hosts ?? [];
  if (hosts.length > 1 && hosts.some((h) => !h.error && h.weight !== s.weight)) {
    lines.push('hosts:', ...hosts.filter((h) => !h.error).map((h) => `  ${h.host}: ${h.weight === null ? 'no rollout state' : `${h.weight}%`}`));
  }
  return [...lines, ...hostLines].join('\n');
}

/** One line per rollout event, as a deploy (or a resume) goes: `canary: step 2/3: 25% for 1m`, the figures of each judged window, what happened. */
export function rolloutEventLine(e: RolloutEvent): string {
  if (e.kind === 'figures') return `canary:   ${formatFigures(e.figures)}`;
  if (e.message.startsWith('canary: ')) return e.message;
  // The driver's "canary R2 promoted: …" reads "canary: R2 promoted: …".
  return `canary: ${e.message.replace(/^canary /, '')}`;
}

/** The result's `rollout` (a deploy) as the lines that end its output, and the exit code it calls for (undefined: the deploy's own). */
export function rolloutEndLines(
  env: string,
  rollout: { outcome: 'promoted' | 'aborted' | 'left'; state: RolloutState; reason?: string; figures?: Figures },
  /** Left because the user interrupted (Ctrl-C, a signal): 130; left because a host failed: 1. */
  interrupted = true,
): { lines: string[]; exitCode: number } {
  const s = rollout.state;
  const at = `step ${s.step + 1} (${s.weight}%)`;
  switch (rollout.outcome) {
    case 'promoted':
      return { lines: [`canary: promoted: ${s.release} takes all the traffic; ${s.previous} drained and stopped`], exitCode: 0 };
    case 'aborted': {
      const figures = rollout.figures ?? lastFigures(s);
      const reason = rollout.reason ?? s.reason ?? 'aborted';
      // The driver's reasons name the step already ("… at step 1 (10%)"); after the abort the state's weight is 0.
      const where = / at step \d+/.test(reason) ? '' : ` at step ${s.step + 1} (${s.policy.steps[s.step]?.weight ?? s.weight}%)`;
      const what = reason.startsWith('aborted') && !where ? reason : `aborted${where}: ${reason}`;
      return {
        lines: [`canary: ${what}; traffic back on ${s.previous}`, ...(figures ? [`canary:   ${formatFigures(figures)}`] : [])],
        exitCode: 1,
      };
    }
    case 'left': {
      // Ctrl-C (130), or a host that failed mid-rollout (1): its reason says which.
      const why = s.reason && !s.reason.startsWith('left at ') ? [`canary: ${s.reason}`] : [];
      return {
        lines: [...why, `left the canary rollout at ${at}: run godeploy rollout resume ${env}, promote ${env} or abort ${env}`],
        exitCode: interrupted ? 130 : 1,
      };
    }
  }
}

function lastFigures(s: RolloutState): Figures | undefined {
  return [...s.history].reverse().find((h) => h.figures)?.figures;
}
