// Several processes (app.processes) and roles (hosts[].roles) in day-2 operations and logs,
// below the CLI: which hosts and processes exec, restart, stop and start act on (--process,
// --role, --host; unknown names are usage errors naming the known ones), the env file exec
// reads per host, each process's own service in the plan, and the log sources of
// `godeploy logs --process` (journald units, supervisor files, a local process's file), each
// labelled with its process.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../../src/core/environment/load';
import { GoDeployError } from '../../src/core/errors';
import { formatLogLine } from '../../src/core/logs/logLine';
import { execCommand, logSources, serviceAction, tailLogs } from '../../src/core/operations';
import { execProcess, operationProcesses, selectOperationHosts } from '../../src/core/release/operationHosts';
import { fixtureModules } from '../support/paths';

const SHOP = (base: string, pm = 'systemd'): string => `app:
  name: shop
  processes:
    api:
      main: ./cmd/api
      port: 8080
    worker:
      main: ./cmd/worker
      args: [--queue, jobs]
environments:
  prod:
    type: ssh
    path: ${base}
    processManager: ${pm}
    hosts:
      - { host: web1, roles: [api] }
      - { host: jobs1, roles: [worker] }
      - { host: both1 }
  dev:
    type: local
    path: ${base}
`;

describe('operations and logs with several processes and roles', function () {
  this.timeout(60_000);
  let dir = '';
  const base = '/srv/shop';
  const configFile = (): { file: string; exists: boolean } => ({ file: path.join(dir, 'godeploy.yaml'), exists: true });
  const usage = (f: () => unknown, re: RegExp): void =>
    assert.throws(f, (err: unknown) => err instanceof GoDeployError && err.exitCode === 2 && re.test(`${err.message} ${err.hint}`), re.source);

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-ops-processes-'));
    cpSync(path.join(fixtureModules, 'shop'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'godeploy.yaml'), SHOP(base));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--process and --role pick the hosts that run it (a host without roles runs all); --host must run it; unknown names list the known ones', async () => {
    const e = await loadEnvironment(configFile(), 'prod', 'exec');
    assert.deepEqual(selectOperationHosts(e, {}, 'exec'), ['web1', 'jobs1', 'both1']);
    assert.deepEqual(selectOperationHosts(e, { process: 'api' }, 'restart'), ['web1', 'both1']);
    assert.deepEqual(selectOperationHosts(e, { role: 'worker' }, 'exec'), ['jobs1', 'both1']);
    assert.deepEqual(selectOperationHosts(e, { role: 'worker', primary: true }, 'exec'), ['jobs1']);
    assert.deepEqual(selectOperationHosts(e, { process: 'worker', only: ['both1'] }, 'stop'), ['both1']);
    usage(() => selectOperationHosts(e, { process: 'web' }, 'restart'), /restart: prod has no process "web" its processes: api, worker/);
    usage(() => selectOperationHosts(e, { role: 'db' }, 'exec'), /exec: prod has no role "db" its roles \(the app's processes\): api, worker/);
    usage(
      () => selectOperationHosts(e, { process: 'worker', only: ['web1'] }, 'stop'),
      /stop: "web1" does not run "worker".*the hosts that run it: jobs1, both1/,
    );
    // Per host: every process it runs in the app's order, or the one asked for; exec's environment is the first's.
    assert.deepEqual(operationProcesses(e, 'both1', {}), ['api', 'worker']);
    assert.deepEqual(operationProcesses(e, 'jobs1', {}), ['worker']);
    assert.deepEqual(operationProcesses(e, 'both1', { process: 'worker' }), ['worker']);
    assert.equal(execProcess(e, 'both1', {}), 'api');
    assert.equal(execProcess(e, 'jobs1', {}), 'worker');
    assert.equal(execProcess(e, 'both1', { role: 'worker' }), 'worker');
  });

  it("exec's plan reads each host's process's env file: the first it runs, or --process's", async () => {
    const plan = (sel: object): Promise<string[][]> =>
      execCommand({ configFile: configFile(), environment: 'prod', command: ['./api', 'migrate'], dryRun: true, ...sel }).then((r) =>
        r.plan.steps.map((s) => [s.host, s.title]),
      );
    assert.deepEqual(await plan({}), [
      ['web1', `run ./api migrate in ${base}/current with ${base}/shared/shop-api.env`],
      ['jobs1', `run ./api migrate in ${base}/current with ${base}/shared/shop-worker.env`],
      ['both1', `run ./api migrate in ${base}/current with ${base}/shared/shop-api.env`],
    ]);
    assert.deepEqual(await plan({ process: 'worker' }), [
      ['jobs1', `run ./api migrate in ${base}/current with ${base}/shared/shop-worker.env`],
      ['both1', `run ./api migrate in ${base}/current with ${base}/shared/shop-worker.env`],
    ]);
    const r = await execCommand({ configFile: configFile(), environment: 'prod', command: ['env'], dryRun: true, role: 'api' });
    assert.deepEqual(
      r.plan.steps.map((s) => s.host),
      ['web1', 'both1'],
    );
  });

  it("restart's plan: one lock per host, then each process it runs in order, each with its own unit and health gate; --process only that one", async () => {
    const all = await serviceAction({ configFile: configFile(), environment: 'prod', action: 'restart', dryRun: true });
    const both = all.plan.steps.filter((s) => s.host === 'both1').map((s) => s.title);
    assert.deepEqual(both, [
      `take the deploy lock (${base}/.godeploy/lock)`,
      "read the live release and shop-api.service's state",
      'restart shop-api.service on the live release',
      both[3],
      "read shop-worker.service's state",
      'restart shop-worker.service on the live release',
      both[6],
      'release the deploy lock',
    ]);
    assert.match(both[3], /^health gate: .*8080/);
    assert.match(both[6], /^health gate: /);
    const only = await serviceAction({ configFile: configFile(), environment: 'prod', action: 'stop', process: 'worker', dryRun: true });
    assert.match(only.plan.text, /^stop shop's process worker in prod on jobs1, both1 \(2 hosts\)/);
    const cmds = only.plan.steps.flatMap((s) => s.commands.map((c) => c.join(' ')));
    assert.ok(cmds.includes('systemctl stop shop-worker.service'), cmds.join('\n'));
    assert.ok(!cmds.some((c) => c.includes('shop-api')), cmds.join('\n'));
    await assert.rejects(
      serviceAction({ configFile: configFile(), environment: 'prod', action: 'start', process: 'cron', dryRun: true }),
      (err: GoDeployError) => err.exitCode === 2 && /no process "cron"/.test(err.message) && /api, worker/.test(err.hint ?? ''),
    );
  });

  it('logs --process: each host reads only the units of the processes it runs, labelled with the process; local and supervisor read their files', async () => {
    const prod = await loadEnvironment(configFile(), 'prod', 'logs');
    assert.deepEqual(logSources(prod), [
      { host: 'web1', kind: 'journal', units: ['shop-api.service'], process: 'api' },
      { host: 'jobs1', kind: 'journal', units: ['shop-worker.service'], process: 'worker' },
      { host: 'both1', kind: 'journal', units: ['shop-api.service'], process: 'api' },
      { host: 'both1', kind: 'journal', units: ['shop-worker.service'], process: 'worker' },
    ]);
    assert.deepEqual(logSources(prod, undefined, 'worker'), [
      { host: 'jobs1', kind: 'journal', units: ['shop-worker.service'], process: 'worker' },
      { host: 'both1', kind: 'journal', units: ['shop-worker.service'], process: 'worker' },
    ]);
    assert.deepEqual(logSources(prod, ['web1'], 'worker'), []);
    usage(() => logSources(prod, undefined, 'cron'), /logs: shop has no process "cron" its processes: api, worker/);
    const dev = await loadEnvironment(configFile(), 'dev', 'logs');
    assert.deepEqual(logSources(dev, undefined, 'api'), [{ host: 'local', kind: 'file', file: `${base}/shared/logs/shop-api.log`, process: 'api' }]);
    writeFileSync(path.join(dir, 'godeploy.yaml'), SHOP(base, 'supervisor'));
    try {
      const sup = await loadEnvironment(configFile(), 'prod', 'logs');
      const files = logSources(sup, ['both1'], 'worker');
      assert.ok(files.length > 0 && files.every((s) => s.kind === 'file' && s.process === 'worker' && /shop-worker/.test(s.file)), JSON.stringify(files));
    } finally {
      writeFileSync(path.join(dir, 'godeploy.yaml'), SHOP(base));
    }
    const r = await tailLogs({
      configFile: configFile(),
      environment: 'prod',
      process: 'api',
      lines: 5,
      follow: false,
      dryRun: true,
      token: { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) },
      onLines: () => undefined,
    });
    assert.match(r.plan, /^logs of shop's process api in prod: /);
    assert.match(r.plan, /\n {2}web1 \(api\): .*journalctl.*shop-api\.service/);
    assert.equal(formatLogLine({ host: 'both1', process: 'worker', text: 'hi' }, 14), 'both1/worker   | hi');
    assert.equal(formatLogLine({ host: 'both1', text: 'hi' }), 'both1 | hi');
  });
});
