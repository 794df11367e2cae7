// The config rules for the shape of app.processes (processShapeRules.ts): each problem a
// located diagnostic on the line of the key or value it is about.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from '../support/paths';

/** "line severity: message" of every diagnostic of `yaml` against the shop fixture. */
async function diagnostics(yaml: string): Promise<string[]> {
  const inspection = await inspectModule(path.join(fixtureModules, 'shop'));
  return validateConfigText('godeploy.yaml', yaml, inspection).diagnostics.map((d) => `${d.line} ${d.severity}: ${d.message}`);
}

const lineOf = (yaml: string, text: string): number => yaml.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('config rules for app.processes', () => {
  it('a valid api + worker has no diagnostic', async () => {
    const yaml =
      'app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n    worker:\n      main: ./cmd/worker\n      healthCheck: { type: process, for: 2s }\n';
    assert.deepEqual(await diagnostics(yaml), []);
  });

  it('a process without a port whose health check is http or tcp: an error at its type', async () => {
    for (const type of ['http', 'tcp']) {
      const yaml = `app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n    worker:\n      main: ./cmd/worker\n      healthCheck:\n        type: ${type}\n`;
      assert.deepEqual(await diagnostics(yaml), [
        `${lineOf(yaml, `type: ${type}`)} error: app.processes.worker has no port, so its health check cannot be ${type}: nothing listens for it`,
      ]);
    }
  });

  it('two processes on one port: an error at the second one', async () => {
    const yaml = 'app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n    admin:\n      main: ./cmd/api\n      port: 8080\n';
    assert.deepEqual(await diagnostics(yaml), [
      '9 error: app.processes.admin.port 8080 is already the port of app.processes.api: two processes cannot listen on one port',
    ]);
  });

  it('a process whose <app>-<process> name is over 63 characters: an error at its key', async () => {
    const app = 'a'.repeat(40);
    const proc = 'b'.repeat(25);
    const yaml = `app:\n  name: ${app}\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n    ${proc}:\n      main: ./cmd/worker\n`;
    assert.deepEqual(await diagnostics(yaml), [
      `7 error: the process ${proc} would run as ${app}-${proc} (66 characters): unit, container and Kubernetes names stop at 63`,
    ]);
  });

  it('a process name that is no valid name is the schema error at its key', async () => {
    const yaml = 'app:\n  name: shop\n  processes:\n    Web_1:\n      main: ./cmd/api\n      port: 8080\n';
    const found = await diagnostics(yaml);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /^4 error: .*Web_1/);
  });

  it('app.port, app.main and app.args that no process uses: a warning each naming what applies', async () => {
    const yaml = [
      'app:',
      '  name: shop',
      '  main: ./cmd/api',
      '  port: 9000',
      '  args: [--verbose]',
      '  processes:',
      '    api:',
      '      main: ./cmd/api',
      '      port: 8080',
      '      args: []',
      '    worker:',
      '      main: ./cmd/worker',
      '      args: [--queue, emails]',
      'environments:',
      '  prod:',
      '    type: ssh',
      '    hosts: [{ host: web1 }]',
      '    args: [--prod]',
      '',
    ].join('\n');
    assert.deepEqual((await diagnostics(yaml)).sort(), [
      '18 warning: environments.prod.args is not used: every process of app.processes sets its own args (app.processes.api.args, app.processes.worker.args)',
      '3 warning: app.main is not used: every process of app.processes sets its own main (api: ./cmd/api, worker: ./cmd/worker)',
      '4 warning: app.port is not used with app.processes: each process listens on its own port (api: 8080, worker: none)',
      '5 warning: app.args is not used: every process of app.processes sets its own args (app.processes.api.args, app.processes.worker.args)',
    ]);
  });

  it('app.main and app.args that a process inherits are no warning', async () => {
    const yaml =
      'app:\n  name: shop\n  main: ./cmd/api\n  args: [--verbose]\n  processes:\n    api:\n      port: 8080\n    worker:\n      main: ./cmd/worker\n';
    assert.deepEqual(await diagnostics(yaml), []);
  });

  it('nginx.upstreams naming a host that runs only workers: an error at that address', async () => {
    const yaml = [
      'app:',
      '  name: shop',
      '  processes:',
      '    api: { main: ./cmd/api, port: 8080 }',
      '    worker: { main: ./cmd/worker }',
      'environments:',
      '  prod:',
      '    type: ssh',
      '    hosts:',
      '      - { host: web1, roles: [api] }',
      '      - { host: jobs1, roles: [worker] }',
      '    nginx:',
      '      upstreams:',
      '        - address: web1:8080',
      '        - address: jobs1:8080',
      '',
    ].join('\n');
    assert.deepEqual(await diagnostics(yaml), [
      '15 error: environments.prod.nginx.upstreams[1] sends traffic to jobs1, which runs only worker in environments.prod: no process with a port runs there',
    ]);
  });
});
