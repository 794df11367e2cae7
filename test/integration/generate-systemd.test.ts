// The generated systemd unit against the real systemd: offline analysis (verify, security)
// and a real Go service run under it on a booted systemd 252 host.
import * as assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { renderFiles } from '../../src/core/generate/generate';
import type { GenerateModel } from '../../src/core/generate/model';
import { renderSystemdUnit } from '../../src/core/generate/systemd';
import { LISTEN_FLAG, TRICKY_ARGV, yamlArgs } from '../support/launchArgs';
import { modelFor } from '../support/models';
import { buildStatic } from './fixtures/go';
import { scpTo } from './fixtures/sshd';
import { securityExposure, verifyUnit } from './fixtures/systemdAnalyze';
import { startSystemdHost, SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, portAccepts, tempDir, waitFor } from './fixtures/util';

const MODULES = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules');
const work = tempDir('gen-systemd');
after(() => work.remove());

const VARIANTS: Record<string, [fixture: string, yaml: string]> = {
  default: ['single', 'app:\n  name: hello\n'],
  notify: ['notify', 'app:\n  name: notify\n'],
  port80: ['single', 'app:\n  name: web\n  port: 80\n'],
  user: ['single', 'app:\n  name: hello\nsystemd:\n  user: svc-hello\n'],
  memory: ['single', 'app:\n  name: hello\nsystemd:\n  memoryMax: 512M\n  goMaxProcs: 2\n'],
  escaping: ['single', `app:\n  name: hello\n  env:\n    GREETING: ${JSON.stringify('say "hi", it\'s 100% $HOME \\ %n\ttab\nline 2')}\n`],
  systemd240: ['single', 'app:\n  name: hello\nsystemd:\n  version: 240\n'],
  args: ['argv', `app:\n  name: argv\n  portFlag: "${LISTEN_FLAG}"\n  args: ${yamlArgs(TRICKY_ARGV)}\n`],
};
const unitOf = async (variant: string): Promise<string> => renderSystemdUnit(await modelFor(...VARIANTS[variant]));

describe('generated systemd unit: systemd-analyze', () => {
  for (const variant of Object.keys(VARIANTS)) {
    it(`${variant}: verify prints nothing but the note about the not yet deployed binary`, async () => {
      const r = await verifyUnit('app.service', await unitOf(variant));
      const binary =
        variant === 'notify'
          ? '/opt/notify/current/notify'
          : variant === 'port80'
            ? '/opt/web/current/web'
            : variant === 'args'
              ? '/opt/argv/current/argv'
              : '/opt/hello/current/hello';
      const expected = `app.service: Command ${binary} is not executable: No such file or directory`;
      assert.deepEqual(r.lines, [expected], `systemd-analyze verify said:\n${r.lines.join('\n')}`);
    });
  }

  it('security --offline: exposure at most 1.5 behind a proxy, at most 2.0 binding port 80 itself', async () => {
    const scores: string[] = [];
    for (const variant of Object.keys(VARIANTS)) {
      const s = await securityExposure('app.service', await unitOf(variant));
      scores.push(`${variant} ${s.exposure}`);
      const limit = variant === 'port80' ? 2.0 : 1.5;
      assert.ok(s.exposure <= limit, `${variant}: exposure ${s.exposure} ${s.rating} > ${limit}\n${s.output}`);
      assert.equal(s.rating, 'OK', s.output);
    }
    process.stderr.write(`      (exposure: ${scores.join(', ')})\n`);
  });
});

/** A free TCP port below 1024 on 127.0.0.1 (this process runs as root to find one). */
async function freePrivilegedPort(): Promise<number> {
  for (let port = 1023; port > 900; port--) {
    const ok = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port between 901 and 1023 on 127.0.0.1');
}

describe('generated systemd unit: a real Go service on systemd 252', () => {
  let host: SystemdHost;
  const bins: Record<string, Promise<string>> = {};
  const binary = (fixture: string): Promise<string> =>
    (bins[fixture] ??= buildStatic(join(MODULES, fixture), join(work.path, fixture)).then((r) => {
      chmodSync(r.outFile, 0o755);
      return r.outFile;
    }));
  before(async () => {
    [host] = await Promise.all([startSystemdHost(), binary('single'), binary('notify'), binary('argv')]);
  });
  after(async () => {
    await host?.stop();
  });

  const sh = async (cmd: string): Promise<string> => {
    const r = await host.exec(cmd);
    assert.equal(r.code, 0, `${cmd}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const show = async (unit: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await sh(`systemctl show ${unit} -p ActiveState -p SubState -p Type -p MainPID -p Result`))
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
  const environOf = async (pid: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await sh(`cat /proc/${pid}/environ`))
        .split('\0')
        .filter(Boolean)
        .map((kv) => kv.split(/=(.*)/s).slice(0, 2)),
    );

  /** Lays out <base>/releases/r1/<name>, current -> releases/r1, the 0600 env file, and installs the unit (or the blue-green template unit). */
  async function deploy(m: GenerateModel, fixture: string, envFile: string, portTemplate = false): Promise<string> {
    const { base, binary: bin, envFile: envPath } = m.paths;
    const unit = `${m.app.name}${portTemplate ? '@' : ''}.service`;
    await sh(`mkdir -p ${base}/releases/r1 ${base}/shared && ln -sfn releases/r1 ${base}/current`);
    assert.equal((await scpTo(host, await binary(fixture), `${base}/releases/r1/${m.app.name}`)).code, 0);
    const local = join(work.path, `${m.app.name}.env`);
    writeFileSync(local, envFile);
    assert.equal((await scpTo(host, local, envPath)).code, 0);
    await sh(`chmod 0600 ${envPath} && chown root:root ${envPath} && test -x ${bin}`);
    writeFileSync(join(work.path, unit), renderSystemdUnit(m, { portTemplate }));
    assert.equal((await scpTo(host, join(work.path, unit), `/etc/systemd/system/${unit}`)).code, 0);
    await sh('systemctl daemon-reload');
    return unit;
  }

  async function healthy(port: number): Promise<void> {
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
      20_000,
      () => `nothing answered 200 on 127.0.0.1:${port}/healthz`,
    );
  }

  it('Type=simple: starts hardened as a dynamic user, answers /healthz, gets the env file and escaped values', async () => {
    const port = await freePort();
    const tricky = `say "hi", it's 100% $HOME \\ %n\ttab\nline 2`;
    // A JSON string is a YAML double-quoted scalar.
    const yaml = `app:\n  name: hello\n  port: ${port}\n  env:\n    TRICKY: ${JSON.stringify(tricky)}\nsystemd:\n  memoryMax: 512M\n  goMaxProcs: 2\n`;
    const unit = await deploy(await modelFor('single', yaml), 'single', "GREETING='hello from the env file'\n");
    await sh(`systemctl start ${unit}`);
    await healthy(port);
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    const s = await show(unit);
    assert.deepEqual([s.ActiveState, s.SubState, s.Type], ['active', 'running', 'simple']);
    const env = await environOf(s.MainPID);
    assert.equal(env.GREETING, 'hello from the env file');
    assert.equal(env.TRICKY, tricky, 'the value must reach the process unchanged');
    assert.equal(env.PORT, String(port));
    assert.deepEqual([env.GOMAXPROCS, env.GOMEMLIMIT], ['2', '460MiB']);
    const status = await sh(`cat /proc/${s.MainPID}/status`);
    assert.match(status, /^Uid:\s+([1-9]\d*)\s/m, 'runs as a non-root dynamic user');
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m, 'the system call filter is in force');
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.equal((await sh(`systemctl show ${unit} -p MemoryMax --value`)).trim(), String(512 * 1024 ** 2));
    await sh(`systemctl stop ${unit}`);
    assert.equal(await portAccepts(port), false, 'still listening after stop');
  });

  it('the syscall filter blocks setrlimit; EPERM (not SIGSYS) keeps Go alive when it raises RLIMIT_NOFILE', async () => {
    const port = await freePort();
    const unit = await deploy(await modelFor('single', `app:\n  name: rlimit\n  port: ${port}\n`), 'single', '');
    const dropIn = (text: string): Promise<string> =>
      sh(`mkdir -p /etc/systemd/system/${unit}.d && printf '${text}' > /etc/systemd/system/${unit}.d/test.conf && systemctl daemon-reload`);
    // Soft < hard: Go >= 1.19 calls setrlimit at start-up to raise the soft limit.
    await dropIn('[Service]\\nLimitNOFILE=1024:4096\\n');
    await sh(`systemctl start ${unit}`);
    await healthy(port);
    const s = await show(unit);
    assert.equal(s.ActiveState, 'active');
    assert.match(await sh(`grep 'open files' /proc/${s.MainPID}/limits`), /\s1024\s+4096\s/, 'setrlimit was filtered (limit not raised)');
    await sh(`systemctl stop ${unit}`);
    // Control: without SystemCallErrorNumber=EPERM the same filter kills the Go binary at start.
    await dropIn('[Service]\\nLimitNOFILE=1024:4096\\nSystemCallErrorNumber=\\nRestart=no\\n');
    await host.exec(`systemctl start ${unit}`);
    await waitFor(
      async () => (await show(unit)).ActiveState === 'failed',
      20_000,
      () => `${unit} did not fail without EPERM`,
    );
    assert.equal((await show(unit)).Result, 'signal');
    assert.match(await sh(`systemctl show ${unit} -p ExecMainStatus --value`), /^31\n$/, 'killed by SIGSYS (31)');
  });

  it('several processes: the api and the worker each run from their own unit, the worker with its own executable and args and no port', async () => {
    const port = await freePort();
    const yaml = `app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: ${port}\n    worker:\n      main: ./cmd/worker\n      args: [--queue, emails]\n      env: { QUEUE: emails }\n`;
    const model = await modelFor('shop', yaml);
    const base = model.paths.base;
    await sh(`mkdir -p ${base}/releases/r1 ${base}/shared && ln -sfn releases/r1 ${base}/current`);
    for (const exe of ['api', 'worker']) {
      const built = (await buildStatic(join(MODULES, 'shop', 'cmd', exe), join(work.path, `shop-${exe}`))).outFile;
      chmodSync(built, 0o755);
      assert.equal((await scpTo(host, built, `${base}/releases/r1/${exe}`)).code, 0);
      await sh(`: > ${base}/shared/shop-${exe}.env && chmod 0600 ${base}/shared/shop-${exe}.env`);
    }
    const units = await renderFiles(['systemd'], model, work.path);
    for (const u of units) {
      const name = u.relativePath.split('/').pop()!;
      writeFileSync(join(work.path, name), u.content);
      assert.equal((await scpTo(host, join(work.path, name), `/etc/systemd/system/${name}`)).code, 0);
    }
    await sh('systemctl daemon-reload && systemctl start shop-api.service shop-worker.service');
    await healthy(port);
    const api = await show('shop-api.service');
    assert.equal((await sh(`readlink /proc/${api.MainPID}/exe`)).trim(), `${base}/releases/r1/api`);
    assert.equal((await environOf(api.MainPID)).PORT, String(port));
    const worker = await show('shop-worker.service');
    assert.deepEqual([worker.ActiveState, worker.SubState], ['active', 'running']);
    assert.deepEqual((await sh(`cat /proc/${worker.MainPID}/cmdline`)).split('\0').slice(0, -1), [`${base}/current/worker`, '--queue', 'emails']);
    const env = await environOf(worker.MainPID);
    assert.equal(env.PORT, undefined, 'the worker gets no port');
    assert.equal(env.QUEUE, 'emails');
    await waitFor(
      async () => /worker started with \["--queue" "emails"\], queue "emails"/.test(await sh('journalctl -u shop-worker.service --no-pager -o cat')),
      10_000,
      () => 'the worker did not log its start',
    );
    await sh('systemctl stop shop-api.service shop-worker.service');
    assert.equal(await portAccepts(port), false, 'still listening after stop');
  });

  it('Type=notify: start waits for READY=1, which needs AF_UNIX', async () => {
    const port = await freePort();
    const unit = await deploy(
      await modelFor('notify', `app:\n  name: notify\n  port: ${port}\n  healthCheck:\n    timeout: 6s\n`),
      'notify',
      "GREETING='notify env'\n",
    );
    // Without AF_UNIX the app cannot notify: it listens, but the unit stays "activating" and times out.
    await sh(
      `mkdir -p /etc/systemd/system/${unit}.d && printf '[Service]\\nRestrictAddressFamilies=\\nRestrictAddressFamilies=AF_INET AF_INET6\\nRestart=no\\n' > /etc/systemd/system/${unit}.d/test.conf && systemctl daemon-reload`,
    );
    await sh(`systemctl start --no-block ${unit}`);
    await healthy(port);
    assert.deepEqual([(await show(unit)).ActiveState, (await show(unit)).Type], ['activating', 'notify']);
    await waitFor(
      async () => (await show(unit)).ActiveState === 'failed',
      20_000,
      () => `${unit} did not time out`,
    );
    assert.equal((await show(unit)).Result, 'timeout');
    // As generated: `systemctl start` returns only once READY=1 arrived, so it already answers.
    await sh(`rm -r /etc/systemd/system/${unit}.d && systemctl daemon-reload && systemctl reset-failed ${unit}`);
    await sh(`systemctl start ${unit}`);
    const s = await show(unit);
    assert.deepEqual([s.ActiveState, s.SubState, s.Type], ['active', 'running', 'notify']);
    assert.equal(await portAccepts(port), true, 'active before it listened');
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    assert.equal((await environOf(s.MainPID)).GREETING, 'notify env');
  });

  it('a port below 1024 binds as a dynamic user through AmbientCapabilities', async () => {
    const port = await freePrivilegedPort();
    const unit = await deploy(await modelFor('single', `app:\n  name: web\n  port: ${port}\n`), 'single', '');
    await sh(`systemctl start ${unit}`);
    await healthy(port);
    const s = await show(unit);
    assert.equal(s.ActiveState, 'active');
    const status = await sh(`cat /proc/${s.MainPID}/status`);
    assert.match(status, /^Uid:\s+[1-9]\d*\s/m);
    assert.match(status, /^CapEff:\s+0*400$/m, 'only CAP_NET_BIND_SERVICE');
    await sh(`systemctl stop ${unit}`);
  });

  it('arguments and a port flag reach the process exactly (/proc/PID/cmdline), in the unit and in a blue-green template instance', async () => {
    const port = await freePort();
    const yaml = (p: number | string) => `app:\n  name: argv\n  port: ${p}\n  portFlag: "${LISTEN_FLAG}"\n  args: ${yamlArgs(TRICKY_ARGV)}\n`;
    const argvOf = async (pid: string): Promise<string[]> => (await sh(`cat /proc/${pid}/cmdline`)).split('\0').slice(0, -1);
    const unit = await deploy(await modelFor('argv', yaml(port)), 'argv', '');
    await sh(`systemctl start ${unit}`);
    await healthy(port);
    const s = await show(unit);
    assert.deepEqual(await argvOf(s.MainPID), ['/opt/argv/current/argv', `--listen=127.0.0.1:${port}`, ...TRICKY_ARGV]);
    assert.equal((await environOf(s.MainPID)).PORT, undefined, 'the port goes only by flag');
    await sh(`systemctl stop ${unit}`);

    const idle = await freePort();
    const template = await deploy(await modelFor('argv', yaml(port)), 'argv', '', true);
    assert.equal(template, 'argv@.service');
    await sh(`systemctl start argv@${idle}.service`);
    await healthy(idle);
    const t = await show(`argv@${idle}.service`);
    assert.deepEqual(await argvOf(t.MainPID), ['/opt/argv/current/argv', `--listen=127.0.0.1:${idle}`, ...TRICKY_ARGV]);
    await sh(`systemctl stop argv@${idle}.service`);
  });
});

describe('generated systemd units of several processes (api + worker): systemd-analyze', () => {
  const SHOP_YAML =
    'app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n      systemd: { memoryMax: 512M }\n    worker:\n      main: ./cmd/worker\n      args: [--queue, emails]\n      env: { QUEUE: emails }\n';

  it('each unit verifies, with nothing but the note about its own not yet deployed executable, and keeps its exposure at most 1.5', async () => {
    const files = await renderFiles(['systemd'], await modelFor('shop', SHOP_YAML), work.path);
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/systemd/shop-api.service', 'deploy/systemd/shop-worker.service'],
    );
    for (const [file, executable] of [
      [files[0], 'api'],
      [files[1], 'worker'],
    ] as const) {
      const name = file.relativePath.split('/').pop()!;
      const r = await verifyUnit(name, file.content);
      assert.deepEqual(r.lines, [`${name}: Command /opt/shop/current/${executable} is not executable: No such file or directory`], r.lines.join('\n'));
      const s = await securityExposure(name, file.content);
      assert.ok(s.exposure <= 1.5, `${name}: exposure ${s.exposure}\n${s.output}`);
    }
  });
});
