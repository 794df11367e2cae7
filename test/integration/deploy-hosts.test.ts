// One environment, two real systemd hosts (each in a network namespace of its own, so both
// run the app on the same port): a parallel deploy, rolling batches in order, and a host
// failing its health gate taking the whole environment back to the previous release.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

describe('deploy to two real systemd hosts: parallel, rolling, rollback of the environment', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-hosts');
  let a: SystemdHost;
  let b: SystemdHost;
  let buildNo = 0;

  const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv() });
  const remote = remoteOk;
  const live = (h: SystemdHost) => remote(h, 'readlink /opt/deployapp/current');
  const nextBuild = (): void => setDeployappBuild(work.path, `hosts-${++buildNo}`);
  const deployed = (r: RunResult): string => {
    const ids = [...r.stdout.matchAll(/: live on (\S+)$/gm)].map((m) => m[1]);
    assert.equal(ids.length, 2, r.stdout);
    assert.equal(ids[0], ids[1]);
    return ids[0];
  };
  /** The line index of the first output line matching re. */
  const lineOf = (out: string, re: RegExp): number => out.split('\n').findIndex((l) => re.test(l));
  const esc = (s: string) => s.replace(/\./g, '\\.');

  before(async () => {
    [a, b] = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
    const port = await freePort();
    copyDeployapp(work.path, [a, b]);
    const hosts = [
      '    hosts:',
      ...[a, b].map((h) => `      - host: ${h.host}\n        port: ${h.port}\n        user: root\n        identityFile: ${h.identityFile}`),
    ];
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 5s',
        '    interval: 250ms',
        'environments:',
        '  pair:',
        '    type: ssh',
        ...hosts,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '  rolling:',
        '    type: ssh',
        ...hosts,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    rollout:',
        '      batch: 1',
        // The same environments, where the new release fails its health check on host b only:
        // a preDeploy hook adds the variable to that release's env file there (the releases
        // already live stay healthy, so switching back works).
        ...['pair', 'rolling'].flatMap((e) => [
          `  ${e}-bfails:`,
          '    type: ssh',
          ...hosts,
          '    knownHostsFile: known_hosts',
          '    path: /opt/deployapp',
          ...(e === 'rolling' ? ['    rollout:', '      batch: 1'] : []),
          '    hooks:',
          '      preDeploy:',
          `        - 'if [ "$(hostname)" = "${b.machine}" ]; then echo DEPLOYAPP_FAIL_HEALTH=1 >> deployapp.env; fi'`,
        ]),
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    work.remove();
  });

  it('parallel: both hosts go live on the same release; every output line names its host', async () => {
    nextBuild();
    const r = await godeploy(['deploy', 'pair']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const id = deployed(r);
    for (const h of [a, b]) {
      assert.equal(await live(h), `releases/${id}`);
      assert.equal(await remote(h, 'systemctl is-active deployapp.service'), 'active');
      assert.match(r.stdout, new RegExp(`^\\[${esc(h.host)}\\] health: healthy after`, 'm'));
      assert.match(r.stdout, new RegExp(`^\\[${esc(h.host)}\\] binary: uploaded`, 'm'));
    }
    const s = await godeploy(['status', 'pair', '--json']);
    assert.equal(s.code, 0, s.stdout);
    const st = JSON.parse(s.stdout) as { hosts: { host: string; live: string; health: { healthy: boolean } }[] };
    assert.deepEqual(
      st.hosts.map((h) => [h.host, h.live, h.health.healthy]),
      [
        [a.host, id, true],
        [b.host, id, true],
      ],
    );
  });

  it('rolling batches of 1: the first host passes its health gate before the second switches', async () => {
    nextBuild();
    const r = await godeploy(['deploy', 'rolling']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const id = deployed(r);
    const aHealthy = lineOf(r.stdout, new RegExp(`^\\[${esc(a.host)}\\] health: healthy`));
    const bSwitch = lineOf(r.stdout, new RegExp(`^\\[${esc(b.host)}\\] switch:`));
    assert.ok(aHealthy >= 0 && bSwitch > aHealthy, `expected ${a.host} healthy (line ${aHealthy}) before ${b.host} switches (line ${bSwitch}):\n${r.stdout}`);
    for (const h of [a, b]) assert.equal(await live(h), `releases/${id}`);
  });

  for (const env of ['rolling', 'pair']) {
    it(`${env}: the second host fails its health gate: it switches back, the first host is taken back too, exit 1`, async () => {
      const before = await live(a);
      assert.equal(await live(b), before);
      nextBuild();
      const r = await godeploy(['deploy', `${env}-bfails`]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`^\\[${esc(b.host)}\\] .*failing the health check on purpose`, 'm'), "host b shows its failed release's log lines");
      assert.match(r.stdout, new RegExp(`^\\[${esc(a.host)}\\] rollback: ${esc(before.replace('releases/', ''))} is live again and healthy`, 'm'));
      assert.match(r.stdout, new RegExp(`^${esc(a.host)} \\(root@${esc(a.host)}:22\\): rolled back to \\S+: another host failed its health gate$`, 'm'));
      for (const h of [a, b]) {
        assert.equal(await live(h), before, `${h.host} is not back on the previous release`);
        assert.equal(await remote(h, 'systemctl is-active deployapp.service'), 'active');
        assert.equal(await remote(h, 'test -e /opt/deployapp/.godeploy/lock && echo held || echo free'), 'free');
        const last = JSON.parse(await remote(h, 'tail -n 1 /opt/deployapp/.godeploy/history.jsonl')) as { result: string };
        assert.equal(last.result, 'rolled-back');
      }
      const s = await godeploy(['status', env, '--json']);
      assert.equal(s.code, 0, `after the rollback both hosts serve and are healthy: ${s.stdout}`);
    });
  }
});
