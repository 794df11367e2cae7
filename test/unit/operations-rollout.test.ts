// core/operations' rollout and maintenance over a target's nginx hosts: the orchestration
// only, with the engine's fake CanarySites (test/support/fakeCanarySite.ts, a virtual clock)
// and the real deploy locks of the hosts target (its lock scripts run with sh on this
// machine, one base folder per host). resume takes every host's lock, drives the rollout to
// its end and gives the locks back — also after Ctrl-C and when one host's lock is held by
// someone else (then nothing moves); promote and abort refuse when nothing is in progress;
// maintenance reports a failing host beside the others. The real targets are tested end to
// end by the rollout-canary integration tests through the CLI.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationSource } from '../../src/core/cancellation';
import { loadEnvironment, type LoadedEnvironment } from '../../src/core/environment/load';
import type { RolloutRequest } from '../../src/core/environment/operations';
import type { HostOutcome, LockPlace } from '../../src/core/environment/types';
import { GoDeployError } from '../../src/core/errors';
import { maintenanceWith, rolloutWith } from '../../src/core/operations/nginxOperations';
import { startRollout } from '../../src/core/release/canary/driver';
import type { RolloutEvent } from '../../src/core/release/canary/types';
import { lockOwnerFor } from '../../src/core/release/lockOwner';
import { localRunner, type HostRunner } from '../../src/core/remote/hostRunner';
import { acquireLock, lockStatus, releaseLock } from '../../src/core/targets/hosts/lock';
import type { NginxHost, Target } from '../../src/core/targets/target';
import { CANARY_PORT, FakeCanaryWorld, STABLE_PORT, testPolicy, type FakeCanarySite } from '../support/fakeCanarySite';
import { fixtureModules } from '../support/paths';

const runner = localRunner({ timeoutMs: 30_000 });

interface World {
  world: FakeCanaryWorld;
  sites: FakeCanarySite[];
  bases: string[];
  target: Target;
  /** How often the target connected to the nginx hosts and to the locks. */
  calls: { nginxHosts: number; locks: number; closed: number };
  unreachable: { name: string; address: string; error: string; hint?: string }[];
  runners: HostRunner[];
}

describe('core/operations: rollout and maintenance over the nginx hosts', function () {
  this.timeout(60_000);
  let dir: string;
  let e: LoadedEnvironment;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-ops-rollout-'));
    cpSync(path.join(fixtureModules, 'single'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: hello',
        '  port: 8081',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    path: /srv/hello',
        '    strategy: canary',
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '    nginx:',
        '      listen: 80',
        '',
      ].join('\n'),
    );
    e = await loadEnvironment({ file: path.join(dir, 'godeploy.yaml'), exists: true }, 'prod', 'rollout');
    assert.ok(e.model.canary, 'the environment uses strategy canary');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Two fake sites behind a target whose locks are the hosts target's real ones, in temporary bases. */
  function makeWorld(): World {
    const world = new FakeCanaryWorld(3);
    const sites = [world.site('web1'), world.site('web2')];
    const bases = sites.map((s) => mkdtempSync(path.join(tmpdir(), `godeploy-ops-rollout-${s.name}-`)));
    const calls = { nginxHosts: 0, locks: 0, closed: 0 };
    const w: World = { world, sites, bases, calls, unreachable: [], runners: sites.map(() => runner), target: undefined as unknown as Target };
    const place = (i: number): LockPlace => ({
      alias: sites[i].name,
      status: () => lockStatus(runner, bases[i]),
      acquire: (info, o) => acquireLock(runner, bases[i], info, { environment: 'prod', onTakeOver: o?.onTakeOver }),
      release: (owner) => releaseLock(runner, bases[i], owner),
    });
    w.target = {
      nginxHosts: async () => {
        calls.nginxHosts++;
        const hosts: NginxHost[] = sites.map((s, i) => ({ name: s.name, address: `10.0.0.${i + 1}`, runner: w.runners[i], canary: s }));
        return { hosts, unreachable: w.unreachable, close: async () => void calls.closed++ };
      },
      locks: async <T>(_e: LoadedEnvironment, _command: string, _access: unknown, fn: (l: LockPlace) => Promise<T>) => {
        calls.locks++;
        const outcomes = await Promise.all(
          sites.map(async (s, i): Promise<HostOutcome<T>> => {
            try {
              return { alias: s.name, address: `10.0.0.${i + 1}`, ok: true, value: await fn(place(i)) };
            } catch (err) {
              const g = err as GoDeployError;
              return { alias: s.name, address: `10.0.0.${i + 1}`, ok: false, stage: 'run', error: g.message, hint: g.hint, cause: err };
            }
          }),
        );
        return { base: '/srv/hello', outcomes };
      },
    } as unknown as Target;
    return w;
  }

  const cleanup = (w: World) => w.bases.forEach((b) => rmSync(b, { recursive: true, force: true }));

  const request = (action: RolloutRequest['action'], o: Partial<RolloutRequest> = {}): RolloutRequest => ({
    configFile: { file: path.join(dir, 'godeploy.yaml'), exists: true },
    environment: 'prod',
    action,
    user: 'bob',
    ...o,
  });

  /** A rollout a deploy started and left with Ctrl-C at step 1 (10%): paused on both sites. */
  async function leftAtStep1(w: World): Promise<void> {
    const cancel = new CancellationSource();
    w.world.at(20_000, () => cancel.cancel());
    const out = await startRollout(
      { sites: w.sites, who: 'ann@laptop', clock: w.world.clock, token: cancel.token },
      { app: 'hello', environment: 'prod', release: 'R2', previous: 'R1', stablePort: STABLE_PORT, canaryPort: CANARY_PORT, policy: testPolicy() },
    );
    assert.equal(out.kind, 'left');
    for (const s of w.sites) assert.equal(s.state?.status, 'paused', s.describe());
  }

  const lockStates = async (w: World) => Promise.all(w.bases.map(async (b) => (await lockStatus(runner, b)).state));

  it('resume: takes every host’s deploy lock, drives the paused rollout to its end, gives the locks back', async () => {
    const w = makeWorld();
    try {
      await leftAtStep1(w);
      const held: string[] = [];
      // Half way through, "another machine" looks at the locks: both held by this resume.
      w.world.at(30_000, async () => {
        for (const b of w.bases) {
          const s = await lockStatus(runner, b);
          held.push(s.state === 'held' ? `${s.owner?.user} ${s.owner?.operation} ${s.owner?.version}` : s.state);
        }
      });
      const events: RolloutEvent[] = [];
      const r = await rolloutWith(w.target, e, request('resume', { onRolloutEvent: (ev) => events.push(ev) }), { clock: w.world.clock });
      assert.equal(r.outcome, 'promoted', r.message);
      assert.equal(r.ok, true);
      assert.equal(r.view.state?.status, 'promoted');
      assert.match(r.message, /^promoted: R2 is live$/);
      assert.deepEqual(held, ['bob rollout resume R2', 'bob rollout resume R2']);
      assert.deepEqual(await lockStates(w), ['free', 'free'], 'the locks are given back');
      for (const s of w.sites) assert.deepEqual(s.finished, ['complete'], s.describe());
      assert.ok(
        events.some((ev) => ev.kind === 'step' && /resumed by bob@/.test(ev.message)),
        JSON.stringify(events.map((x) => x.message)),
      );
      assert.ok(events.some((ev) => ev.kind === 'figures'));
      assert.equal(w.calls.closed, w.calls.nginxHosts, 'every connection to the nginx hosts is closed');
    } finally {
      cleanup(w);
    }
  });

  it('resume: Ctrl-C leaves the rollout where it is (outcome left, not ok) and still gives the locks back', async () => {
    const w = makeWorld();
    try {
      await leftAtStep1(w);
      const cancel = new CancellationSource();
      w.world.at(5_000, () => cancel.cancel());
      const r = await rolloutWith(w.target, e, request('resume', { token: cancel.token }), { clock: w.world.clock });
      assert.equal(r.outcome, 'left');
      assert.equal(r.ok, false);
      assert.equal(r.view.state?.status, 'paused');
      assert.match(r.message, /^left at step 1 \(10%\)$/);
      assert.deepEqual(await lockStates(w), ['free', 'free']);
      for (const s of w.sites) assert.deepEqual(s.finished, [], 'nothing ended');
    } finally {
      cleanup(w);
    }
  });

  it('resume: a deploy lock held on one host refuses, naming its holder; the lock taken on the other is released; nothing moves', async () => {
    const w = makeWorld();
    try {
      await leftAtStep1(w);
      const revisions = w.sites.map((s) => s.state!.revision);
      const other = await acquireLock(runner, w.bases[1], { ...lockOwnerFor('carol', 'v9', 'deploy'), host: 'ci-runner', pid: 4242 });
      await assert.rejects(
        rolloutWith(w.target, e, request('resume'), { clock: w.world.clock }),
        (err: unknown) => err instanceof GoDeployError && /^rollout resume prod: web2: .*locked by carol@ci-runner/.test(err.message),
      );
      assert.deepEqual(await lockStates(w), ['free', 'held']);
      const still = await lockStatus(runner, w.bases[1]);
      assert.equal(still.state === 'held' && still.owner?.since, other.since, 'the other holder’s lock is untouched');
      assert.deepEqual(
        w.sites.map((s) => s.state!.revision),
        revisions,
      );
    } finally {
      cleanup(w);
    }
  });

  it('promote, abort and resume need every host: an unreachable one refuses before anything moves; status lists it', async () => {
    const w = makeWorld();
    try {
      await leftAtStep1(w);
      w.unreachable.push({ name: 'web3', address: '10.0.0.3', error: 'connect ECONNREFUSED 10.0.0.3:22' });
      for (const action of ['promote', 'abort', 'resume'] as const)
        await assert.rejects(
          rolloutWith(w.target, e, request(action), { clock: w.world.clock }),
          /^GoDeployError: rollout \w+ prod: web3 \(10\.0\.0\.3\) could not be reached/,
        );
      assert.deepEqual(
        w.sites.map((s) => s.finished.length + s.applied.length),
        [1, 1],
        'only the first step was ever applied',
      );
      const st = await rolloutWith(w.target, e, request('status'));
      assert.equal(st.ok, true);
      assert.deepEqual(
        st.view.hosts?.map((h) => [h.host, h.weight, h.error ?? null]),
        [
          ['web1', 10, null],
          ['web2', 10, null],
          ['web3', null, 'connect ECONNREFUSED 10.0.0.3:22'],
        ],
      );
    } finally {
      cleanup(w);
    }
  });

  it('promote moves on a step, abort ends it; with nothing in progress both refuse (exit 1) saying how the last one ended', async () => {
    const w = makeWorld();
    try {
      const none = await rolloutWith(w.target, e, request('status'));
      assert.equal(none.view.none, true);
      await assert.rejects(
        rolloutWith(w.target, e, request('promote')),
        (err: unknown) => err instanceof GoDeployError && err.exitCode === 1 && /^no canary rollout in progress on prod$/.test(err.message),
      );
      await leftAtStep1(w);
      const p = await rolloutWith(w.target, e, request('promote'));
      assert.equal(p.ok, true);
      assert.match(p.message, /^promoted to step 2\/3/);
      assert.equal(p.view.state?.weight, 50);
      const a = await rolloutWith(w.target, e, request('abort'));
      assert.match(a.message, /^aborted: traffic back on R1/);
      assert.equal(a.view.state?.status, 'aborted');
      for (const action of ['promote', 'abort', 'resume'] as const)
        await assert.rejects(
          rolloutWith(w.target, e, request(action)),
          (err: unknown) => err instanceof GoDeployError && /^no canary rollout in progress on prod: the last one \(release R2\) was aborted/.test(err.message),
        );
      assert.deepEqual(await lockStates(w), ['free', 'free']);
    } finally {
      cleanup(w);
    }
  });

  it('maintenance: every nginx host in parallel; a host that fails (or could not be reached) is reported beside the others, not ok', async () => {
    const w = makeWorld();
    try {
      // web1 reads maintenance mode for real (no file on this machine: off); web2's commands fail.
      w.runners[1] = {
        describe: 'web2',
        local: false,
        exec: async () => ({ code: 255, stdout: '', stderr: 'ssh: connection reset by peer' }),
      } as unknown as HostRunner;
      w.unreachable.push({ name: 'web3', address: '10.0.0.3', error: 'timed out', hint: 'check the network' });
      const r = await maintenanceWith(w.target, e, {
        configFile: { file: path.join(dir, 'godeploy.yaml'), exists: true },
        environment: 'prod',
        action: 'status',
      });
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.hosts.map((h) => [h.host, h.ok, h.on]),
        [
          ['web1', true, false],
          ['web2', false, false],
          ['web3', false, false],
        ],
      );
      assert.match(r.hosts[1].error!, /connection reset by peer/);
      assert.equal(r.hosts[2].hint, 'check the network');
      assert.match(r.plan.text, /^maintenance status prod: /);
    } finally {
      cleanup(w);
    }
  });
});
