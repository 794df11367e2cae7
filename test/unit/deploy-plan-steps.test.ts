// The plan as data end to end: a deploy's plan lists every step it reports (DeployEvent.step
// per host, in order) and every command HostDeployment runs on a host is one of the plan's
// (its `<…>` stand-ins filled in at run time). Plans from --dry-run deploys of an ssh
// environment with two hosts, a local one, a blue-green one and a docker container one;
// commands and events from deploys over fake hosts (fakeHostRunner.ts).
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deploy } from '../../src/core/operations';
import type { DeployEvent, DeployPlan, PlannedStep } from '../../src/core/environment/types';
import { plannedSteps, type HostPlan } from '../../src/core/targets/hosts/deployPlan';
import type { ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import type { GenerateModel } from '../../src/core/generate/model';
import { FakeWorld, sha256, type RecordedOp } from '../support/fakeHostRunner';
import { ENV_TEXT, NEW_ID, OLD_ID, rolloutManager, rolloutModel, rolloutPlan, runRollout, UNIT_TEXT } from '../support/fakeRollout';
import { fixtureModules } from '../support/paths';

const APP = ['app:', '  name: deployapp', '  port: 8181'];

/** The plan a --dry-run deploy of `environment` reports through onPlan (and its result's text). */
async function dryRunPlan(dir: string, environment: string): Promise<DeployPlan> {
  let plan: DeployPlan | undefined;
  const r = await deploy({
    configFile: { file: path.join(dir, 'godeploy.yaml'), exists: true },
    environment,
    dryRun: true,
    sources: { env: () => undefined, secret: () => undefined },
    onPlan: (p) => (plan = p),
  });
  assert.ok(plan, 'onPlan was called');
  assert.equal(r.plan, plan.text, "the result's plan is the text onPlan had");
  return plan;
}

const idsOn = (steps: PlannedStep[], host: string): string[] => steps.filter((s) => s.host === host).map((s) => s.id);

/** The steps each host reported, in the order they first did (the failure-only rollback and logs left out). */
function reported(events: DeployEvent[], host: string): string[] {
  const seen: string[] = [];
  for (const e of events) if (e.host === host && !['rollback', 'logs'].includes(e.step) && !seen.includes(e.step)) seen.push(e.step);
  return seen;
}

/** Whether `argv` is the planned command `template`, each `<…>` in it standing for any number of arguments. */
function matches(template: string[], argv: string[]): boolean {
  if (!template.length) return !argv.length;
  const [t, ...rest] = template;
  if (/^<.*>$/.test(t)) {
    for (let n = 0; n <= argv.length; n++) if (matches(rest, argv.slice(n))) return true;
    return false;
  }
  return argv.length > 0 && argv[0] === t && matches(rest, argv.slice(1));
}

/** What lock.ts runs (the lock, its release) and what the test's rollout runs itself: not HostDeployment's. */
const notHostDeployment = (op: RecordedOp): boolean => ['lock', 'lock+state', 'unlock', 'lock-status'].includes(op.what);

/**
 * The failed release's log lines: planned as the manager's logs(50); at run time the manager
 * adds where the release's lines begin (journal --since, a log file offset).
 */
const isLogs = (op: RecordedOp): boolean => op.what === 'logs';

describe('the plan as data: steps and commands', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-plan-steps-'));
    cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        ...APP,
        'environments:',
        '  prod:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    hooks:',
        '      preDeploy: ["true"]',
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '  here:',
        '    type: local',
        '    path: /tmp/godeploy-plan-steps-local',
        '  bg:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    strategy: blue-green',
        '    hosts:',
        '      - host: web1',
        '  box:',
        '    type: docker',
        '    docker:',
        '      host: unix:///var/run/docker.sock',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('dry-run plans list every step the deploy reports, host by host, in order', () => {
    it('ssh, two hosts: connect and build on this machine, then each host from preflight to the lock released', async () => {
      const plan = await dryRunPlan(dir, 'prod');
      assert.deepEqual(idsOn(plan.steps, '*'), ['connect', 'build']);
      const host = ['preflight', 'lock', 'prepare', 'binary', 'env-file', 'service', 'pre-deploy', 'switch', 'restart', 'health', 'finish', 'unlock'];
      assert.deepEqual(idsOn(plan.steps, 'web1'), host);
      assert.deepEqual(idsOn(plan.steps, 'web2'), host);
      assert.equal(plan.steps.length, 2 + 2 * host.length);
      // uname runs on an ssh host before its preflight checks.
      assert.deepEqual(plan.steps.find((s) => s.host === 'web1' && s.id === 'preflight')!.commands, [['uname', '-s', '-m']]);
      assert.match(plan.text, /\n {6}\$ uname -s -m\n/);
      // Every step's commands, failure ones too, as argv.
      for (const s of plan.steps) for (const c of s.commands) assert.ok(Array.isArray(c) && c.every((a) => typeof a === 'string'), `${s.host} ${s.id}`);
      const sw = plan.steps.find((s) => s.host === 'web2' && s.id === 'switch')!;
      assert.ok(
        sw.commands.some((c) => c.includes('<previous>')),
        'switching back is planned',
      );
    });

    it('local: no uname, no service definition', async () => {
      const plan = await dryRunPlan(dir, 'here');
      assert.deepEqual(idsOn(plan.steps, '*'), ['connect', 'build']);
      assert.deepEqual(idsOn(plan.steps, 'local'), ['preflight', 'lock', 'prepare', 'binary', 'env-file', 'switch', 'restart', 'health', 'finish', 'unlock']);
      assert.deepEqual(plan.steps.find((s) => s.id === 'preflight')!.commands, []);
    });

    it('blue-green: the idle instance started and gated, nginx sent to it, the old one retired', async () => {
      const plan = await dryRunPlan(dir, 'bg');
      assert.deepEqual(idsOn(plan.steps, 'web1'), [
        'preflight',
        'lock',
        'prepare',
        'binary',
        'env-file',
        'service',
        'switch',
        'restart',
        'health',
        'nginx',
        'retire',
        'finish',
        'unlock',
      ]);
      assert.ok(plan.steps.find((s) => s.id === 'nginx')!.commands.length > 0);
    });

    it('docker container: the engine reached and locked, the image built, the container replaced behind its gate', async () => {
      const plan = await dryRunPlan(dir, 'box');
      assert.deepEqual(
        plan.steps.map((s) => `${s.host} ${s.id}`),
        [
          'engine connect',
          'engine preflight',
          'engine lock',
          '* build',
          'engine image',
          'engine container',
          'engine switch',
          'engine health',
          'engine retire',
          'engine unlock',
        ],
      );
      // The text keeps its numbered lines; a step's title is its line's text.
      assert.match(plan.text, /\n {2}1\. connect: /);
      assert.ok(plan.text.includes(plan.steps.find((s) => s.id === 'lock')!.title));
    });
  });

  describe('over fake hosts: what the deploy reports and runs is the plan', () => {
    let model: GenerateModel;
    let manager: ServiceManager;
    before(async () => {
      model = await rolloutModel();
      manager = rolloutManager(model);
    });

    const world = (n: number, o: { first?: boolean } = {}): FakeWorld => {
      const w = new FakeWorld({ manager });
      for (let i = 1; i <= n; i++) {
        const h = w.host(`web${i}`, o.first ? {} : { releases: { [OLD_ID]: { sha: sha256('old'), envSha: sha256(ENV_TEXT) } }, current: OLD_ID });
        h.files.set(manager.definition!.path, sha256(UNIT_TEXT));
      }
      return w;
    };
    const hooks = { preDeploy: ['echo pre'], postDeploy: ['echo post'] };
    const planOf = (): HostPlan => rolloutPlan(model, manager, { hooks });

    /** Each command run by HostDeployment on each host is one of that host's planned commands. */
    const assertRunsThePlan = (w: FakeWorld): void => {
      const steps = plannedSteps('web1', planOf());
      const planned = steps.flatMap((s) => s.commands);
      const execs = w.log.filter((op) => op.kind === 'exec' && !notHostDeployment(op) && !isLogs(op));
      if (w.log.some(isLogs))
        assert.ok(
          planned.some((c) => c.join('\0') === manager.logs(50).join('\0')),
          'the log lines are planned',
        );
      assert.ok(execs.length > 0);
      for (const op of execs)
        assert.ok(
          planned.some((t) => matches(t, op.argv!)),
          `${op.host} ran ${op.what} (${JSON.stringify(op.argv!.map((a) => (a.length > 60 ? `${a.slice(0, 60)}…` : a)))}), which is not in the plan`,
        );
    };

    it('a deploy to two hosts reports the planned steps in order and runs only planned commands', async () => {
      const w = world(2);
      const r = await runRollout(
        [...w.hosts.values()].map((h) => h.deployHost()),
        { model, manager, hooks },
      );
      assert.equal(r.ok, true);
      const plan = plannedSteps('web1', planOf()).map((s) => s.id);
      for (const host of ['web1', 'web2']) {
        // The fake rollout starts at the lock (no preflight: deploy() runs that).
        assert.deepEqual(
          reported(r.events, host),
          plan.filter((id) => id !== 'preflight'),
          host,
        );
      }
      assertRunsThePlan(w);
      const finish = w.ops('finish');
      assert.equal(finish.length, 2);
      assert.ok(
        finish.every((op) => op.args!.includes(OLD_ID) && op.args!.includes(NEW_ID)),
        'the previous release kept: <previous> filled in',
      );
    });

    it('a failed gate: switching back, restart, discard and the history line are planned commands too', async () => {
      const w = world(2);
      w.hosts.get('web2')!.unhealthy.add(NEW_ID);
      const r = await runRollout(
        [...w.hosts.values()].map((h) => h.deployHost()),
        { model, manager, hooks },
      );
      assert.equal(r.ok, false);
      assert.ok(
        w.ops('switch').some((op) => op.args!.includes(OLD_ID)),
        'switched back',
      );
      assert.ok(w.ops('record').length > 0 && w.ops('discard').length > 0);
      assertRunsThePlan(w);
    });

    it('a failed first deploy: stop and the removal of current are planned commands', async () => {
      const w = world(2, { first: true });
      w.hosts.get('web1')!.unhealthy.add(NEW_ID);
      const r = await runRollout(
        [...w.hosts.values()].map((h) => h.deployHost()),
        { model, manager, hooks },
      );
      assert.equal(r.ok, false);
      assert.ok(w.ops('stop').length > 0 && w.ops('unswitch').length > 0);
      assertRunsThePlan(w);
    });

    it('an upload that runs out of space measures the free space with the planned df', async () => {
      const w = world(1);
      w.fail((op) => op.kind === 'upload' && op.what === 'upload .deployapp.upload', { host: 'web1' });
      await runRollout(
        [...w.hosts.values()].map((h) => h.deployHost()),
        { model, manager, hooks },
      );
      assert.equal(w.ops('free-space').length, 1);
      assertRunsThePlan(w);
    });
  });
});
