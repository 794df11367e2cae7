// A seeded property test of the deploy's way out: for each iteration, a multi-host deploy
// over fake hosts (test/support/fakeHostRunner.ts) where one command, picked uniformly from
// the commands a clean run of the same deploy sends, fails or drops its connection (before
// or after it took effect). Every time: no lock is left on any host; either every host is
// live on the new release, or every host is back on the release it had — a host left on the
// new release must be reported failed, never rolled-back or live; and the result is ok only
// when every host is live on the new release. The seed is printed; replay one with
// GODEPLOY_FAULT_SEED=<seed> (and GODEPLOY_FAULT_ITERATIONS=<n> to run more).
import { strict as assert } from 'node:assert';
import type { ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import type { GenerateModel } from '../../src/core/generate/model';
import { FakeWorld, sha256, type FaultKind, type RecordedOp } from '../support/fakeHostRunner';
import { ENV_TEXT, FAST_GATE, NEW_ID, OLD_ID, rolloutManager, rolloutModel, runRollout, type RolloutResult } from '../support/fakeRollout';
import { prng } from '../support/prng';

const SEED = process.env.GODEPLOY_FAULT_SEED ? Number(process.env.GODEPLOY_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const ITERATIONS = Number(process.env.GODEPLOY_FAULT_ITERATIONS ?? 200);

interface Scenario {
  hosts: number;
  batch?: number;
  first: boolean;
  /** A host whose gate fails for the new release (besides the injected fault), or none. */
  unhealthy?: string;
}

describe(`orchestration: one failing command or dropped connection anywhere in a deploy (seed ${SEED}, GODEPLOY_FAULT_SEED to replay)`, function () {
  let model: GenerateModel;
  let manager: ServiceManager;
  before(async () => {
    model = await rolloutModel();
    manager = rolloutManager(model);
    console.log(`      fault seed ${SEED} (replay: GODEPLOY_FAULT_SEED=${SEED})`);
  });

  const setup = (s: Scenario): FakeWorld => {
    const w = new FakeWorld({ manager });
    for (let i = 1; i <= s.hosts; i++) {
      const h = w.host(`web${i}`, s.first ? {} : { releases: { [OLD_ID]: { envSha: sha256(ENV_TEXT) } }, current: OLD_ID });
      if (s.unhealthy === h.alias) h.unhealthy.add(NEW_ID);
    }
    return w;
  };
  const deploy = (w: FakeWorld, s: Scenario): Promise<RolloutResult> =>
    runRollout(
      [...w.hosts.values()].map((h) => h.deployHost()),
      { model, manager, batch: s.batch, gate: { ...FAST_GATE, timeoutMs: 20 } },
    );

  /** The invariants, with a message naming the seed, the iteration and the fault. */
  const check = (w: FakeWorld, r: RolloutResult, s: Scenario, what: string): void => {
    const prev = s.first ? null : OLD_ID;
    const hosts = [...w.hosts.values()];
    const why = (m: string): string =>
      `${m}\n  ${what}\n  ${hosts.map((h) => h.describeState()).join('\n  ')}\n  result ${JSON.stringify(r.hosts.map((h) => [h.host, h.result, h.error]))}`;
    for (const h of hosts) assert.equal(h.lock, null, why(`the lock is left on ${h.alias}`));
    const allLive = hosts.every((h) => h.current === NEW_ID && h.running === NEW_ID);
    assert.equal(r.ok, allLive && r.hosts.every((h) => h.result === 'live'), why(`ok is ${r.ok}`));
    for (const h of hosts) {
      const res = r.hosts.find((x) => x.host === h.alias)!;
      if (res.result === 'live') {
        assert.ok(r.ok, why(`${h.alias} is reported live in a failed deploy`));
        assert.equal(h.current, NEW_ID, why(`${h.alias} is reported live but current is ${h.current}`));
        assert.equal(h.running, NEW_ID, why(`${h.alias} is reported live but runs ${h.running}`));
        assert.equal(res.previous, prev, why(`${h.alias}: previous`));
      } else if (res.result === 'failed') {
        assert.ok(res.error, why(`${h.alias} failed without saying why`));
      } else {
        // rolled-back or unchanged: it serves what it served before.
        assert.equal(h.current, prev, why(`${h.alias} is reported ${res.result} but current is ${h.current}`));
        assert.equal(h.running, prev, why(`${h.alias} is reported ${res.result} but runs ${h.running}`));
        if (res.result === 'rolled-back') assert.equal(res.previous, prev, why(`${h.alias}: previous`));
      }
    }
    if (!r.ok) {
      // Never a mix left switched without a word: a host on the new release is one the deploy failed to take back.
      for (const h of hosts)
        if (h.current === NEW_ID || h.running === NEW_ID)
          assert.equal(r.hosts.find((x) => x.host === h.alias)!.result, 'failed', why(`${h.alias} is left on the new release`));
    }
  };

  it(`holds for ${ITERATIONS} random faults`, async function () {
    this.timeout(120_000);
    const rand = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const baselines = new Map<string, RecordedOp[]>();
    const fired: Record<string, number> = {};
    for (let i = 0; i < ITERATIONS; i++) {
      const hosts = pick([2, 3, 4]);
      const s: Scenario = {
        hosts,
        batch: pick([undefined, 1, 2]),
        first: rand() < 0.2,
        unhealthy: rand() < 0.4 ? `web${1 + Math.floor(rand() * hosts)}` : undefined,
      };
      const key = JSON.stringify(s);
      let ops = baselines.get(key);
      if (!ops) {
        const clean = setup(s);
        const r = await deploy(clean, s);
        check(clean, r, s, `clean run of ${key}`);
        ops = clean.log.filter((op) => op.kind !== 'connect');
        baselines.set(key, ops);
      }
      const target = pick(ops);
      const kind = pick<FaultKind>(['fail', 'drop', 'drop-after']);
      const w = setup(s);
      // The nth command of its kind on its host (a failing gate polls a number of times that
      // depends on the clock, so a position among all of the host's commands would drift).
      const nth = ops.filter((op) => op.host === target.host && op.what === target.what && op.seq <= target.seq).length;
      w.fault(kind, target.what, { host: target.host, nth });
      const what = `seed ${SEED}, iteration ${i}: ${kind} ${target.host}'s ${target.what} #${nth} in ${key}`;
      const r = await deploy(w, s);
      check(w, r, s, what);
      fired[`${kind} ${target.what}`] = (fired[`${kind} ${target.what}`] ?? 0) + 1;
    }
    assert.ok(Object.keys(fired).length > 10, `too few distinct faults: ${JSON.stringify(fired)}`);
  });
});
