// The rollout engine (release/canary/driver.ts, control.ts) over fake CanarySites
// (test/support/fakeCanarySite.ts): in-memory states with the hosts' revision check, access
// logs filled by a virtual clock with requests split by each site's weight, so a rollout of
// minutes runs in milliseconds. A healthy canary promoted through its steps on every site; an
// error-rate breach aborted within one window with its figures; too little traffic failing or
// promoting; Ctrl-C leaving it paused; a promote or abort from "another machine" adopted; a
// site whose connection dies named in a rollout left paused; rollout status, promote and abort
// by hand; and a seeded fault test (GODEPLOY_FAULT_SEED replays a run).
import { strict as assert } from 'node:assert';
import { CancellationSource } from '../../src/core/cancellation';
import { isGoDeployError } from '../../src/core/errors';
import { abortRollout, promoteRollout, rolloutView } from '../../src/core/release/canary/control';
import { driveRollout, startRollout, type RolloutRun } from '../../src/core/release/canary/driver';
import { finishEverywhere } from '../../src/core/release/canary/sites';
import { finalState } from '../../src/core/release/canary/states';
import type { CanaryPolicy, RolloutEvent, RolloutOutcome } from '../../src/core/release/canary/types';
import { CANARY_PORT, FakeCanaryWorld, STABLE_PORT, testPolicy, type FakeCanarySite } from '../support/fakeCanarySite';
import { prng } from '../support/prng';

const SEED = process.env.GODEPLOY_FAULT_SEED ? Number(process.env.GODEPLOY_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const ITERATIONS = Number(process.env.GODEPLOY_FAULT_ITERATIONS ?? 100);

const init = (policy: CanaryPolicy) => ({
  app: 'shop',
  environment: 'prod',
  release: 'R2',
  previous: 'R1',
  stablePort: STABLE_PORT,
  canaryPort: CANARY_PORT,
  policy,
});

interface Run {
  world: FakeCanaryWorld;
  sites: FakeCanarySite[];
  events: RolloutEvent[];
  cancel: CancellationSource;
  run: RolloutRun;
}

function setup(n = 3, seed = 7): Run {
  const world = new FakeCanaryWorld(seed);
  const sites = Array.from({ length: n }, (_, i) => world.site(`web${i + 1}`));
  const events: RolloutEvent[] = [];
  const cancel = new CancellationSource();
  return { world, sites, events, cancel, run: { sites, who: 'ann@laptop', clock: world.clock, token: cancel.token, emit: (e) => events.push(e) } };
}

const messages = (r: Run): string[] => r.events.map((e) => e.message);

describe('canary driver: a rollout over fake sites (virtual clock)', function () {
  it('promotes a healthy canary through its 3 steps, each weight applied in order on every site', async function () {
    const r = setup(3);
    const started = r.world.now;
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'promoted', JSON.stringify(out.state.reason));
    for (const s of r.sites) {
      assert.deepEqual(s.applied, [10, 50], s.describe());
      assert.deepEqual(s.finished, ['complete'], s.describe());
      assert.equal(s.weight, 100);
      assert.equal(s.state?.status, 'promoted');
      assert.equal(s.state?.heartbeatAt, null);
      assert.deepEqual(s.stopped, [STABLE_PORT], 'the old instance stops');
      // Revisions only ever go up on a host.
      assert.deepEqual(
        [...s.revisions].sort((a, b) => a - b),
        s.revisions,
      );
    }
    // Two pauses of 60 s, each needing a passed window: done a little after 120 s.
    const took = r.world.now - started;
    assert.ok(took >= 120_000 && took < 125_000, `took ${took} ms`);
    const steps = r.events.filter((e) => e.kind === 'step').map((e) => e.message);
    assert.deepEqual(steps, ['canary: step 1/3 10% for 1m', 'canary: step 2/3 50% for 1m']);
    const figures = r.events.filter((e) => e.kind === 'figures');
    assert.ok(figures.length >= 4, `${figures.length} judged windows`);
    assert.match(figures[0].message, /^live \d+ req 0\.00% 5xx p50 [\d.]+ ms p95 [\d.]+ ms; canary \d+ req 0\.00% 5xx/);
    const h = out.state.history;
    assert.deepEqual(
      h.map((x) => [x.step, x.weight, x.result]),
      [
        [0, 10, 'passed'],
        [1, 50, 'passed'],
        [2, 100, 'passed'],
      ],
    );
    assert.ok(h[0].figures && h[0].figures.canary.requests >= 50, 'the step keeps the figures of its last passed window');
    assert.ok(h[1].figures!.canary.requests > h[0].figures!.canary.requests, 'more canary traffic at 50%');
    assert.match(messages(r).at(-1)!, /promoted/);
  });

  it('aborts on an error-rate breach within one window, the figures in the reason, on every site', async function () {
    const r = setup(2);
    r.world.traffic.canaryErrorRate = 0.2;
    const started = r.world.now;
    const out = await startRollout(r.run, init(testPolicy({ minRequests: 20 })));
    assert.equal(out.kind, 'aborted');
    if (out.kind !== 'aborted') return;
    assert.match(out.reason, /^error rate [\d.]+% \(\d+ of \d+ requests\) is above maxErrorRate 1% at step 1 \(10%\)$/);
    assert.ok(out.figures && out.figures.canary.errors > 0 && out.figures.canary.requests >= 20, JSON.stringify(out.figures));
    const took = r.world.now - started;
    // The first window is 30 s; at 10% of 2 x 20 rps, 20 canary requests come within it.
    assert.ok(took <= 31_000, `aborted after ${took} ms`);
    for (const s of r.sites) {
      assert.deepEqual(s.applied, [10], s.describe());
      assert.deepEqual(s.finished, ['abort']);
      assert.equal(s.weight, 0);
      assert.equal(s.state?.status, 'aborted');
      assert.equal(s.state?.reason, out.reason);
      assert.deepEqual(s.stopped, [CANARY_PORT], 'the canary stops');
    }
    assert.equal(out.state.history[0].result, 'breach');
    assert.deepEqual(out.state.history[0].figures, out.figures);
    assert.ok(r.events.some((e) => e.kind === 'figures' && /canary \d+ req [1-9][\d.]*% 5xx/.test(e.message)));
  });

  it('judges p95 latency against the live release when maxP95LatencyRatio is set', async function () {
    const r = setup(1);
    r.world.traffic.rps = 50;
    r.world.traffic.canaryMs = 80;
    const out = await startRollout(r.run, init(testPolicy({ minRequests: 20, maxP95LatencyRatio: 2 })));
    assert.equal(out.kind, 'aborted');
    if (out.kind === 'aborted') assert.match(out.reason, /^p95 latency [\d.]+ ms is [\d.]+× the live release's [\d.]+ ms, above maxP95LatencyRatio 2/);
  });

  it('too little traffic: onInsufficientTraffic fail aborts after the pause and the wait, naming the count', async function () {
    const r = setup(2);
    r.world.traffic.rps = 1; // 10% of 2 req/s: ~0.2 canary req/s, fewer than 50 in any window
    const started = r.world.now;
    const out = await startRollout(r.run, init(testPolicy({ insufficientTrafficWaitMs: 120_000 })));
    assert.equal(out.kind, 'aborted');
    if (out.kind !== 'aborted') return;
    assert.match(out.reason, /^too few requests: \d+ canary requests in 3m, minRequests 50 at step 1 \(10%\)$/);
    const took = r.world.now - started;
    assert.ok(took >= 180_000 && took < 182_000, `took ${took}`);
    for (const s of r.sites) assert.deepEqual([s.applied, s.finished, s.weight], [[10], ['abort'], 0]);
  });

  it('too little traffic: onInsufficientTraffic promote goes on, each step recorded insufficient', async function () {
    const r = setup(1);
    r.world.traffic.rps = 1;
    const out = await startRollout(r.run, init(testPolicy({ onInsufficientTraffic: 'promote', insufficientTrafficWaitMs: 30_000 })));
    assert.equal(out.kind, 'promoted');
    assert.deepEqual(
      out.state.history.map((h) => h.result),
      ['insufficient', 'insufficient', 'passed'],
    );
    assert.ok(messages(r).some((m) => /too few requests: \d+ canary requests in .*; onInsufficientTraffic promote: next step/.test(m)));
    assert.deepEqual(r.sites[0].applied, [10, 50]);
  });

  it('Ctrl-C leaves the rollout paused where it is (the canary keeps its weight, nothing stops); resume drives it to the end', async function () {
    const r = setup(2);
    r.world.at(70_000, () => r.cancel.cancel()); // in step 2
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'left');
    assert.equal(out.state.status, 'paused');
    assert.equal(out.state.reason, 'left at step 2 (50%) by ann@laptop');
    for (const s of r.sites) {
      assert.equal(s.weight, 50, s.describe());
      assert.deepEqual(s.finished, []);
      assert.deepEqual(s.stopped, []);
      assert.equal(s.state?.status, 'paused');
      assert.equal(s.state?.heartbeatAt, null);
      assert.equal(s.state?.step, 1);
    }
    // Later, from another machine: resume.
    const events: RolloutEvent[] = [];
    const back = await driveRollout({ ...r.run, who: 'bob@desk', token: undefined, emit: (e) => events.push(e) }, r.sites[0].state!);
    assert.equal(back.kind, 'promoted');
    assert.match(events[0].message, /^canary: step 2\/3 50% for 1m \(resumed by bob@desk\)$/);
    for (const s of r.sites) assert.deepEqual([s.applied, s.finished], [[10, 50, 50], ['complete']]);
  });

  it('a cancel before the first tick still leaves a consistent paused state', async function () {
    const r = setup(2);
    r.cancel.cancel();
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'left');
    for (const s of r.sites) assert.deepEqual([s.state?.status, s.weight], ['paused', 10]);
  });

  it('adopts an abort typed on another machine (the driver stops with its reason)', async function () {
    const r = setup(3);
    r.world.at(20_000, async () => {
      await abortRollout(r.sites, { who: 'bob@desk', now: () => r.world.now });
    });
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'aborted');
    if (out.kind === 'aborted') assert.equal(out.reason, 'aborted by bob@desk at step 1 (10%)');
    for (const s of r.sites) assert.deepEqual([s.applied, s.finished, s.weight, s.state?.status, s.state?.by], [[10], ['abort'], 0, 'aborted', 'bob@desk']);
    assert.ok(messages(r).some((m) => m === 'the rollout was aborted by bob@desk: aborted by bob@desk at step 1 (10%)'));
  });

  it('adopts a promote typed on another machine: the next step, its window new; promote --full ends it', async function () {
    const r = setup(2);
    r.world.at(5_000, async () => {
      const p = await promoteRollout(r.sites, { who: 'bob@desk', full: false, now: () => r.world.now });
      assert.equal(p.message, 'promoted to step 2/3: the canary R2 takes 50%');
    });
    r.world.at(40_000, async () => {
      const p = await promoteRollout(r.sites, { who: 'bob@desk', full: true, now: () => r.world.now });
      assert.match(p.message, /^promoted: R2 takes every request; R1 stopped/);
    });
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'promoted');
    assert.ok(r.world.now - 1_700_000_000_000 < 45_000);
    assert.ok(r.events.some((e) => e.kind === 'step' && e.message === 'canary: step 2/3 50% for 1m (by bob@desk)'));
    for (const s of r.sites) assert.deepEqual([s.applied, s.finished, s.weight], [[10, 50], ['complete'], 100]);
    assert.deepEqual(
      out.state.history.map((h) => h.result),
      ['promoted', 'promoted', 'promoted'],
    );
  });

  it('a foreign abort landing between the driver reading the state and writing its heartbeat wins (revision check)', async function () {
    const r = setup(2);
    let armed = false;
    r.world.at(10_000, () => {
      armed = true;
      r.sites[0].beforeWrite = async () => {
        await abortRollout(r.sites, { who: 'bob@desk', now: () => r.world.now });
      };
    });
    const out = await startRollout(r.run, init(testPolicy()));
    assert.ok(armed);
    assert.equal(out.kind, 'aborted');
    for (const s of r.sites) assert.deepEqual([s.state?.status, s.state?.by, s.weight], ['aborted', 'bob@desk', 0], s.describe());
  });

  it('a site whose connection dies leaves the rollout paused, the host named, on the sites that answer', async function () {
    const r = setup(3);
    r.world.at(65_000, () => {
      r.sites[1].down = true;
    });
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'left');
    assert.match(out.state.reason!, /^left at step 2 \(50%\): web2: .* failed: connection lost$/);
    for (const s of [r.sites[0], r.sites[2]]) assert.deepEqual([s.state?.status, s.state?.reason], ['paused', out.state.reason], s.describe());
    assert.deepEqual(r.sites[1].finished, []);
  });

  it('a site that dies while a step is applied: the others have the step, the result names the host', async function () {
    const r = setup(3);
    // web3's connection dies at the apply of step 2 (its other commands still answer).
    r.world.at(59_500, () => {
      r.sites[2].apply = () => Promise.reject(new Error('connection lost'));
    });
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'left');
    assert.match(out.state.reason!, /^left at step 2 \(50%\): web3: setting the canary to 50% failed: connection lost$/);
    assert.deepEqual([r.sites[0].weight, r.sites[1].weight, r.sites[2].weight], [50, 50, 10], 'never applied silently: web3 is still at 10% and named');
  });

  it('a hook failing after the promotion was written (the old instance would not stop): the result says so, naming the host', async function () {
    const r = setup(2);
    const finish = r.sites[0].finish.bind(r.sites[0]);
    r.sites[0].finish = async (st, how, expect) => {
      await finish(st, how, expect);
      throw new Error(`web1: stopping the instance on port ${STABLE_PORT} failed (exit 1): unit busy`);
    };
    const out = await startRollout(r.run, init(testPolicy()));
    assert.equal(out.kind, 'left');
    assert.match(
      out.state.reason!,
      /not promoted on every host: web1: promoting the canary failed: web1: stopping the instance on port 8081 failed \(exit 1\): unit busy$/,
    );
    assert.equal(out.state.status, 'promoted');
    for (const s of r.sites) assert.deepEqual([s.weight, s.state?.status], [100, 'promoted'], s.describe());
  });

  it('a hook failing on the primary after its switch: the other hosts were switched all the same, the result names the primary', async function () {
    const r = setup(2);
    r.world.traffic.canaryErrorRate = 0.2;
    const finish = r.sites[0].finish.bind(r.sites[0]);
    r.sites[0].finish = async (st, how, expect, onSwitched) => {
      await finish(st, how, expect, onSwitched);
      throw new Error(`web1: stopping the instance on port ${CANARY_PORT} failed (exit 1): unit busy`);
    };
    const out = await startRollout(r.run, init(testPolicy({ minRequests: 20 })));
    assert.equal(out.kind, 'aborted');
    assert.match(
      out.kind === 'aborted' ? out.reason : '',
      /; not aborted on every host: web1: aborting the canary failed: web1: stopping the instance on port 8082/,
    );
    for (const s of r.sites) assert.deepEqual([s.weight, s.state?.status, s.finished], [0, 'aborted', ['abort']], s.describe());
    assert.deepEqual(r.sites[1].stopped, [CANARY_PORT]);
  });

  it('nginx refusing the include on the primary at the first step: the rollout did not start (an error)', async function () {
    const r = setup(2);
    r.sites[0].nginxRefuses = true;
    await assert.rejects(startRollout(r.run, init(testPolicy())), (e: Error) => {
      assert.ok(isGoDeployError(e));
      assert.match(e.message, /^the canary rollout could not start: web1: setting the canary to 10% failed: web1: nginx -t refused/);
      return true;
    });
    assert.equal(r.sites[1].state, null, 'nothing written on web2');
  });

  it('refuses to start over a rollout in progress, and to resume one another driver runs', async function () {
    const r = setup(1);
    r.world.at(5_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    await assert.rejects(startRollout({ ...r.run, token: undefined }, init(testPolicy())), /a canary rollout of R2 is in progress on web1 \(step 1 \(10%\)\)/);
    const st = r.sites[0].state!;
    r.sites[0].state = { ...st, status: 'progressing', heartbeatAt: r.world.now - 1000, by: 'bob@desk' };
    await assert.rejects(driveRollout({ ...r.run, token: undefined }, r.sites[0].state), /is being driven by bob@desk/);
  });

  it('a first step of 100% promotes at once', async function () {
    const r = setup(2);
    const out = await startRollout(r.run, init(testPolicy({ steps: [{ weight: 100, pauseMs: 0 }] })));
    assert.equal(out.kind, 'promoted');
    for (const s of r.sites) assert.deepEqual([s.applied, s.finished], [[], ['complete']]);
  });
});

describe('canary driver: the end of a rollout switches every host at once (the primary deciding)', function () {
  /** The canary's requests each site served after `at` (virtual ms). */
  const canaryAfter = async (s: FakeCanarySite, at: number): Promise<number> =>
    (await s.readLog(0)).text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msec: number; upstream: string })
      .filter((e) => e.msec * 1000 > at && e.upstream.endsWith(`:${CANARY_PORT}`)).length;

  for (const how of ['abort', 'complete'] as const) {
    it(`${how === 'abort' ? 'an abort' : 'a promotion'}: the other hosts switch while the primary drains (4 s), so no host keeps the ${how === 'abort' ? 'canary' : 'old release'} meanwhile`, async function () {
      const r = setup(3);
      if (how === 'abort') r.world.traffic.canaryErrorRate = 0.2;
      r.world.traffic.rps = 100;
      r.sites[0].drainMs = 4_000;
      const out = await startRollout(r.run, init(testPolicy({ minRequests: 20 })));
      assert.equal(out.kind, how === 'abort' ? 'aborted' : 'promoted');
      const t = r.world.trace;
      const at = (what: string): number => t.find((e) => e.what === what)?.at ?? NaN;
      assert.deepEqual(
        t.map((e) => e.what).slice(0, 3),
        ['web1 switched', 'web2 switched', 'web3 switched'],
        `every include switched before the primary drained: ${JSON.stringify(t)}`,
      );
      const switched = at('web1 switched');
      assert.equal(at('web2 switched'), switched, 'web2 switched at the same (virtual) moment as the primary');
      assert.equal(at('web3 switched'), switched);
      assert.equal(at('web1 drained'), switched + 4_000, 'the primary drained for 4 s after the others had switched');
      for (const s of r.sites.slice(1)) {
        const stale =
          how === 'abort'
            ? await canaryAfter(s, switched)
            : (await s.readLog(0)).text.split('\n').filter((l) => l.includes(`:${STABLE_PORT}`) && JSON.parse(l).msec * 1000 > switched).length;
        assert.equal(stale, 0, `${s.name} served no request to the ${how === 'abort' ? 'canary' : 'old release'} during the primary's drain`);
      }
      assert.ok(r.sites[0].stopped.length === 1 && r.sites[1].stopped.length === 1);
    });
  }

  it('by hand too: rollout abort switches every host before the primary drained', async function () {
    const r = setup(3);
    r.world.at(40_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    r.sites[0].drainMs = 4_000;
    await abortRollout(r.sites, { who: 'bob@desk', now: () => r.world.now });
    assert.deepEqual(
      r.world.trace.map((e) => e.what),
      ['web1 switched', 'web2 switched', 'web3 switched', 'web2 drained', 'web3 drained', 'web1 drained'],
    );
  });

  it('a refused primary claim (another writer got there first) finishes nobody', async function () {
    const r = setup(3);
    r.world.at(40_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    const cur = r.sites[0].state!;
    const final = finalState(cur, 'abort', { who: 'bob@desk', now: r.world.now, result: 'aborted' });
    assert.deepEqual(await finishEverywhere(r.sites, final, 'abort', cur.revision - 1), { ok: false, failures: [] });
    // Another writer's newer revision on the primary: refused without an expected revision too.
    r.sites[0].state = { ...cur, revision: final.revision + 1 };
    assert.deepEqual(await finishEverywhere(r.sites, final, 'abort', undefined), { ok: false, failures: [] });
    assert.deepEqual(r.world.trace, []);
    for (const s of r.sites) assert.deepEqual([s.finished, s.weight, s.stopped], [[], 10, []], s.describe());
  });

  it('a primary failing before its switch (connection lost) is thrown, nobody finished', async function () {
    const r = setup(3);
    r.world.at(40_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    const cur = r.sites[0].state!;
    r.sites[0].down = true;
    const final = finalState(cur, 'abort', { who: 'bob@desk', now: r.world.now, result: 'aborted' });
    await assert.rejects(finishEverywhere(r.sites, final, 'abort', cur.revision), /^SiteFailure: web1: aborting the canary failed: connection lost$/);
    for (const s of r.sites.slice(1)) assert.deepEqual([s.finished, s.weight], [[], 10], s.describe());
  });

  it('a primary failing in its drain, after its switch: the others finished first, the failure named (by hand: thrown)', async function () {
    const r = setup(3);
    r.world.at(40_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    r.sites[0].failAt = { op: r.sites[0].ops + 3, after: false }; // readState, the claim, then the drain
    await assert.rejects(abortRollout(r.sites, { who: 'bob@desk', now: () => r.world.now }), /web1: aborting the canary failed: connection lost/);
    assert.deepEqual(
      r.world.trace.map((e) => e.what),
      ['web1 switched', 'web2 switched', 'web3 switched', 'web2 drained', 'web3 drained'],
    );
    for (const s of r.sites) assert.deepEqual([s.weight, s.state?.status], [0, 'aborted'], s.describe());
  });
});

describe('canary control: rollout status, promote and abort by hand', function () {
  const leftAtStep1 = async (): Promise<Run> => {
    const r = setup(2);
    r.world.at(40_000, () => r.cancel.cancel());
    await startRollout(r.run, init(testPolicy()));
    return r;
  };

  it('status: the state, the current window per host and together, the pause left, not driven once left', async function () {
    const r = await leftAtStep1();
    r.world.advance(10_000);
    const v = await rolloutView(r.sites, 'prod', { now: r.world.now });
    assert.equal(v.none, false);
    assert.equal(v.state?.status, 'paused');
    assert.equal(v.driven, false);
    assert.equal(v.pauseLeftMs, 60_000 - 50_000);
    assert.equal(v.hosts?.length, 2);
    const sum = v.hosts!.reduce((n, h) => n + (h.figures?.stable.requests ?? 0) + (h.figures?.canary.requests ?? 0), 0);
    assert.equal(sum, v.figures!.stable.requests + v.figures!.canary.requests);
    // The window began at the last passed window (30 s), so ~20 s at 2 x 20 rps.
    assert.ok(sum >= 700 && sum <= 900, `${sum} requests`);
  });

  it('status of an environment without a rollout, and a driven one', async function () {
    const r = setup(2);
    assert.deepEqual(await rolloutView(r.sites, 'prod'), { environment: 'prod', none: true });
    let view: Awaited<ReturnType<typeof rolloutView>> | undefined;
    r.world.at(3_000, async () => {
      view = await rolloutView(r.sites, 'prod', { now: r.world.now });
      r.cancel.cancel();
    });
    await startRollout(r.run, init(testPolicy()));
    assert.equal(view?.driven, true);
    assert.equal(view?.state?.status, 'progressing');
  });

  it('promote moves a paused rollout one step (still paused), then --full ends it; then nothing is in progress', async function () {
    const r = await leftAtStep1();
    const p1 = await promoteRollout(r.sites, { who: 'bob@desk', full: false, now: () => r.world.now });
    assert.equal(p1.state.status, 'paused');
    assert.equal(p1.state.step, 1);
    for (const s of r.sites) assert.equal(s.weight, 50);
    const p2 = await promoteRollout(r.sites, { who: 'bob@desk', full: false, now: () => r.world.now });
    assert.equal(p2.state.status, 'promoted', 'from the step before the last, promote ends it');
    for (const s of r.sites) assert.deepEqual([s.weight, s.finished], [100, ['complete']]);
    await assert.rejects(abortRollout(r.sites, { who: 'bob@desk' }), (e: Error) => {
      assert.ok(isGoDeployError(e));
      assert.match(e.message, /^no canary rollout in progress on prod: the last one \(release R2\) was promoted at \d{4}-/);
      return true;
    });
  });

  it('abort on a host that was out of reach: the others abort, the error names it; abort again finishes it there', async function () {
    const r = await leftAtStep1();
    r.sites[1].down = true;
    await assert.rejects(
      abortRollout(r.sites, { who: 'bob@desk' }),
      /the rollout was aborted on web1 but not on every host: web2: aborting the canary failed: connection lost/,
    );
    assert.equal(r.sites[0].weight, 0);
    assert.equal(r.sites[1].weight, 10);
    r.sites[1].down = false;
    const again = await abortRollout(r.sites, { who: 'bob@desk' });
    assert.match(again.message, /was already aborted .*; finished it on web2 too/);
    assert.equal(r.sites[1].weight, 0);
  });

  it('promote on a primary out of reach is an error naming it', async function () {
    const r = await leftAtStep1();
    r.sites[0].down = true;
    await assert.rejects(promoteRollout(r.sites, { who: 'bob@desk', full: false }), /^GoDeployError: web1: reading the rollout state failed: connection lost$/);
  });
});

describe(`canary driver: a connection lost, a foreign command or Ctrl-C at a random point (seed ${SEED}, GODEPLOY_FAULT_SEED to replay)`, function () {
  before(() => console.log(`      fault seed ${SEED} (replay: GODEPLOY_FAULT_SEED=${SEED})`));

  it(`${ITERATIONS} rollouts: always settles; never promoted or aborted with a host silently left behind`, async function () {
    const random = prng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    for (let i = 0; i < ITERATIONS; i++) {
      const r = setup(1 + Math.floor(random() * 3), Math.floor(random() * 1e9));
      const bad = random() < 0.3;
      if (bad) r.world.traffic.canaryErrorRate = 0.2;
      const faults: string[] = [];
      // A site loses its connection at a random command (before or after it took effect).
      if (random() < 0.6) {
        const s = pick(r.sites);
        s.failAt = { op: 1 + Math.floor(random() * 400), after: random() < 0.5 };
        faults.push(`${s.name} fails at op ${s.failAt.op}${s.failAt.after ? ' after' : ''}`);
      }
      const foreign = pick(['none', 'abort', 'promote', 'full', 'cancel']);
      const when = Math.floor(random() * 150_000);
      faults.push(`${foreign} at ${when} ms`);
      let foreignError: unknown;
      if (foreign === 'cancel') r.world.at(when, () => r.cancel.cancel());
      else if (foreign !== 'none')
        r.world.at(when, async () => {
          const who = { who: 'bob@desk', now: () => r.world.now };
          await (foreign === 'abort' ? abortRollout(r.sites, who) : promoteRollout(r.sites, { ...who, full: foreign === 'full' })).catch((e: unknown) => {
            foreignError = e;
          });
        });
      const what = `iteration ${i} (seed ${SEED}): ${r.sites.length} sites, ${bad ? 'bad' : 'good'} canary, ${faults.join(', ')}`;
      let out: RolloutOutcome;
      try {
        out = await startRollout(r.run, init(testPolicy({ minRequests: 20 })));
      } catch (e) {
        // Only a first step that could not be written on the primary is an error.
        assert.match((e as Error).message, /^the canary rollout could not start: web\d: /, `${what}\n${(e as Error).stack}`);
        for (const s of r.sites.slice(1)) assert.equal(s.state, null, what);
        continue;
      }
      const why = (m: string): string =>
        `${m}\n  ${what}\n  outcome ${out.kind} ${out.state.reason ?? ''}\n  ${r.sites.map((s) => s.describe()).join('\n  ')}\n  foreign ${String(foreignError)}`;
      const down = r.sites.filter((s) => s.down);
      for (const s of r.sites) {
        assert.deepEqual(
          [...s.revisions].sort((a, b) => a - b),
          s.revisions,
          why(`revisions on ${s.name} went down`),
        );
        const steps = s.applied.filter((w) => w > 0);
        assert.deepEqual(
          [...steps].sort((a, b) => a - b),
          steps,
          why(`weights on ${s.name} went down before the end`),
        );
      }
      const named = (s: FakeCanarySite): boolean => {
        const reason = out.kind === 'aborted' ? out.reason : (out.state.reason ?? '');
        // "web1: …" (its command failed) or "web1 could not record it: …" (the left state not written there).
        return reason.includes(`${s.name}:`) || reason.includes(`${s.name} could not record it:`);
      };
      if (out.kind === 'promoted') {
        for (const s of r.sites) assert.equal(s.weight, 100, why(`promoted, but ${s.name} is at ${s.weight}%`));
        assert.ok(!bad || foreign === 'full' || foreign === 'promote', why('the driver promoted a bad canary'));
      } else if (out.kind === 'aborted') {
        for (const s of r.sites) if (s.weight !== 0) assert.ok(named(s), why(`aborted, ${s.name} at ${s.weight}% and not named`));
      } else {
        // Left: a host out of reach is named; the others are paused, at one weight unless a host is named.
        for (const s of down) assert.ok(named(s) || s.state === null, why(`left without naming ${s.name}`));
        const reachable = r.sites.filter((s) => !s.down);
        if (out.state.status === 'paused') for (const s of reachable) if (s.state) assert.equal(s.state.status, 'paused', why(`${s.name} is not paused`));
        const ws = new Set(reachable.map((s) => s.weight));
        assert.ok(ws.size <= 1 || down.length > 0, why('left with the hosts at different weights and no host named'));
      }
    }
  });
});
