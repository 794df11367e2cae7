// Fake CanarySites for the rollout engine's unit tests: each keeps its state in memory with the
// host scripts' revision check, records the weights nginx was given, and has an access log that
// a virtual clock fills with requests split by the site's current weight (the canary's error
// rate and latency set by the test). A site can lose its connection at its n-th command
// (before or after the command took effect): every command from then on rejects.
import type { CancellationTokenLike } from '../../src/core/cancellation';
import type { RolloutClock } from '../../src/core/release/canary/driver';
import type { CanaryPolicy, CanarySite, RolloutState } from '../../src/core/release/canary/types';
import { prng } from './prng';

export const STABLE_PORT = 8081;
export const CANARY_PORT = 8082;

/** A quick policy: 3 steps (10%, 50% for 60 s each, then 100%), 30 s windows, 50 requests, 1% errors. */
export function testPolicy(o: Partial<CanaryPolicy['analysis']> & Partial<Omit<CanaryPolicy, 'analysis'>> = {}): CanaryPolicy {
  return {
    steps: o.steps ?? [
      { weight: 10, pauseMs: 60_000 },
      { weight: 50, pauseMs: 60_000 },
      { weight: 100, pauseMs: 0 },
    ],
    analysis: {
      windowMs: o.windowMs ?? 30_000,
      maxErrorRate: o.maxErrorRate ?? 0.01,
      maxP95LatencyRatio: o.maxP95LatencyRatio ?? null,
      minRequests: o.minRequests ?? 50,
    },
    sticky: o.sticky ?? 'cookie',
    onInsufficientTraffic: o.onInsufficientTraffic ?? 'fail',
    insufficientTrafficWaitMs: o.insufficientTrafficWaitMs ?? 120_000,
  };
}

export interface Traffic {
  /** Requests per second at each site. */
  rps: number;
  /** The fraction of the canary's (and the live release's) answers that are 500s. */
  canaryErrorRate: number;
  stableErrorRate: number;
  canaryMs: number;
  stableMs: number;
}

export class FakeCanaryWorld {
  now = 1_700_000_000_000;
  readonly sites: FakeCanarySite[] = [];
  readonly traffic: Traffic = { rps: 20, canaryErrorRate: 0, stableErrorRate: 0, canaryMs: 4, stableMs: 4 };
  /** Run (and awaited) when the clock passes `at`: "another machine" acting between two ticks. */
  private readonly timers: { at: number; fn: () => Promise<void> | void }[] = [];
  private readonly random: () => number;
  ticks = 0;
  /** The ends of a rollout as they happened on the sites: "<site> switched" (nginx reloaded) and "<site> drained" (old instance stopped), with the virtual time. */
  readonly trace: { at: number; what: string }[] = [];

  constructor(seed = 1) {
    this.random = prng(seed);
  }

  site(name: string): FakeCanarySite {
    const s = new FakeCanarySite(name, this);
    this.sites.push(s);
    return s;
  }

  at(ms: number, fn: () => Promise<void> | void): void {
    this.timers.push({ at: this.now + ms, fn });
  }

  /** Advances the time by `ms`, each site's nginx logging its requests. */
  advance(ms: number): void {
    const from = this.now;
    this.now += ms;
    for (const s of this.sites) s.serve(from, this.now, this.random);
  }

  readonly clock: RolloutClock = {
    now: () => this.now,
    sleep: async (ms: number, token?: CancellationTokenLike) => {
      await new Promise((r) => setImmediate(r));
      if (token?.isCancellationRequested) return;
      this.ticks++;
      if (this.ticks > 100_000) throw new Error('the rollout never ended (100000 ticks)');
      this.advance(ms);
      for (const t of [...this.timers]) {
        if (t.at > this.now) continue;
        this.timers.splice(this.timers.indexOf(t), 1);
        await t.fn();
      }
    },
  };
}

export class FakeCanarySite implements CanarySite {
  state: RolloutState | null = null;
  /** The weight nginx sends to the canary (what the include says). */
  weight = 0;
  /** Every weight an apply gave nginx, in order, and each finish. */
  readonly applied: number[] = [];
  readonly finished: ('complete' | 'abort')[] = [];
  /** Every revision written, in order. */
  readonly revisions: number[] = [];
  readonly stopped: number[] = [];
  /** The access log: chunks (one per tick) and where each starts. */
  private readonly chunks: string[] = [];
  private readonly starts: number[] = [];
  logBytes = 0;
  /** Commands run so far; the connection dies at command `failAt` (1-based). */
  ops = 0;
  failAt: { op: number; after: boolean } | null = null;
  down = false;
  /** Run once right before the next write is checked (a writer from another machine getting there first). */
  beforeWrite: (() => Promise<void>) | null = null;
  /** Applies answer like an nginx -t that refuses the include. */
  nginxRefuses = false;
  /** How long (virtual ms) nginx's old workers take to drain at the end of a rollout. */
  drainMs = 0;

  constructor(
    readonly name: string,
    private readonly world: FakeCanaryWorld,
  ) {}

  /** The requests of (from, to] with the current weight (1 request every 1000/rps ms). */
  serve(from: number, to: number, random: () => number): void {
    const t = this.world.traffic;
    if (t.rps <= 0) return;
    const every = 1000 / t.rps;
    let lines = '';
    for (let at = Math.ceil(from / every) * every; at < to; at += every) {
      if (at <= from) continue;
      const canary = random() * 100 < this.weight;
      const rate = canary ? t.canaryErrorRate : t.stableErrorRate;
      const status = random() < rate ? 500 : 200;
      const ms = (canary ? t.canaryMs : t.stableMs) * (0.5 + random());
      const port = canary ? CANARY_PORT : STABLE_PORT;
      lines += `${JSON.stringify({ msec: at / 1000, upstream: `127.0.0.1:${port}`, status, request_time: ms / 1000 })}\n`;
    }
    if (!lines) return;
    this.chunks.push(lines);
    this.starts.push(this.logBytes);
    this.logBytes += lines.length;
  }

  private async op<T>(effect: () => T | Promise<T>): Promise<T> {
    await new Promise((r) => setImmediate(r));
    if (this.down) throw new Error('connection lost');
    this.ops++;
    if (this.failAt && this.ops >= this.failAt.op) {
      this.down = true;
      if (this.failAt.after) await effect();
      throw new Error('connection lost');
    }
    return effect();
  }

  /** The host scripts' check: the incoming revision above the host's, and the expected one if given. */
  private async cas(s: RolloutState, expect: number | undefined): Promise<boolean> {
    const hook = this.beforeWrite;
    if (hook) {
      this.beforeWrite = null;
      await hook();
    }
    const cur = this.state?.revision ?? 0;
    return s.revision > cur && (expect === undefined || expect === cur);
  }

  private store(s: RolloutState): void {
    this.state = structuredClone(s);
    this.revisions.push(s.revision);
  }

  readState(): Promise<RolloutState | null> {
    return this.op(() => (this.state ? structuredClone(this.state) : null));
  }

  writeState(s: RolloutState, expectRevision?: number): Promise<boolean> {
    return this.op(async () => {
      if (!(await this.cas(s, expectRevision))) return false;
      this.store(s);
      return true;
    });
  }

  apply(s: RolloutState, expectRevision?: number): Promise<boolean> {
    return this.op(async () => {
      if (!(await this.cas(s, expectRevision))) return false;
      if (this.nginxRefuses) throw new Error(`${this.name}: nginx -t refused the canary include, the old one is back: unknown directive`);
      this.weight = s.weight;
      this.applied.push(s.weight);
      this.store(s);
      return true;
    });
  }

  /** As the host site: one command claims the end and switches nginx (onSwitched), a second drains the old workers (drainMs of virtual time passing, every site serving meanwhile) and stops the old instance. */
  async finish(s: RolloutState, how: 'complete' | 'abort', expectRevision?: number, onSwitched?: () => void): Promise<boolean> {
    const claimed = await this.op(async () => {
      if (!(await this.cas(s, expectRevision))) return false;
      this.weight = how === 'complete' ? 100 : 0;
      this.finished.push(how);
      this.store({ ...s, weight: this.weight, status: how === 'complete' ? 'promoted' : 'aborted', heartbeatAt: null });
      this.world.trace.push({ at: this.world.now, what: `${this.name} switched` });
      return true;
    });
    if (!claimed) return false;
    onSwitched?.();
    await this.op(async () => {
      for (let left = this.drainMs; left > 0; left -= 100) {
        await new Promise((r) => setImmediate(r));
        this.world.advance(Math.min(100, left));
      }
      this.world.trace.push({ at: this.world.now, what: `${this.name} drained` });
      this.stopped.push(how === 'complete' ? s.stablePort : s.canaryPort);
    });
    return true;
  }

  readLog(offset: number): Promise<{ text: string; offset: number }> {
    return this.op(() => {
      const from = offset > this.logBytes ? 0 : offset;
      let k = this.starts.length - 1;
      while (k > 0 && this.starts[k] > from) k--;
      const text = k < 0 ? '' : this.chunks[k].slice(Math.max(0, from - this.starts[k])) + this.chunks.slice(k + 1).join('');
      return { text, offset: this.logBytes };
    });
  }

  logSize(): Promise<number> {
    return this.op(() => this.logBytes);
  }

  describe(): string {
    const s = this.state;
    return `${this.name}: weight ${this.weight} applied [${this.applied.join(',')}] finished [${this.finished.join(',')}] ${s ? `state r${s.revision} ${s.status} step ${s.step} ${s.weight}%${s.reason ? ` (${s.reason})` : ''}` : 'no state'}${this.down ? ' DOWN' : ''}`;
  }
}
