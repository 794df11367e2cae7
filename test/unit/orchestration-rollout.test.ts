// The ssh deploy's orchestration over fake hosts (test/support/fakeHostRunner.ts), in
// milliseconds: the order of lock, upload, switch and health gate; batches; a failing gate
// taking back every host already switched; the lock released on every way out (a failed
// upload, switch or gate, a cancel, a dropped connection); an unchanged build not switched.
// What the user sees is asserted twice: in the result (HostDeployResult) and on the hosts
// themselves (what `current` points at, what runs, whether the lock is still there).
import { strict as assert } from 'node:assert';
import { CancellationSource } from '../../src/core/cancellation';
import type { GenerateModel } from '../../src/core/generate/model';
import { FakeWorld, sha256, type FakeHost } from '../support/fakeHostRunner';
import { ENV_TEXT, EXECUTABLE, NEW_ID, OLD_ID, rolloutManager, rolloutModel, runRollout, UNIT_TEXT, type RolloutResult } from '../support/fakeRollout';
import type { ServiceManager } from '../../src/core/targets/hosts/serviceManager';

const EXE_UPLOAD = 'upload .deployapp.upload';

describe('orchestration: a deploy over fake ssh hosts (lock, prepare, switch in batches, gate, finish)', function () {
  let model: GenerateModel;
  let manager: ServiceManager;
  before(async () => {
    model = await rolloutModel();
    manager = rolloutManager(model);
  });

  /** Hosts web1…webN, each serving OLD_ID (or nothing: a first deploy). */
  const world = (n = 3, o: { first?: boolean } = {}): FakeWorld => {
    const w = new FakeWorld({ manager });
    for (let i = 1; i <= n; i++) w.host(`web${i}`, o.first ? {} : { releases: { [OLD_ID]: { envSha: sha256(ENV_TEXT) } }, current: OLD_ID });
    return w;
  };
  const hostsOf = (w: FakeWorld): FakeHost[] => [...w.hosts.values()];
  const deploy = (w: FakeWorld, o: Partial<Parameters<typeof runRollout>[1]> = {}): Promise<RolloutResult> =>
    runRollout(
      hostsOf(w).map((h) => h.deployHost()),
      { model, manager, ...o },
    );
  const resultOf = (r: RolloutResult, alias: string) => r.hosts.find((h) => h.host === alias)!;
  const state = (w: FakeWorld): string =>
    hostsOf(w)
      .map((h) => h.describeState())
      .join('\n');

  /** No lock left anywhere, every host serving `id`, and no trace of the new release unless it is live. */
  const assertAllOn = (w: FakeWorld, id: string | null): void => {
    for (const h of hostsOf(w)) {
      assert.equal(h.lock, null, `the lock is left on ${h.alias}\n${state(w)}`);
      assert.equal(h.current, id, `current on ${h.alias}\n${state(w)}`);
      assert.equal(h.running, id, `what runs on ${h.alias}\n${state(w)}`);
      if (id !== NEW_ID) assert.ok(!h.releases.has(NEW_ID) && !h.partials.has(NEW_ID), `the failed release is left on ${h.alias}\n${state(w)}`);
    }
  };

  it('locks, uploads, switches, then gates each host, switching only once every host holds the complete release; all live', async () => {
    const w = world(3);
    const r = await deploy(w);
    assert.equal(r.ok, true, JSON.stringify(r.hosts));
    for (const h of hostsOf(w)) {
      const order = w.ops(['lock+state', EXE_UPLOAD, 'place', 'switch', 'restart', 'connectTcp', 'finish'], h.alias).map((op) => op.what);
      assert.deepEqual(order, ['lock+state', EXE_UPLOAD, 'place', 'switch', 'restart', 'connectTcp', 'finish'], h.alias);
      assert.equal(resultOf(r, h.alias).result, 'live');
      assert.equal(resultOf(r, h.alias).previous, OLD_ID);
      assert.equal(h.releases.get(NEW_ID)?.wentLive, true, 'marked as gone live (rollback goes back only to those)');
      assert.equal(h.releases.get(NEW_ID)?.sha, sha256(EXECUTABLE));
    }
    const lastPlace = Math.max(...w.ops('place').map((op) => op.seq));
    const firstSwitch = Math.min(...w.ops('switch').map((op) => op.seq));
    assert.ok(lastPlace < firstSwitch, `a host switched before every host had the release:\n${w.trace().join('\n')}`);
    assertAllOn(w, NEW_ID);
    // The lock went with the finishing script: no separate unlock round trip.
    assert.deepEqual(w.ops('unlock'), []);
  });

  it('switches batch by batch: the hosts of a batch together, the next batch only after every gate of the one before passed', async () => {
    const w = world(5);
    const r = await deploy(w, { batch: 2 });
    assert.equal(r.ok, true);
    const batches = [['web1', 'web2'], ['web3', 'web4'], ['web5']];
    const seqs = (what: string, hosts: string[]): number[] =>
      w
        .ops(what)
        .filter((op) => hosts.includes(op.host))
        .map((op) => op.seq);
    for (let b = 0; b + 1 < batches.length; b++) {
      const gatesDone = Math.max(...seqs('connectTcp', batches[b]));
      const nextSwitch = Math.min(...seqs('switch', batches[b + 1]));
      assert.ok(gatesDone < nextSwitch, `batch ${b + 2} switched before batch ${b + 1} passed its gates:\n${w.trace(['switch', 'connectTcp']).join('\n')}`);
    }
    // Together: both hosts of the first batch switch before either is gated.
    assert.ok(Math.max(...seqs('switch', batches[0])) < Math.min(...seqs('connectTcp', batches[0])), w.trace(['switch', 'connectTcp']).join('\n'));
    assertAllOn(w, NEW_ID);
  });

  it('rollout.parallel 1 switches and gates one host at a time', async () => {
    const w = world(3);
    const r = await deploy(w, { parallel: 1 });
    assert.equal(r.ok, true);
    assert.deepEqual(w.trace(['switch', 'connectTcp']), ['web1:switch', 'web1:connectTcp', 'web2:switch', 'web2:connectTcp', 'web3:switch', 'web3:connectTcp']);
  });

  it('a host failing its gate is switched back, and so is every host already switched; later batches are never switched', async () => {
    const w = world(5);
    w.hosts.get('web3')!.unhealthy.add(NEW_ID);
    const r = await deploy(w, { batch: 2 });
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, false);
    const web3 = resultOf(r, 'web3');
    assert.equal(web3.result, 'rolled-back');
    assert.match(web3.error!, /web3: port 8181 did not accept a connection within 0\.1 s: connection refused/);
    assert.match(web3.logs!, /fake log of/, 'the failed release’s last log lines are shown');
    for (const a of ['web1', 'web2', 'web4']) {
      assert.equal(resultOf(r, a).result, 'rolled-back', a);
      assert.equal(resultOf(r, a).error, 'another host failed its health gate', a);
      assert.equal(resultOf(r, a).previous, OLD_ID, a);
    }
    assert.equal(resultOf(r, 'web5').result, 'unchanged');
    assert.deepEqual(w.ops('switch', 'web5'), [], 'the third batch is never switched');
    assert.deepEqual(
      w.ops('switch', 'web1').map((op) => op.args?.[1]),
      [NEW_ID, OLD_ID],
      'web1 went to the new release, then back',
    );
    assert.ok(r.events.some((e) => e.host === 'web1' && e.step === 'rollback' && e.state === 'done' && /is live again and healthy/.test(e.message)));
    assertAllOn(w, OLD_ID);
    // Every host switched records the attempt in its history.
    for (const a of ['web1', 'web2', 'web3', 'web4']) assert.match(w.hosts.get(a)!.history.join('\n'), /rolled-back/, a);
  });

  it('a first deploy failing its gate stops the service and removes current: nothing runs, previous is null', async () => {
    const w = world(2, { first: true });
    w.hosts.get('web2')!.unhealthy.add(NEW_ID);
    const r = await deploy(w);
    assert.equal(r.ok, false);
    for (const h of r.hosts) {
      assert.equal(h.result, 'rolled-back', h.host);
      assert.equal(h.previous, null, h.host);
    }
    assert.ok(w.ops('unswitch').length === 2 && w.ops('stop').length === 2);
    assertAllOn(w, null);
  });

  it('a switched host that cannot be switched back is reported failed (not rolled-back), and its lock is still released', async () => {
    const w = world(2);
    w.hosts.get('web2')!.unhealthy.add(NEW_ID);
    w.fail('switch', { host: 'web1', nth: 2 });
    const r = await deploy(w);
    assert.equal(r.ok, false);
    assert.equal(resultOf(r, 'web1').result, 'failed');
    assert.equal(resultOf(r, 'web2').result, 'rolled-back');
    const web1 = w.hosts.get('web1')!;
    assert.equal(web1.current, NEW_ID, 'still on the new release: the result must say so');
    assert.ok(r.events.some((e) => e.host === 'web1' && e.step === 'rollback' && e.state === 'fail'));
    for (const h of hostsOf(w)) assert.equal(h.lock, null, h.alias);
  });

  describe('the lock is released on every way out', () => {
    it('a failed upload: nothing switched anywhere, the release removed from every host', async () => {
      const w = world(3);
      w.fail(EXE_UPLOAD, { host: 'web2' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.equal(resultOf(r, 'web2').result, 'failed');
      assert.match(resultOf(r, 'web2').error!, /injected failure/);
      assert.equal(resultOf(r, 'web1').result, 'unchanged');
      assert.deepEqual(w.ops('switch'), []);
      assertAllOn(w, OLD_ID);
    });

    it('a failed switch: the host goes back to the release it had, the others too', async () => {
      const w = world(3);
      w.fail('switch', { host: 'web2' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web2').error!, /switching current failed \(exit 1\)/);
      assert.equal(resultOf(r, 'web2').result, 'rolled-back');
      assertAllOn(w, OLD_ID);
    });

    it('a failed restart: switched back like a failed gate', async () => {
      const w = world(2);
      w.fail('restart', { host: 'web1' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web1').error!, /restarting deployapp.service failed/);
      assertAllOn(w, OLD_ID);
    });

    it('a failed preDeploy hook: the live release is not touched', async () => {
      const w = world(2);
      w.hosts.get('web2')!.on('hook', { code: 3, stdout: 'migration failed' }, 1);
      const r = await deploy(w, { hooks: { preDeploy: ['./migrate'], postDeploy: [] } });
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web2').error!, /hooks\.preDeploy\[0\] \(\.\/migrate\) failed with exit 3; the live release was not touched/);
      assert.deepEqual(w.ops('switch'), []);
      assertAllOn(w, OLD_ID);
    });

    it('a failed postDeploy hook is a warning: the release stays live', async () => {
      const w = world(2);
      w.hosts.get('web1')!.on('hook', { code: 1 }, 1);
      const r = await deploy(w, { hooks: { preDeploy: [], postDeploy: ['./warm-up'] } });
      assert.equal(r.ok, true);
      assert.match(r.warnings.join('\n'), /web1: hooks\.postDeploy\[0\] \(\.\/warm-up\) failed with exit 1; the new release stays live/);
      assertAllOn(w, NEW_ID);
    });

    it('a lock held by someone else: refused, and that lock is left alone', async () => {
      const w = world(2);
      const other = JSON.stringify({
        user: 'alice',
        host: 'laptop',
        since: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        version: 'v9',
        pid: 1,
        operation: 'deploy',
      });
      w.hosts.get('web2')!.lock = other;
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web2').error!, /locked by alice@laptop/);
      assert.equal(w.hosts.get('web2')!.lock, other, "another deploy's lock is never released");
      assert.equal(w.hosts.get('web1')!.lock, null);
      assert.deepEqual(w.ops('switch'), []);
    });

    it('a cancel during the upload: nothing switched, the release removed, result cancelled', async () => {
      const w = world(3);
      const cancel = new CancellationSource();
      w.onOp((op) => op.host === 'web2' && op.what === EXE_UPLOAD && cancel.cancel());
      const r = await deploy(w, { token: cancel.token });
      assert.equal(r.ok, false);
      assert.equal(r.cancelled, true);
      assert.deepEqual(w.ops('switch'), []);
      assertAllOn(w, OLD_ID);
    });

    it('a cancel while the first batch is gated: that batch is switched back, the second never switched', async () => {
      const w = world(4);
      const cancel = new CancellationSource();
      w.onOp((op) => op.host === 'web1' && op.what === 'connectTcp' && cancel.cancel());
      const r = await deploy(w, { token: cancel.token, batch: 2 });
      assert.equal(r.cancelled, true);
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.hosts.map((h) => [h.host, h.result, h.error]),
        [
          ['web1', 'rolled-back', 'cancelled'],
          ['web2', 'rolled-back', 'cancelled'],
          ['web3', 'unchanged', undefined],
          ['web4', 'unchanged', undefined],
        ],
      );
      assertAllOn(w, OLD_ID);
    });

    it('a connection dropped during the upload: the release is removed and the lock released over a fresh connection', async () => {
      const w = world(2);
      w.drop(EXE_UPLOAD, { host: 'web2' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web2').error!, /connection to web2 closed/);
      assert.equal(w.ops('connect', 'web2').length, 1, 'reconnected once');
      assertAllOn(w, OLD_ID);
    });

    it('a connection dropped right after the switch took effect: switched back over a fresh connection', async () => {
      const w = world(2);
      w.drop('switch', { host: 'web1', applied: true });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.equal(resultOf(r, 'web1').result, 'rolled-back');
      assert.equal(resultOf(r, 'web1').previous, OLD_ID, 'the way back was read before the switch');
      assertAllOn(w, OLD_ID);
    });

    it('a connection dropped as the lock was taken (the answer lost): released over a fresh connection', async () => {
      const w = world(2);
      w.drop('lock+state', { host: 'web1', applied: true });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.match(resultOf(r, 'web1').error!, /closed/);
      assert.deepEqual(
        w.ops('unlock', 'web1').map((op) => [op.conn, op.outcome]),
        [
          [1, 'refused'],
          [2, 'done'],
        ],
        'tried on the closed connection, then released on a fresh one',
      );
      assertAllOn(w, OLD_ID);
    });

    it('a host that cannot be reached again keeps its lock, and the deploy says so', async () => {
      const w = world(2);
      w.drop('lock+state', { host: 'web1', applied: true });
      w.hosts.get('web1')!.unreachable = true;
      const r = await deploy(w);
      assert.equal(r.ok, false);
      assert.ok(
        r.events.some((e) => e.host === 'web1' && e.step === 'unlock' && e.state === 'fail' && /could not release the deploy lock/.test(e.message)),
        JSON.stringify(r.events.filter((e) => e.step === 'unlock')),
      );
      assert.equal(w.hosts.get('web2')!.lock, null);
    });
  });

  // Found by orchestration-faults.test.ts: HostDeployment.switchTo (hostDeploy.ts) used to ignore
  // the exit status of the restart that brings the previous release back, and of the stop and the
  // removal of current after a failed first deploy (where no gate looks either).
  describe('switching back counts the exit status of restart, stop and unswitch', () => {
    it('a switched host whose restart fails on the way back is not reported rolled-back while the new release still runs', async () => {
      const w = world(2);
      w.hosts.get('web2')!.unhealthy.add(NEW_ID);
      // web1's second restart is the one that should bring OLD_ID back: it fails without effect.
      w.fail('restart', { host: 'web1', nth: 2 });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      const web1 = w.hosts.get('web1')!;
      assert.equal(web1.current, OLD_ID);
      assert.equal(web1.running, NEW_ID, 'the failed restart left the new release running');
      assert.equal(resultOf(r, 'web1').result, 'failed', `web1 runs ${web1.running} but is reported ${resultOf(r, 'web1').result}`);
      assert.match(resultOf(r, 'web1').error ?? '', /restarting .* failed \(exit \d+\)/);
    });

    it('a first deploy whose stop fails on the way back is not reported rolled-back while the failed release still runs', async () => {
      const w = world(2, { first: true });
      w.hosts.get('web2')!.unhealthy.add(NEW_ID);
      w.fail('stop', { host: 'web1' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      const web1 = w.hosts.get('web1')!;
      assert.equal(web1.current, null);
      assert.equal(web1.running, NEW_ID, 'the failed stop left the new release running');
      assert.equal(resultOf(r, 'web1').result, 'failed', `web1 runs ${web1.running} but is reported ${resultOf(r, 'web1').result}`);
      assert.match(resultOf(r, 'web1').error ?? '', /stopping .* failed \(exit \d+\)/);
    });

    it('a first deploy whose current cannot be removed on the way back is not reported rolled-back while current still names it', async () => {
      const w = world(2, { first: true });
      w.hosts.get('web2')!.unhealthy.add(NEW_ID);
      w.fail('unswitch', { host: 'web1' });
      const r = await deploy(w);
      assert.equal(r.ok, false);
      const web1 = w.hosts.get('web1')!;
      assert.equal(web1.current, NEW_ID, 'the failed unswitch left current on the failed release');
      assert.equal(resultOf(r, 'web1').result, 'failed', `web1's current is ${web1.current} but it is reported ${resultOf(r, 'web1').result}`);
      assert.match(resultOf(r, 'web1').error ?? '', /removing .*current failed \(exit \d+\)/);
    });
  });

  describe('an unchanged build', () => {
    /** Hosts already running this executable with this env file and unit. */
    const liveWorld = (): FakeWorld => {
      const w = new FakeWorld({ manager });
      for (const a of ['web1', 'web2']) {
        const h = w.host(a, { releases: { [OLD_ID]: { sha: sha256(EXECUTABLE), envSha: sha256(ENV_TEXT) } }, current: OLD_ID });
        h.files.set(manager.definition!.path, sha256(UNIT_TEXT));
      }
      return w;
    };

    it('is not switched: nothing uploaded, nothing restarted, the locks released, alreadyLive', async () => {
      const w = liveWorld();
      const r = await deploy(w);
      assert.equal(r.ok, true);
      assert.equal(r.alreadyLive, true);
      assert.deepEqual(
        r.hosts.map((h) => [h.host, h.result, h.previous]),
        [
          ['web1', 'unchanged', OLD_ID],
          ['web2', 'unchanged', OLD_ID],
        ],
      );
      assert.deepEqual(
        w.ops((op) => op.kind === 'upload' || ['open-release', 'switch', 'restart'].includes(op.what)),
        [],
      );
      assertAllOn(w, OLD_ID);
    });

    it('is deployed when one host differs (its env file), the executable linked from the live release instead of uploaded', async () => {
      const w = liveWorld();
      w.hosts.get('web2')!.sharedEnvSha = sha256('OTHER=1\n');
      const r = await deploy(w);
      assert.equal(r.alreadyLive, false);
      assert.equal(r.ok, true);
      assert.deepEqual(w.ops(EXE_UPLOAD), [], 'the same sha256 is on the hosts already');
      assert.equal(w.ops('switch').length, 2);
      assertAllOn(w, NEW_ID);
    });

    it('is deployed when the live release fails its health check, and with force', async () => {
      const w = liveWorld();
      w.hosts.get('web1')!.unhealthy.add(OLD_ID);
      assert.equal((await deploy(w)).alreadyLive, false);
      const forced = liveWorld();
      const r = await deploy(forced, { force: true });
      assert.equal(r.alreadyLive, false);
      assertAllOn(forced, NEW_ID);
    });
  });
});
