// Several processes on the hosts targets: the roles rule (processRules.ts: a role no process
// has is a located error, a process no host runs an error at its hosts), and the
// host plan (processPlan.ts): one release with each executable and env file, one switch,
// then each process's restart and health gate in app.processes order.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import { modelOfProcess, processesForRoles } from '../../src/core/generate/processes';
import { inspectModule } from '../../src/core/gomod/inspect';
import { describeHostPlan } from '../../src/core/targets/hosts/deployPlan';
import { planHostProcesses, processUnits, releaseSha256 } from '../../src/core/targets/hosts/processPlan';
import { processManager, systemdManager } from '../../src/core/targets/hosts/serviceManager';
import { modelFor } from '../support/models';
import { fixtureModules } from '../support/paths';

async function diagnostics(yaml: string): Promise<string[]> {
  const inspection = await inspectModule(path.join(fixtureModules, 'shop'));
  return validateConfigText('godeploy.yaml', yaml, inspection).diagnostics.map((d) => `${d.line} ${d.severity}: ${d.message}`);
}

const SHOP = [
  'app:',
  '  name: shop',
  '  processes:',
  '    api: { main: ./cmd/api, port: 8080 }',
  '    worker: { main: ./cmd/worker, args: [--queue, mail] }',
  'environments:',
  '  prod:',
  '    type: ssh',
  '    hosts:',
];

describe('several processes on hosts: roles and the host plan', () => {
  describe('hosts[].roles', () => {
    it('roles naming processes, every process run somewhere: no diagnostic', async () => {
      assert.deepEqual(await diagnostics([...SHOP, '      - { host: web1, roles: [api] }', '      - { host: jobs1, roles: [worker] }', ''].join('\n')), []);
    });

    it('a role no process has: an error at that role', async () => {
      const yaml = [...SHOP, '      - { host: web1, roles: [api, mailer] }', '      - { host: jobs1, roles: [worker] }', ''].join('\n');
      assert.deepEqual(await diagnostics(yaml), ['10 error: environments.prod.hosts[0].roles: no process is named "mailer" (app.processes has api, worker)']);
    });

    it('a process no host runs: an error at the hosts', async () => {
      const yaml = [...SHOP, '      - { host: web1, roles: [api] }', '      - { host: web2, roles: [api] }', ''].join('\n');
      assert.deepEqual(await diagnostics(yaml), ["9 error: environments.prod: no host runs worker (every host's roles leave it out)"]);
    });

    it('a host without roles runs every process: no warning', async () => {
      assert.deepEqual(await diagnostics([...SHOP, '      - { host: web1, roles: [api] }', '      - host: all1', ''].join('\n')), []);
    });
  });

  describe('the host plan', () => {
    const yaml = [
      'app:',
      '  name: shop',
      '  processes:',
      '    worker: { main: ./cmd/worker, args: [--queue, mail], healthCheck: { for: 2s } }',
      '    api: { main: ./cmd/api, port: 8080, healthCheck: { path: /healthz } }',
      'environments:',
      '  prod:',
      '    type: local',
      '    path: /srv/shop',
      '',
    ].join('\n');
    const artifacts = [
      { executable: 'worker', sha256: 'b'.repeat(64), size: 2000 },
      { executable: 'api', sha256: 'a'.repeat(64), size: 1000 },
    ];
    const input = { base: '/srv/shop', releaseId: '20261206T060000.000Z-v1', keepReleases: 5, hooks: { preDeploy: [], postDeploy: [] }, local: true };

    it('lists the release with both executables and env files, one switch, then each restart and gate in app.processes order', async () => {
      const model = await modelFor('shop', yaml, { environment: 'prod' });
      const units = processUnits(
        model.processes.map((p) => {
          const m = modelOfProcess(model, p);
          return { process: p, model: m, manager: processManager(m) };
        }),
      );
      const plan = planHostProcesses(input, units, artifacts);
      assert.deepEqual(
        plan.steps.map((s) => s.id),
        ['preflight', 'lock', 'prepare', 'binary', 'env-file', 'switch', 'restart', 'health', 'restart', 'health', 'finish'],
      );
      const text = describeHostPlan('local', plan);
      const lines = text.split('\n').filter((l) => /^\s+\d+\. /.test(l));
      const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
      assert.ok(at(/place worker \(sha256 bbbbbbbbbbbb…, 2000 bytes\), api \(sha256 aaaaaaaaaaaa…, 1000 bytes\)/) > 0, text);
      assert.ok(at(/shop-worker\.env, shop-api\.env; mode 0600/) > 0, text);
      const order = [at(/restart process shop-worker/), at(/process shop-worker to stay up for 2 s/), at(/restart process shop-api/), at(/GET .*\/healthz/)];
      assert.ok(
        order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1])),
        `${JSON.stringify(order)}\n${text}`,
      );
      assert.ok(at(/install shared\/shop-worker\.env, shared\/shop-api\.env, point \/srv\/shop\/current/) < order[0], text);
      // Each process's own pid file, log and executable under current.
      assert.match(text, /\/srv\/shop\/current\/worker/);
      assert.match(text, /\/srv\/shop\/shared\/logs\/shop-api\.log/);
      assert.equal(plan.processes?.releaseSha256, releaseSha256(artifacts));
    });

    it('roles: a host with roles [api] plans only the api, as unit shop-api.service', async () => {
      const model = await modelFor('shop', yaml, { environment: 'prod' });
      const units = processUnits(
        processesForRoles(model, ['api']).map((p) => {
          const m = modelOfProcess(model, p);
          return { process: p, model: m, manager: systemdManager(m, '[Unit]\n') };
        }),
      );
      const plan = planHostProcesses({ ...input, local: false }, units, null);
      const text = describeHostPlan('web1', plan);
      assert.match(text, /install \/etc\/systemd\/system\/shop-api\.service if it changed/);
      assert.doesNotMatch(text, /worker/);
      assert.deepEqual(plan.processes?.executables, ['api']);
    });

    it("a release's sha256 changes with any executable's, and not with their order", () => {
      const swapped = [artifacts[1], artifacts[0]];
      assert.equal(releaseSha256(swapped), releaseSha256(artifacts));
      assert.notEqual(releaseSha256([artifacts[0], { ...artifacts[1], sha256: 'c'.repeat(64) }]), releaseSha256(artifacts));
    });
  });
});
