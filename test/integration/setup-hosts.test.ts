// `godeploy setup` on a real systemd host (booted with systemd-nspawn, a network namespace of
// its own) with systemd.user and an nginx key: --dry-run changes nothing, doctor reports the
// items missing, setup creates the system user (no login shell), the folders, installs and
// enables the unit and the nginx site (nginx -t), the first deploy after it installs nothing
// (its unit is unchanged) and the service answers through nginx; a second setup changes
// nothing; doctor reports every item ok; a deploy whose unit names a missing user fails its
// preflight naming setup and creates no user.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

describe('godeploy setup on a real systemd host with nginx', function () {
  this.timeout(900_000);
  const work = tempDir('setup-hosts');
  let host: SystemdHost;

  const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv() });
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  // What setup may change on the host, as text.
  const snapshot = (): Promise<string> =>
    host
      .exec(
        'getent passwd shop; ls -la /etc/systemd/system/ /etc/nginx/sites-available/ /etc/nginx/sites-enabled/ /opt/ 2>&1; ' +
          'ls -laR /opt/deployapp 2>&1; systemctl is-enabled deployapp.service 2>&1; systemctl is-active nginx 2>&1; true',
      )
      .then((r) => r.stdout);

  before(async () => {
    host = await startSystemdHost({ network: 'private' });
    copyDeployapp(work.path, [host]);
    const env = (name: string, path: string, user: string): string[] => [
      `  ${name}:`,
      '    type: ssh',
      '    hosts:',
      `      - host: ${host.host}\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
      '    knownHostsFile: known_hosts',
      `    path: ${path}`,
      '    systemd:',
      `      user: ${user}`,
      '      journal:',
      '        maxUse: 64M',
      '    nginx:',
      '      listen: 80',
    ];
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8080',
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        'environments:',
        ...env('prod', '/opt/deployapp', 'shop'),
        ...env('ghost', '/opt/ghostapp', 'ghost'),
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  it('--dry-run prints each item with its commands and changes nothing on the host', async () => {
    const before = await snapshot();
    const r = await godeploy(['setup', 'prod', '--dry-run']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /useradd --system --no-create-home --shell \/usr\/sbin\/nologin shop/);
    assert.match(r.stdout, /write \/etc\/systemd\/system\/deployapp\.service/);
    assert.match(r.stdout, /nginx -t/);
    assert.match(r.stdout, /journald\.conf\.d\/deployapp\.conf/);
    assert.equal(await snapshot(), before);
  });

  it('doctor before setup: each setup item is missing and points at godeploy setup', async () => {
    const r = await godeploy(['doctor', 'prod']);
    assert.match(r.stdout, /WARN service user\s+missing: no user shop/);
    assert.match(r.stdout, /WARN unit\s+missing: \/etc\/systemd\/system\/deployapp\.service/);
    assert.match(r.stdout, /WARN nginx site\s+missing: \/etc\/nginx\/sites-available\/deployapp\.conf/);
    assert.match(r.stdout, /hint: run `godeploy setup prod`/);
  });

  it('a deploy whose unit names a user that does not exist fails its preflight, naming setup, and creates no user', async () => {
    const r = await godeploy(['deploy', 'ghost']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /the service runs as user ghost, who does not exist/);
    assert.match(r.stdout + r.stderr, /godeploy setup ghost/);
    assert.equal((await host.exec('getent passwd ghost')).code, 2);
  });

  it('setup creates the system user (nologin), the folders, the unit (enabled), the nginx site (nginx -t) and the journald drop-in', async () => {
    const r = await godeploy(['setup', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /created\s+service user: system user shop/);
    assert.match(r.stdout, /installed\s+unit: \/etc\/systemd\/system\/deployapp\.service/);
    // Enabled by the unit's install (daemon-reload, enable) already, or by its own item.
    assert.match(r.stdout, /(installed|unchanged)\s+unit enabled: deployapp\.service enabled/);
    assert.match(r.stdout, /installed\s+nginx site: \/etc\/nginx\/sites-available\/deployapp\.conf .*nginx -t ok/);
    const [, , uid, , , home, shell] = (await remote('getent passwd shop')).split(':');
    const sysMax = Number((await remote("sed -n 's/^SYS_UID_MAX[[:space:]]*//p' /etc/login.defs")) || 999);
    assert.ok(Number(uid) > 0 && Number(uid) <= sysMax, `uid ${uid} is a system uid (≤ ${sysMax})`);
    assert.equal(shell, '/usr/sbin/nologin');
    assert.equal((await host.exec(`test -d ${home}`)).code === 0 && home.startsWith('/home/'), false, 'no home was made');
    assert.equal(await remote('systemctl is-enabled deployapp.service'), 'enabled');
    assert.match(await remote('cat /etc/systemd/system/deployapp.service'), /^User=shop$/m);
    assert.equal(await remote('readlink /etc/nginx/sites-enabled/deployapp.conf'), '../sites-available/deployapp.conf');
    await remote('nginx -t 2>&1');
    assert.equal(await remote('systemctl is-active nginx'), 'active');
    assert.equal(await remote('stat -c "%U %a" /opt/deployapp /opt/deployapp/releases /opt/deployapp/shared'), 'root 755\nroot 755\nroot 755');
    assert.match(await remote('cat /etc/systemd/journald.conf.d/deployapp.conf'), /^SystemMaxUse=64M$/m);
  });

  it('a second setup changes nothing and says so per item', async () => {
    const before = await snapshot();
    const r = await godeploy(['setup', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const items = r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    assert.ok(items.length >= 6, r.stdout);
    for (const l of items) assert.match(l, /^ {2}unchanged /, r.stdout);
    assert.match(r.stdout, /setup prod: done, everything unchanged/);
    assert.equal(await snapshot(), before);
  });

  it('doctor after setup: every setup item is ok', async () => {
    const r = await godeploy(['doctor', 'prod']);
    for (const [title, detail] of [
      ['service user', 'user shop exists'],
      ['folders', '/opt/deployapp and its folders'],
      ['unit', '/etc/systemd/system/deployapp.service'],
      ['unit enabled', 'deployapp.service enabled'],
      ['nginx site', '/etc/nginx/sites-available/deployapp.conf installed and enabled'],
      ['journald', '/etc/systemd/journald.conf.d/deployapp.conf'],
    ])
      assert.match(r.stdout, new RegExp(`^  ok {3}${title} +${detail.replace(/[./]/g, '\\$&')}`, 'm'), r.stdout);
    assert.doesNotMatch(r.stdout, /missing:/);
  });

  it('the first deploy after setup installs nothing (the unit is unchanged) and the service answers through nginx as shop', async () => {
    const r = await godeploy(['deploy', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /\/etc\/systemd\/system\/deployapp\.service unchanged/);
    const res = await fetch(`http://${host.address}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /build-0/);
    assert.equal(await remote('ps -o user= -p "$(systemctl show --property=MainPID --value deployapp.service)"'), 'shop');
  });
});
