// After a failed health gate, "last log lines of <release>" are the failed release's own:
// none of the release before it (its requests, its shutdown right after the switch), on a
// real systemd host (journald, by the unit's invocation), a real supervisord and this machine
// (type: local): log files from the offsets their restart printed between stop and start.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { copyDeployapp, setDeployappBuild } from './fixtures/deployApp';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { startSupervisorHost, type SupervisorHost } from './fixtures/supervisord';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, tempDir } from './fixtures/util';

interface DeployJson {
  ok: boolean;
  hosts: { logs?: string; result: string }[];
}

/** The JSON of `deploy ENV --json` and its exit code. */
async function deployJson(dir: string, env: string): Promise<{ code: number; json: DeployJson; run: CliRun }> {
  const run = await runCli(dir, ['deploy', env, '--json'], goEnv());
  return { code: run.code, json: JSON.parse(run.out) as DeployJson, run };
}

/**
 * A healthy first release that logs a recognizable line (and its shutdown line when the next
 * one replaces it), then a release of another build that fails its gate: the failure's log
 * excerpt holds the second build's lines and not one of the first's.
 */
async function firstHealthyThenFailing(dir: string, port: number, writeConfig: (failHealth: boolean) => void): Promise<string> {
  setDeployappBuild(dir, 'first-build');
  writeConfig(false);
  const first = await deployJson(dir, 'prod');
  assert.equal(first.code, 0, first.run.out + first.run.err);
  assert.equal((await httpGet(port, '/log?line=FIRST-RELEASE-REQUEST-LINE')).status, 200);

  setDeployappBuild(dir, 'second-build');
  writeConfig(true);
  const second = await deployJson(dir, 'prod');
  assert.equal(second.code, 1, second.run.out + second.run.err);
  const logs = second.json.hosts[0].logs ?? '';
  assert.match(logs, /deployapp second-build: failing the health check on purpose/, `the failed release's lines:\n${logs}`);
  assert.doesNotMatch(logs, /first-build|FIRST-RELEASE-REQUEST-LINE/, `no line of the first release:\n${logs}`);
  return logs;
}

describe("the log lines shown after a failed health gate are the failed release's only", function () {
  this.timeout(600_000);
  const work = tempDir('release-logs');
  after(() => work.remove());

  describe('systemd host (journald)', () => {
    let host: SystemdHost;
    before(async () => {
      host = await startSystemdHost();
    });
    after(async () => {
      await host?.stop();
    });

    it("a healthy release, then one failing its gate: the excerpt holds the failed release's lines and systemd's about it, none of the first release's", async () => {
      const dir = join(work.path, 'systemd');
      copyDeployapp(dir, [host]);
      const port = await freePort();
      const logs = await firstHealthyThenFailing(dir, port, (failHealth) =>
        writeFileSync(
          join(dir, 'godeploy.yaml'),
          [
            'app:',
            '  name: deployapp',
            `  port: ${port}`,
            '  healthCheck:',
            '    path: /healthz',
            `    timeout: ${failHealth ? '4s' : '20s'}`,
            '    interval: 250ms',
            'environments:',
            '  prod:',
            '    type: ssh',
            '    hosts:',
            `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
            '    knownHostsFile: known_hosts',
            '    path: /opt/release-logs',
            ...(failHealth ? ['    env:', '      DEPLOYAPP_FAIL_HEALTH: "1"'] : []),
            '',
          ].join('\n'),
        ),
      );
      assert.match(logs, /deployapp second-build \S+ listening/, logs);
      // The journal also has the first release's lines in the same seconds: it is the filter that left them out.
      const journal = (await host.exec('journalctl --unit deployapp.service --no-pager --output cat')).stdout;
      assert.match(journal, /FIRST-RELEASE-REQUEST-LINE/);
      assert.match(journal, /deployapp first-build stopped/);
    });
  });

  describe('supervisor (a real supervisord over a real sshd)', () => {
    let sshd: SshdFixture;
    let sup: SupervisorHost;
    before(async () => {
      [sshd, sup] = await Promise.all([startSshd(), startSupervisorHost()]);
    });
    after(async () => {
      await sup?.stop();
      await sshd?.stop();
    });

    it("a healthy release, then one failing its gate: each log file from where the failed release's run started", async () => {
      const dir = join(work.path, 'supervisor', 'app');
      cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
      const port = await freePort();
      const logs = await firstHealthyThenFailing(dir, port, (failHealth) =>
        writeFileSync(
          join(dir, 'godeploy.yaml'),
          [
            'app:',
            '  name: deployapp',
            `  port: ${port}`,
            '  healthCheck:',
            '    path: /healthz',
            `    timeout: ${failHealth ? '4s' : '20s'}`,
            '    interval: 250ms',
            'environments:',
            '  prod:',
            '    type: ssh',
            '    hosts:',
            `      - host: 127.0.0.1\n        port: ${sshd.port}\n        user: ${sshd.user}\n        identityFile: ${sshd.identityFile}`,
            `    knownHostsFile: ${sshd.knownHostsFile}`,
            '    processManager: supervisor',
            `    path: ${join(work.path, 'supervisor', 'base')}`,
            '    supervisor:',
            `      configFile: ${sup.configFile}`,
            '      user: root',
            '      stopTimeout: 5s',
            ...(failHealth ? ['    env:', '      DEPLOYAPP_FAIL_HEALTH: "1"'] : []),
            '',
          ].join('\n'),
        ),
      );
      assert.match(logs, /deployapp second-build \S+ listening/, logs);
    });
  });

  describe('this machine (type: local, a detached process)', () => {
    it("a healthy release, then one failing its gate: the excerpt starts where the failed release's process started", async () => {
      const dir = join(work.path, 'local', 'app');
      const base = join(work.path, 'local', 'base');
      cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
      const port = await freePort();
      try {
        await firstHealthyThenFailing(dir, port, (failHealth) =>
          writeFileSync(
            join(dir, 'godeploy.yaml'),
            `${JSON.stringify(
              {
                app: { name: 'deployapp', port },
                environments: {
                  prod: {
                    type: 'local',
                    path: base,
                    healthCheck: { timeout: failHealth ? '3s' : '20s', interval: '250ms' },
                    ...(failHealth ? { env: { DEPLOYAPP_FAIL_HEALTH: '1' } } : {}),
                  },
                },
              },
              null,
              2,
            )}\n`,
          ),
        );
      } finally {
        // The first release serves again after the rollback: stop it.
        execFileSync('sh', ['-c', 'pid=$(cat "$1" 2>/dev/null) && kill "$pid"; true', 'sh', join(base, 'shared', 'deployapp.pid')]);
      }
    });
  });
});
