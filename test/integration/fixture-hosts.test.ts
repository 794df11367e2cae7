// The fixtures themselves, against real components: systemd hosts with a network of their
// own, a supervisord driven through conf.d + supervisorctl, and cutting SSH sessions from
// the server side.
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killSshSessions } from './fixtures/sshFaults';
import { SshdFixture, sshExec, sshOptions, SshTarget, startSshd } from './fixtures/sshd';
import { startSupervisorHost, SupervisorHost } from './fixtures/supervisord';
import { startSystemdHost, SystemdHost } from './fixtures/systemdHost';
import { descendants, freePort, isAlive, portAccepts, processIdentity, requireTool, run, runOk, stillAlive, waitFor } from './fixtures/util';

/** /proc/PID/FILE, or '' once the process is gone. */
function proc(pid: number, file: 'comm' | 'cmdline'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** `ssh target 'echo ready; exec sleep N'`, resolved once the remote command runs. */
async function longSession(t: SshTarget, seconds: string): Promise<{ child: ChildProcess; exit: Promise<number | null> }> {
  const child = spawn('ssh', [...sshOptions(t), '-p', String(t.port), `${t.user}@${t.host}`, `echo ready; exec sleep ${seconds}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`ssh exited ${child.exitCode}`);
      return out.includes('ready');
    },
    30_000,
    () => `the ssh session to ${t.host}:${t.port} did not start: ${out}`,
  );
  return { child, exit };
}

/** Resolves to the exit code, or fails if the client is still connected after `ms`. */
async function exitWithin(exit: Promise<number | null>, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ssh client was still connected ${ms} ms after its session was killed`)), ms);
  });
  try {
    return await Promise.race([exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// One HTTP exchange on stdin/stdout (systemd-socket-activate --inetd): skip the request, answer with the hostname.
const WHOAMI_HTTP = `#!/bin/bash
while IFS= read -r line && [ -n "\${line%$'\\r'}" ]; do :; done
name=$(hostname)
printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "\${#name}" "$name"
`;

describe('integration fixtures (real systemd-nspawn, network namespaces, supervisord, sshd)', function () {
  this.timeout(600_000);

  describe('systemd hosts with a network of their own', () => {
    let hosts: SystemdHost[] = [];
    let appPort: number;

    before(async () => {
      await requireTool('ip', 'ip (iproute2)');
      appPort = await freePort(); // free on this machine: a shared-network host could not answer on it without us seeing it
      const started = await Promise.allSettled([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
      hosts = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    });
    after(async () => {
      for (const h of hosts) await h.stop();
    });

    it('each host has its own 10.213.X.2 with sshd on port 22, verified against a bare-address known_hosts line', async () => {
      const [a, b] = hosts;
      assert.notEqual(a.host, b.host);
      for (const h of hosts) {
        assert.match(h.host, /^10\.213\.\d{1,3}\.2$/);
        assert.equal(h.address, h.host);
        assert.equal(h.port, 22);
        assert.match(readFileSync(h.knownHostsFile, 'utf8'), new RegExp(`^${h.host.replace(/\./g, '\\.')} ssh-ed25519 AAAA\\S+\\n$`));
        // The rootfs has no iproute2: hostname -I lists the addresses, lo's flags have IFF_UP (0x1).
        const r = await h.exec('hostname; hostname -I; cat /sys/class/net/lo/flags');
        assert.equal(r.code, 0, r.stderr);
        const [hostname, addresses, loFlags] = r.stdout.trim().split('\n');
        assert.equal(hostname, h.machine);
        assert.equal(addresses.trim(), h.host, 'eth0 holds the only non-loopback address');
        assert.equal(Number(loFlags) & 1, 1, 'lo is up');
        assert.ok(h.netns, 'a private host names its namespace');
        assert.match((await runOk('ip', ['netns', 'list'])).stdout, new RegExp(`^${h.netns.name}\\b`, 'm'));
      }
    });

    it('both listen on the same port; from this machine each address answers with its own hostname', async () => {
      for (const h of hosts) {
        const r = await h.exec(
          `cat > /usr/local/bin/whoami-http <<'EOF'\n${WHOAMI_HTTP}EOF\nchmod +x /usr/local/bin/whoami-http && ` +
            `systemd-run --unit=godeploy-probe systemd-socket-activate --accept --inetd -l 0.0.0.0:${appPort} /usr/local/bin/whoami-http`,
        );
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      for (const h of hosts) {
        let body = '';
        await waitFor(
          async () => {
            try {
              const res = await fetch(`http://${h.address}:${appPort}/`, { signal: AbortSignal.timeout(3000) });
              body = await res.text();
              return res.status === 200;
            } catch {
              return false;
            }
          },
          30_000,
          () => `http://${h.address}:${appPort}/ did not answer 200`,
        );
        assert.equal(body, h.machine);
      }
      assert.equal(await portAccepts(appPort), false, "nothing listens on this machine's loopback: the hosts do not share its network");
    });

    it('killSshSessions cuts a connection to a systemd host; its command keeps running and new connections work', async () => {
      const host = hosts[0];
      const tag = `100.${process.pid}`;
      const { exit } = await longSession(host, tag);
      const sessionsBefore = descendants(host.nspawnPid).filter((pid) => proc(pid, 'cmdline').startsWith('sshd: root@notty'));
      assert.equal(sessionsBefore.length, 1, 'one connection is open');
      const killed = await killSshSessions(host);
      assert.ok(killed.includes(sessionsBefore[0]), `the session's sshd was killed: ${killed.join(', ')}`);
      assert.notEqual(await exitWithin(exit, 5000), 0);
      const after = await host.exec(`pgrep -f '[s]leep ${tag}' && pkill -f '[s]leep ${tag}'`);
      assert.equal(after.code, 0, 'without `commands` the remote command outlives its connection, as after a network drop');
      const again = await host.exec('true');
      assert.equal(again.code, 0, again.stderr);
    });

    it('stop() removes the network namespaces and the veth pairs', async () => {
      const stopping = hosts;
      hosts = [];
      const pids = stopping.flatMap((h) => [h.nspawnPid, ...descendants(h.nspawnPid)]).map(processIdentity);
      await Promise.all(stopping.map((h) => h.stop()));
      const netns = (await runOk('ip', ['netns', 'list'])).stdout;
      const links = (await runOk('ip', ['-o', 'link', 'show'])).stdout;
      for (const h of stopping) {
        assert.doesNotMatch(netns, new RegExp(`^${h.netns!.name}\\b`, 'm'));
        assert.doesNotMatch(links, new RegExp(`^\\d+: ${h.netns!.hostInterface}[@:]`, 'm'));
      }
      assert.deepEqual(
        pids.filter(stillAlive).map((p) => p.pid),
        [],
      );
    });
  });

  describe('killSshSessions against the plain sshd fixture', () => {
    let sshd: SshdFixture;
    before(async () => {
      sshd = await startSshd();
    });
    after(async () => {
      await sshd?.stop();
    });

    it('with commands: cuts the connection and ends the command; the listening sshd keeps accepting', async () => {
      const { exit } = await longSession(sshd, '100');
      const sleeper = descendants(sshd.pid).find((pid) => proc(pid, 'comm') === 'sleep\n');
      assert.ok(sleeper, 'the remote command runs under the sshd');
      const killed = await killSshSessions(sshd, { commands: true });
      assert.ok(killed.includes(sleeper));
      assert.notEqual(await exitWithin(exit, 5000), 0);
      assert.equal(isAlive(sleeper), false);
      assert.equal(isAlive(sshd.pid), true);
      const again = await sshExec(sshd, 'true');
      assert.equal(again.code, 0, again.stderr);
    });

    it('fails loudly when there is no session to kill', async () => {
      // The previous test's last connection may still be closing: wait until sshd has no session child.
      await waitFor(
        async () => descendants(sshd.pid).length === 0,
        10_000,
        () => `sshd ${sshd.pid} still has sessions: ${descendants(sshd.pid).join(', ')}`,
      );
      await assert.rejects(killSshSessions(sshd, { waitMs: 300 }), /no ssh session to 127\.0\.0\.1:\d+ to kill/);
    });
  });

  describe('a supervisord driven through conf.d and supervisorctl', () => {
    let sup: SupervisorHost | undefined;
    after(async () => {
      await sup?.stop();
    });

    it('reread + update starts a program; stop() ends supervisord and every process its programs started', async () => {
      await requireTool('setsid', 'setsid (util-linux)');
      sup = await startSupervisorHost();
      const s = sup;
      const empty = await run('supervisorctl', ['-c', s.configFile, 'status']);
      assert.deepEqual([empty.code, empty.stdout + empty.stderr], [0, ''], 'supervisorctl -c CONF status answers: no programs yet');
      const tag = `1001.${process.pid}`;
      writeFileSync(join(s.confDir, 'sleeper.conf'), '[program:sleeper]\ncommand=sleep 1000\nstartsecs=1\n');
      // Without stopasgroup, supervisord only stops `sleep 1002`; the setsid child would be orphaned.
      writeFileSync(join(s.confDir, 'leaky.conf'), `[program:leaky]\ncommand=/bin/sh -c "setsid sleep ${tag} & exec sleep 1002"\nstartsecs=1\n`);
      assert.match(await s.ctl(['reread']), /leaky: available\nsleeper: available|sleeper: available\nleaky: available/);
      assert.match(await s.ctl(['update']), /sleeper: added process group/);
      await waitFor(
        async () => /^sleeper\s+RUNNING\s/m.test(await s.ctl(['status'])) && /^leaky\s+RUNNING\s/m.test(await s.ctl(['status'])),
        20_000,
        () => 'sleeper and leaky did not reach RUNNING',
      );
      const sleeper = Number(await s.ctl(['pid', 'sleeper']));
      assert.equal(proc(sleeper, 'cmdline'), 'sleep\u00001000\u0000');
      const orphan = Number((await runOk('pgrep', ['-f', `^sleep ${tag}$`])).stdout.trim());
      assert.ok(orphan > 0);

      sup = undefined;
      const killedAfter = await s.stop();
      assert.deepEqual(killedAfter, [orphan], 'only the setsid child outlived supervisord, and it was killed');
      for (const pid of [s.pid, sleeper, orphan]) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    });
  });
});
