// The ssh2-based remote layer against a real OpenSSH sshd on loopback: host-key checks
// before authentication, exec with exact argv, SFTP modes, local forwarding, clear errors.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CancellationSource } from '../../src/core/cancellation';
import { GoDeployError } from '../../src/core/errors';
import { connect, type ConnectOptions, type RemoteConnection } from '../../src/core/remote/connection';
import { resolveHost, type ResolvedHost } from '../../src/core/remote/sshConfig';
import { generateKey, SshdFixture, sshExec, startSshd } from './fixtures/sshd';
import { Daemon, freePort, httpGet, portAccepts, readText, runOk, startDaemon, tempDir, waitFor } from './fixtures/util';

const NASTY: string[] = [
  'plain',
  'with space',
  '',
  "it's",
  '"double"',
  'both \' and "',
  '$HOME',
  '${HOME}',
  '`id`',
  '$(id)',
  '$((1+1))',
  '!',
  '!!',
  'a!b',
  '*',
  '?',
  '[a-z]',
  '{a,b}',
  '~',
  '~/x',
  '-n',
  '--',
  'a\nb',
  '\n',
  '\ttab',
  'back\\slash',
  '\\',
  "'",
  'x=1',
  'a;b',
  'a|b',
  'a&b',
  '<in',
  '#comment',
  'é ü 日本',
  '\r',
  '\'$x\'"$(y)"`z`\\',
  '%s',
  'trailing\\',
];

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

describe('remote access over ssh2 (real sshd)', function () {
  this.timeout(120_000);
  const work = tempDir('remote-ssh');
  let sshd: SshdFixture;
  let host: ResolvedHost;
  let conn: RemoteConnection | undefined;
  const opts = (extra: Partial<ConnectOptions> = {}): ConnectOptions => ({ knownHostsFile: sshd.knownHostsFile, timeoutMs: 15_000, ...extra });

  before(async () => {
    sshd = await startSshd();
    host = {
      alias: sshd.host,
      hostname: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFiles: [sshd.identityFile],
      identitiesOnly: true,
      userKnownHostsFiles: [],
    };
  });
  after(async () => {
    conn?.close();
    await sshd?.stop();
    work.remove();
  });

  describe('an open connection', () => {
    before(async () => {
      conn = await connect(host, opts());
    });

    it('runs commands with a verified host key', async () => {
      const r = await conn!.exec(['id', '-un']);
      assert.deepEqual(r, { code: 0, stdout: `${sshd.user}\n`, stderr: '' });
    });

    it('round-trips nasty argv byte-for-byte, through the login shell and a nested sh -c', async () => {
      const direct = await conn!.exec(['printf', '%s\\0', ...NASTY]);
      assert.equal(direct.code, 0, direct.stderr);
      assert.deepEqual(direct.stdout.split('\0').slice(0, -1), NASTY);
      const nested = await conn!.exec(['sh', '-c', 'printf "%s\\0" "$@"', 'sh', ...NASTY]);
      assert.equal(nested.code, 0, nested.stderr);
      assert.deepEqual(nested.stdout.split('\0').slice(0, -1), NASTY);
    });

    it('passes stdin and separates stdout from stderr', async () => {
      const r = await conn!.exec(['sh', '-c', 'cat; echo oops >&2'], { stdin: 'line 1\nline 2\n' });
      assert.deepEqual(r, { code: 0, stdout: 'line 1\nline 2\n', stderr: 'oops\n' });
    });

    it('propagates exit codes and signals', async () => {
      assert.equal((await conn!.exec(['sh', '-c', 'exit 7'])).code, 7);
      assert.equal((await conn!.exec(['false'])).code, 1);
      const killed = await conn!.exec(['sh', '-c', 'kill -TERM $$']);
      assert.equal(killed.code, null);
      assert.equal(killed.signal, 'SIGTERM');
    });

    it('cancels a running command', async () => {
      const src = new CancellationSource();
      const started = Date.now();
      setTimeout(() => src.cancel(), 300);
      const pidFile = join(work.path, 'sleep.pid');
      await rejectsWith(conn!.exec(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { token: src.token }), (e) =>
        assert.match(e.message, /cancelled/),
      );
      assert.ok(Date.now() - started < 5_000);
      assert.equal((await conn!.exec(['echo', 'still usable'])).stdout, 'still usable\n');
      // sshd may ignore the KILL request: end the command we started, by its pid.
      try {
        process.kill(Number(readText(pidFile).trim()), 'SIGKILL');
      } catch {
        /* already gone */
      }
    });

    it('uploads buffers and files over SFTP with the exact mode, also over an existing 0644 file', async () => {
      const env = join(work.path, 'app.env');
      await conn!.upload(Buffer.from('TOKEN=s3cr3t\n'), env, { mode: 0o600 });
      assert.equal((await conn!.exec(['stat', '-c', '%a', env])).stdout, '600\n');
      assert.equal(readFileSync(env, 'utf8'), 'TOKEN=s3cr3t\n');
      writeFileSync(env, 'old contents that are longer than the new ones\n');
      chmodSync(env, 0o644);
      await rejectsWith(conn!.upload(join(work.path, 'no-such-local-file'), env, { mode: 0o600 }), (e) =>
        assert.match(e.message, /could not read .*no-such-local-file/),
      );
      assert.equal((await conn!.exec(['stat', '-c', '%a', env])).stdout, '644\n'); // untouched by the failed upload
      await conn!.upload(Buffer.from('SECRET=2\n'), env, { mode: 0o600 });
      assert.equal((await conn!.exec(['stat', '-c', '%a', env])).stdout, '600\n');
      assert.equal(readFileSync(env, 'utf8'), 'SECRET=2\n');

      const local = join(work.path, 'binary.local');
      const data = randomBytes(3 * 1024 * 1024 + 123);
      writeFileSync(local, data);
      const remote = join(work.path, 'binary.remote');
      await conn!.upload(local, remote, { mode: 0o755 });
      assert.equal((await conn!.exec(['stat', '-c', '%a %s', remote])).stdout, `755 ${data.length}\n`);
      const sum = (await conn!.exec(['sha256sum', remote])).stdout.split(' ')[0];
      assert.equal(sum, createHash('sha256').update(data).digest('hex'));
    });

    it('names the remote path when an upload fails', async () => {
      await rejectsWith(conn!.upload(Buffer.from('x'), '/nonexistent-dir/file', { mode: 0o600 }), (e) =>
        assert.match(e.message, /127\.0\.0\.1:\d+:\/nonexistent-dir\/file/),
      );
    });

    it('forwards a local port to a server on the host', async () => {
      const port = await freePort();
      let web: Daemon | undefined;
      try {
        web = startDaemon(process.execPath, ['-e', `require('http').createServer((q, s) => s.end('tunnel ok ' + q.url)).listen(${port}, '127.0.0.1')`]);
        await waitFor(
          () => portAccepts(port),
          10_000,
          () => `test web server did not start: ${web?.output()}`,
        );
        const fwd = await conn!.forwardLocal(port);
        assert.notEqual(fwd.localPort, port);
        for (const path of ['/a', '/b']) assert.deepEqual(await httpGet(fwd.localPort, path), { status: 200, body: `tunnel ok ${path}` });
        await fwd.close();
        assert.equal(await portAccepts(fwd.localPort), false);
      } finally {
        await web?.stop();
      }
    });

    it('refuses NUL bytes in argv before sending anything', async () => {
      await rejectsWith(conn!.exec(['echo', 'a\0b']), (e) => assert.match(e.message, /NUL/));
    });
  });

  describe('host keys', () => {
    it('refuses an unknown host key without acceptNewHostKey, showing its SHA256 fingerprint', async () => {
      const kh = join(work.path, 'kh-unknown');
      writeFileSync(kh, '');
      await rejectsWith(connect(host, opts({ knownHostsFile: kh })), (e) => {
        assert.ok(e.message.includes(sshd.hostKeyFingerprint), e.message);
        assert.match(e.message, /not known/);
        assert.match(e.hint ?? '', /--accept-new-host-key/);
      });
      assert.equal(readText(kh), '');
    });

    it('records an unknown key with acceptNewHostKey; later connects (and OpenSSH) need no flag', async () => {
      const kh = join(work.path, 'sub', 'kh-accept');
      const c1 = await connect(host, opts({ knownHostsFile: kh, acceptNewHostKey: true }));
      c1.close();
      assert.match(readText(kh), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 [A-Za-z0-9+/=]+\\n$`));
      const found = await runOk('ssh-keygen', ['-l', '-E', 'sha256', '-F', `[127.0.0.1]:${sshd.port}`, '-f', kh]);
      assert.ok(found.stdout.includes(sshd.hostKeyFingerprint), found.stdout);
      const c2 = await connect(host, opts({ knownHostsFile: kh }));
      assert.equal((await c2.exec(['echo', 'again'])).stdout, 'again\n');
      c2.close();
      assert.equal((await sshExec({ ...sshd, knownHostsFile: kh }, 'echo openssh')).stdout, 'openssh\n');
    });

    it('asks onUnknownHostKey with the fingerprint: no refuses, yes records', async () => {
      const kh = join(work.path, 'kh-ask');
      const seen: string[] = [];
      await rejectsWith(
        connect(
          host,
          opts({
            knownHostsFile: kh,
            onUnknownHostKey: async (fp) => {
              seen.push(fp);
              return false;
            },
          }),
        ),
        (e) => assert.match(e.message, /not accepted/),
      );
      const c = await connect(
        host,
        opts({
          knownHostsFile: kh,
          onUnknownHostKey: async (fp) => {
            seen.push(fp);
            await new Promise((r) => setTimeout(r, 200));
            return true;
          },
        }),
      );
      c.close();
      assert.deepEqual(seen, [sshd.hostKeyFingerprint, sshd.hostKeyFingerprint]);
      assert.ok(readText(kh).startsWith(`[127.0.0.1]:${sshd.port} ssh-ed25519 `));
    });

    it('refuses a CHANGED host key even with acceptNewHostKey, naming file:line', async () => {
      const other = await generateKey(join(work.path, 'other_host_key'), 'impostor');
      const kh = join(work.path, 'kh-changed');
      const [type, key] = readText(other.publicKey).split(' ');
      const before = `# managed\n[127.0.0.1]:${sshd.port} ${type} ${key}\n`;
      writeFileSync(kh, before);
      await rejectsWith(connect(host, opts({ knownHostsFile: kh, acceptNewHostKey: true })), (e) => {
        assert.match(e.message, /CHANGED/);
        assert.ok(e.message.includes(`${kh}:2`), e.message);
        assert.ok(e.message.includes(sshd.hostKeyFingerprint), e.message);
      });
      assert.equal(readText(kh), before);
    });
  });

  describe('connection and authentication errors', () => {
    it('names host:port when the connection is refused', async () => {
      const port = await freePort();
      await rejectsWith(connect({ ...host, port }, opts()), (e) => assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`)));
    });

    it('times out on a port that never speaks SSH', async () => {
      const silent: Server = createServer(() => {
        /* accept and say nothing */
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const port = (silent.address() as { port: number }).port;
      try {
        await rejectsWith(connect({ ...host, port }, opts({ timeoutMs: 1000 })), (e) =>
          assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}: timed out`)),
        );
      } finally {
        silent.close();
      }
    });

    it('reports which identities were tried when the key is not authorized', async () => {
      const wrong = await generateKey(join(work.path, 'wrong_key'), 'wrong');
      await rejectsWith(connect({ ...host, identityFiles: [wrong.privateKey, join(work.path, 'absent')] }, opts()), (e) => {
        assert.match(e.message, /authentication as \S+ on 127\.0\.0\.1:\d+ failed/);
        assert.ok(e.message.includes(`tried: ${wrong.privateKey}`), e.message);
        assert.ok(e.message.includes('absent (not found)'), e.message);
        assert.ok(!e.message.includes('PRIVATE KEY'), e.message);
      });
    });

    it('uses an encrypted identity only with its passphrase (option or GODEPLOY_SSH_PASSPHRASE)', async () => {
      const enc = join(work.path, 'enc_key');
      copyFileSync(sshd.identityFile, enc);
      chmodSync(enc, 0o600);
      await runOk('ssh-keygen', ['-q', '-p', '-f', enc, '-P', '', '-N', 'correct horse']);
      const encHost = { ...host, identityFiles: [enc] };
      const saved = process.env.GODEPLOY_SSH_PASSPHRASE;
      delete process.env.GODEPLOY_SSH_PASSPHRASE;
      try {
        await rejectsWith(connect(encHost, opts()), (e) =>
          assert.ok(e.message.includes(`${enc} (encrypted; no passphrase given: set GODEPLOY_SSH_PASSPHRASE)`), e.message),
        );
        await rejectsWith(connect(encHost, opts({ passphrase: 'not-the-passphrase-xyz' })), (e) => {
          assert.match(e.message, /does not decrypt/);
          assert.ok(!`${e.message}${e.hint}`.includes('not-the-passphrase-xyz'), 'the passphrase must never be shown');
        });
        const c1 = await connect(encHost, opts({ passphrase: 'correct horse' }));
        c1.close();
        process.env.GODEPLOY_SSH_PASSPHRASE = 'correct horse';
        const c2 = await connect(encHost, opts());
        c2.close();
      } finally {
        if (saved === undefined) delete process.env.GODEPLOY_SSH_PASSPHRASE;
        else process.env.GODEPLOY_SSH_PASSPHRASE = saved;
      }
    });
  });

  describe('resolving hosts with ssh -G', () => {
    it('applies an ssh_config alias and connects through it', async () => {
      const cfg = join(work.path, 'ssh_config');
      writeFileSync(
        cfg,
        `Host testbox\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.identityFile}\n  IdentitiesOnly yes\n`,
      );
      const r = await resolveHost({ host: 'testbox' }, { configFile: cfg });
      assert.deepEqual(r, {
        alias: 'testbox',
        hostname: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFiles: [sshd.identityFile],
        identitiesOnly: true,
        proxyJump: undefined,
        userKnownHostsFiles: r.userKnownHostsFiles,
      });
      const c = await connect(r, opts());
      assert.equal((await c.exec(['echo', 'via alias'])).stdout, 'via alias\n');
      c.close();
    });

    it('lets godeploy.yaml values win and expands ~ in identity files', async () => {
      const cfg = join(work.path, 'ssh_config2');
      writeFileSync(
        cfg,
        'Host box\n  HostName 10.9.8.7\n  Port 2222\n  User fromconfig\n  IdentityFile ~/.ssh/deploy_key\n  IdentityFile "/etc/with space"\n  ProxyJump bastion\n  UserKnownHostsFile ~/.ssh/kh1 /tmp/kh2\n',
      );
      const fromConfig = await resolveHost({ host: 'box' }, { configFile: cfg });
      assert.equal(fromConfig.hostname, '10.9.8.7');
      assert.equal(fromConfig.port, 2222);
      assert.equal(fromConfig.user, 'fromconfig');
      assert.deepEqual(fromConfig.identityFiles, [join(homedir(), '.ssh', 'deploy_key'), '/etc/with space']);
      assert.equal(fromConfig.identitiesOnly, false);
      assert.equal(fromConfig.proxyJump, 'bastion');
      assert.deepEqual(fromConfig.userKnownHostsFiles, [join(homedir(), '.ssh', 'kh1'), '/tmp/kh2']);
      const yamlWins = await resolveHost({ host: 'box', port: 2200, user: 'deploy', identityFile: '~/keys/id' }, { configFile: cfg });
      assert.equal(yamlWins.port, 2200);
      assert.equal(yamlWins.user, 'deploy');
      assert.deepEqual(yamlWins.identityFiles, [join(homedir(), 'keys', 'id')]);
      await rejectsWith(connect(fromConfig, opts()), (e) => assert.match(e.message, /ProxyJump bastion/));
    });

    it('rejects host names that would be read as options', async () => {
      await rejectsWith(resolveHost({ host: '-oProxyCommand=id' }), (e) => assert.match(e.message, /invalid host name/));
    });
  });
});
