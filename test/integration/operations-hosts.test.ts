// `godeploy exec` and `godeploy restart|stop|start` over real SSH: two systemd hosts booted
// with systemd-nspawn (each in a network namespace of its own, the app on the same port) and
// one host that cannot be reached; then supervisor (a real supervisord reached through a real
// sshd). exec returns each host's output and the worst exit code and never puts a value in
// argv; restart gives the service a new pid behind the health gate; stop and start change its
// state as systemctl and supervisorctl see it.
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules, repoRoot } from '../support/paths';
import { runCliInTerminal } from './fixtures/cli';
import { copyDeployapp, remoteOk } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { startSupervisorHost, type SupervisorHost } from './fixtures/supervisord';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const SECRET = `ops-secret-${process.pid}-Qx9`;
const PLAIN = `plain-canary-${process.pid}-v7`;

describe('exec, restart, stop, start on real systemd hosts over SSH', function () {
  this.timeout(600_000);
  const work = tempDir('operations-systemd');
  let a: SystemdHost;
  let b: SystemdHost;

  const godeploy = (args: string[]): Promise<RunResult> =>
    run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv({ OPS_SECRET: SECRET }) });
  const mainPid = async (h: SystemdHost): Promise<number> => Number(await remoteOk(h, 'systemctl show --property=MainPID --value deployapp.service'));
  const active = (h: SystemdHost): Promise<string> => h.exec('systemctl is-active deployapp.service').then((r) => r.stdout.trim());

  before(async () => {
    [a, b] = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
    const port = await freePort();
    const closed = await freePort();
    copyDeployapp(work.path, [a, b]);
    const hostLines = (hs: { host: string; port: number; identityFile: string }[]): string[] => [
      '    hosts:',
      ...hs.map((h) => `      - host: ${h.host}\n        port: ${h.port}\n        user: root\n        identityFile: ${h.identityFile}`),
    ];
    const env = (name: string, hs: { host: string; port: number; identityFile: string }[]): string[] => [
      `  ${name}:`,
      '    type: ssh',
      ...hostLines(hs),
      '    knownHostsFile: known_hosts',
      '    path: /opt/deployapp',
    ];
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
        '  env:',
        `    PLAIN: ${PLAIN}`,
        '    TOKEN: ${secret:OPS_SECRET}',
        'environments:',
        ...env('pair', [a, b]),
        // The same hosts and a third that refuses connections.
        ...env('withdown', [a, b, { host: '127.0.0.1', port: closed, identityFile: a.identityFile }]),
        '',
      ].join('\n'),
    );
    const r = await godeploy(['deploy', 'pair']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    work.remove();
  });

  it("exec runs on both hosts in the release's folder with its env (read from the env file, never in argv); output prefixed per host; the worst exit code", async () => {
    let psLog = '';
    let watching = true;
    const watcher = (async () => {
      while (watching) psLog += (await a.exec('ps -eo args')).stdout;
    })();
    const r = await godeploy([
      'exec',
      'pair',
      '--',
      'sh',
      '-c',
      `sleep 1; ./deployapp printenv PLAIN TOKEN; hostname; [ "$(hostname)" = ${b.machine} ] && exec ./deployapp exit 7; exit 0`,
    ]);
    watching = false;
    await watcher;
    assert.equal(r.code, 7, r.stdout + r.stderr);
    const live = await remoteOk(a, 'readlink -f /opt/deployapp/current');
    for (const h of [a, b]) {
      const mine = r.stdout
        .split('\n')
        .filter((l) => l.startsWith(`${h.host} `))
        .map((l) => l.replace(/^\S+\s+\| /, ''));
      assert.deepEqual(mine, [`PLAIN=${PLAIN}`, 'TOKEN=***', `cwd=${live}`, h.machine], r.stdout);
    }
    assert.match(r.stderr, new RegExp(`^${b.host.replace(/\./g, '\\.')}\\s+\\| deployapp: exiting with 7$`, 'm'));
    assert.match(r.stderr, /^exec in pair: \S+ exit 0, \S+ exit 7$/m);
    assert.ok(psLog.includes('sleep 1'), 'the watch saw the command run');
    assert.ok(!psLog.includes(PLAIN) && !psLog.includes(SECRET), 'a value of the environment was in an argv on the host');
    assert.ok(!(r.stdout + r.stderr).includes(SECRET));
  });

  it('exec with a host that cannot be reached: the others report, the unreachable one is 255 and named', async () => {
    const r = await godeploy(['exec', 'withdown', '--accept-new-host-key', '--', './deployapp', 'printenv', 'PLAIN']);
    assert.equal(r.code, 255, r.stdout + r.stderr);
    for (const h of [a, b]) assert.match(r.stdout, new RegExp(`^${h.host.replace(/\./g, '\\.')}\\s+\\| PLAIN=${PLAIN}$`, 'm'));
    assert.match(r.stderr, /^godeploy: exec: 127\.0\.0\.1 \(.*\): .*(refused|ECONNREFUSED)/im);
    const one = await godeploy(['exec', 'pair', '--host', b.host, '--', './deployapp', 'exit', '0']);
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.match(one.stderr, new RegExp(`^${b.host.replace(/\./g, '\\.')} \\| deployapp: exiting with 0$`, 'm'));
    assert.ok(!one.stderr.includes(`${a.host} |`));
  });

  it('exec --tty: a session on one host in a pseudo-terminal over ssh, typed into; its exit code; two hosts without --host is a usage error', async () => {
    const both = await runCliInTerminal(work.path, ['exec', 'pair', '--tty', '--', './deployapp', 'prompt'], 'x\n', goEnv({ OPS_SECRET: SECRET }));
    assert.equal(both.code, 2, both.out + both.err);
    assert.match(both.out + both.err, /exec --tty opens a session on one host; pair has 2/);
    const r = await runCliInTerminal(
      work.path,
      ['exec', 'pair', '--host', b.host, '--tty', '--', './deployapp', 'prompt'],
      'four\n',
      goEnv({ OPS_SECRET: SECRET }),
    );
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.out, /terminal=true TERM=xterm-256color/, 'the remote command has a terminal');
    assert.match(r.out, /hello four/);
    const shell = await runCliInTerminal(
      work.path,
      ['exec', 'pair', '--host', b.host, '--tty'],
      'echo "plain=$PLAIN in $(pwd -P)"; exit 6\n',
      goEnv({ OPS_SECRET: SECRET }),
    );
    assert.equal(shell.code, 6, shell.out + shell.err);
    assert.match(shell.out, new RegExp(`plain=${PLAIN} in /opt/deployapp/releases/`));
  });

  it("restart: each host's service gets a new main pid and passes the health gate; --host restarts that host only", async () => {
    const before = await Promise.all([mainPid(a), mainPid(b)]);
    const r = await godeploy(['restart', 'pair']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of [a, b])
      assert.match(r.stdout, new RegExp(`^${h.host.replace(/\./g, '\\.')} \\(.*\\): restarted \\(active \\(running\\), pid \\d+\\), healthy`, 'm'));
    const after = await Promise.all([mainPid(a), mainPid(b)]);
    assert.notEqual(after[0], before[0]);
    assert.notEqual(after[1], before[1]);
    const only = await godeploy(['restart', 'pair', '--host', a.host]);
    assert.equal(only.code, 0, only.stdout + only.stderr);
    assert.notEqual(await mainPid(a), after[0]);
    assert.equal(await mainPid(b), after[1]);
  });

  it('stop: both units inactive, status exits 1; start: active and healthy again (exit 0)', async () => {
    const s = await godeploy(['stop', 'pair']);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    for (const h of [a, b]) assert.equal(await active(h), 'inactive');
    assert.equal((await godeploy(['status', 'pair'])).code, 1);
    const st = await godeploy(['start', 'pair', '--json']);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    const j = JSON.parse(st.stdout) as { ok: boolean; hosts: { before: { running: boolean }; after: { running: boolean }; health: { healthy: boolean } }[] };
    assert.deepEqual(
      j.hosts.map((h) => [h.before.running, h.after.running, h.health.healthy]),
      [
        [false, true, true],
        [false, true, true],
      ],
    );
    for (const h of [a, b]) assert.equal(await active(h), 'active');
    assert.equal((await godeploy(['status', 'pair'])).code, 0);
  });
});

describe('exec, restart, stop, start with supervisor (real supervisord over a real sshd)', function () {
  this.timeout(600_000);
  const work = tempDir('operations-supervisor');
  let sshd: SshdFixture;
  let sup: SupervisorHost;
  let port: number;
  const base = join(work.path, 'srv', 'deployapp');
  const app = join(work.path, 'app');

  const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', app, ...args], { timeoutMs: 300_000, env: goEnv() });
  const programPid = async (): Promise<number | null> => {
    const m = /RUNNING\s+pid (\d+)/.exec(await sup.ctl(['status', 'deployapp']));
    return m ? Number(m[1]) : null;
  };

  before(async () => {
    [sshd, sup] = await Promise.all([startSshd(), startSupervisorHost()]);
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), app, { recursive: true });
    writeFileSync(
      join(app, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        '  env:',
        `    PLAIN: ${PLAIN}`,
        'environments:',
        '  sup:',
        '    type: ssh',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${sshd.port}\n        user: ${sshd.user}\n        identityFile: ${sshd.identityFile}`,
        `    knownHostsFile: ${sshd.knownHostsFile}`,
        '    processManager: supervisor',
        `    path: ${JSON.stringify(base)}`,
        '    supervisor:',
        `      configFile: ${sup.configFile}`,
        '      user: root',
        '      stopTimeout: 5s',
        '',
      ].join('\n'),
    );
    const r = await godeploy(['deploy', 'sup']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    const left = await sup?.stop();
    await sshd?.stop();
    work.remove();
    assert.deepEqual(left ?? [], [], 'supervisord left processes behind');
  });

  it("exec: the program's env and folder, its exit code", async () => {
    const r = await godeploy(['exec', 'sup', '--', './deployapp', 'printenv', 'PLAIN', 'PORT']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const id = (await godeploy(['status', 'sup', '--json'])).stdout.match(/"live": "([^"]+)"/)![1];
    assert.equal(r.stdout, [`127.0.0.1 | PLAIN=${PLAIN}`, `127.0.0.1 | PORT=${port}`, `127.0.0.1 | cwd=${base}/releases/${id}`, ''].join('\n'));
    const failed = await godeploy(['exec', 'sup', '--', './deployapp', 'exit', '9']);
    assert.equal(failed.code, 9);
  });

  it('restart: a new pid, healthy; stop: STOPPED, nothing answers; start: RUNNING and healthy', async () => {
    const first = await programPid();
    assert.ok(first);
    const r = await godeploy(['restart', 'sup']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const second = await programPid();
    assert.ok(second && second !== first, `pid ${first} → ${second}`);
    assert.equal((await httpGet(port, '/healthz')).status, 200);
    const s = await godeploy(['stop', 'sup']);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(await sup.ctl(['status', 'deployapp']), /^deployapp\s+STOPPED/);
    await assert.rejects(httpGet(port, '/healthz'));
    const st = await godeploy(['start', 'sup']);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /: started \(running, pid \d+\), healthy \(200 OK\)/);
    assert.match(await sup.ctl(['status', 'deployapp']), /^deployapp\s+RUNNING/);
  });
});
