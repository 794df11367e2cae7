// `godeploy doctor` against a real systemd host (systemd-nspawn, sshd on loopback) and
// this machine: the exit codes, the text and JSON output, host keys, a held port.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { fixtureModules, repoRoot } from '../support/paths';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, run, tempDir } from './fixtures/util';

interface Check {
  id: string;
  status: string;
  detail: string;
  hint: string | null;
}
interface Report {
  environment: string;
  hosts: { host: string; address: string; checks: Check[] }[];
}

async function doctor(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    json: (v) => {
      out += `${JSON.stringify(v)}\n`;
    },
    progress: () => undefined,
    cwd: dir,
    env: process.env,
  };
  const code = await main(['-C', dir, 'doctor', ...args], io);
  return { code, out, err };
}

async function doctorJson(dir: string, args: string[]): Promise<{ code: number; report: Report; err: string }> {
  const r = await doctor(dir, [...args, '--json']);
  return { code: r.code, report: JSON.parse(r.out) as Report, err: r.err };
}

const byId = (checks: Check[]): Record<string, Check> => Object.fromEntries(checks.map((c) => [c.id, c]));

/** SHA256:… of the public key line in an OpenSSH .pub / known_hosts line, as ssh-keygen -l prints it. */
function fingerprintOf(line: string): string {
  const blob = line
    .trim()
    .split(/\s+/)
    .find((f) => f.startsWith('AAAA'))!;
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

describe('godeploy doctor (real systemd host and this machine)', function () {
  this.timeout(300_000);
  const work = tempDir('doctor');
  let host: SystemdHost;
  let appPort: number;
  let closedPort: number;
  const servers: Server[] = [];

  before(async () => {
    host = await startSystemdHost();
    appPort = await freePort();
    closedPort = await freePort();
    cpSync(join(fixtureModules, 'single'), work.path, { recursive: true });
    cpSync(host.knownHostsFile, join(work.path, 'known_hosts'));
    writeFileSync(join(work.path, 'empty_known_hosts'), '');
    const hostEntry = `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}\n`;
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: hello',
        `  port: ${appPort}`,
        'build:',
        '  targets: [linux/amd64, linux/arm64]',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        hostEntry.trimEnd(),
        '    knownHostsFile: known_hosts',
        '    processManager: systemd',
        '    path: /opt/hello',
        '  fresh:',
        '    type: ssh',
        '    hosts:',
        hostEntry.trimEnd(),
        `      - host: 127.0.0.1\n        port: ${closedPort}\n        user: root\n        identityFile: ${host.identityFile}`,
        '    knownHostsFile: empty_known_hosts',
        '    processManager: systemd',
        '  dev:',
        '    type: local',
        `    path: ${join(work.path, 'local-base')}`,
        '  box:',
        '    type: docker',
        '    docker:',
        '      host: npipe:////./pipe/docker_engine',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    for (const s of servers) s.close();
    await host?.stop();
    work.remove();
  });

  it('an ssh environment on a healthy systemd host: every check ok (or a justified warning), exit 0', async () => {
    const { code, report, err } = await doctorJson(work.path, ['prod']);
    assert.equal(err, '');
    assert.equal(report.environment, 'prod');
    assert.equal(report.hosts.length, 1);
    assert.equal(report.hosts[0].address, `root@127.0.0.1:${host.port}`);
    const c = byId(report.hosts[0].checks);
    assert.deepEqual(Object.keys(c), [
      'reachable',
      'platform',
      'disk',
      'layout',
      'port',
      'process-manager',
      'open-files',
      'tzdata',
      'ca-certificates',
      'clock',
      // What `godeploy setup` prepares: missing before the first deploy, a warning pointing at setup.
      'setup-folders',
      'setup-service:hello.service',
      'setup-enabled:hello.service',
    ]);
    for (const k of ['setup-folders', 'setup-service:hello.service', 'setup-enabled:hello.service'])
      assert.deepEqual([c[k].status, c[k].hint], ['warn', 'run `godeploy setup prod`'], k);
    assert.equal(c.reachable.status, 'ok');
    assert.deepEqual([c.layout.status, c.layout.detail], ['ok', '/opt/hello does not exist yet; the first deploy makes it']);
    assert.equal(c.platform.detail, 'linux/amd64');
    assert.equal(c['process-manager'].detail, 'systemd 252');
    assert.deepEqual([c.port.status, c.port.detail], ['ok', `${appPort} is free`]);
    assert.match(c.disk.detail, /^[\d.]+ [MG]B free under \/opt \(/, '/opt/hello does not exist yet: its nearest existing parent is measured');
    assert.equal(c.clock.status, 'ok', "the container shares this machine's clock");
    for (const k of ['tzdata', 'ca-certificates', 'platform', 'disk']) assert.equal(c[k].status, 'ok', `${k}: ${c[k].detail}`);
    // The one warning allowed: a login shell's soft limit of 1024 (the service gets LimitNOFILE from its unit).
    assert.ok(
      c['open-files'].status === 'ok' || (c['open-files'].status === 'warn' && /LimitNOFILE=65536/.test(c['open-files'].hint ?? '')),
      JSON.stringify(c['open-files']),
    );
    assert.equal(code, 0);
  });

  it("the CLI end to end: text output, and exit 1 when app.port is held by a process outside the host's view", async () => {
    // The container shares this machine's network: a listener here is in its /proc/net/tcp,
    // but the process is in another PID namespace, so it cannot be named from inside.
    const srv = createServer();
    servers.push(srv);
    await new Promise<void>((resolve) => srv.listen(appPort, '127.0.0.1', resolve));
    const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
    const r = await run(process.execPath, [cli, '-C', work.path, 'doctor', 'prod'], { timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `127.0.0.1 (root@127.0.0.1:${host.port})`);
    assert.match(r.stdout, /^ {2}ok {3}platform {9}linux\/amd64$/m);
    assert.match(r.stdout, /^ {2}ok {3}process manager {2}systemd 252$/m);
    assert.match(r.stdout, new RegExp(`^  FAIL port {13}${appPort} \\(127\\.0\\.0\\.1\\) is held by a process outside the host's view \\(socket uid 0;`, 'm'));
    assert.match(r.stdout, /^ {24}hint: stop it, or give this environment another app\.port$/m);
    assert.match(r.stdout, /^prod: 1 host, 1 failed, \d warnings?$/m);
    srv.close();
    servers.pop();
  });

  it('names the process when it runs inside the host; the current release of the app is only a warning', async () => {
    const unit = `godeploy-doctor-holder-${process.pid}`;
    const started = await host.exec(`systemd-run --unit ${unit} /usr/bin/systemd-socket-activate -l 127.0.0.1:${appPort} /bin/cat`);
    assert.equal(started.code, 0, started.stderr);
    try {
      const listening = `grep -qi ':${appPort.toString(16).padStart(4, '0')} 00000000:0000 0A' /proc/net/tcp`;
      for (let i = 0; i < 100 && (await host.exec(listening)).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
      const { code, report } = await doctorJson(work.path, ['prod']);
      const port = byId(report.hosts[0].checks).port;
      assert.equal(port.status, 'fail');
      assert.match(
        port.detail,
        new RegExp(
          `^${appPort} \\(127\\.0\\.0\\.1\\) is held by pid \\d+ \\(/usr/bin/systemd-socket-activate\\): /usr/bin/systemd-socket-activate -l 127\\.0\\.0\\.1:${appPort} /bin/cat$`,
        ),
      );
      assert.equal(code, 1);
    } finally {
      await host.exec(`systemctl stop ${unit}`);
    }
    // The same program installed as the current release of this app: a warning, the deploy replaces it.
    // (In a base marked as this app's, with its layout: any other folder would fail the layout check.)
    const release = await host.exec(
      `mkdir -p /opt/hello/releases/1 /opt/hello/shared/logs /opt/hello/.godeploy && echo '{"app":"hello"}' > /opt/hello/.godeploy/base.json && cp /usr/bin/systemd-socket-activate /opt/hello/releases/1/hello && systemd-run --unit ${unit}-release /opt/hello/releases/1/hello -l 127.0.0.1:${appPort} /bin/cat`,
    );
    assert.equal(release.code, 0, release.stderr);
    try {
      const listening = `grep -qi ':${appPort.toString(16).padStart(4, '0')} 00000000:0000 0A' /proc/net/tcp`;
      for (let i = 0; i < 100 && (await host.exec(listening)).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
      const { code, report } = await doctorJson(work.path, ['prod']);
      const port = byId(report.hosts[0].checks).port;
      assert.equal(port.status, 'warn');
      assert.match(port.detail, new RegExp(`^${appPort} \\(127\\.0\\.0\\.1\\) is held by pid \\d+ \\(/opt/hello/releases/1/hello\\), the current release$`));
      assert.equal(code, 0);
    } finally {
      await host.exec(`systemctl stop ${unit}-release; rm -rf /opt/hello`);
    }
  });

  it('an unknown host key is refused with its fingerprint (the other host still reports), and recorded with --accept-new-host-key', async () => {
    const fingerprint = fingerprintOf(readFileSync(host.knownHostsFile, 'utf8'));
    const refused = await doctorJson(work.path, ['fresh']);
    assert.equal(refused.code, 1);
    assert.equal(refused.report.hosts.length, 2);
    const [first, second] = refused.report.hosts.map((h) => h.checks);
    assert.equal(first.length, 1, 'no checks run on a host that was not reached');
    assert.equal(first[0].status, 'fail');
    assert.match(first[0].detail, new RegExp(`host key of 127\\.0\\.0\\.1:${host.port} is not known: ssh-ed25519 ${fingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.match(first[0].hint ?? '', /--accept-new-host-key/);
    assert.deepEqual([second[0].status, second[0].detail], ['fail', `could not connect to 127.0.0.1:${closedPort}: connection refused`]);
    assert.equal(readFileSync(join(work.path, 'empty_known_hosts'), 'utf8'), '');

    const accepted = await doctorJson(work.path, ['fresh', '--accept-new-host-key']);
    const checks = byId(accepted.report.hosts[0].checks);
    assert.equal(checks.reachable.status, 'ok');
    assert.match(checks.reachable.detail, new RegExp(`new host key ssh-ed25519 ${fingerprint.replace(/[+/]/g, '\\$&')} recorded`));
    assert.equal(checks['process-manager'].detail, 'systemd 252');
    assert.equal(accepted.code, 1, 'the closed port still fails');
    assert.match(readFileSync(join(work.path, 'empty_known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.port} ssh-ed25519 AAAA`, 'm'));

    const again = await doctorJson(work.path, ['fresh']);
    assert.deepEqual(
      [byId(again.report.hosts[0].checks).reachable.status, byId(again.report.hosts[0].checks).reachable.detail],
      ['ok', 'host key verified, authenticated'],
    );
  });

  it('a local environment runs the checks on this machine', async () => {
    const { code, report } = await doctorJson(work.path, ['dev']);
    assert.deepEqual(
      report.hosts.map((h) => [h.host, h.address]),
      [['local', 'this machine']],
    );
    const c = byId(report.hosts[0].checks);
    assert.equal(c.platform.detail, 'linux/amd64');
    assert.equal(c['process-manager'].detail, 'none (processManager: none)');
    assert.match(c.disk.detail, new RegExp(`free under ${work.path.replace(/[.]/g, '\\.')} `));
    assert.equal(c.clock.status, 'ok');
    assert.equal(code, report.hosts[0].checks.some((x) => x.status === 'fail') ? 1 : 0);
  });

  it('usage errors exit 2: unknown environment (listing them), a docker engine at npipe:// (not supported), no environment', async () => {
    const unknown = await doctor(work.path, ['staging']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no environment "staging" in godeploy\.yaml\n {2}hint: environments: prod, fresh, dev, box/);
    const docker = await doctor(work.path, ['box']);
    assert.equal(docker.code, 2);
    assert.match(
      docker.err,
      /environments\.box\.docker\.host: npipe:\/\/\/\/\.\/pipe\/docker_engine: npipe:\/\/ engines \(Docker Desktop on Windows\) are not supported/,
    );
    assert.equal((await doctor(work.path, [])).code, 2);
  });
});
