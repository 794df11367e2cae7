// A rollout watched or moved by hand (`godeploy rollout status|promote|abort ENV`, the
// editor's Promote and Abort buttons): the state read from every site, the current window's
// figures from each site's access log, and promote/abort written with the same revision check
// the driver uses. A running driver sees the change at its next tick and follows it.
import { GoDeployError } from '../../errors';
import type { RolloutView } from '../../environment/operations';
import { figuresOf, parseAccessLog, type AccessLogEntry } from './accessLog';
import { finishEverywhere, finishLagging, logSizes, onSite, SiteFailure, writeEverywhere } from './sites';
import { finalState, notInProgress, stepState } from './states';
import { LOG_READ_CAP } from './hostSite';
import { DRIVER_STALE_MS, type CanarySite, type Figures, type RolloutState } from './types';

const CAS_ATTEMPTS = 5;
const isOver = (s: RolloutState): boolean => s.status === 'promoted' || s.status === 'aborted';
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The access log of `site` from `offset` to its end now (at most `reads` reads). */
async function readWindow(site: CanarySite, offset: number, reads = 8): Promise<AccessLogEntry[]> {
  const entries: AccessLogEntry[] = [];
  let at = offset;
  for (let n = 0; n < reads; n++) {
    const r = await site.readLog(at);
    const bytes = Buffer.byteLength(r.text);
    const parsed = parseAccessLog(r.text);
    for (const e of parsed.entries) entries.push(e);
    at = r.offset - bytes + parsed.consumed;
    if (bytes < LOG_READ_CAP || parsed.consumed === 0) break;
  }
  return entries;
}

/** The rollout as every site has it: the primary's state, the current window's figures (all hosts, and per host), the pause left, whether a driver runs it. */
export async function rolloutView(sites: CanarySite[], environment: string, o: { now?: number } = {}): Promise<RolloutView> {
  const now = o.now ?? Date.now();
  const reads = await Promise.allSettled(sites.map((s) => s.readState()));
  const states = reads.map((r) => (r.status === 'fulfilled' ? r.value : null));
  // The primary's, else the newest a site has (the primary is out of reach).
  const state = states[0] ?? [...states].filter((s): s is RolloutState => s !== null).sort((a, b) => b.revision - a.revision)[0];
  if (!state) {
    const errors = reads.flatMap((r, i) => (r.status === 'rejected' ? [{ host: sites[i].name, weight: null, error: errText(r.reason) }] : []));
    return { environment, none: true, ...(errors.length ? { hosts: errors } : {}) };
  }
  const ports = { stable: state.stablePort, canary: state.canaryPort };
  const all: AccessLogEntry[] = [];
  const hosts: NonNullable<RolloutView['hosts']> = await Promise.all(
    sites.map(async (site, i) => {
      const r = reads[i];
      if (r.status === 'rejected') return { host: site.name, weight: null, error: errText(r.reason) };
      const st = r.value;
      if (!st) return { host: site.name, weight: null, error: 'no rollout state on this host' };
      if (isOver(state) || st.release !== state.release) return { host: site.name, weight: st.weight };
      try {
        const entries = await readWindow(site, st.logOffset);
        for (const e of entries) all.push(e);
        return { host: site.name, weight: st.weight, figures: figuresOf(entries, ports) };
      } catch (e) {
        return { host: site.name, weight: st.weight, error: `reading the access log: ${errText(e)}` };
      }
    }),
  );
  const figures: Figures | undefined = isOver(state) ? [...state.history].reverse().find((h) => h.figures)?.figures : figuresOf(all, ports);
  return {
    environment,
    none: false,
    state,
    ...(figures ? { figures } : {}),
    hosts,
    pauseLeftMs: !isOver(state) && state.pauseUntil !== null ? Math.max(0, state.pauseUntil - now) : 0,
    driven: state.status === 'progressing' && state.heartbeatAt !== null && now - state.heartbeatAt < DRIVER_STALE_MS,
  };
}

export interface ControlOptions {
  who: string;
  /** For messages when no state names it. */
  environment?: string;
  now?: () => number;
}

/** What promote or abort did, in words, and the state they wrote. */
export interface ControlResult {
  state: RolloutState;
  message: string;
}

/** A SiteFailure as the error users see. */
function siteError(e: unknown, environment: string): unknown {
  if (!(e instanceof SiteFailure)) return e;
  return new GoDeployError(e.message, {
    hint: `make ${e.site} reachable, then godeploy rollout status ${environment} shows where each host is (godeploy rollout resume ${environment} applies the current step on every host again)`,
    cause: e.error,
  });
}

/**
 * The primary's state when a rollout is in progress. When it has ended on the primary but a
 * host missed the end (it was out of reach), that host is finished now the same way and the
 * result says so; otherwise there is nothing to move: an error.
 */
async function inProgress(sites: CanarySite[], o: ControlOptions): Promise<RolloutState | ControlResult> {
  const state = await onSite(sites[0], 'reading the rollout state', () => sites[0].readState());
  if (!state) throw notInProgress(o.environment ?? sites[0].name, null);
  if (!isOver(state)) return state;
  const r = await finishLagging(sites, state);
  if (r.failures.length)
    throw new GoDeployError(`the rollout was ${state.status} on ${sites[0].name}, but finishing it failed on ${r.failures.join('; ')}`, {
      hint: 'run the command again once the host is reachable',
    });
  if (!r.finished.length) throw notInProgress(state.environment, state);
  return {
    state,
    message: `the rollout of ${state.release} was already ${state.status} (${new Date(state.updatedAt).toISOString()}); finished it on ${r.finished.join(', ')} too`,
  };
}

/** Ends the rollout on every site; a site that failed is an error naming it (the others are done). */
async function finishAll(sites: CanarySite[], state: RolloutState, final: RolloutState, how: 'complete' | 'abort'): Promise<boolean> {
  const r = await finishEverywhere(sites, final, how, state.revision);
  if (!r.ok) return false;
  // The primary failed after its switch (draining, stopping its old instance): its error, as before.
  if (r.primaryFailure) throw r.primaryFailure;
  if (r.failures.length)
    throw new GoDeployError(`the rollout was ${final.status} on ${sites[0].name} but not on every host: ${r.failures.join('; ')}`, {
      hint: `run godeploy rollout ${how === 'complete' ? 'promote' : 'abort'} ${state.environment} again once they are reachable: it finishes them`,
    });
  return true;
}

/**
 * The next step (its weight on every site), or with `full` (or from the step before the
 * last) the end: the canary takes everything, the old release drains and stops. A paused
 * rollout stays paused at the new step; a running driver follows.
 */
export async function promoteRollout(sites: CanarySite[], o: ControlOptions & { full: boolean }): Promise<ControlResult> {
  const now = o.now ?? Date.now;
  try {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const state = await inProgress(sites, o);
      if ('message' in state) return state;
      const i = state.step + 1;
      const steps = state.policy.steps;
      if (o.full || i >= steps.length || steps[i].weight >= 100) {
        const final = finalState(state, 'complete', {
          who: o.who,
          now: now(),
          result: 'promoted',
          reason: `promoted by ${o.who} at step ${state.step + 1} (${state.weight}%)`,
        });
        if (await finishAll(sites, state, final, 'complete'))
          return { state: final, message: `promoted: ${state.release} takes every request; ${state.previous} stopped after its last requests` };
        continue;
      }
      const offsets = await logSizes(sites);
      const next: RolloutState = stepState(state, i, { who: o.who, now: now(), result: 'promoted', status: state.status });
      if (state.status === 'paused') next.reason = `left at step ${i + 1} (${next.weight}%) by ${o.who}`;
      if (await writeEverywhere(sites, next, 'apply', state.revision, offsets))
        return { state: next, message: `promoted to step ${i + 1}/${steps.length}: the canary ${state.release} takes ${next.weight}%` };
    }
  } catch (e) {
    throw siteError(e, o.environment ?? sites[0].name);
  }
  throw new GoDeployError(`the rollout state on ${sites[0].name} kept changing while promoting it`, {
    hint: 'another command is moving it: godeploy rollout status shows where it is',
  });
}

/** Every site back on the live release: the canary drains and stops, current points back. */
export async function abortRollout(sites: CanarySite[], o: ControlOptions): Promise<ControlResult> {
  const now = o.now ?? Date.now;
  try {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const state = await inProgress(sites, o);
      if ('message' in state) return state;
      const final = finalState(state, 'abort', {
        who: o.who,
        now: now(),
        result: 'aborted',
        reason: `aborted by ${o.who} at step ${state.step + 1} (${state.weight}%)`,
      });
      if (await finishAll(sites, state, final, 'abort'))
        return { state: final, message: `aborted: traffic back on ${state.previous}; the canary ${state.release} stopped` };
    }
  } catch (e) {
    throw siteError(e, o.environment ?? sites[0].name);
  }
  throw new GoDeployError(`the rollout state on ${sites[0].name} kept changing while aborting it`, {
    hint: 'another command is moving it: godeploy rollout status shows where it is',
  });
}
