// The deploy lock and the release listing against a real systemd host over ssh (as root):
// two acquireLock calls racing on separate connections, and `godeploy lock status|release`
// and `godeploy releases` end to end (exit codes, text and JSON output).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { withRemoteHost, type HostTarget } from '../../src/core/remote/hostAccess';
import { acquireLock, releaseLock } from '../../src/core/targets/hosts/lock';
import { isoSeconds, serializeOwner } from '../../src/core/release/lockOwner';
import { type LockOwner } from '../../src/core/environment/types';
import { resolveHost } from '../../src/core/remote/sshConfig';
import { fixtureModules, repoRoot } from '../support/paths';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { run, tempDir } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

describe('deploy lock and releases (real systemd host over ssh)', function () {
  this.timeout(300_000);
  const work = tempDir('lock');
  let host: SystemdHost;
  let target: HostTarget;

  const godeploy = (...args: string[]) => run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 120_000 });
  const remote = async (cmd: string): Promise<string> => {
    const r = await host.exec(cmd);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  /** Leaves an owner.json in /opt/hello/.godeploy/lock as a holder (maybe long gone) would have. */
  const plantLock = (o: LockOwner) =>
    remote(`mkdir -p /opt/hello/.godeploy/lock && printf '%s\\n' '${serializeOwner(o)}' > /opt/hello/.godeploy/lock/owner.json`);
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

  before(async () => {
    host = await startSystemdHost();
    cpSync(join(fixtureModules, 'single'), work.path, { recursive: true });
    cpSync(host.knownHostsFile, join(work.path, 'known_hosts'));
    const hostEntry = `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`;
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: hello',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        hostEntry,
        '    knownHostsFile: known_hosts',
        '    path: /opt/hello',
        '  fresh:',
        '    type: ssh',
        '    hosts:',
        hostEntry,
        '    knownHostsFile: known_hosts',
        '    path: /srv/never-deployed',
        '',
      ].join('\n'),
    );
    target = {
      alias: '127.0.0.1',
      resolve: () => resolveHost({ host: '127.0.0.1', port: host.port, user: 'root', identityFile: host.identityFile }, { baseDir: work.path }),
    };
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  it('two acquireLock calls racing on separate connections: exactly one wins, the other is told who holds it', async () => {
    const opts = { knownHostsFile: join(work.path, 'known_hosts'), acceptNewHostKey: false };
    const info = (user: string) => ({ user, host: hostname(), version: 'v1.0.0', pid: process.pid, operation: 'deploy' });
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all(
        ['alice', 'bob'].map((u) => withRemoteHost(target, opts, (h) => acquireLock(h.runner, '/opt/hello', info(u), { environment: 'prod' }))),
      );
      const won = [a, b].filter((o) => o.ok);
      const lost = [a, b].filter((o) => !o.ok);
      assert.equal(won.length, 1, JSON.stringify([a, b]));
      assert.equal(lost.length, 1);
      const winner = won[0].ok ? won[0].value : undefined;
      const loser = lost[0];
      assert.ok(winner && !loser.ok);
      assert.equal(loser.stage, 'run');
      assert.equal(loser.error, `root@127.0.0.1:${host.port}: locked by ${winner.user}@${hostname()} since ${winner.since} (version v1.0.0, operation deploy)`);
      assert.match(
        loser.hint ?? '',
        /^another operation is running \(held for \d+s\): wait for it to finish; if you are sure none is, release it with `godeploy lock release prod --force`$/,
      );
      assert.equal(JSON.parse(await remote('cat /opt/hello/.godeploy/lock/owner.json')).user, winner.user);
      const released = await withRemoteHost(target, opts, (h) => releaseLock(h.runner, '/opt/hello', winner));
      assert.deepEqual(released.ok && released.value, true);
    }
    assert.equal((await host.exec('test -e /opt/hello/.godeploy/lock')).code, 1);
  });

  it('lock status and lock release through the CLI: a fresh lock held by someone else is kept without --force', async () => {
    const free = await godeploy('lock', 'status', 'prod');
    assert.deepEqual([free.code, free.stdout, free.stderr], [0, `127.0.0.1 (root@127.0.0.1:${host.port}): free\n`, '']);

    // Held by a live process on this machine (this test), taken a minute ago.
    const holder: LockOwner = {
      user: 'carol',
      host: hostname(),
      since: isoSeconds(new Date(Date.now() - 61_000)),
      version: 'v2.0.0',
      pid: process.pid,
      operation: 'deploy',
    };
    await plantLock(holder);
    const status = await godeploy('lock', 'status', 'prod');
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(
        `^127\\.0\\.0\\.1 \\(root@127\\.0\\.0\\.1:${host.port}\\): locked by carol@${hostname()} since ${holder.since} \\(version v2\\.0\\.0, operation deploy\\), held 1m \\d+s\\n  not stale: an operation may be running\\n$`,
      ),
    );
    const json = await godeploy('lock', 'status', 'prod', '--json');
    const report = JSON.parse(json.stdout) as {
      environment: string;
      base: string;
      hosts: { state: string; owner: LockOwner; stale: boolean; ageSeconds: number }[];
    };
    assert.deepEqual(
      [report.environment, report.base, report.hosts[0].state, report.hosts[0].owner, report.hosts[0].stale],
      ['prod', '/opt/hello', 'held', holder, false],
    );
    assert.ok(report.hosts[0].ageSeconds >= 61 && report.hosts[0].ageSeconds < 120);

    const refused = await godeploy('lock', 'release', 'prod');
    assert.equal(refused.code, 1);
    assert.match(
      refused.stdout,
      new RegExp(
        `: FAIL not released: locked by carol@${hostname()} since ${holder.since} \\(version v2\\.0\\.0, operation deploy\\), held 1m \\d+s, and it is not stale\\n  hint: wait for it to finish, or release it anyway with \`godeploy lock release prod --force\`\\n$`,
      ),
    );
    assert.equal(JSON.parse(await remote('cat /opt/hello/.godeploy/lock/owner.json')).user, 'carol', 'the lock is still there');

    const forced = await godeploy('lock', 'release', 'prod', '--force');
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stdout, new RegExp(`\\): released \\(was locked by carol@${hostname()} since `));
    assert.equal((await host.exec('test -e /opt/hello/.godeploy/lock')).code, 1);
    const again = await godeploy('lock', 'release', 'prod');
    assert.deepEqual([again.code, again.stdout], [0, `127.0.0.1 (root@127.0.0.1:${host.port}): already free\n`]);
  });

  it('a lock left by a killed process, or an old one from another machine, is stale and released without --force', async () => {
    const pid = deadPid();
    const killed: LockOwner = { user: 'dave', host: hostname(), since: isoSeconds(new Date()), version: 'v3', pid, operation: 'deploy' };
    await plantLock(killed);
    const status = await godeploy('lock', 'status', 'prod');
    assert.equal(status.code, 0);
    assert.match(
      status.stdout,
      new RegExp(
        `: locked by dave@${hostname()} since ${killed.since} \\(version v3, operation deploy\\), held \\d+s\\n  stale: process ${pid} on this machine \\(${hostname()}\\) is gone\\n  hint: if no deploy is running there, release it with \`godeploy lock release prod\`\\n$`,
      ),
    );
    const released = await godeploy('lock', 'release', 'prod');
    assert.equal(released.code, 0, released.stdout + released.stderr);
    assert.match(released.stdout, new RegExp(`\\): released \\(was locked by dave@.*; stale: process ${pid} on this machine`));
    assert.equal((await host.exec('test -e /opt/hello/.godeploy/lock')).code, 1);

    const old: LockOwner = {
      user: 'erin',
      host: 'ci-runner-7',
      since: isoSeconds(new Date(Date.now() - 2 * 3600_000)),
      version: 'v4',
      pid: 1,
      operation: 'rollback',
    };
    await plantLock(old);
    const json = JSON.parse((await godeploy('lock', 'status', 'prod', '--json')).stdout) as { hosts: { stale: boolean; staleReason: string }[] };
    assert.equal(json.hosts[0].stale, true);
    assert.match(json.hosts[0].staleReason, /^held for 2h 0m, longer than 30m 0s$/);
    // acquireLock against it: the error names the holder and the way out.
    const taken = await withRemoteHost(target, { knownHostsFile: join(work.path, 'known_hosts'), acceptNewHostKey: false }, (h) =>
      acquireLock(h.runner, '/opt/hello', { user: 'me', host: hostname(), version: 'v5', pid: process.pid, operation: 'deploy' }, { environment: 'prod' }),
    );
    assert.ok(!taken.ok);
    assert.match(taken.error, new RegExp(`locked by erin@ci-runner-7 since ${old.since} \\(version v4, operation rollback\\)$`));
    assert.match(
      taken.hint ?? '',
      /^the lock looks stale \(held for 2h 0m, longer than 30m 0s\): if no deploy is running there, release it with `godeploy lock release prod`$/,
    );
    const r = await godeploy('lock', 'release', 'prod', '--json');
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.stdout) as { hosts: { result: string }[] }).hosts[0].result, 'released');
    assert.equal((await host.exec('test -e /opt/hello/.godeploy/lock')).code, 1);
  });

  it('releases lists every release sorted by id with the live one marked; "no releases yet" on a fresh base path', async () => {
    await remote(
      [
        'mkdir -p /opt/hello/releases/20260102T000000Z-v2 /opt/hello/releases/20260101T000000Z-v1',
        'head -c 2500000 /dev/zero > /opt/hello/releases/20260102T000000Z-v2/hello',
        'head -c 1200 /dev/zero > /opt/hello/releases/20260101T000000Z-v1/hello',
        'ln -sfn releases/20260102T000000Z-v2 /opt/hello/current',
      ].join(' && '),
    );
    const r = await godeploy('releases', 'prod');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `127.0.0.1 (root@127.0.0.1:${host.port}): 2 releases in /opt/hello/releases`,
        '    20260101T000000Z-v1  1.2 kB',
        '  * 20260102T000000Z-v2  2.5 MB  (live)',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await godeploy('releases', 'prod', '--json')).stdout) as {
      hosts: { exists: boolean; currentTarget: string; releases: unknown[] }[];
    };
    assert.deepEqual(json.hosts[0], {
      host: '127.0.0.1',
      address: `root@127.0.0.1:${host.port}`,
      exists: true,
      currentTarget: 'releases/20260102T000000Z-v2',
      error: null,
      releases: [
        { id: '20260101T000000Z-v1', current: false, binarySize: 1200, wentLive: false },
        { id: '20260102T000000Z-v2', current: true, binarySize: 2500000, wentLive: false },
      ],
    });

    const fresh = await godeploy('releases', 'fresh');
    assert.deepEqual(
      [fresh.code, fresh.stdout],
      [0, `127.0.0.1 (root@127.0.0.1:${host.port}): no releases yet (/srv/never-deployed/releases does not exist)\n`],
    );
    const status = await godeploy('lock', 'status', 'fresh');
    assert.match(status.stdout, /: free\n$/);
  });

  it('usage errors exit 2', async () => {
    const none = await godeploy('lock');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /lock: status or release\?/);
    const bad = await godeploy('lock', 'steal', 'prod');
    assert.deepEqual([bad.code, /unknown subcommand "steal"/.test(bad.stderr)], [2, true]);
    assert.equal((await godeploy('lock', 'status', 'prod', '--force')).code, 2);
    assert.equal((await godeploy('releases', 'prod', '--force')).code, 2);
    const unknown = await godeploy('releases', 'staging');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no environment "staging" in godeploy\.yaml/);
  });
});
