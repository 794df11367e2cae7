// strategy blue-green on a real systemd host with nginx (in a network namespace of its own),
// with the two instances as systemd template units and as two supervisor programs: while a
// load loop sends requests through nginx, five deploys switch between the instances, a
// release failing its health check never receives traffic, and rollback switches back: no
// request fails, and each switch serves the new build.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { LoadLoop } from './fixtures/loadLoop';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

/** How each process manager names, checks and reports an instance. */
const managers = {
  systemd: {
    startLine: (p: number) => new RegExp(`restart: start deployapp@${p}\\.service`),
    running: (p: number) => `systemctl is-active deployapp@${p}.service || true`,
    runningIs: 'active',
    stoppedIs: 'inactive',
    config: [] as string[],
    setup: 'true',
  },
  supervisor: {
    startLine: (p: number) => new RegExp(`restart: start supervisor program deployapp-${p}`),
    running: (p: number) => `supervisorctl status deployapp-${p} | awk '{print $2}'`,
    runningIs: 'RUNNING',
    stoppedIs: 'STOPPED',
    config: ['    processManager: supervisor', '    supervisor:', '      user: nobody'],
    setup: 'systemctl start supervisor && for i in $(seq 50); do supervisorctl status >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1',
  },
};

for (const pm of ['systemd', 'supervisor'] as const)
  describe(`blue-green deploys behind nginx on a real systemd host (${pm} instances): no failed request`, function () {
    const m = managers[pm];
    this.timeout(900_000);
    const work = tempDir('deploy-bluegreen');
    let host: SystemdHost;
    let buildNo = 0;

    const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv() });
    const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
    const nextBuild = (): string => {
      const b = `bg-${++buildNo}`;
      setDeployappBuild(work.path, b);
      return b;
    };
    const serving = async (): Promise<string> => (await (await fetch(`http://${host.address}/`)).text()).trim().split(' ')[1];
    const writeConfig = (env: string[] = []): void =>
      writeFileSync(
        join(work.path, 'godeploy.yaml'),
        [
          'app:',
          '  name: deployapp',
          '  port: 8080',
          '  healthCheck:',
          '    path: /healthz',
          '    timeout: 5s',
          '    interval: 200ms',
          'environments:',
          '  prod:',
          '    type: ssh',
          '    hosts:',
          `      - host: ${host.host}\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
          '    knownHostsFile: known_hosts',
          '    path: /opt/deployapp',
          '    strategy: blue-green',
          '    blueGreen:',
          '      ports: [8081, 8082]',
          ...m.config,
          '    nginx:',
          '      listen: 80',
          ...(env.length ? ['    env:', ...env.map((l) => `      ${l}`)] : []),
          '',
        ].join('\n'),
      );

    before(async () => {
      host = await startSystemdHost({ network: 'private' });
      await remoteOk(host, m.setup);
      copyDeployapp(work.path, [host]);
      writeConfig();
    });
    after(async () => {
      await host?.stop();
      work.remove();
    });

    it('first deploy: the instance on the first port runs, nginx (site + include) sends traffic to it', async () => {
      const b = nextBuild();
      const r = await godeploy(['deploy', 'prod']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, m.startLine(8081));
      assert.equal(await remote(m.running(8081)), m.runningIs);
      assert.equal(await remote('cat /opt/deployapp/.godeploy/active-port'), '8081');
      assert.equal(await remote('cat /etc/nginx/godeploy/deployapp.upstream.conf'), 'server 127.0.0.1:8081;');
      assert.equal(await remote('readlink /etc/nginx/sites-enabled/deployapp.conf'), '../sites-available/deployapp.conf');
      assert.equal(await serving(), b);
    });

    it('five deploys under a steady load through nginx: zero failed requests, each switch serves the new build on the other port', async () => {
      const load = new LoadLoop(host.address);
      try {
        for (let i = 0; i < 5; i++) {
          const before = await remote('cat /opt/deployapp/.godeploy/active-port');
          const b = nextBuild();
          const r = await godeploy(['deploy', 'prod']);
          assert.equal(r.code, 0, r.stdout + r.stderr);
          // The old instance stops only once nginx's old workers are done (not after a fixed wait).
          const retire = Number(/retire: .* \((\d+\.\d) s\)$/m.exec(r.stdout)?.[1]);
          assert.ok(retire < 10, `retiring the old instance took ${retire} s:\n${r.stdout}`);
          const after = await remote('cat /opt/deployapp/.godeploy/active-port');
          assert.notEqual(after, before, 'the instances take turns');
          assert.equal(await remote(m.running(Number(before))), m.stoppedIs, 'the old instance is stopped');
          assert.equal(await remote(m.running(Number(after))), m.runningIs, 'the new instance runs');
          assert.equal(await serving(), b);
        }
      } finally {
        await load.stop();
      }
      assert.deepEqual(
        load.failures,
        [],
        `${load.failures.length} of ${load.ok + load.failures.length} requests failed (${load.retried} retried on a new connection)`,
      );
      assert.ok(load.ok > 50, `only ${load.ok} requests made it through: the loop did not exercise the switches`);
      assert.ok(load.builds.size >= 5, `answers came from ${load.builds.size} builds: ${[...load.builds.keys()].join(', ')}`);
    });

    it('a release failing its health check never gets traffic: exit 1, the live instance keeps serving, zero failed requests', async () => {
      const live = await serving();
      const port = await remote('cat /opt/deployapp/.godeploy/active-port');
      writeConfig(['DEPLOYAPP_FAIL_HEALTH: "1"']);
      const load = new LoadLoop(host.address);
      try {
        nextBuild();
        const r = await godeploy(['deploy', 'prod']);
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stdout, /failing the health check on purpose/);
      } finally {
        await load.stop();
        writeConfig();
      }
      assert.deepEqual(load.failures, []);
      assert.deepEqual([...load.builds.keys()], [live], 'only the live build answered');
      assert.equal(await remote('cat /opt/deployapp/.godeploy/active-port'), port);
      assert.equal(await remote('cat /etc/nginx/godeploy/deployapp.upstream.conf'), `server 127.0.0.1:${port};`);
    });

    it('rollback switches instances the same way, with no failed request; status reports the live instance healthy', async () => {
      const load = new LoadLoop(host.address);
      let r: RunResult;
      try {
        r = await godeploy(['rollback', 'prod']);
      } finally {
        await load.stop();
      }
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(await serving(), `bg-${buildNo - 2}`);
      assert.deepEqual(load.failures, []);
      const s = await godeploy(['status', 'prod', '--json']);
      assert.equal(s.code, 0, s.stdout);
    });
  });
