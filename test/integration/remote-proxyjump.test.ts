// ProxyJump (one hop, several hops, jumps of jumps), compression and encrypted identity
// files, for real: the target is a systemd host in a network namespace of its own
// (10.213.X.2), the jump hosts are OpenSSH servers on loopback that log at DEBUG1, so each
// test can read from the jump's own log that it opened the channel to the next hop.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { GoDeployError } from '../../src/core/errors';
import { connect, type ConnectOptions, type RemoteConnection } from '../../src/core/remote/connection';
import { resolveHost, type ResolvedHost } from '../../src/core/remote/sshConfig';
import { fixtureModules } from '../support/paths';
import { generateKey, knownHostsLine, type KeyPair } from './fixtures/sshd';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { Daemon, descendants, freePort, portAccepts, readText, requireTool, runOk, startDaemon, tail, tempDir, waitFor } from './fixtures/util';

interface JumpHost {
  name: string;
  port: number;
  /** `[127.0.0.1]:port ssh-ed25519 …` for known_hosts. */
  knownHostsLine: string;
  fingerprint: string;
  /** The listening sshd; every connection it serves is a child of it. */
  pid: number;
  log(): string;
  /** The `originator …, target HOST port PORT` channels this sshd opened, in order. */
  forwards(): string[];
  stop(): Promise<void>;
}

/** An OpenSSH server on a free loopback port authorizing `authorizedKeys`, logging at DEBUG1 to a file. */
async function startJumpHost(dir: string, name: string, authorizedKeys: string, extra: string[] = []): Promise<JumpHost> {
  await requireTool('/usr/sbin/sshd', 'the OpenSSH server (openssh-server)');
  const hostKey = await generateKey(join(dir, `${name}_host_key`), `jump-${name}`);
  const port = await freePort();
  const config = join(dir, `${name}_sshd_config`);
  const logFile = join(dir, `${name}_sshd.log`);
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey.privateKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      `PidFile ${join(dir, `${name}_sshd.pid`)}`,
      'LogLevel DEBUG1',
      ...extra,
      '',
    ].join('\n'),
  );
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const d: Daemon = startDaemon('/usr/sbin/sshd', ['-D', '-E', logFile, '-f', config]);
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  await waitFor(
    async () => {
      if (d.exited()) throw new Error(`sshd ${name} exited: ${d.output()}${tail(log())}`);
      return portAccepts(port);
    },
    15_000,
    () => `jump sshd ${name} did not listen on 127.0.0.1:${port}: ${tail(log())}`,
  );
  return {
    name,
    port,
    knownHostsLine: knownHostsLine('127.0.0.1', port, readText(hostKey.publicKey)),
    fingerprint: hostKey.fingerprint,
    pid: d.child.pid ?? 0,
    log,
    forwards: () => [...log().matchAll(/server_request_direct_tcpip: originator \S+ port \d+, target (\S+ port \d+)/g)].map((m) => m[1]),
    stop: () => d.stop('SIGTERM', 5000),
  };
}

async function rejectsWith(p: Promise<unknown>, check: (e: GoDeployError) => void): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GoDeployError, `expected a GoDeployError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  check(caught);
}

describe('ProxyJump, compression and encrypted keys (loopback jump hosts, a systemd host on a private network)', function () {
  this.timeout(300_000);
  const work = tempDir('proxyjump');
  const me = userInfo().username;
  let target: SystemdHost;
  let jumpKey: KeyPair;
  let j1: JumpHost;
  let j2: JumpHost;
  let noForward: JumpHost;
  let sshConfig = '';
  /** known_hosts with both jump hosts and the target. */
  let knownHosts = '';
  const conns: RemoteConnection[] = [];
  const opts = (extra: Partial<ConnectOptions> = {}): ConnectOptions => ({ knownHostsFile: knownHosts, sshConfigFile: sshConfig, timeoutMs: 20_000, ...extra });
  const open = async (alias: string, extra: Partial<ConnectOptions> = {}): Promise<RemoteConnection> => {
    const c = await connect(await resolveHost({ host: alias }, { configFile: sshConfig }), opts(extra));
    conns.push(c);
    return c;
  };
  const targetHostname = async (c: RemoteConnection): Promise<string> => {
    const r = await c.exec(['cat', '/etc/hostname']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const khWithout = (name: string, ...drop: string[]): string => {
    const file = join(work.path, name);
    writeFileSync(
      file,
      readText(knownHosts)
        .split('\n')
        .filter((l) => l && !drop.some((d) => l.startsWith(d)))
        .map((l) => `${l}\n`)
        .join(''),
    );
    return file;
  };

  before(async () => {
    target = await startSystemdHost({ network: 'private' });
    jumpKey = await generateKey(join(work.path, 'jump_key'), 'godeploy-test-jump-client');
    j1 = await startJumpHost(work.path, 'j1', jumpKey.publicKey);
    j2 = await startJumpHost(work.path, 'j2', jumpKey.publicKey);
    noForward = await startJumpHost(work.path, 'nofwd', jumpKey.publicKey, ['AllowTcpForwarding no']);
    sshConfig = join(work.path, 'ssh_config');
    const jump = (alias: string, port: number, more: string[] = []): string[] => [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${me}`,
      `  IdentityFile ${jumpKey.privateKey}`,
      '  IdentitiesOnly yes',
      ...more,
    ];
    const tgt = (alias: string, proxyJump: string): string[] => [
      `Host ${alias}`,
      `  HostName ${target.host}`,
      '  User root',
      `  IdentityFile ${target.identityFile}`,
      '  IdentitiesOnly yes',
      `  ProxyJump ${proxyJump}`,
    ];
    writeFileSync(
      sshConfig,
      [
        ...jump('j1', j1.port),
        ...jump('j2', j2.port),
        ...jump('nofwd', noForward.port),
        // A jump host with a jump of its own: OpenSSH goes through j1 first.
        ...jump('j2-via-j1', j2.port, ['  ProxyJump j1']),
        ...tgt('target', 'j1'),
        ...tgt('target2', 'j1,j2'),
        ...tgt('target-uri', `${me}@127.0.0.1:${j1.port}`),
        ...tgt('target3', 'j2-via-j1'),
        ...tgt('target-nofwd', 'nofwd'),
        // For the user@host:port form: the hop "127.0.0.1" takes its key from here.
        'Host 127.0.0.1',
        `  IdentityFile ${jumpKey.privateKey}`,
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
    knownHosts = join(work.path, 'known_hosts');
    writeFileSync(knownHosts, j1.knownHostsLine + j2.knownHostsLine + noForward.knownHostsLine + readText(target.knownHostsFile));
  });

  after(async () => {
    for (const c of conns) c.close();
    await Promise.all([j1?.stop(), j2?.stop(), noForward?.stop()]);
    await target?.stop();
    work.remove();
  });

  describe('ProxyJump', () => {
    it('resolves the alias with ssh -G -F: HostName on the private network, ProxyJump j1', async () => {
      const r = await resolveHost({ host: 'target' }, { configFile: sshConfig });
      assert.equal(r.hostname, target.host);
      assert.match(r.hostname, /^10\.213\.\d+\.2$/);
      assert.equal(r.port, 22);
      assert.equal(r.proxyJump, 'j1');
      assert.equal((await resolveHost({ host: 'target2' }, { configFile: sshConfig })).proxyJump, 'j1,j2');
    });

    it('runs commands on the target through one jump host, whose sshd opened the channel to it; close ends the chain', async () => {
      const before = j1.forwards().length;
      const c = await open('target');
      assert.equal(await targetHostname(c), target.machine);
      assert.deepEqual(c.via, ['j1']);
      assert.deepEqual(j1.forwards().slice(before), [`${target.host} port 22`], 'j1 opened exactly one direct-tcpip channel, to the target');
      assert.match(j1.log(), new RegExp(`Accepted publickey for ${me} from 127\\.0\\.0\\.1`));
      // The jump's sshd serves the connection in a child process: it goes away with the target's close.
      assert.ok(descendants(j1.pid).length > 0, 'the jump connection is open');
      c.close();
      await waitFor(
        async () => descendants(j1.pid).length === 0,
        10_000,
        () => `the connection to j1 stayed open after close(): ${descendants(j1.pid).join(', ')}`,
      );
    });

    it('goes through two jump hosts (ProxyJump j1,j2): j1 opens the channel to j2, j2 the one to the target', async () => {
      const [b1, b2] = [j1.forwards().length, j2.forwards().length];
      const c = await open('target2');
      assert.equal(await targetHostname(c), target.machine);
      assert.deepEqual(c.via, ['j1', 'j2']);
      assert.deepEqual(j1.forwards().slice(b1), [`127.0.0.1 port ${j2.port}`]);
      assert.deepEqual(j2.forwards().slice(b2), [`${target.host} port 22`]);
      const data = randomBytes(2 * 1024 * 1024 + 17);
      await c.upload(data, '/root/through-two-jumps', { mode: 0o640 });
      assert.equal((await c.exec(['sha256sum', '/root/through-two-jumps'])).stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
      c.close();
      await waitFor(
        async () => descendants(j1.pid).length === 0 && descendants(j2.pid).length === 0,
        10_000,
        () => 'jump connections stayed open after close()',
      );
    });

    it("takes the user@host:port form, and a jump host's own ProxyJump (j1 before j2-via-j1)", async () => {
      const b1 = j1.forwards().length;
      const c = await open('target-uri');
      assert.equal(await targetHostname(c), target.machine);
      assert.deepEqual(c.via, ['127.0.0.1']);
      assert.deepEqual(j1.forwards().slice(b1), [`${target.host} port 22`]);
      c.close();

      const [c1, c2] = [j1.forwards().length, j2.forwards().length];
      const d = await open('target3');
      assert.equal(await targetHostname(d), target.machine);
      assert.deepEqual(d.via, ['j1', 'j2-via-j1']);
      assert.deepEqual(j1.forwards().slice(c1), [`127.0.0.1 port ${j2.port}`]);
      assert.deepEqual(j2.forwards().slice(c2), [`${target.host} port 22`]);
      d.close();
    });

    it('refuses an unknown host key at the jump, naming the jump and its fingerprint, before authenticating there', async () => {
      const kh = khWithout('kh-no-j1', `[127.0.0.1]:${j1.port} `);
      const accepted = (j1.log().match(/Accepted publickey/g) ?? []).length;
      const before = readText(kh);
      await rejectsWith(open('target', { knownHostsFile: kh }), (e) => {
        assert.ok(
          e.message.startsWith(
            `could not reach target through jump j1 (${me}@127.0.0.1:${j1.port}; ProxyJump j1): the host key of 127.0.0.1:${j1.port} is not known`,
          ),
          e.message,
        );
        assert.ok(e.message.includes(j1.fingerprint), e.message);
        assert.match(e.hint ?? '', /--accept-new-host-key/);
      });
      assert.equal(readText(kh), before);
      assert.equal((j1.log().match(/Accepted publickey/g) ?? []).length, accepted, 'no authentication at the refused jump');
      // Accepted (the CLI flag): recorded under the jump's own name, then the target is reached.
      const c = await open('target', { knownHostsFile: kh, acceptNewHostKey: true });
      assert.equal(await targetHostname(c), target.machine);
      c.close();
      assert.ok(readText(kh).includes(j1.knownHostsLine.trim()), readText(kh));
    });

    it('refuses a CHANGED key at the second jump even with acceptNewHostKey; verifies the target under its own name', async () => {
      const impostor = await generateKey(join(work.path, 'impostor_key'), 'impostor');
      const kh = khWithout('kh-j2-changed', `[127.0.0.1]:${j2.port} `);
      writeFileSync(kh, readText(kh) + knownHostsLine('127.0.0.1', j2.port, readText(impostor.publicKey)));
      await rejectsWith(open('target2', { knownHostsFile: kh, acceptNewHostKey: true }), (e) => {
        assert.ok(
          e.message.startsWith(
            `could not reach target2 through jump j2 (${me}@127.0.0.1:${j2.port}; ProxyJump j1,j2): the host key of 127.0.0.1:${j2.port} has CHANGED`,
          ),
          e.message,
        );
      });
      const noTarget = khWithout('kh-no-target', `${target.host} `);
      await rejectsWith(open('target2', { knownHostsFile: noTarget }), (e) => {
        assert.ok(e.message.startsWith(`the host key of ${target.host}:22 is not known`), e.message);
      });
    });

    it('names the jump that cannot forward, and the one that cannot reach the next hop', async () => {
      await rejectsWith(open('target-nofwd'), (e) => {
        assert.match(
          e.message,
          new RegExp(
            `^could not reach target-nofwd \\(root@${target.host.replace(/\./g, '\\.')}:22\\) through jump nofwd \\(${me}@127\\.0\\.0\\.1:${noForward.port}; ProxyJump nofwd\\): jump nofwd could not open a connection to ${target.host.replace(/\./g, '\\.')}:22: administratively prohibited`,
          ),
          e.message,
        );
        assert.match(e.hint ?? '', /AllowTcpForwarding/);
      });
      await waitFor(
        async () => descendants(noForward.pid).length === 0,
        10_000,
        () => 'the connection to the jump stayed open after the failure',
      );
      const closed = await freePort();
      const host: ResolvedHost = { ...(await resolveHost({ host: 'target' }, { configFile: sshConfig })), proxyJump: `j1,${me}@127.0.0.1:${closed}` };
      await rejectsWith(connect(host, opts()), (e) => {
        assert.ok(
          e.message.startsWith(
            `could not reach target through jump 127.0.0.1 (${me}@127.0.0.1:${closed}; ProxyJump j1,${me}@127.0.0.1:${closed}): jump j1 could not open a connection to 127.0.0.1:${closed}: connection failed (refused or unreachable from the jump host)`,
          ),
          e.message,
        );
        assert.match(e.hint ?? '', /reachable from j1/);
      });
    });

    it('godeploy doctor on an environment whose host is the alias (sshConfigFile, relative to godeploy.yaml; compression on)', async () => {
      const dir = join(work.path, 'module');
      cpSync(join(fixtureModules, 'single'), dir, { recursive: true });
      copyFileSync(sshConfig, join(dir, 'ssh_config'));
      copyFileSync(knownHosts, join(dir, 'known_hosts'));
      writeFileSync(
        join(dir, 'godeploy.yaml'),
        [
          'app:',
          '  name: hello',
          `  port: ${await freePort()}`,
          'environments:',
          '  prod:',
          '    type: ssh',
          '    sshConfigFile: ssh_config',
          '    knownHostsFile: known_hosts',
          '    compression: true',
          '    path: /opt/hello',
          '    hosts:',
          '      - host: target2',
          '  fresh:',
          '    type: ssh',
          '    sshConfigFile: ssh_config',
          '    knownHostsFile: empty_known_hosts',
          '    hosts:',
          '      - host: target',
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'empty_known_hosts'), '');
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
          out += JSON.stringify(v);
        },
        progress: () => undefined,
        cwd: dir,
        env: process.env,
      };
      const [b1, b2] = [j1.forwards().length, j2.forwards().length];
      const code = await main(['-C', dir, 'doctor', 'prod', '--json'], io);
      const report = JSON.parse(out) as { hosts: { host: string; address: string; checks: { id: string; status: string; detail: string }[] }[] };
      const checks = Object.fromEntries(report.hosts[0].checks.map((c) => [c.id, c]));
      assert.equal(report.hosts[0].host, 'target2');
      assert.equal(report.hosts[0].address, `root@${target.host}:22`);
      assert.equal(checks.reachable.status, 'ok', JSON.stringify(checks.reachable) + err);
      assert.equal(checks.platform.detail, 'linux/amd64');
      assert.equal(checks['process-manager'].detail, 'systemd 252');
      assert.deepEqual(j1.forwards().slice(b1), [`127.0.0.1 port ${j2.port}`], 'doctor went through j1');
      assert.deepEqual(j2.forwards().slice(b2), [`${target.host} port 22`], 'and j2');
      assert.ok([0, 1].includes(code), err);

      // Every key on the way is new: recorded with --accept-new-host-key, the jump's named as such.
      out = '';
      await main(['-C', dir, 'doctor', 'fresh', '--json', '--accept-new-host-key'], io);
      const fresh = (JSON.parse(out) as typeof report).hosts[0].checks[0];
      assert.equal(fresh.status, 'ok', JSON.stringify(fresh));
      assert.match(
        fresh.detail,
        new RegExp(
          `^new host key jump 127\\.0\\.0\\.1:${j1.port} ssh-ed25519 ${j1.fingerprint.replace(/[+/]/g, '\\$&')}, ssh-ed25519 SHA256:\\S+ recorded in `,
        ),
        fresh.detail,
      );
      const recorded = readText(join(dir, 'empty_known_hosts'));
      assert.ok(recorded.includes(j1.knownHostsLine.trim()) && recorded.includes(`${target.host} ssh-ed25519 `), recorded);
    });
  });

  describe('compression', () => {
    const direct = (): ResolvedHost => ({
      alias: target.host,
      hostname: target.host,
      port: 22,
      user: 'root',
      identityFiles: [target.identityFile],
      identitiesOnly: true,
      userKnownHostsFiles: [],
    });

    it('negotiates zlib@openssh.com both ways when asked, and exec + upload + sha256 still agree', async () => {
      const c = await connect(direct(), opts({ compression: true }));
      conns.push(c);
      const n = c.negotiated?.();
      assert.ok(n, 'the handshake was recorded');
      assert.equal(n.cs.compress, 'zlib@openssh.com');
      assert.equal(n.sc.compress, 'zlib@openssh.com');
      assert.equal(await targetHostname(c), target.machine);
      // Half compressible text, half random: both directions of the stream through zlib.
      const data = Buffer.concat([Buffer.from('godeploy compression test line\n'.repeat(100_000)), randomBytes(1024 * 1024 + 3)]);
      await c.upload(data, '/root/compressed.bin', { mode: 0o600 });
      assert.equal((await c.exec(['stat', '-c', '%a %s', '/root/compressed.bin'])).stdout, `600 ${data.length}\n`);
      assert.equal((await c.exec(['sha256sum', '/root/compressed.bin'])).stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
      const back = await c.exec(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']);
      assert.equal(back.stdout, 'x'.repeat(3_000_000));
      c.close();
    });

    it('stays off by default', async () => {
      const c = await connect(direct(), opts());
      conns.push(c);
      assert.equal(c.negotiated?.()?.cs.compress, 'none');
      c.close();
    });

    it("compresses the target's connection through a jump host too", async () => {
      const c = await open('target2', { compression: true });
      assert.equal(c.negotiated?.()?.cs.compress, 'zlib@openssh.com');
      assert.equal(await targetHostname(c), target.machine);
      c.close();
    });
  });

  describe('encrypted identity files', () => {
    const PASS = 'correct horse battery';
    let enc = '';
    let savedEnv: string | undefined;
    const encHost = (): ResolvedHost => ({
      alias: target.host,
      hostname: target.host,
      port: 22,
      user: 'root',
      identityFiles: [enc],
      identitiesOnly: true,
      userKnownHostsFiles: [],
    });
    before(async () => {
      enc = join(work.path, 'enc_ed25519');
      copyFileSync(target.identityFile, enc);
      chmodSync(enc, 0o600);
      await runOk('ssh-keygen', ['-q', '-p', '-f', enc, '-P', '', '-N', PASS]);
      savedEnv = process.env.GODEPLOY_SSH_PASSPHRASE;
      delete process.env.GODEPLOY_SSH_PASSPHRASE;
    });
    after(() => {
      if (savedEnv !== undefined) process.env.GODEPLOY_SSH_PASSPHRASE = savedEnv;
    });

    const asker = (answers: (string | undefined)[]) => {
      const calls: [string, number][] = [];
      const accepted: string[] = [];
      return {
        calls,
        accepted,
        options: {
          askPassphrase: async (file: string, attempt: number) => {
            calls.push([file, attempt]);
            await new Promise((r) => setTimeout(r, 50));
            return answers[calls.length - 1];
          },
          onPassphraseAccepted: (file: string) => {
            accepted.push(file);
          },
        },
      };
    };

    it('asks once for the passphrase, then connects', async () => {
      const a = asker([PASS]);
      const c = await connect(encHost(), opts(a.options));
      assert.equal(await targetHostname(c), target.machine);
      c.close();
      assert.deepEqual(a.calls, [[enc, 1]]);
      assert.deepEqual(a.accepted, [enc]);
    });

    it('asks again after a wrong passphrase', async () => {
      const a = asker(['wrong-pass-1', PASS]);
      const c = await connect(encHost(), opts(a.options));
      c.close();
      assert.deepEqual(a.calls, [
        [enc, 1],
        [enc, 2],
      ]);
    });

    it('fails naming the key file after three wrong answers, never showing them', async () => {
      const a = asker(['wrong-pass-1', 'wrong-pass-2', 'wrong-pass-3', PASS]);
      await rejectsWith(connect(encHost(), opts(a.options)), (e) => {
        assert.equal(e.message, `the passphrase for ${enc} was wrong 3 times; not connecting`);
        assert.ok(!/wrong-pass/.test(`${e.message}${e.hint}`), 'no passphrase in the error');
      });
      assert.deepEqual(a.calls, [
        [enc, 1],
        [enc, 2],
        [enc, 3],
      ]);
    });

    it('skips the key when no passphrase is entered, and says so', async () => {
      const a = asker([undefined]);
      await rejectsWith(connect(encHost(), opts(a.options)), (e) =>
        assert.ok(e.message.includes(`skipped: ${enc} (encrypted; no passphrase entered)`), e.message),
      );
      assert.equal(a.calls.length, 1);
    });

    it('does not ask when GODEPLOY_SSH_PASSPHRASE decrypts the key, nor when ssh-agent lets it in', async () => {
      const a = asker([]);
      process.env.GODEPLOY_SSH_PASSPHRASE = PASS;
      try {
        (await connect(encHost(), opts(a.options))).close();
      } finally {
        delete process.env.GODEPLOY_SSH_PASSPHRASE;
      }
      const sock = join(work.path, 'agent.sock');
      const agent = startDaemon('ssh-agent', ['-D', '-a', sock]);
      const savedSock = process.env.SSH_AUTH_SOCK;
      try {
        await waitFor(
          async () => existsSync(sock),
          10_000,
          () => `ssh-agent did not start: ${agent.output()}`,
        );
        await runOk('ssh-add', ['-q', target.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
        process.env.SSH_AUTH_SOCK = sock;
        const c = await connect({ ...encHost(), identitiesOnly: false }, opts(a.options));
        assert.equal(await targetHostname(c), target.machine);
        c.close();
        // An agent that is gone is noted and passed over: the identity file still works.
        process.env.SSH_AUTH_SOCK = join(work.path, 'no-agent.sock');
        const a2 = asker([PASS]);
        (await connect({ ...encHost(), identitiesOnly: false }, opts(a2.options))).close();
        assert.deepEqual(a2.calls, [[enc, 1]]);
      } finally {
        if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = savedSock;
        await agent.stop();
      }
      assert.deepEqual(a.calls, [], 'never asked');
    });

    it("asks for a jump host's encrypted key too", async () => {
      const encJump = join(work.path, 'enc_jump');
      copyFileSync(jumpKey.privateKey, encJump);
      chmodSync(encJump, 0o600);
      await runOk('ssh-keygen', ['-q', '-p', '-f', encJump, '-P', '', '-N', PASS]);
      const cfg = join(work.path, 'ssh_config_enc');
      writeFileSync(cfg, readText(sshConfig).replaceAll(`IdentityFile ${jumpKey.privateKey}`, `IdentityFile ${encJump}`));
      const a = asker([PASS]);
      const c = await connect(await resolveHost({ host: 'target' }, { configFile: cfg }), opts({ ...a.options, sshConfigFile: cfg }));
      assert.equal(await targetHostname(c), target.machine);
      c.close();
      assert.deepEqual(a.calls, [[encJump, 1]]);
    });
  });
});
