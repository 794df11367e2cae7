// Several processes in day-2 operations on this machine (type local, processManager none),
// through the CLI's main(): the shop fixture's api (a port) and worker (none) deployed as one
// release, then `logs --process` (only that process's file, each line labelled local/worker),
// `restart --process worker` (a new worker pid behind its gate, the api's pid unchanged),
// `stop`/`start --process api` (the worker keeps running), `exec` with the first process's
// env file or --process's, and unknown processes refused with exit 2 naming the app's.
import { strict as assert } from 'node:assert';
import { cpSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, isAlive, killProcessesUnder, onExit, portAccepts, tempDir } from './fixtures/util';

describe('exec, restart, stop, start and logs with --process on this machine (type local, api + worker)', function () {
  this.timeout(600_000);
  const work = tempDir('operations-processes-local');
  const dir = join(work.path, 'shop');
  const base = join(work.path, 'base');
  let port = 0;

  /** The pids of processes running an executable of the release, by executable name. */
  const pids = (): Record<string, number[]> => {
    const out: Record<string, number[]> = {};
    for (const n of readdirSync('/proc')) {
      if (!/^\d+$/.test(n)) continue;
      try {
        const exe = readlinkSync(`/proc/${n}/exe`);
        if (exe.startsWith(`${base}/`) && isAlive(Number(n))) (out[exe.slice(exe.lastIndexOf('/') + 1)] ??= []).push(Number(n));
      } catch {
        /* gone, or not ours */
      }
    }
    return out;
  };
  const killAll = (): void => killProcessesUnder(base);
  const removeHook = onExit(killAll);
  after(async () => {
    // Stopped through the CLI first: each process's launcher writes its exit file under shared/ as it ends.
    await cli(['stop', 'dev']).catch(() => undefined);
    killAll();
    removeHook();
    work.remove();
  });
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());
  const apiPid = async (): Promise<number> => (JSON.parse((await httpGet(port, '/')).body) as { pid: number }).pid;

  before(async () => {
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
    port = await freePort();
    const config = {
      app: {
        name: 'shop',
        processes: {
          api: { main: './cmd/api', port, env: { ROLE_MARK: 'api-env' }, healthCheck: { path: '/healthz' } },
          worker: { main: './cmd/worker', args: ['--queue', 'mail'], env: { QUEUE: 'mail' }, healthCheck: { for: '2s' } },
        },
      },
      environments: { dev: { type: 'local', path: base, healthCheck: { timeout: '15s', interval: '200ms' } } },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    const r = await cli(['deploy', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(pids().worker?.length, 1, JSON.stringify(pids()));
  });

  it("logs --process worker: only the worker's log file, each line labelled local/worker; the plan names each process's file", async () => {
    const r = await cli(['logs', 'dev', '--process', 'worker', '-n', '5']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^local\/worker \| worker started with \["--queue" "mail"\], queue "mail"$/m);
    assert.ok(
      r.out
        .trim()
        .split('\n')
        .every((l) => l.startsWith('local/worker | ')),
      r.out,
    );
    const json = await cli(['logs', 'dev', '--process', 'worker', '-n', '1', '--json']);
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(
      json.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { host: string; process: string }).process),
      ['worker'],
    );
    const plan = await cli(['logs', 'dev', '--dry-run']);
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /^logs of shop in dev: /);
    assert.match(plan.out, /^ {2}local \(api\): sh -c /m);
    assert.match(plan.out, /^ {2}local \(worker\): sh -c /m);
    const bad = await cli(['logs', 'dev', '--process', 'mailer']);
    assert.equal(bad.code, 2, bad.out + bad.err);
    assert.match(bad.err, /logs: shop has no process "mailer"/);
    assert.match(bad.err, /its processes: api, worker/);
  });

  it('restart --process worker: the worker runs with a new pid behind its gate; the api keeps its pid', async () => {
    const api = await apiPid();
    const [worker] = pids().worker;
    const r = await cli(['restart', 'dev', '--process', 'worker']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^local \(this machine\) worker: restarted \(running, pid \d+\), healthy/m);
    assert.doesNotMatch(r.out, /\bapi:/);
    assert.equal(await apiPid(), api);
    const now = pids().worker;
    assert.equal(now.length, 1);
    assert.notEqual(now[0], worker);
    const bad = await cli(['restart', 'dev', '--process', 'mailer']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /restart: dev has no process "mailer"[\s\S]*its processes: api, worker/);
  });

  it('restart without --process: both, in order, each behind its own gate (a line per process)', async () => {
    const api = await apiPid();
    const r = await cli(['restart', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.split('\n').filter((l) => l.startsWith('local (this machine) '));
    assert.equal(lines.length, 2, r.out);
    assert.match(lines[0], /^local \(this machine\) api: restarted .*healthy/);
    assert.match(lines[1], /^local \(this machine\) worker: restarted .*healthy/);
    assert.notEqual(await apiPid(), api);
  });

  it('stop --process api takes only the api down; start --process api brings it back healthy', async () => {
    const [worker] = pids().worker;
    const stopped = await cli(['stop', 'dev', '--process', 'api']);
    assert.equal(stopped.code, 0, stopped.out + stopped.err);
    assert.equal(await portAccepts(port), false);
    assert.deepEqual(pids().worker, [worker]);
    assert.equal(pids().api, undefined);
    const started = await cli(['start', 'dev', '--process', 'api']);
    assert.equal(started.code, 0, started.out + started.err);
    assert.equal((await httpGet(port, '/healthz')).status, 200);
    assert.deepEqual(pids().worker, [worker]);
  });

  it("exec reads the first process's env file by default, --process worker the worker's", async () => {
    const first = await cli(['exec', 'dev', '--', 'sh', '-c', 'echo "mark=$ROLE_MARK queue=$QUEUE"']);
    assert.equal(first.code, 0, first.out + first.err);
    assert.match(first.out, /^local \| mark=api-env queue=$/m);
    const worker = await cli(['exec', 'dev', '--process', 'worker', '--', 'sh', '-c', 'echo "mark=$ROLE_MARK queue=$QUEUE"']);
    assert.equal(worker.code, 0, worker.out + worker.err);
    assert.match(worker.out, /^local \| mark= queue=mail$/m);
    assert.match(readFileSync(join(base, 'shared', 'shop-worker.env'), 'utf8'), /QUEUE/);
  });
});
