// strategy canary on ssh hosts, the pieces that are not the rollout engine: the --dry-run
// plan's steps, the preflight's refusal while a host's rollout is in progress (read from a
// real state file by the real script, on this machine), and the commands a rollout's end
// runs on a host (run here with sh in a temporary base: active-port written, current back).
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoDeployError } from '../../src/core/errors';
import type { GenerateModel } from '../../src/core/generate/model';
import type { RolloutState } from '../../src/core/release/canary/types';
import { CAS_APPLY, INSTALL_SITE } from '../../src/core/release/canary/hostSite';
import { DRAIN, FLIP_NGINX, NGINX_WORKERS } from '../../src/core/release/nginxSwitch';
import { localRunner } from '../../src/core/remote/hostRunner';
import { activePortFile, blueGreenPlan, blueGreenService, systemdInstances } from '../../src/core/targets/hosts/blueGreen';
import { refuseRolloutInProgress } from '../../src/core/targets/hosts/canaryDeploy';
import { rolloutStateFile } from '../../src/core/targets/hosts/canaryPlan';
import { describeCanarySteps } from '../../src/core/release/canary/describe';
import { canaryHostActions } from '../../src/core/targets/hosts/canarySwitch';
import { describeHostPlan, planHost } from '../../src/core/targets/hosts/deployPlan';
import { modelFor } from '../support/models';

const ID = '20261206T101500.000Z-v2';
const PREV = '20261206T090000.000Z-v1';

describe('hosts, strategy canary (plan, preflight refusal, the end of a rollout on a host)', () => {
  let model: GenerateModel;
  let base: string;

  before(async () => {
    model = await modelFor(
      'deployapp',
      [
        'app:',
        '  name: deployapp',
        '  port: 8080',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts: [{host: web1}, {host: web2}]',
        '    path: /opt/deployapp',
        '    strategy: canary',
        '    nginx: {listen: 80}',
        '    rollout:',
        '      canary:',
        '        steps: [{weight: 5, pause: 2m}, {weight: 25, pause: 90s}, {weight: 100}]',
        '        analysis: {window: 30s, maxErrorRate: 1%, maxP95LatencyRatio: 1.5, minRequests: 200}',
        '',
      ].join('\n'),
      { environment: 'prod' },
    );
  });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'godeploy-canary-unit-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('the --dry-run plan: the canary started and gated beside the live one, the site with the canary include, then the steps and how they are judged', () => {
    const instances = systemdInstances('deployapp');
    const manager = blueGreenService(model, '/opt/deployapp', instances);
    const blueGreen = blueGreenPlan(model, '/opt/deployapp', 'server {}', instances);
    const plan = planHost({
      model,
      base: '/opt/deployapp',
      releaseId: ID,
      manager,
      keepReleases: 5,
      hooks: { preDeploy: [], postDeploy: [] },
      artifact: { sha256: 'a'.repeat(64), size: 100 },
      blueGreen,
    });
    const ids = plan.steps.map((s) => s.id);
    assert.deepEqual(ids.slice(ids.indexOf('switch')), ['switch', 'restart', 'health', 'nginx', 'retire', 'finish']);
    const text = describeHostPlan('web1', plan);
    assert.match(text, /start deployapp@<idle port>\.service/);
    assert.match(text, /every host starts and gates its canary before any nginx changes/);
    assert.match(text, /\/etc\/nginx\/godeploy\/deployapp\.canary\.conf/);
    assert.match(text, /canary steps 5% for 2m, 25% for 1m30s, 100%/);
    assert.match(text, /5xx rate at most 1%, p95 at most 1\.5× the live one's, at least 200 canary requests/);
    assert.match(text, /\/opt\/deployapp\/\.godeploy\/rollout\.json/);
    assert.doesNotMatch(text, /upstream\.conf/, 'no blue-green flip');
    assert.equal(describeCanarySteps(model.canary!), '5% for 2m, 25% for 1m30s, 100%');
  });

  const state = (over: Partial<RolloutState>): RolloutState => ({
    version: 1,
    app: 'deployapp',
    environment: 'prod',
    release: ID,
    previous: PREV,
    stablePort: 8081,
    canaryPort: 8082,
    policy: model.canary!,
    step: 1,
    weight: 25,
    stepStartedAt: 0,
    pauseUntil: null,
    logOffset: 0,
    status: 'progressing',
    by: 'ana@laptop',
    revision: 7,
    heartbeatAt: null,
    updatedAt: 0,
    history: [],
    ...over,
  });
  const writeState = (s: RolloutState): void => {
    mkdirSync(join(base, '.godeploy'), { recursive: true });
    writeFileSync(rolloutStateFile(base), `${JSON.stringify(s)}\n`);
  };

  it('preflight refuses a deploy while the host has a rollout progressing or paused, naming it, step and weight; none, promoted or aborted pass', async () => {
    const runner = localRunner();
    await refuseRolloutInProgress(runner, 'web1', base, 'prod');
    for (const status of ['progressing', 'paused'] as const) {
      writeState(state({ status }));
      await assert.rejects(refuseRolloutInProgress(runner, 'web1', base, 'prod'), (e: unknown) => {
        assert.ok(e instanceof GoDeployError);
        assert.equal(e.message, `a canary rollout of ${ID} is in progress on web1 (step 2, 25%${status === 'paused' ? ', paused' : ''})`);
        assert.match(e.hint ?? '', /^godeploy rollout promote\|abort\|resume prod: /);
        assert.match(e.hint ?? '', new RegExp(`back to ${PREV}`));
        return true;
      });
    }
    for (const status of ['promoted', 'aborted'] as const) {
      writeState(state({ status, weight: status === 'promoted' ? 100 : 0 }));
      await refuseRolloutInProgress(runner, 'web1', base, 'prod');
    }
  });

  it("the end on a host: promoted keeps the canary's instance and records its port in active-port; aborted points current back at the live release", () => {
    const actions = canaryHostActions({ base, instances: systemdInstances('deployapp'), envFileName: 'deployapp.env', envFileOwner: null });
    const [keep, record] = actions.promoted(8082);
    assert.deepEqual(keep, ['systemctl', 'enable', '--quiet', 'deployapp@8082.service']);
    assert.deepEqual(actions.stopInstance(8081).slice(-1), ['deployapp@8081.service']);
    mkdirSync(join(base, '.godeploy'));
    writeFileSync(activePortFile(base), '8081\n');
    execFileSync(record[0], record.slice(1));
    assert.equal(readFileSync(activePortFile(base), 'utf8'), '8082\n');

    // current on the canary's release, then back to the live one (its env file as shared/deployapp.env).
    for (const [id, level] of [
      [PREV, 'one'],
      [ID, 'two'],
    ]) {
      mkdirSync(join(base, 'releases', id), { recursive: true });
      writeFileSync(join(base, 'releases', id, 'deployapp.env'), `LEVEL="${level}"\n`);
    }
    mkdirSync(join(base, 'shared'));
    writeFileSync(join(base, 'shared', 'deployapp.env'), 'LEVEL="two"\n');
    symlinkSync(`releases/${ID}`, join(base, 'current'));
    const back = actions.aborted(PREV);
    execFileSync(back[0], back.slice(1));
    assert.equal(readlinkSync(join(base, 'current')), `releases/${PREV}`);
    assert.equal(readFileSync(join(base, 'shared', 'deployapp.env'), 'utf8'), 'LEVEL="one"\n');
  });

  it("a rollback on a canary environment: blue-green's switch (no steps), nginx through the canary include in its one-server form", () => {
    const instances = systemdInstances('deployapp');
    const blueGreen = blueGreenPlan(model, '/opt/deployapp', 'server {}', instances);
    assert.equal(blueGreen.include, '/etc/nginx/godeploy/deployapp.canary.conf');
    assert.deepEqual(blueGreen.canary, { app: 'deployapp', sticky: model.canary!.sticky });
    const plan = planHost({
      model,
      base: '/opt/deployapp',
      releaseId: PREV,
      manager: blueGreenService(model, '/opt/deployapp', instances),
      keepReleases: 5,
      hooks: { preDeploy: [], postDeploy: [] },
      artifact: null,
      blueGreen,
      rollback: true,
    });
    const nginxStep = plan.steps.find((s) => s.id === 'nginx')!;
    assert.match(nginxStep.title, /^send every request to 127\.0\.0\.1:<idle port> \(\/etc\/nginx\/godeploy\/deployapp\.canary\.conf in its one-server form/);
    assert.deepEqual(nginxStep.commands, [], 'no FLIP_NGINX: it would write a blue-green server line into the canary include');
    const text = describeHostPlan('web1', plan);
    assert.doesNotMatch(text, /canary steps|upstream\.conf/);
    assert.match(text, /let the old nginx workers finish, then stop the old instance/);
  });

  it('a rollback is refused while a rollout is progressing or paused, with rollout abort as the way back', async () => {
    const runner = localRunner();
    await refuseRolloutInProgress(runner, 'web1', base, 'prod', 'rollback');
    for (const status of ['progressing', 'paused'] as const) {
      writeState(state({ status }));
      await assert.rejects(refuseRolloutInProgress(runner, 'web1', base, 'prod', 'rollback'), (e: unknown) => {
        assert.ok(e instanceof GoDeployError);
        assert.equal(
          e.message,
          `no rollback during a rollout: a canary rollout of ${ID} is in progress on web1 (step 2, 25%${status === 'paused' ? ', paused' : ''})`,
        );
        assert.match(e.hint ?? '', /^godeploy rollout abort prod is the way back during a rollout: every request goes back to /);
        return true;
      });
    }
    writeState(state({ status: 'promoted', weight: 100 }));
    await refuseRolloutInProgress(runner, 'web1', base, 'prod', 'rollback');
  });

  it("nginx's workers found with shell builtins, shared by blue-green's flip and the canary scripts: every worker without a pid file, only its master's with one; DRAIN waits for them", async () => {
    for (const script of [FLIP_NGINX, INSTALL_SITE, CAS_APPLY]) assert.ok(script.includes(NGINX_WORKERS), 'the shared scan');
    assert.doesNotMatch(FLIP_NGINX, /\btr\b/, 'no fork per process');
    assert.doesNotMatch(DRAIN, /\btr\b/);
    // A process titled as an nginx worker (its parent: this node process).
    const worker = spawn('bash', ['-c', 'exec -a "nginx: worker process" sleep 60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const scan = (pidfile: string): string[] =>
        execFileSync('sh', ['-c', `pidfile=$1\n${NGINX_WORKERS}echo "workers$old"`, 'sh', pidfile], { encoding: 'utf8' })
          .replace(/^workers/, '')
          .trim()
          .split(/\s+/);
      assert.ok(scan('').includes(String(worker.pid)), 'every nginx worker when no pid file is known');
      writeFileSync(join(base, 'nginx.pid'), `${process.pid}\n`);
      assert.ok(scan(join(base, 'nginx.pid')).includes(String(worker.pid)), "the pid file's master's worker");
      writeFileSync(join(base, 'other.pid'), '1\n');
      assert.ok(!scan(join(base, 'other.pid')).includes(String(worker.pid)), "another master's worker is left out");
      const drain = spawnSync('sh', ['-c', DRAIN, 'sh', String(worker.pid)], { encoding: 'utf8', timeout: 1500 });
      assert.equal(drain.stdout, '', 'still running: DRAIN waits');
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill();
      await exited;
      assert.equal(execFileSync('sh', ['-c', DRAIN, 'sh', String(worker.pid)], { encoding: 'utf8' }).trim(), 'drained');
    } finally {
      worker.kill();
    }
  });
});
