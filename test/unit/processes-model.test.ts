import { strict as assert } from 'node:assert';
import { executableNames, modelOfProcess, processesForRoles } from '../../src/core/generate/processes';
import { modelFor } from '../support/models';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from '../support/paths';

async function problems(yaml: string): Promise<string[]> {
  const inspection = await inspectModule(path.join(fixtureModules, 'multi'));
  return validateConfigText('godeploy.yaml', yaml, inspection).diagnostics.map((d) => `${d.line}: ${d.message}`);
}

const SHOP = `app:
  name: shop
  args: [--region, eu]
  env: { LOG_LEVEL: info }
  healthCheck: { path: /ready }
  processes:
    worker:
      main: ./cmd/worker
      args: [work, --queue, "$$HOME"]
      env: { LOG_LEVEL: debug, QUEUE: default }
    api:
      main: ./cmd/api
      port: 8080
    admin:
      main: ./cmd/api
      port: 8081
      portFlag: -listen
      healthCheck: { type: tcp }
environments:
  prod:
    type: ssh
    path: /srv/shop
    hosts:
      - { host: web1, roles: [api, admin] }
      - { host: jobs1, roles: [worker] }
`;

describe('app.processes as models', () => {
  it('the one-process form is one process named, serviced and built as app.name: nothing it produces changes', async () => {
    const model = await modelFor('multi', 'app:\n  name: shop\n  main: ./cmd/api\n  port: 9000\n');
    assert.equal(model.processes.length, 1);
    const [p] = model.processes;
    assert.deepEqual([p.name, p.service, p.executable, p.main, p.port], ['shop', 'shop', 'shop', './cmd/api', 9000]);
    assert.equal(modelOfProcess(model, p), model, 'its model is the app model itself');
    assert.equal(model.app.executable, 'shop');
    assert.equal(model.app.listens, true);
  });

  it('several processes keep the order written, each with its own main, args, port, health and env over the app defaults', async () => {
    const model = await modelFor('multi', SHOP, { environment: 'prod' });
    assert.deepEqual(
      model.processes.map((p) => [p.name, p.service, p.executable, p.main, p.port]),
      [
        ['worker', 'shop-worker', 'worker', './cmd/worker', null],
        ['api', 'shop-api', 'api', './cmd/api', 8080],
        ['admin', 'shop-admin', 'api', './cmd/api', 8081],
      ],
    );
    const [worker, api, admin] = model.processes;
    assert.deepEqual(worker.args, ['work', '--queue', '$HOME'], 'its own args, $$ read as $');
    assert.deepEqual(api.args, ['--region', 'eu'], 'app.args by default');
    assert.equal(worker.healthType, 'process', 'no port: the process must stay up');
    assert.equal(api.healthType, 'http');
    assert.equal(api.healthPath, '/ready', 'app.healthCheck applies to processes with a port');
    assert.equal(admin.healthType, 'tcp');
    assert.deepEqual([worker.portEnv, api.portEnv, admin.portEnv, admin.portFlag], [null, 'PORT', null, '-listen']);
    assert.deepEqual(worker.env, { LOG_LEVEL: 'debug', QUEUE: 'default' });
    assert.deepEqual(api.env, { LOG_LEVEL: 'info' });
  });

  it("a process's model names its unit, executable and env file, and has no port when it listens on none", async () => {
    const model = await modelFor('multi', SHOP, { environment: 'prod' });
    const worker = modelOfProcess(model, 'worker');
    assert.equal(worker.app.name, 'shop-worker');
    assert.equal(worker.app.listens, false);
    assert.equal(worker.app.portEnv, null);
    assert.equal(worker.paths.binary, '/srv/shop/current/worker');
    assert.equal(worker.paths.envFile, '/srv/shop/shared/shop-worker.env');
    const admin = modelOfProcess(model, 'admin');
    assert.deepEqual([admin.app.port, admin.app.listens, admin.paths.binary], [8081, true, '/srv/shop/current/api']);
  });

  it('a host runs the processes of its roles, in the app order; no roles: all of them', async () => {
    const model = await modelFor('multi', SHOP, { environment: 'prod' });
    assert.deepEqual(
      processesForRoles(model, ['admin', 'api']).map((p) => p.name),
      ['api', 'admin'],
    );
    assert.deepEqual(
      processesForRoles(model, undefined).map((p) => p.name),
      ['worker', 'api', 'admin'],
    );
  });

  it('one executable per distinct main, named after its last element, made unique when two end alike', () => {
    assert.deepEqual(executableNames(['./cmd/api', './cmd/worker', './cmd/api', './a/server', './b/server', '.']), [
      'api',
      'worker',
      'api',
      'server',
      'server-2',
      'app',
    ]);
  });

  it("a process's main that is no main package, or a process without one in a module of several, is an error at its line", async () => {
    assert.deepEqual(await problems('app:\n  processes:\n    api:\n      main: ./cmd/api\n    worker:\n      main: ./cmd/wrker\n'), [
      '6: app.processes.worker.main: "./cmd/wrker" is not a main package of example.com/shop',
    ]);
    assert.deepEqual(await problems('app:\n  processes:\n    api:\n      main: ./cmd/api\n    worker:\n      args: [work]\n'), [
      '5: app.processes.worker.main is not set, nor app.main, and example.com/shop has 2 main packages: ./cmd/api, ./cmd/worker',
    ]);
    assert.deepEqual(await problems('app:\n  main: ./cmd/api\n  processes:\n    api: {}\n    worker:\n      main: ./cmd/worker\n'), []);
  });
});
