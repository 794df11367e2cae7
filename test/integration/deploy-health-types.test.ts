// healthCheck.type on real deploys (test/fixtures/modules/launchapp built by the real Go
// toolchain): a worker with no port deploys with type process; one that gives up after 2 s
// fails its gate with its exit status and its own last words and is rolled back; a server
// that speaks no HTTP (a line protocol, as gRPC or a database would) deploys with type tcp,
// and the same server told its port the wrong way fails with the tcp gate's message. On this
// machine (type local), a real systemd host (systemd-nspawn, over ssh) with systemd and with
// supervisor, and a real Docker Engine.
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { copyLaunchapp, greeting, processesUnder, writeConfig } from './fixtures/launchApp';
import { startSecondDockerEngine } from './fixtures/docker';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, isAlive, killProcessesUnder, onExit, sleep, tempDir } from './fixtures/util';

/** The app part of godeploy.yaml for each service of launchapp, and the gate's keys. */
const apps = {
  worker: (port: number, env: Record<string, string> = {}, name = 'worker') => ({
    app: { name, main: './cmd/worker', port, env, healthCheck: { type: 'process', for: '3s', timeout: '10s', interval: '250ms' } },
  }),
  tcp: (port: number, portEnv = 'TCP_PORT', name = 'tcpsrv') => ({
    app: { name, main: './cmd/tcpserver', port, portEnv, healthCheck: { type: 'tcp', timeout: '3s', interval: '250ms' } },
  }),
};

/** The outcomes every platform must show, given how to deploy and how to look at what runs. */
interface Platform {
  /** The apps' names here (several platforms share one host or engine). */
  names?: { worker: string; tcp: string };
  deploy(dir: string, config: Record<string, unknown>): Promise<CliRun>;
  /** The release `current` points at (or the running container's release). */
  live(dir: string): Promise<string | null>;
  /** Whether the worker's process of release `id` runs now. */
  workerRuns(id: string): Promise<boolean>;
  /** The first line the TCP server says on `port`. */
  greet(port: number): Promise<string>;
}

const releaseOf = (r: CliRun): string => /^deploy (\S+) to \S+: /m.exec(r.out)?.[1] ?? '';

function sharedCases(label: string, p: () => Platform, work: () => string, ports: () => Promise<number>): void {
  let firstWorker = '';

  it(`${label}: a worker with no port deploys with healthCheck.type process: the gate watches it stay up, then done`, async () => {
    const dir = join(work(), 'worker');
    copyLaunchapp(dir);
    const config = apps.worker(await ports(), {}, p().names?.worker);
    const t0 = Date.now();
    const r = await p().deploy(dir, config);
    assert.equal(r.code, 0, r.out + r.err);
    const up = /health: healthy.*running \(pid \d+\) for (\d+(?:\.\d)?) s, not restarted/.exec(r.out);
    assert.ok(up && Number(up[1]) >= 3, r.out);
    assert.match(r.out, /: done in /);
    assert.ok(Date.now() - t0 >= 3000, 'the gate passed before healthCheck.for');
    firstWorker = releaseOf(r);
    assert.equal(await p().live(dir), firstWorker);
    assert.ok(await p().workerRuns(firstWorker), 'the worker is not running after the deploy');
  });

  it(`${label}: a worker that exits after 2 s fails the gate with its exit status and last words, and the earlier release runs again`, async () => {
    const dir = join(work(), 'worker');
    const config = apps.worker(await ports(), { WORKER_EXIT_AFTER: '2s' }, p().names?.worker);
    const r = await p().deploy(dir, config);
    assert.equal(r.code, 1, r.out + r.err);
    // The engine restarts a container by itself: then it was restarted, and its last run's status is said.
    assert.match(
      r.out,
      /health: FAIL .*(exited with status 3 after \d(\.\d)? s \(it must stay up for 3 s\)|was restarted 1 time after \d(\.\d)? s \(it must stay up for 3 s\); its last run exited with status 3)/,
    );
    assert.match(r.out, /worker: lost the queue connection, giving up/);
    assert.match(
      r.out,
      new RegExp(`rolled back to ${firstWorker.replace(/[.]/g, '\\.')}|${firstWorker.replace(/[.]/g, '\\.')} is live again and healthy|serves again`),
    );
    assert.equal(await p().live(dir), firstWorker);
    assert.ok(await p().workerRuns(firstWorker), 'the earlier worker does not run again');
  });

  it(`${label}: a server that speaks no HTTP deploys with healthCheck.type tcp; told its port the wrong way, it fails with the tcp message`, async () => {
    const dir = join(work(), 'tcp');
    copyLaunchapp(dir);
    const port = await ports();
    const tcp = (portEnv?: string): Record<string, unknown> => apps.tcp(port, portEnv, p().names?.tcp);
    const plan = await p().deploy(dir, { ...tcp(), dryRun: true });
    assert.equal(plan.code, 0, plan.out + plan.err);
    assert.match(plan.out, new RegExp(`port ${port} (to )?accepts? a TCP connection`));
    const r = await p().deploy(dir, tcp());
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`health: (healthy after \\d+\\.\\d s \\(port ${port} accepts connections\\)|healthy \\(connected)`));
    assert.equal(await p().greet(port), 'HELLO launchapp');
    // PORT instead of TCP_PORT: the program never hears of its port and listens on its default.
    const bad = await p().deploy(dir, tcp('PORT'));
    assert.equal(bad.code, 1, bad.out + bad.err);
    assert.match(bad.out, new RegExp(`port ${port} did not accept a connection within 3 s: connection refused`));
    assert.match(bad.out, /rolled back to|is live again and healthy|serves again/);
    assert.equal(await p().greet(port), 'HELLO launchapp', 'the release before the failed one does not serve again');
  });
}

describe('healthCheck.type process and tcp on real deploys', function () {
  this.timeout(1_200_000);
  const work = tempDir('deploy-health-types');
  after(() => work.remove());

  describe('type local (this machine)', () => {
    const bases: string[] = [];
    const killAll = (): void => bases.forEach((b) => killProcessesUnder(b));
    const removeHook = onExit(killAll);
    after(() => {
      killAll();
      removeHook();
    });
    const baseOf = (dir: string): string => join(dir, '..', `${dir.split('/').pop()}-base`);
    const local: Platform = {
      deploy: async (dir, config) => {
        const base = baseOf(dir);
        if (!bases.includes(base)) bases.push(base);
        const { dryRun, ...rest } = config as { dryRun?: boolean };
        writeConfig(dir, { ...rest, environments: { dev: { type: 'local', path: base } } });
        await sleep(1100); // release ids have one-second resolution
        return runCli(dir, ['deploy', 'dev', ...(dryRun ? ['--dry-run'] : [])], goEnv());
      },
      live: async (dir) => {
        try {
          return readlinkSync(join(baseOf(dir), 'current')).replace(/^releases\//, '');
        } catch {
          return null;
        }
      },
      workerRuns: async (id) => bases.some((b) => processesUnder(b).some((pid) => readlinkSync(`/proc/${pid}/exe`) === join(b, 'releases', id, 'worker'))),
      greet: (port) => greeting(port),
    };
    sharedCases(
      'local',
      () => local,
      () => join(work.path, 'local'),
      freePort,
    );

    it('local: the pid file names the service itself (its argv is the executable), and its launcher records how it ended', async () => {
      const base = baseOf(join(work.path, 'local', 'worker'));
      const pid = Number(readFileSync(join(base, 'shared', 'worker.pid'), 'utf8'));
      assert.ok(isAlive(pid));
      assert.equal(readlinkSync(`/proc/${pid}/exe`).startsWith(join(base, 'releases')), true);
      process.kill(pid, 'SIGKILL');
      await sleep(500);
      assert.equal(readFileSync(join(base, 'shared', 'worker.pid.exit'), 'utf8').trim(), `${pid} 137`);
      const s = await runCli(join(work.path, 'local', 'worker'), ['status', 'dev', '--json'], goEnv());
      const host = (JSON.parse(s.out) as { hosts: { service: { running: boolean }; health: { healthy: boolean; answer: string } }[] }).hosts[0];
      assert.deepEqual([host.service.running, host.health.healthy], [false, false]);
      assert.match(host.health.answer, /was killed by signal 9/);
      assert.ok(existsSync(join(base, 'shared', 'logs', 'worker.log')));
    });
  });

  describe('a real systemd host (systemd-nspawn, over ssh): systemd units and supervisor programs', () => {
    let host: SystemdHost;
    before(async () => {
      host = await startSystemdHost();
      const r = await host.exec('systemctl start supervisor && for i in $(seq 50); do supervisorctl status >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1');
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      await host?.stop();
    });
    const remote = async (cmd: string): Promise<string> => {
      const r = await host.exec(cmd);
      assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
      return r.stdout.trim();
    };
    const platform = (pm: 'systemd' | 'supervisor', names: { worker: string; tcp: string }): Platform => {
      const name = (dir: string): string => (dir.endsWith('worker') ? names.worker : names.tcp);
      return {
        names,
        deploy: async (dir, config) => {
          const { dryRun, ...rest } = config as { dryRun?: boolean };
          copyFileSync(host.knownHostsFile, join(dir, 'known_hosts'));
          writeConfig(dir, {
            ...rest,
            environments: {
              prod: {
                type: 'ssh',
                hosts: [{ host: '127.0.0.1', port: host.port, user: 'root', identityFile: host.identityFile }],
                knownHostsFile: 'known_hosts',
                ...(pm === 'supervisor' ? { processManager: 'supervisor', supervisor: { user: 'nobody' } } : {}),
              },
            },
          });
          return runCli(dir, ['deploy', 'prod', ...(dryRun ? ['--dry-run'] : [])], goEnv());
        },
        live: async (dir) => (await host.exec(`readlink /opt/${name(dir)}/current`)).stdout.trim().replace(/^releases\//, '') || null,
        workerRuns: async (id) => {
          const pid =
            pm === 'systemd'
              ? await remote(`systemctl show --property=MainPID --value ${names.worker}.service`)
              : (/pid (\d+)/.exec(await remote(`supervisorctl status ${names.worker} || true`))?.[1] ?? '0');
          return pid !== '0' && (await host.exec(`readlink /proc/${pid}/exe`)).stdout.trim() === `/opt/${names.worker}/releases/${id}/${names.worker}`;
        },
        greet: (port) => greeting(port),
      };
    };
    const systemd = platform('systemd', { worker: 'worker', tcp: 'tcpsrv' });
    sharedCases(
      'systemd',
      () => systemd,
      () => join(work.path, 'systemd'),
      freePort,
    );
    const supervisor = platform('supervisor', { worker: 'sworker', tcp: 'stcpsrv' });
    sharedCases(
      'supervisor',
      () => supervisor,
      () => join(work.path, 'supervisor'),
      freePort,
    );
  });

  describe('a real Docker Engine of its own (containers on the host network)', () => {
    let engine: Awaited<ReturnType<typeof startSecondDockerEngine>>;
    const env = 'ht';
    const names = { worker: 'htworker', tcp: 'httcp' };
    before(async () => {
      engine = await startSecondDockerEngine();
    });
    after(async () => {
      await engine?.stop();
    });
    const running = async (app: string): Promise<{ Name: string; Config: { Labels: Record<string, string> } }[]> => {
      const ids = (await engine.docker(['ps', '-q', '--filter', `label=godeploy.environment=${env}`, '--filter', `label=godeploy.app=${app}`])).stdout
        .split('\n')
        .filter(Boolean);
      return ids.length ? JSON.parse((await engine.docker(['inspect', ...ids])).stdout) : [];
    };
    const dockerPlatform: Platform = {
      names,
      deploy: async (dir, config) => {
        const { dryRun, ...rest } = config as { dryRun?: boolean };
        writeConfig(dir, {
          ...rest,
          docker: { runtime: 'scratch', buildkit: false },
          environments: { [env]: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, network: 'host' } } },
        });
        return runCli(dir, ['deploy', env, ...(dryRun ? ['--dry-run'] : [])], goEnv());
      },
      live: async (dir) => (await running(dir.endsWith('worker') ? names.worker : names.tcp)).map((c) => c.Config.Labels['godeploy.release']).pop() ?? null,
      workerRuns: async (id) => (await running(names.worker)).some((c) => c.Name === `/${names.worker}-${id}`),
      greet: (port) => greeting(port),
    };
    sharedCases(
      'docker',
      () => dockerPlatform,
      () => join(work.path, 'docker'),
      freePort,
    );
  });
});
