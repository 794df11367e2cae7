// Faults during a deploy to a real systemd host: the ssh connection cut from the server
// side at several points (during the upload, at the switch, at the restart, during the
// health gate), and a release folder on a filesystem too small for the executable. Every
// time, the host keeps a complete release at current that answers, no lock is left
// behind, and the next deploy succeeds.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploy } from '../../src/core/operations/index';
import type { DeployEvent } from '../../src/core/environment/types';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { killSshSessions } from './fixtures/sshFaults';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, run, tempDir } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

describe('deploy faults on a real systemd host: cut ssh connections, disk full', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-faults');
  let host: SystemdHost;
  let port: number;
  let buildNo = 0;

  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const nextBuild = (): string => {
    const b = `fault-${++buildNo}`;
    setDeployappBuild(work.path, b);
    return b;
  };
  const serving = async (): Promise<string> => {
    const r = await httpGet(port, '/info');
    assert.equal(r.status, 200);
    return (JSON.parse(r.body) as { build: string; exe: string }).build;
  };
  /** current is a complete release (executable, env file, .sha256) and the service answers from it. */
  const assertCompleteAndServing = async (why: string): Promise<void> => {
    const cur = await remote('readlink -f /opt/deployapp/current');
    assert.match(cur, /^\/opt\/deployapp\/releases\/\d{8}T\d{6}\.\d{3}Z-/, why);
    await remote(`test -x ${cur}/deployapp && test -s ${cur}/deployapp.env && test -s ${cur}/.sha256`);
    const sum = await remote(`sha256sum ${cur}/deployapp | cut -d' ' -f1`);
    assert.equal(sum, await remote(`cat ${cur}/.sha256`), `${why}: the live executable is not the one recorded`);
    const exe = (JSON.parse((await httpGet(port, '/info')).body) as { exe: string }).exe;
    assert.equal(exe, `${cur}/deployapp`, `${why}: the process serving is not current's`);
    assert.equal(await remote('test -e /opt/deployapp/.godeploy/lock && echo held || echo free'), 'free', `${why}: lock left behind`);
    assert.equal(await remote('ls -a /opt/deployapp/releases | grep -c "partial$" || true'), '0', `${why}: partial release left`);
  };
  const runDeploy = (onEvent?: (e: DeployEvent) => void) =>
    deploy({
      configFile: { file: join(work.path, 'godeploy.yaml'), exists: true },
      environment: 'prod',
      sources: { env: (n) => process.env[n], secret: () => undefined },
      emit: onEvent,
      buildEnv: goEnv(),
    });

  before(async () => {
    host = await startSystemdHost();
    port = await freePort();
    copyDeployapp(work.path, [host]);
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '',
      ].join('\n'),
    );
    nextBuild();
    const r = await runDeploy();
    assert.ok(r.ok, JSON.stringify(r.hosts));
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  for (const step of ['binary', 'env-file', 'switch', 'restart', 'health'] as const) {
    it(`connection cut when the "${step}" step starts: a complete release serves, no lock is left, the next deploy succeeds`, async () => {
      const before = await serving();
      nextBuild();
      let cut: Promise<number[]> | undefined;
      const r = await runDeploy((e) => {
        if (e.step === step && e.state === 'start' && !cut) cut = killSshSessions(host, { waitMs: 5000 });
      });
      assert.ok(cut, `the ${step} step never started`);
      assert.ok((await cut).length > 0, 'no ssh session was killed');
      assert.equal(r.ok, false, `the deploy survived a cut at ${step}?`);
      await assertCompleteAndServing(`after a cut at ${step}`);
      assert.equal(await serving(), before, `after a cut at ${step}, the old release should serve`);
      const b = nextBuild();
      const again = await runDeploy();
      assert.ok(again.ok, `next deploy after a cut at ${step}: ${JSON.stringify(again.hosts)}`);
      assert.equal(await serving(), b);
      await assertCompleteAndServing(`after the next deploy (${step})`);
    });
  }

  it('disk full: a release folder on a tiny filesystem fails with the host and the free space named; the old release keeps serving', async () => {
    const before = await serving();
    // A tmpfs over releases/ with room for the live release but not another executable.
    const size = Number(await remote('stat -c %s /opt/deployapp/current/deployapp'));
    await remote('cp -a /opt/deployapp/releases /opt/deployapp/releases.keep');
    await remote(
      `mount -t tmpfs -o size=${Math.ceil((size * 1.4) / 1024)}k tmpfs /opt/deployapp/releases && cp -a /opt/deployapp/releases.keep/$(basename $(readlink /opt/deployapp/current)) /opt/deployapp/releases/`,
    );
    try {
      nextBuild();
      const r = await run(process.execPath, [cli, '-C', work.path, 'deploy', 'prod'], { env: goEnv(), timeoutMs: 300_000 });
      assert.equal(r.code, 1, r.stdout);
      assert.match(
        r.stdout,
        new RegExp(
          `127\\.0\\.0\\.1 \\(root@127\\.0\\.0\\.1:${host.port}\\): not enough disk space for the release: [\\d.]+ [kM]B free in /opt/deployapp/releases, the executable needs [\\d.]+ MB`,
        ),
      );
      assert.match(r.stdout, /hint: free space on the host/);
      assert.equal(await serving(), before);
      await assertCompleteAndServing('after disk full');
    } finally {
      await remote('umount /opt/deployapp/releases && rm -rf /opt/deployapp/releases.keep');
    }
  });
});
