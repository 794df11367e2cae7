// The rollout engine: steps a canary's weight on every site (primary first: the primary's
// revision check decides who moves the rollout), reads each site's JSON access log into the
// current window, judges it (analysis.ts) and moves on, aborts or promotes. The state lives on
// the hosts, so a driver can be cancelled (the rollout is left paused where it is), resumed
// later from anywhere, and overruled by a `rollout promote|abort` typed on another machine
// (the driver adopts what it finds at its next tick).
import type { CancellationTokenLike } from '../../cancellation';
import { GoDeployError } from '../../errors';
import { figuresOf, parseAccessLog, type AccessLogEntry } from './accessLog';
import { formatFigures, judge } from './analysis';
import { LOG_READ_CAP } from './hostSite';
import { finishEverywhere, finishLagging, logSizes, onSite, SiteFailure, writeEverywhere } from './sites';
import { durationText, finalState, isOver, notInProgress, outcomeOf, stepEvent, stepState, stepText } from './states';
import { DRIVER_STALE_MS, type CanarySite, type Figures, type RolloutEvent, type RolloutOutcome, type RolloutState, type StepRecord } from './types';

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Time as the driver sees it (tests inject one that runs instantly). sleep settles early when `token` is cancelled. */
export interface RolloutClock {
  now(): number;
  sleep(ms: number, token?: CancellationTokenLike): Promise<void>;
}

export const systemClock: RolloutClock = {
  now: () => Date.now(),
  sleep: (ms, token) =>
    new Promise<void>((resolve) => {
      if (token?.isCancellationRequested) return resolve();
      const sub = token?.onCancellationRequested(() => {
        clearTimeout(t);
        resolve();
      });
      const t = setTimeout(() => {
        sub?.dispose();
        resolve();
      }, ms);
    }),
};

/** What a rollout runs over: the sites (primary first), cancellation, where events go, who drives. */
export interface RolloutRun {
  /** One per host serving the app behind nginx; the first is the primary (its state decides). */
  sites: CanarySite[];
  token?: CancellationTokenLike;
  emit?(e: RolloutEvent): void;
  /** "user@machine", recorded in the state. */
  who: string;
  clock?: RolloutClock;
  /** How often the driver reads the logs, judges and beats its heart (ms, default 1000). */
  tickMs?: number;
}

/** What starts a rollout: the app, the canary release and the live one, their ports and the policy (as the state records them). */
export type RolloutInit = Pick<RolloutState, 'app' | 'environment' | 'release' | 'previous' | 'stablePort' | 'canaryPort' | 'policy'>;

/** A failure before the first step was written on the primary: nothing of the rollout is anywhere. */
function notStarted(e: SiteFailure): GoDeployError {
  return new GoDeployError(`the canary rollout could not start: ${e.message}`, {
    hint: 'the live release still takes every request; fix the cause and deploy again',
    cause: e.error,
  });
}

/** Starts a rollout: step 1's weight on every site, then drives it to its end (or until cancelled). */
export async function startRollout(run: RolloutRun, init: RolloutInit): Promise<RolloutOutcome> {
  const clock = run.clock ?? systemClock;
  const states = await Promise.all(run.sites.map((s) => onSite(s, 'reading the rollout state', () => s.readState()))).catch((e: unknown) => {
    throw e instanceof SiteFailure ? notStarted(e) : e;
  });
  const primary = states[0];
  if (primary && !isOver(primary))
    throw new GoDeployError(`a canary rollout of ${primary.release} is in progress on ${run.sites[0].name} (${stepText(primary)})`, {
      hint: `godeploy rollout promote|abort|resume ${primary.environment}`,
    });
  const revision = Math.max(0, ...states.map((s) => s?.revision ?? 0));
  const now = clock.now();
  const first = init.policy.steps[0];
  const base: RolloutState = {
    version: 1,
    app: init.app,
    environment: init.environment,
    release: init.release,
    previous: init.previous,
    stablePort: init.stablePort,
    canaryPort: init.canaryPort,
    policy: init.policy,
    step: 0,
    weight: first.weight,
    stepStartedAt: now,
    pauseUntil: first.pauseMs > 0 ? now + first.pauseMs : null,
    logOffset: 0,
    status: 'progressing',
    by: run.who,
    revision: revision + 1,
    heartbeatAt: now,
    updatedAt: now,
    history: [{ step: 0, weight: first.weight, startedAt: now }],
  };
  const d = new Driver(run, base);
  return d.start(primary?.revision ?? 0);
}

/** Drives a rollout that is in progress (left paused, or whose driver is gone) to its end. */
export async function driveRollout(run: RolloutRun, state: RolloutState): Promise<RolloutOutcome> {
  const clock = run.clock ?? systemClock;
  if (isOver(state)) throw notInProgress(state.environment, state);
  const now = clock.now();
  if (state.status === 'progressing' && state.heartbeatAt !== null && now - state.heartbeatAt < DRIVER_STALE_MS && state.by !== run.who)
    throw new GoDeployError(`the canary rollout of ${state.release} on ${state.environment} is being driven by ${state.by} (${stepText(state)})`, {
      hint: `stop that deploy (or wait ${durationText(DRIVER_STALE_MS)} after it is gone), or use godeploy rollout promote|abort ${state.environment}`,
    });
  const d = new Driver(run, state);
  return d.resume();
}

class Driver {
  private readonly clock: RolloutClock;
  private readonly sites: CanarySite[];
  private readonly tickMs: number;
  /** The state as the primary has it (our last write, or what we adopted). */
  private cur: RolloutState;
  /** Per site: where the current window began, and where the next read starts. */
  private windowStart: number[] = [];
  private readPos: number[] = [];
  private entries: AccessLogEntry[] = [];
  private windowStartedAt = 0;
  private passedThisStep = false;
  /** Since when this driver has watched the step (the insufficient-traffic wait counts from the later of this and the pause's end). */
  private watchingSince = 0;
  /** start() has not written the first step on the primary yet: a failure then means the rollout did not start. */
  private firstWrite = false;

  constructor(
    private readonly run: RolloutRun,
    state: RolloutState,
  ) {
    this.clock = run.clock ?? systemClock;
    this.sites = run.sites;
    this.tickMs = run.tickMs ?? 1000;
    this.cur = state;
    if (this.sites.length === 0) throw new GoDeployError('internal error: a rollout without a site');
  }

  private emit(e: RolloutEvent): void {
    this.run.emit?.(e);
  }
  private info(message: string): void {
    this.emit({ kind: 'info', message });
  }
  private get cancelled(): boolean {
    return this.run.token?.isCancellationRequested ?? false;
  }

  private newWindow(offsets: number[], now: number): void {
    this.windowStart = [...offsets];
    this.readPos = [...offsets];
    this.entries = [];
    this.windowStartedAt = now;
  }

  private newStep(offsets: number[], now: number): void {
    this.newWindow(offsets, now);
    this.passedThisStep = false;
    this.watchingSince = now;
  }

  async start(expect: number): Promise<RolloutOutcome> {
    try {
      this.firstWrite = true;
      const offsets = await logSizes(this.sites);
      const now = this.cur.stepStartedAt;
      if (this.cur.weight >= 100) {
        const done = await this.end('complete', { result: 'passed' }, expect);
        if (done) return done;
        throw new GoDeployError(`another command changed the rollout state on ${this.sites[0].name} while this deploy started its rollout`);
      }
      if (!(await writeEverywhere(this.sites, this.cur, 'apply', expect, offsets, () => (this.firstWrite = false))))
        throw new GoDeployError(`another command changed the rollout state on ${this.sites[0].name} while this deploy started its rollout`, {
          hint: `godeploy rollout status ${this.cur.environment} shows it`,
        });
      this.newStep(offsets, now);
      this.emit(stepEvent(this.cur));
      return await this.loop();
    } catch (e) {
      // Nothing was written anywhere (the primary failed first): the rollout did not start.
      if (e instanceof SiteFailure && this.firstWrite) throw notStarted(e);
      if (e instanceof SiteFailure) return this.leave(`left at ${stepText(this.cur)}: ${e.message}`, e.message);
      throw e;
    }
  }

  async resume(): Promise<RolloutOutcome> {
    try {
      const offsets = await logSizes(this.sites);
      const now = this.clock.now();
      const claimed: RolloutState = {
        ...this.cur,
        status: 'progressing',
        reason: undefined,
        heartbeatAt: now,
        by: this.run.who,
        revision: this.cur.revision + 1,
        updatedAt: now,
      };
      // Applied again on every site: a site that missed the step (it was unreachable) gets it now.
      const onPrimary = (): void => {
        this.cur = claimed;
        this.newStep(offsets, now);
      };
      if (!(await writeEverywhere(this.sites, claimed, 'apply', this.cur.revision, offsets, onPrimary))) {
        const seen = await this.readPrimary();
        if (isOver(seen)) return outcomeOf(seen);
        throw new GoDeployError(`another command changed the rollout state on ${this.sites[0].name} while resuming it`, {
          hint: `godeploy rollout status ${this.cur.environment} shows it`,
        });
      }
      this.cur = claimed;
      this.newStep(offsets, now);
      this.emit(stepEvent(this.cur, `resumed by ${this.run.who}`));
      return await this.loop();
    } catch (e) {
      if (e instanceof SiteFailure) return this.leave(`left at ${stepText(this.cur)}: ${e.message}`, e.message);
      throw e;
    }
  }

  private async readPrimary(): Promise<RolloutState> {
    const p = this.sites[0];
    const seen = await onSite(p, 'reading the rollout state', () => p.readState());
    if (!seen) throw new SiteFailure(p.name, 'reading the rollout state', new Error('the rollout state file is gone'));
    return seen;
  }

  /** What another writer did: an end is the outcome; a new step starts a new window. */
  private async adopt(seen: RolloutState): Promise<RolloutOutcome | null> {
    if (isOver(seen)) return this.adoptEnd(seen);
    const stepChanged = seen.step !== this.cur.step || seen.weight !== this.cur.weight;
    this.cur = seen;
    if (stepChanged) {
      // A site the other writer missed gets the step now (or is named: the rollout is left).
      await Promise.all(
        this.sites.slice(1).map(async (site) => {
          const st = await onSite(site, 'reading the rollout state', () => site.readState());
          if (!st || st.revision < seen.revision) await onSite(site, `setting the canary to ${seen.weight}%`, () => site.apply(seen));
        }),
      );
      const offsets = await logSizes(this.sites);
      this.newStep(offsets, this.clock.now());
      this.emit(stepEvent(seen, `by ${seen.by}`));
    }
    return null;
  }

  /** Reads each site's log from where the last read stopped into the window. */
  private async readLogs(): Promise<void> {
    await Promise.all(
      this.sites.map(async (site, i) => {
        for (let n = 0; n < 8; n++) {
          const r = await onSite(site, 'reading the access log', () => site.readLog(this.readPos[i]));
          const bytes = Buffer.byteLength(r.text);
          const start = r.offset - bytes;
          if (start < this.windowStart[i]) this.windowStart[i] = start; // rotated: the window goes on in the new file
          const parsed = parseAccessLog(r.text);
          for (const e of parsed.entries) this.entries.push(e);
          // A line too long for a read is skipped whole.
          this.readPos[i] = parsed.consumed === 0 && bytes >= LOG_READ_CAP ? r.offset : start + parsed.consumed;
          if (bytes < LOG_READ_CAP) break;
        }
      }),
    );
  }

  private figures(): Figures {
    return figuresOf(this.entries, { stable: this.cur.stablePort, canary: this.cur.canaryPort });
  }

  private async loop(): Promise<RolloutOutcome> {
    for (;;) {
      if (this.cancelled) return this.leave(`left at ${stepText(this.cur)} by ${this.run.who}`);
      await this.clock.sleep(this.tickMs, this.run.token);
      if (this.cancelled) return this.leave(`left at ${stepText(this.cur)} by ${this.run.who}`);

      const seen = await this.readPrimary();
      if (seen.revision !== this.cur.revision) {
        const o = await this.adopt(seen);
        if (o) return o;
      }
      await this.readLogs();
      const now = this.clock.now();
      const policy = this.cur.policy;
      // A window shorter than analysis.window is never judged (its figures are not even computed).
      const elapsed = now - this.windowStartedAt;
      const j = elapsed < policy.analysis.windowMs ? null : judge(this.figures(), policy, elapsed);
      if (j?.kind === 'breach') {
        this.emit({ kind: 'figures', step: this.cur.step, weight: this.cur.weight, figures: j.figures, message: formatFigures(j.figures) });
        const reason = `${j.reason} at ${stepText(this.cur)}`;
        const o = await this.end('abort', { result: 'breach', reason, figures: j.figures });
        if (o) return o;
        continue;
      }
      if (j?.kind === 'pass') {
        this.emit({ kind: 'figures', step: this.cur.step, weight: this.cur.weight, figures: j.figures, message: formatFigures(j.figures) });
        this.passedThisStep = true;
        this.cur = {
          ...this.cur,
          history: this.cur.history.map((h) => (h.step === this.cur.step && h.endedAt === undefined ? { ...h, figures: j.figures } : h)),
        };
        this.newWindow(this.readPos, now);
      }
      const pauseEnd = this.cur.pauseUntil ?? this.cur.stepStartedAt;
      if (now >= pauseEnd && this.passedThisStep) {
        const o = await this.next('passed');
        if (o) return o;
        continue;
      }
      const waitedFrom = Math.max(pauseEnd, this.watchingSince);
      if (now >= pauseEnd && now >= waitedFrom + policy.insufficientTrafficWaitMs) {
        const f = this.figures();
        const tooFew = `too few requests: ${f.canary.requests} canary requests in ${durationText(now - this.windowStartedAt)}, minRequests ${policy.analysis.minRequests}`;
        if (policy.onInsufficientTraffic === 'fail') {
          const o = await this.end('abort', { result: 'aborted', reason: `${tooFew} at ${stepText(this.cur)}`, figures: f });
          if (o) return o;
          continue;
        }
        this.info(`${tooFew}; onInsufficientTraffic promote: next step`);
        const o = await this.next('insufficient');
        if (o) return o;
        continue;
      }
      // The heartbeat (with the window's offsets and a passed window's figures).
      const beat: RolloutState = { ...this.cur, status: 'progressing', heartbeatAt: now, by: this.run.who, revision: this.cur.revision + 1, updatedAt: now };
      // Refused: another writer moved; the next tick reads and adopts what it wrote.
      await writeEverywhere(this.sites, beat, 'writeState', this.cur.revision, this.windowStart, () => (this.cur = beat));
    }
  }

  /** The next step, or the end at 100%. null: another writer moved first (adopted at the next tick). */
  private async next(result: StepRecord['result']): Promise<RolloutOutcome | null> {
    const i = this.cur.step + 1;
    const steps = this.cur.policy.steps;
    if (i >= steps.length || steps[i].weight >= 100) return this.end('complete', { result });
    const offsets = await logSizes(this.sites);
    const now = this.clock.now();
    const next = { ...stepState(this.cur, i, { who: this.run.who, now, result }), heartbeatAt: now };
    const onPrimary = (): void => {
      this.cur = next;
      this.newStep(offsets, now);
    };
    if (!(await writeEverywhere(this.sites, next, 'apply', this.cur.revision, offsets, onPrimary))) return null;
    this.emit(stepEvent(next));
    return null;
  }

  /** Promotes or aborts on every site. null: another writer moved first (adopted at the next tick). */
  private async end(
    how: 'complete' | 'abort',
    o: { result: StepRecord['result']; reason?: string; figures?: Figures },
    expect = this.cur.revision,
  ): Promise<RolloutOutcome | null> {
    const now = this.clock.now();
    const final = finalState(this.cur, how, { who: this.run.who, now, ...o });
    const r = await finishEverywhere(this.sites, final, how, expect, this.windowStart.length ? this.windowStart : undefined);
    if (!r.ok) return null;
    this.cur = final;
    if (how === 'complete') {
      if (r.failures.length) {
        const reason = `promoted on ${this.sites[0].name}, but not on every host: ${r.failures.join('; ')}`;
        this.info(`${reason} (godeploy rollout promote ${final.environment} finishes it once they are reachable)`);
        return { kind: 'left', state: { ...final, reason } };
      }
      this.info(`canary ${final.release} promoted: it takes every request`);
      return { kind: 'promoted', state: final };
    }
    let reason = o.reason ?? `aborted by ${this.run.who}`;
    if (r.failures.length) {
      reason += `; not aborted on every host: ${r.failures.join('; ')} (godeploy rollout abort ${final.environment} finishes it once they are reachable)`;
      this.info(reason);
    }
    this.info(`canary ${final.release} aborted: traffic back on ${final.previous}`);
    return { kind: 'aborted', state: final, reason, ...(o.figures ? { figures: o.figures } : {}) };
  }

  /**
   * Cancelled, or a site failed: the rollout stays where it is (the canary keeps its weight,
   * nothing stops), marked paused with `reason` on every site that answers, for a later
   * `rollout resume|promote|abort`.
   */
  private async leave(reason: string, failure?: string): Promise<RolloutOutcome> {
    let base = this.cur;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.clock.now();
      let why = reason;
      const paused = (): RolloutState => ({
        ...base,
        status: 'paused',
        reason: why,
        heartbeatAt: null,
        by: this.run.who,
        revision: base.revision + 1,
        updatedAt: now,
      });
      const copy = (i: number): RolloutState => (this.windowStart.length ? { ...paused(), logOffset: this.windowStart[i] } : paused());
      const [primary, ...rest] = this.sites;
      let ok: boolean;
      try {
        ok = await primary.writeState(copy(0), base.revision);
      } catch (e) {
        // The primary is out of reach: its state keeps its last heartbeat, which goes stale.
        if (!why.includes(`${primary.name}:`)) why += `; ${primary.name} could not record it: ${errText(e)}`;
        ok = true;
      }
      if (ok) {
        const settled = await Promise.allSettled(rest.map((s, i) => s.writeState(copy(i + 1))));
        settled.forEach((r, i) => {
          if (r.status === 'rejected' && !why.includes(`${rest[i].name}:`)) why += `; ${rest[i].name} could not record it: ${errText(r.reason)}`;
        });
        this.cur = paused();
        this.info(why);
        return { kind: 'left', state: this.cur };
      }
      const seen = await primary.readState().catch(() => null);
      if (!seen) break;
      // Ended (also by this driver's own end when only what came after it failed, e.g. a hook): the failure is named.
      if (isOver(seen)) return this.adoptEnd(seen, failure);
      base = seen;
    }
    this.info(reason);
    return { kind: 'left', state: { ...this.cur, status: 'paused', reason } };
  }

  /** Another writer ended the rollout: the sites it missed (out of reach then) are ended the same way now, or named. */
  private async adoptEnd(seen: RolloutState, failure?: string): Promise<RolloutOutcome> {
    this.cur = seen;
    if (!failure) this.info(`the rollout was ${seen.status} by ${seen.by}${seen.reason ? `: ${seen.reason}` : ''}`);
    const r = await finishLagging(this.sites, seen);
    if (failure) r.failures.unshift(failure);
    if (r.finished.length) this.info(`${r.finished.join(', ')} had not followed: ${seen.status} there too`);
    const out = outcomeOf(seen);
    if (!r.failures.length) return out;
    const note = `not ${seen.status} on every host: ${r.failures.join('; ')}`;
    this.info(note);
    if (out.kind === 'aborted') return { ...out, reason: `${out.reason}; ${note}` };
    return { kind: 'left', state: { ...seen, reason: `${seen.reason ? `${seen.reason}; ` : ''}${note}` } };
  }
}
