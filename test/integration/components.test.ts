// Proves each integration fixture against the real component it starts: the outcome a
// user cares about (a command over ssh, a 200 from the deployed service, ...), not the plumbing.
import * as assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildScratchImage, docker, DockerEngine, ensureDockerEngine } from './fixtures/docker';
import { buildStatic, goEnv, goToolchain, isStaticElf } from './fixtures/go';
import { NginxFixture, nginxTest, startNginx } from './fixtures/nginx';
import { scpTo, SshdFixture, sshExec, startSshd } from './fixtures/sshd';
import { SupervisordFixture, startSupervisord } from './fixtures/supervisord';
import { securityExposure, verifyUnit } from './fixtures/systemdAnalyze';
import { startSystemdHost, SystemdHost } from './fixtures/systemdHost';
import { Daemon, freePort, httpGet, portAccepts, runOk, startDaemon, tempDir, waitFor } from './fixtures/util';

const SINGLE = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules', 'single');
const work = tempDir('components');
after(() => work.remove());

let helloBuild: Promise<string> | undefined;
/** The `single` module built once, statically, for every describe that deploys it. */
const helloBinary = (): Promise<string> => (helloBuild ??= buildStatic(SINGLE, join(work.path, 'hello')).then((r) => r.outFile));

async function healthy(port: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
    timeoutMs,
    () => `nothing answered 200 on http://127.0.0.1:${port}/healthz`,
  );
}

describe('sshd (real OpenSSH server and client)', () => {
  let sshd: SshdFixture;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  it('runs a command over ssh with a verified host key and returns its output', async () => {
    assert.match(sshd.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    const r = await sshExec(sshd, 'echo "hello $((40 + 2))"; id -un');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `hello 42\n${sshd.user}\n`);
    const known = await runOk('ssh-keygen', ['-l', '-E', 'sha256', '-F', `[127.0.0.1]:${sshd.port}`, '-f', sshd.knownHostsFile]);
    assert.ok(known.stdout.includes(sshd.hostKeyFingerprint), known.stdout);
  });

  it('refuses to connect when the host key is not in known_hosts', async () => {
    const empty = join(work.path, 'empty_known_hosts');
    writeFileSync(empty, '');
    const r = await sshExec({ ...sshd, knownHostsFile: empty }, 'echo should-not-run');
    assert.equal(r.code, 255);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Host key verification failed/);
  });
});

describe('Go toolchain', () => {
  it('reports its version and GOROOT', async () => {
    const go = await goToolchain();
    assert.match(go.version, /^go1\.\d+/);
    assert.ok(go.goroot.startsWith('/'), go.goroot);
  });

  it('builds the single module into a static binary that serves /healthz', async () => {
    const bin = await helloBinary();
    assert.ok(isStaticElf(bin), `${bin} is dynamically linked`);
    const info = await runOk('go', ['version', '-m', bin], { env: goEnv() });
    assert.match(info.stdout, /CGO_ENABLED=0/);
    assert.match(info.stdout, /-trimpath=true/);
    const port = await freePort();
    const svc: Daemon = startDaemon(bin, [], { env: { PORT: String(port) } });
    try {
      await healthy(port);
      assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    } finally {
      await svc.stop();
    }
  });
});

describe('Docker engine', () => {
  let engine: DockerEngine;
  const tag = `godeploy-it/hello:${process.pid}`;
  const name = `godeploy-it-hello-${process.pid}`;
  before(async () => {
    engine = await ensureDockerEngine();
  });
  after(async () => {
    await docker(['rm', '--force', name]);
    await docker(['rmi', '--force', tag]);
    await engine?.stop();
  });

  it('runs a FROM scratch image of the static binary with host networking', async () => {
    assert.match(engine.version, /^\d+\.\d+/);
    const imageId = await buildScratchImage(tag, await helloBinary());
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
    const port = await freePort();
    await runOk('docker', ['run', '--detach', '--name', name, '--network', 'host', '--env', `PORT=${port}`, tag], {
      env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}` },
    });
    await healthy(port);
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    await runOk('docker', ['rm', '--force', name]);
    await runOk('docker', ['rmi', tag]);
    assert.equal((await docker(['image', 'inspect', tag])).code, 1, 'image still present after rmi');
    assert.equal(await portAccepts(port), false, 'the container still answers after removal');
  });
});

describe('nginx', () => {
  let nginx: NginxFixture | undefined;
  let svc: Daemon | undefined;
  after(async () => {
    await nginx?.stop();
    await svc?.stop();
  });

  it('nginx -t accepts a valid site and rejects a broken one naming file:line', async () => {
    const good = await nginxTest('server {\n  listen 127.0.0.1:8080;\n  location / { proxy_pass http://127.0.0.1:8081; }\n}\n');
    assert.ok(good.ok, good.output);
    const bad = await nginxTest('server {\n  listen 127.0.0.1:8080;\n  location / { proxy_pass http://127.0.0.1:8081 }\n}\n');
    assert.equal(bad.ok, false);
    assert.match(bad.output, /\[emerg\]/);
    assert.ok(bad.output.includes(`${bad.file}:3`), bad.output);
  });

  it('proxies a request to the Go service on loopback', async () => {
    const backend = await freePort();
    svc = startDaemon(await helloBinary(), [], { env: { PORT: String(backend) } });
    await healthy(backend);
    nginx = await startNginx((port) => `server {\n  listen 127.0.0.1:${port};\n  location / { proxy_pass http://127.0.0.1:${backend}; }\n}\n`);
    const res = await fetch(`http://127.0.0.1:${nginx.port}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
    assert.match(res.headers.get('server') ?? '', /^nginx/);
  });
});

describe('systemd-analyze', () => {
  const unit = (extra: string): string => `[Unit]\nDescription=hello\n\n[Service]\nExecStart=/bin/true\n${extra}\n[Install]\nWantedBy=multi-user.target\n`;

  it('verify reports an unknown directive with its line', async () => {
    const clean = await verifyUnit('hello.service', unit(''));
    assert.deepEqual(
      clean.lines.filter((l) => /Unknown/i.test(l)),
      [],
    );
    const r = await verifyUnit('hello.service', unit('Restart=on-failure\nRestartSecondz=5\n'));
    assert.ok(
      r.lines.some((l) => /hello\.service:7: Unknown key.*'RestartSecondz'/.test(l)),
      r.lines.join('\n'),
    );
  });

  it('security returns an exposure number that drops for a hardened unit', async () => {
    const plain = await securityExposure('hello.service', unit(''));
    const hardened = await securityExposure(
      'hello.service',
      unit(
        [
          'DynamicUser=yes',
          'NoNewPrivileges=yes',
          'ProtectSystem=strict',
          'ProtectHome=yes',
          'PrivateTmp=yes',
          'PrivateDevices=yes',
          'ProtectKernelTunables=yes',
          'ProtectControlGroups=yes',
          'CapabilityBoundingSet=',
          'RestrictAddressFamilies=AF_INET AF_INET6',
          'SystemCallFilter=@system-service',
          '',
        ].join('\n'),
      ),
    );
    for (const s of [plain, hardened]) assert.ok(s.exposure >= 0 && s.exposure <= 10, s.output);
    assert.ok(plain.exposure > 9, `plain unit exposure ${plain.exposure}`);
    assert.ok(hardened.exposure < plain.exposure - 3, `hardened ${hardened.exposure} vs plain ${plain.exposure}`);
  });
});

describe('supervisord', () => {
  let sup: SupervisordFixture | undefined;
  after(async () => {
    await sup?.stop();
  });

  it('runs the Go binary as a program that answers on its health path', async () => {
    const port = await freePort();
    sup = await startSupervisord(`[program:hello]\ncommand=${await helloBinary()}\nenvironment=PORT="${port}"\nstartsecs=1\nautorestart=true\n`);
    await healthy(port);
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    const s = sup;
    await waitFor(
      async () => /RUNNING/.test(await s.ctl(['status', 'hello'])),
      10_000,
      () => 'hello never became RUNNING',
    );
    assert.match(await sup.ctl(['status', 'hello']), /^hello\s+RUNNING\s+pid \d+, uptime /);
    await sup.stop();
    sup = undefined;
    assert.equal(await portAccepts(port), false, 'the program outlived supervisord');
  });
});

describe('systemd host (systemd-nspawn)', () => {
  let host: SystemdHost | undefined;
  after(async () => {
    await host?.stop();
  });

  it('boots and accepts ssh with a verified host key', async () => {
    const started = Date.now();
    host = await startSystemdHost();
    process.stderr.write(`      (systemd host booted in ${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    const r = await host.exec('cat /proc/1/comm; systemctl is-system-running');
    assert.match(r.stdout, /^systemd\n(running|degraded)\n$/, r.stderr);
  });

  it('runs the Go binary copied in with scp as a transient unit reachable from here', async () => {
    assert.ok(host, 'the host did not boot');
    const port = await freePort();
    const bin = await helloBinary();
    chmodSync(bin, 0o755);
    const cp = await scpTo(host, bin, '/usr/local/bin/hello');
    assert.equal(cp.code, 0, cp.stderr);
    const run = await host.exec(`systemd-run --unit hello -p Environment=PORT=${port} /usr/local/bin/hello`);
    assert.equal(run.code, 0, run.stderr);
    await healthy(port);
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    assert.equal((await host.exec('systemctl is-active hello')).stdout.trim(), 'active');
    const journal = await host.exec('journalctl -u hello --no-pager -o cat');
    assert.match(journal.stdout, /Started hello\.service/, journal.stdout + journal.stderr);
  });

  it('shuts down cleanly, leaving nothing running', async () => {
    assert.ok(host, 'the host did not boot');
    const port = host.port;
    const started = Date.now();
    await host.stop();
    host = undefined;
    assert.ok(Date.now() - started < 20_000, `shutdown took ${Date.now() - started} ms`);
    assert.equal(await portAccepts(port), false, 'the host sshd still answers after stop()');
  });
});
