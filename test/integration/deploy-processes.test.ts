// Several processes (app.processes) and roles on the hosts targets, with real components:
// the shop fixture's api (a port, http gate) and worker (no port, process gate) deploy as
// one release holding both executables, each process running its own executable with its
// own arguments; status lists every process; a deploy that changed only the api reuses the
// worker's executable; a release whose worker fails its gate takes both back. First on this
// machine (type local, processManager none); then on two systemd hosts with roles.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentSources } from '../../src/core/config/references';
import { deploy, environmentStatus, rollback } from '../../src/core/operations/index';
import type { DeployResult } from '../../src/core/environment/types';
import { fixtureModules } from '../support/paths';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, isAlive, killProcessesUnder, onExit, run, type RunResult, sleep, tempDir } from './fixtures/util';
import { remoteOk } from './fixtures/deployApp';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { repoRoot } from '../support/paths';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

interface Answer {
  process: string;
  args: string[];
  pid: number;
  exe: string;
  greeting: string;
}

/** Processes running an executable under `base`, with their command lines (from /proc). */
function running(base: string): { pid: number; exe: string; argv: string[] }[] {
  const out: { pid: number; exe: string; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const exe = readlinkSync(`/proc/${name}/exe`);
      if (!exe.startsWith(`${base}/`) || !isAlive(Number(name))) continue;
      out.push({ pid: Number(name), exe, argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').slice(0, -1) });
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

describe('several processes and roles on hosts: api + worker as one release (real processes)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-processes');

  describe('type local, processManager none', () => {
    const dir = join(work.path, 'local', 'shop');
    const base = join(work.path, 'local', 'base');
    let port = 0;
    const killAll = (): void => killProcessesUnder(base);
    const removeHook = onExit(killAll);
    after(() => {
      killAll();
      removeHook();
    });

    const configure = (greeting: string, workerFails = false): void => {
      const config = {
        app: {
          name: 'shop',
          env: { GREETING: greeting },
          processes: {
            api: { main: './cmd/api', port, args: ['serve', '--verbose'], healthCheck: { path: '/healthz' } },
            worker: {
              main: './cmd/worker',
              args: ['--queue', 'mail'],
              env: { QUEUE: 'mail', ...(workerFails ? { WORKER_FAIL: '1' } : {}) },
              healthCheck: { for: '3s' },
            },
          },
        },
        environments: { dev: { type: 'local', path: base, healthCheck: { timeout: '15s', interval: '200ms' } } },
      };
      writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    };
    const req = () => ({
      configFile: { file: join(dir, 'godeploy.yaml'), exists: true },
      environment: 'dev',
      sources: environmentSources(goEnv()),
      buildEnv: goEnv(),
    });
    const apiAnswer = async (): Promise<Answer> => {
      const r = await httpGet(port, '/');
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as Answer;
    };
    const laterSecond = async (): Promise<void> => sleep(1100);

    before(async () => {
      cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
      port = await freePort();
    });

    let first: DeployResult;
    it('deploys both processes: each runs its own executable with its args; status lists both running', async () => {
      configure('one');
      first = await deploy(req());
      assert.ok(first.ok, JSON.stringify(first.hosts, null, 2));
      const rel = join(base, 'releases', first.releaseId);
      assert.deepEqual(
        readdirSync(rel)
          .filter((n) => !n.startsWith('.'))
          .sort(),
        ['api', 'shop-api.env', 'shop-worker.env', 'worker'],
      );
      const api = await apiAnswer();
      assert.equal(api.process, 'api');
      assert.deepEqual(api.args, ['serve', '--verbose']);
      assert.equal(api.greeting, 'one');
      const procs = running(base);
      const worker = procs.find((p) => p.exe.endsWith('/worker'));
      assert.ok(worker, JSON.stringify(procs));
      assert.equal(worker.exe, join(rel, 'worker'));
      assert.deepEqual(worker.argv.slice(1), ['--queue', 'mail']);
      assert.match(readFileSync(join(base, 'shared', 'logs', 'shop-worker.log'), 'utf8'), /worker started with \["--queue" "mail"\], queue "mail"/);
      assert.equal(readFileSync(join(base, 'shared', 'shop-api.env'), 'utf8').includes('QUEUE'), false);
      assert.match(readFileSync(join(base, 'shared', 'shop-worker.env'), 'utf8'), /^QUEUE="mail"$/m);
      assert.deepEqual(first.hosts[0].executables, { api: 'uploaded', worker: 'uploaded' });

      const st = await environmentStatus({ configFile: req().configFile, environment: 'dev' });
      const o = st.hosts[0];
      assert.ok(o.ok, JSON.stringify(o));
      const h = o.value;
      assert.ok(h.processes, JSON.stringify(h));
      assert.deepEqual(
        h.processes.map((p) => [p.name, p.service, p.running]),
        [
          ['api', 'shop-api', true],
          ['worker', 'shop-worker', true],
        ],
      );
      assert.equal(h.processes[0].pid, api.pid);
      assert.equal(h.processes[1].pid, worker.pid);
    });

    it('a deploy that changed only the api reuses the worker executable (and the worker restarts on it)', async () => {
      const api = readFileSync(join(dir, 'cmd', 'api', 'main.go'), 'utf8');
      writeFileSync(join(dir, 'cmd', 'api', 'main.go'), `${api}\n// changed for the second release\nvar _ = "second"\n`);
      await laterSecond();
      const second = await deploy(req());
      assert.ok(second.ok, JSON.stringify(second.hosts, null, 2));
      assert.notEqual(second.releaseId, first.releaseId);
      assert.deepEqual(second.hosts[0].executables, { api: 'uploaded', worker: 'reused' });
      const history = readFileSync(join(base, '.godeploy', 'history.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { release: string; executables?: unknown });
      assert.deepEqual(history.find((l) => l.release === second.releaseId)?.executables, { api: 'uploaded', worker: 'reused' });
      const w1 = readFileSync(join(base, 'releases', first.releaseId, 'worker'));
      assert.ok(w1.equals(readFileSync(join(base, 'releases', second.releaseId, 'worker'))));
      assert.ok(running(base).some((p) => p.exe === join(base, 'releases', second.releaseId, 'worker')));
      // Nothing changed now: already live, nothing switched.
      await laterSecond();
      const again = await deploy(req());
      assert.ok(again.ok && again.alreadyLive, JSON.stringify(again));
      first = second;
    });

    it('a release whose worker fails its gate rolls both back: the api answers the old release', async () => {
      configure('two', true);
      await laterSecond();
      const bad = await deploy(req());
      assert.equal(bad.ok, false);
      assert.match(bad.hosts[0].error ?? '', /shop-worker/);
      assert.equal(readlinkSync(join(base, 'current')), `releases/${first.releaseId}`);
      assert.equal(existsSync(join(base, 'releases', bad.releaseId)), false);
      const api = await apiAnswer();
      assert.equal(api.greeting, 'one');
      assert.equal(api.exe, join(base, 'releases', first.releaseId, 'api'));
      const st = await environmentStatus({ configFile: req().configFile, environment: 'dev' });
      assert.deepEqual(
        (st.hosts[0].ok ? st.hosts[0].value.processes : [])?.map((p) => p.running),
        [true, true],
      );
    });

    it('rollback takes every process back to the release before', async () => {
      configure('one');
      const r = await rollback({ configFile: req().configFile, environment: 'dev', sources: environmentSources(goEnv()) });
      assert.ok(r.ok, JSON.stringify(r, null, 2));
      const live = readlinkSync(join(base, 'current')).replace(/^releases\//, '');
      assert.notEqual(live, first.releaseId);
      const api = await apiAnswer();
      assert.equal(api.exe, join(base, 'releases', live, 'api'));
      assert.ok(running(base).some((p) => p.exe === join(base, 'releases', live, 'worker')));
    });
  });

  // Two real systemd hosts, each in a network namespace of its own: web1 runs the api (roles
  // [api]), jobs1 the worker (roles [worker]); each gets only its own unit.
  describe('two systemd hosts with roles [api] and [worker]', () => {
    let a: SystemdHost;
    let b: SystemdHost;
    let port = 0;
    const dir = join(work.path, 'systemd', 'shop');
    const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', dir, ...args], { timeoutMs: 300_000, env: goEnv() });
    const configure = (greeting: string, workerFails = false): void => {
      const host = (h: SystemdHost, role: string): string[] => [
        `      - host: ${h.host}`,
        `        port: ${h.port}`,
        '        user: root',
        `        identityFile: ${h.identityFile}`,
        `        roles: [${role}]`,
      ];
      writeFileSync(
        join(dir, 'godeploy.yaml'),
        [
          'app:',
          '  name: shop',
          '  env:',
          `    GREETING: ${greeting}`,
          '  processes:',
          `    api: { main: ./cmd/api, port: ${port}, args: [serve], healthCheck: { path: /healthz, timeout: 10s, interval: 250ms } }`,
          `    worker: { main: ./cmd/worker, args: [--queue, mail], env: { QUEUE: mail${workerFails ? ', WORKER_FAIL: "1"' : ''} }, healthCheck: { for: 3s, timeout: 10s } }`,
          'environments:',
          '  prod:',
          '    type: ssh',
          '    hosts:',
          ...host(a, 'api'),
          ...host(b, 'worker'),
          '    knownHostsFile: known_hosts',
          '    path: /opt/shop',
          '',
        ].join('\n'),
      );
    };
    const answer = async (): Promise<Answer> => {
      const res = await fetch(`http://${a.address}:${port}/`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      return (await res.json()) as Answer;
    };

    before(async () => {
      [a, b] = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
      port = await freePort();
      cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
      writeFileSync(join(dir, 'known_hosts'), [a, b].map((h) => readFileSync(h.knownHostsFile, 'utf8')).join(''));
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    let live = '';
    it("each host runs only its roles' units; the api answers; status lists each host's process", async () => {
      configure('one');
      const r = await godeploy(['deploy', 'prod']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      live = await remoteOk(a, 'readlink /opt/shop/current');
      assert.equal(await remoteOk(b, 'readlink /opt/shop/current'), live);
      assert.equal(await remoteOk(a, 'systemctl is-active shop-api.service'), 'active');
      assert.equal(await remoteOk(b, 'systemctl is-active shop-worker.service'), 'active');
      assert.equal(await remoteOk(a, 'test -e /etc/systemd/system/shop-worker.service && echo yes || echo no'), 'no');
      assert.equal(await remoteOk(b, 'test -e /etc/systemd/system/shop-api.service && echo yes || echo no'), 'no');
      assert.equal(await remoteOk(a, 'ls /opt/shop/current/ | tr "\\n" " "'), 'api shop-api.env');
      assert.equal(await remoteOk(b, 'ls /opt/shop/current/ | tr "\\n" " "'), 'shop-worker.env worker');
      const api = await answer();
      assert.deepEqual([api.process, api.args, api.greeting], ['api', ['serve'], 'one']);
      const pid = await remoteOk(b, 'systemctl show --property=MainPID --value shop-worker.service');
      assert.equal(await remoteOk(b, `tr "\\0" " " < /proc/${pid}/cmdline`), '/opt/shop/current/worker --queue mail');
      const s = await godeploy(['status', 'prod']);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      const st = JSON.parse((await godeploy(['status', 'prod', '--json'])).stdout) as {
        hosts: { host: string; processes?: { service: string; running: boolean }[] }[];
      };
      assert.deepEqual(
        st.hosts.map((h) => h.processes?.map((p) => [p.service, p.running])),
        [[['shop-api', true]], [['shop-worker', true]]],
      );
    });

    it("the worker's failing health gate rolls back both hosts: the api answers the old release", async () => {
      configure('two', true);
      const r = await godeploy(['deploy', 'prod']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /shop-worker\.service/);
      for (const h of [a, b]) assert.equal(await remoteOk(h, 'readlink /opt/shop/current'), live, `${h.host} is not back on ${live}`);
      assert.equal(await remoteOk(a, 'systemctl is-active shop-api.service'), 'active');
      assert.equal(await remoteOk(b, 'systemctl is-active shop-worker.service'), 'active');
      assert.equal((await answer()).greeting, 'one');
    });
  });
});
