// `godeploy rollback ENV` over fake ssh hosts: the release it picks (the newest older one
// that once went live, or --to), the switch behind the health gate, what it reports, and the
// lock released on every way out. rollback() opens its hosts itself (openHosts); until it
// can be handed hosts, this test swaps openHosts in the compiled module for the fakes' —
// the rest of rollback() (godeploy.yaml, the service manager, the plan) runs as written.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as connectHosts from '../../src/core/remote/openHosts';
import { rollback } from '../../src/core/operations';
import type { RollbackRequest, RollbackResult } from '../../src/core/environment/types';
import { FakeWorld, type FakeHost } from '../support/fakeHostRunner';
import { NEW_ID, OLD_ID, OLDER_ID } from '../support/fakeRollout';
import { fixtureModules } from '../support/paths';

const BASE = '/srv/deployapp';

describe('orchestration: rollback over fake ssh hosts', function () {
  let dir: string;
  let world: FakeWorld;
  const real = connectHosts.openHosts;
  const mutable = connectHosts as { openHosts: typeof connectHosts.openHosts };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-orch-rollback-'));
    cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        '  healthCheck:',
        '    type: tcp',
        '    timeout: 200ms',
        '    interval: 50ms',
        'environments:',
        '  prod:',
        '    type: ssh',
        `    path: ${BASE}`,
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '',
      ].join('\n'),
    );
    mutable.openHosts = async () => [...world.hosts.values()].map((h) => ({ alias: h.alias, ok: true as const, host: h.deployHost(), close: () => undefined }));
  });
  after(() => {
    mutable.openHosts = real;
    rmSync(dir, { recursive: true, force: true });
  });

  /** web1, web2: OLDER_ID went live, OLD_ID was left by an interrupted deploy (never live), NEW_ID is live. */
  beforeEach(() => {
    world = new FakeWorld();
    for (const a of ['web1', 'web2']) world.host(a, { base: BASE, releases: { [OLDER_ID]: {}, [OLD_ID]: { wentLive: false }, [NEW_ID]: {} }, current: NEW_ID });
  });
  const hosts = (): FakeHost[] => [...world.hosts.values()];
  const run = (over: Partial<RollbackRequest> = {}): Promise<RollbackResult> =>
    rollback({ configFile: { file: path.join(dir, 'godeploy.yaml'), exists: true }, environment: 'prod', user: 'tester', ...over });
  const locksFree = (): void => {
    for (const h of hosts()) assert.equal(h.lock, null, `the lock is left on ${h.alias}`);
  };

  it('goes back to the newest older release that went live (not one an interrupted deploy left), on every host, and reports its steps', async () => {
    const events: { host: string; step: string; state: string }[] = [];
    const r = await run({ emit: (e) => events.push(e) });
    assert.equal(r.ok, true, JSON.stringify(r.hosts));
    assert.deepEqual(r.targets, { web1: OLDER_ID, web2: OLDER_ID });
    for (const h of r.hosts) {
      assert.equal(h.result, 'live', h.host);
      assert.equal(h.previous, NEW_ID, `${h.host}: the release rolled back from`);
      for (const step of ['switch', 'restart', 'health']) assert.equal(typeof h.timings[step], 'number', `${h.host}: ${step} timed`);
    }
    for (const h of hosts()) {
      assert.equal(h.current, OLDER_ID);
      assert.equal(h.running, OLDER_ID);
      assert.match(h.history.join('\n'), new RegExp(`"release":"${OLDER_ID}","result":"rollback"`));
      assert.ok(h.releases.has(NEW_ID), 'the release rolled back from stays (a later rollback --to can return to it)');
      // Lock, list, switch, restart, gate, history, unlock: in this order.
      assert.deepEqual(
        world.ops(['lock', 'list-releases', 'switch', 'restart', 'connectTcp', 'record', 'unlock'], h.alias).map((op) => op.what),
        ['lock', 'list-releases', 'switch', 'restart', 'connectTcp', 'record', 'unlock'],
      );
    }
    for (const a of ['web1', 'web2'])
      for (const step of ['switch', 'restart', 'health', 'unlock'])
        assert.ok(
          events.some((e) => e.host === a && e.step === step && e.state === 'done'),
          `${a}: ${step} reported`,
        );
    locksFree();
  });

  it('--to names the release, even one that never went live', async () => {
    const r = await run({ to: OLD_ID });
    assert.equal(r.ok, true);
    assert.deepEqual(r.targets, { web1: OLD_ID, web2: OLD_ID });
    for (const h of hosts()) assert.equal(h.current, OLD_ID);
    locksFree();
  });

  it('--to a release a host does not have: nothing switched anywhere, the hint lists what is there, the locks released', async () => {
    world.hosts.get('web2')!.releases.delete(OLDER_ID);
    const r = await run({ to: OLDER_ID });
    assert.equal(r.ok, false);
    const web2 = r.hosts.find((h) => h.host === 'web2')!;
    assert.equal(web2.result, 'failed');
    assert.match(web2.error!, new RegExp(`web2: no release ${OLDER_ID} in ${BASE}/releases`));
    assert.match(web2.hint!, new RegExp(`releases there: ${OLD_ID}, ${NEW_ID}`));
    assert.deepEqual(world.ops('switch'), []);
    for (const h of hosts()) assert.equal(h.current, NEW_ID);
    locksFree();
  });

  it('nothing older ever went live: refused with a hint to name one, the locks released', async () => {
    for (const h of hosts()) h.releases.delete(OLDER_ID);
    const r = await run();
    assert.equal(r.ok, false);
    assert.match(r.hosts[0].error!, /no release before .* ever went live; there is nothing to roll back to/);
    assert.match(r.hosts[0].hint!, /--to/);
    assert.deepEqual(world.ops('switch'), []);
    locksFree();
  });

  it('the target failing its gate on one host: both hosts go back to the release that was live', async () => {
    world.hosts.get('web2')!.unhealthy.add(OLDER_ID);
    const r = await run();
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.hosts.map((h) => [h.host, h.result]),
      [
        ['web1', 'rolled-back'],
        ['web2', 'rolled-back'],
      ],
    );
    for (const h of hosts()) {
      assert.equal(h.current, NEW_ID, h.alias);
      assert.equal(h.running, NEW_ID, h.alias);
    }
    locksFree();
  });

  it('a connection dropped during the switch: the host is taken back over a fresh connection and the lock released', async () => {
    world.drop('switch', { host: 'web1', applied: true });
    const r = await run();
    assert.equal(r.ok, false);
    assert.equal(r.hosts.find((h) => h.host === 'web1')!.result, 'rolled-back');
    for (const h of hosts()) assert.equal(h.current, NEW_ID, h.alias);
    locksFree();
  });
});
