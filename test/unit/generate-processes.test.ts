// The generators for an app of several processes (app.processes: an api with a port and a
// worker without one, the shop fixture): one systemd unit and supervisor program per process,
// one Kubernetes stream with a Deployment each and a Service only for the api, an nginx site
// for the api; user templates per process. Goldens under test/golden/*/processes-*.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveModelArgs } from '../../src/core/generate/args';
import { renderFiles, renderProcessFile } from '../../src/core/generate/generate';
import { renderNginxSite } from '../../src/core/generate/nginx';
import { hostsServingPort, modelOfProcess } from '../../src/core/generate/processes';
import { renderSystemdUnit } from '../../src/core/generate/systemd';
import { expectGolden } from '../support/golden';
import { modelFor } from '../support/models';

export const SHOP_YAML = `app:
  name: shop
  env: { GREETING: hello }
  processes:
    api:
      main: ./cmd/api
      port: 8080
      healthCheck: { path: /healthz }
      systemd: { memoryMax: 512M }
      kubernetes: { replicas: 3 }
    worker:
      main: ./cmd/worker
      args: [--queue, emails]
      env: { QUEUE: emails }
      kubernetes: { replicas: 1 }
kubernetes:
  ingress: { host: shop.example.com }
environments:
  prod:
    type: ssh
    path: /srv/shop
    hosts:
      - { host: web1, roles: [api] }
      - { host: jobs1, roles: [worker] }
      - { host: both1 }
`;

const shop = () => modelFor('shop', SHOP_YAML, { environment: 'prod' });

/** The value of every `key=` line, in order. */
const values = (text: string, key: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

/** Each [program:x] section's keys and the argv of its command=, read by supervisor's own code. */
function supervisorPrograms(conf: string): Record<string, { keys: Record<string, string>; argv: string[] }> {
  const script = [
    'import sys, json, shlex',
    'from supervisor.options import UnhosedConfigParser, expand',
    'p = UnhosedConfigParser()',
    'p.read_string(sys.stdin.read())',
    'out = {}',
    'for s in p.sections():',
    '    name = s.split(":", 1)[1]',
    '    cmd = expand(p.get(s, "command"), {"program_name": name, "process_num": 0, "group_name": name, "host_node_name": "h", "here": "/x", "ENV_HOME": "/root"}, "command")',
    '    out[name] = {"keys": dict(p.items(s, raw=True)), "argv": shlex.split(cmd)}',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: conf, encoding: 'utf8' })) as Record<
    string,
    { keys: Record<string, string>; argv: string[] }
  >;
}

describe('generators for several processes (api + worker)', () => {
  it('systemd: one unit per process, each its own executable, args, env file and limits; the worker gets no port and no capability', async () => {
    const files = await renderFiles(['systemd'], await shop(), '/out');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/systemd/shop-api.service', 'deploy/systemd/shop-worker.service'],
    );
    const [api, worker] = files.map((f) => f.content);
    expectGolden('systemd/processes-api.service', api);
    expectGolden('systemd/processes-worker.service', worker);

    assert.deepEqual(values(api, 'ExecStart'), ['/srv/shop/current/api']);
    assert.deepEqual(values(api, 'EnvironmentFile'), ['/srv/shop/shared/shop-api.env']);
    assert.deepEqual(values(api, 'Environment'), ['PORT=8080', 'GREETING=hello', 'GOMEMLIMIT=460MiB']);
    assert.deepEqual(values(api, 'MemoryMax'), ['512M']);
    assert.deepEqual(values(api, 'StateDirectory'), ['shop-api']);

    assert.deepEqual(values(worker, 'ExecStart'), ['/srv/shop/current/worker --queue emails']);
    assert.deepEqual(values(worker, 'EnvironmentFile'), ['/srv/shop/shared/shop-worker.env']);
    assert.deepEqual(values(worker, 'Environment'), ['GREETING=hello', 'QUEUE=emails'], 'no PORT, no GOMEMLIMIT without a memoryMax of its own');
    assert.deepEqual(values(worker, 'MemoryMax'), []);
    assert.deepEqual(values(worker, 'AmbientCapabilities'), []);
    assert.deepEqual(values(worker, 'CapabilityBoundingSet'), ['']);
    assert.deepEqual(values(worker, 'PrivateUsers'), ['yes']);
    assert.doesNotMatch(worker, /PORT|8080|CAP_NET_BIND_SERVICE/);
  });

  it('systemd: a worker next to an api on port 80 still gets no capability; the api does', async () => {
    const model = await modelFor('shop', SHOP_YAML.replace('port: 8080', 'port: 80'), { environment: 'prod' });
    const [api, worker] = (await renderFiles(['systemd'], model, '/out')).map((f) => f.content);
    assert.deepEqual(values(api, 'AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(values(worker, 'AmbientCapabilities'), []);
    assert.deepEqual(values(worker, 'CapabilityBoundingSet'), ['']);
  });

  it("renderProcessFile renders exactly one process's unit from its model (what a deploy installs), env left to the env file", async () => {
    const model = await shop();
    const worker = modelOfProcess(model, 'worker');
    const file = await renderProcessFile('systemd', { ...worker, env: {} }, '/out');
    assert.equal(file.relativePath, 'deploy/systemd/shop-worker.service');
    assert.deepEqual(values(file.content, 'Environment'), []);
    assert.equal(modelOfProcess(worker, 'worker'), worker, "a process's model is its own process model");
    // renderFiles on a process's model gives that one file too.
    assert.deepEqual(
      (await renderFiles(['systemd'], worker, '/out')).map((f) => f.relativePath),
      ['deploy/systemd/shop-worker.service'],
    );
  });

  it('supervisor: one [program:<app>-<proc>] file per process, read by supervisor: the worker has no PORT', async () => {
    const files = await renderFiles(['supervisor'], await shop(), '/out');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/supervisor/shop-api.conf', 'deploy/supervisor/shop-worker.conf'],
    );
    expectGolden('supervisor/processes-api.conf', files[0].content);
    expectGolden('supervisor/processes-worker.conf', files[1].content);
    const api = supervisorPrograms(files[0].content);
    const worker = supervisorPrograms(files[1].content);
    assert.deepEqual(Object.keys(api), ['shop-api']);
    assert.deepEqual(Object.keys(worker), ['shop-worker']);
    const script = ['/bin/sh', '-c', 'set -a && . "$1" && shift && exec "$@"'];
    assert.deepEqual(api['shop-api'].argv, [...script, 'shop-api', '/srv/shop/shared/shop-api.env', '/srv/shop/current/api']);
    assert.deepEqual(worker['shop-worker'].argv, [
      ...script,
      'shop-worker',
      '/srv/shop/shared/shop-worker.env',
      '/srv/shop/current/worker',
      '--queue',
      'emails',
    ]);
    assert.equal(api['shop-api'].keys.environment, 'PORT="8080",GREETING="hello"');
    assert.equal(worker['shop-worker'].keys.environment, 'GREETING="hello",QUEUE="emails"');
    assert.equal(worker['shop-worker'].keys.stdout_logfile, '/srv/shop/shared/logs/shop-worker.out.log');
  });

  it('Kubernetes: a Deployment per process with its replicas and command, a Service only for the api, the Ingress to it', async () => {
    const files = await renderFiles(['k8s'], await shop(), '/out');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/k8s/shop.yaml'],
    );
    const text = files[0].content;
    expectGolden('k8s/processes.yaml', text);
    type K8s = { kind: string; metadata: { name: string; labels: Record<string, string> }; spec: any };
    const objs = parseAllDocuments(text, { version: '1.1' }).map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as K8s;
    });
    assert.deepEqual(
      objs.map((o) => `${o.kind} ${o.metadata.name}`),
      ['Deployment shop-api', 'Service shop-api', 'Deployment shop-worker', 'Ingress shop'],
    );
    for (const o of objs) assert.equal(o.metadata.labels['app.kubernetes.io/part-of'], 'shop');
    const [api, service, worker, ingress] = objs;
    const apiC = api.spec.template.spec.containers[0];
    const workerC = worker.spec.template.spec.containers[0];
    assert.equal(api.spec.replicas, 3);
    assert.equal(worker.spec.replicas, 1);
    assert.deepEqual(apiC.command, ['/app/api']);
    assert.deepEqual(workerC.command, ['/app/worker']);
    assert.deepEqual(workerC.args, ['--queue', 'emails']);
    assert.deepEqual(apiC.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.equal(workerC.ports, undefined);
    assert.deepEqual(apiC.readinessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.equal(workerC.readinessProbe, undefined, 'a process-type process has no probe');
    assert.equal(workerC.livenessProbe, undefined);
    assert.ok(!workerC.env.some((e: { name: string }) => e.name === 'PORT'));
    assert.deepEqual(service.spec.selector, api.spec.selector.matchLabels);
    assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, 'shop-api');
  });

  it('Kubernetes: a tcp health check probes by tcpSocket; autoscaling gives each Deployment its own autoscaler', async () => {
    const yaml = SHOP_YAML.replace('healthCheck: { path: /healthz }', 'healthCheck: { type: tcp }').replace(
      'kubernetes:\n  ingress',
      'kubernetes:\n  autoscaling: { maxReplicas: 5 }\n  ingress',
    );
    const [file] = await renderFiles(['k8s'], await modelFor('shop', yaml), '/out');
    const objs = parseAllDocuments(file.content).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: any });
    const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.spec.scaleTargetRef.name);
    assert.deepEqual(hpas, ['shop-api', 'shop-worker']);
    const api = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-api')!;
    assert.deepEqual(api.spec.template.spec.containers[0].readinessProbe.tcpSocket, { port: 'http' });
  });

  it('nginx: the site proxies to the first process with a port, on 127.0.0.1 of each host that runs it; a worker-only host is no upstream', async () => {
    const model = await shop();
    const files = await renderFiles(['nginx'], model, '/out');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/nginx/shop.conf'],
    );
    const site = files[0].content;
    expectGolden('nginx/processes.conf', site);
    assert.match(site, /upstream shop \{\n {4}server 127\.0\.0\.1:8080;\n/);
    assert.match(site, /proxy_pass http:\/\/shop;/);
    assert.match(site, /# Proxies to the process api \(shop-api, port 8080\)/);
    assert.doesNotMatch(site, /jobs1|web1|both1/);
    const hosts = [{ host: 'web1', roles: ['api'] }, { host: 'jobs1', roles: ['worker'] }, { host: 'both1' }];
    assert.deepEqual(
      hostsServingPort(model, hosts).map((h) => h.host),
      ['web1', 'both1'],
    );
  });

  it('nginx: refused when no process has a port, naming why', async () => {
    const yaml = 'app:\n  name: jobs\n  processes:\n    worker: { main: ./cmd/worker }\n    mailer: { main: ./cmd/worker, args: [mail] }\n';
    const model = await modelFor('shop', yaml);
    assert.throws(() => renderNginxSite(model), /no process of app\.processes has a port: an nginx site for jobs would have nothing to proxy to/);
    const units = await renderFiles(['systemd'], model, '/out');
    assert.deepEqual(
      units.map((f) => f.relativePath),
      ['deploy/systemd/jobs-worker.service', 'deploy/systemd/jobs-mailer.service'],
    );
    assert.deepEqual(values(units[1].content, 'ExecStart'), ['/opt/jobs/current/worker mail'], 'two processes share one executable');
  });

  it("a user template is rendered once per process with that process's model", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gd-tpl-'));
    try {
      writeFileSync(
        path.join(dir, 'systemd.service.hbs'),
        '# {{app.name}} runs {{paths.binary}}{{#each app.args}} {{this}}{{/each}} (port {{app.port}})\n{{builtin}}',
      );
      const files = await renderFiles(['systemd'], await shop(), '/out', { templatesDir: dir });
      assert.equal(files[0].content.split('\n')[0], '# shop-api runs /srv/shop/current/api (port 8080)');
      assert.equal(files[1].content.split('\n')[0], '# shop-worker runs /srv/shop/current/worker --queue emails (port 0)');
      assert.ok(files.every((f) => f.template === path.join(dir, 'systemd.service.hbs')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("${env:NAME} in a process's own args is read like app.args'", async () => {
    const yaml = SHOP_YAML.replace('args: [--queue, emails]', 'args: [--queue, "${env:QUEUE_NAME}"]');
    const model = await resolveModelArgs(await modelFor('shop', yaml, { environment: 'prod' }), {
      env: (n) => (n === 'QUEUE_NAME' ? 'bulk' : undefined),
      secret: () => undefined,
    });
    const [, worker] = await renderFiles(['systemd'], model, '/out');
    assert.deepEqual(values(worker.content, 'ExecStart'), ['/srv/shop/current/worker --queue bulk']);
    await assert.rejects(
      resolveModelArgs(await modelFor('shop', yaml), { env: () => undefined, secret: () => undefined }),
      /app\.processes\.worker\.args\[1\]/,
    );
  });

  it('the one-process form writes the one file it always did', async () => {
    const model = await modelFor('single', 'app:\n  name: hello\n');
    const files = await renderFiles(['systemd', 'supervisor', 'k8s', 'nginx'], model, '/out');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/systemd/hello.service', 'deploy/supervisor/hello.conf', 'deploy/k8s/hello.yaml', 'deploy/nginx/hello.conf'],
    );
    assert.equal(files[0].content, renderSystemdUnit(model));
    expectGolden('systemd/default.service', files[0].content);
  });
});
