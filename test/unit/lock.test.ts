import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRunner } from '../../src/core/remote/hostRunner';
import { acquireLock, acquireLockThen, lockStatus, releaseLock } from '../../src/core/targets/hosts/lock';
import { describeHolder, formatAge, isoSeconds, lockedError, parseOwner, pidAlive, serializeOwner, staleReason } from '../../src/core/release/lockOwner';
import { type LockOwner } from '../../src/core/environment/types';
import { parseReleaseList } from '../../src/core/targets/hosts/releases';
import { formatBytes } from '../../src/core/format';
import { GoDeployError } from '../../src/core/errors';

const owner: LockOwner = { user: 'alice', host: 'laptop', since: '2026-11-21T10:15:00Z', version: 'v1.2.3', pid: 4242, operation: 'deploy' };

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('deploy lock (pure, and on this machine)', () => {
  it('owner.json round trip; anything else is not an owner', () => {
    const text = serializeOwner(owner);
    assert.deepEqual(JSON.parse(text), owner);
    assert.deepEqual(parseOwner(text), owner);
    assert.deepEqual(parseOwner(`  ${text}\n`), owner);
    assert.equal(parseOwner(''), null);
    assert.equal(parseOwner('{"user":"a"'), null);
    assert.equal(parseOwner('[]'), null);
    assert.equal(parseOwner(JSON.stringify({ ...owner, pid: '12' })), null);
    assert.equal(parseOwner(JSON.stringify({ ...owner, since: 'yesterday' })), null);
    assert.deepEqual(parseOwner(JSON.stringify({ user: 'a', host: 'h', since: owner.since, pid: 1 })), {
      user: 'a',
      host: 'h',
      since: owner.since,
      pid: 1,
      version: '',
      operation: '',
    });
    assert.equal(isoSeconds(new Date(Date.UTC(2026, 10, 21, 10, 15, 0, 123))), '2026-11-21T10:15:00Z');
  });

  it('stale: older than the threshold, or its process on this machine is gone', () => {
    const ctx = { thisHost: 'laptop', pidAlive: (pid: number) => pid === 4242, staleAfterSeconds: 1800 };
    assert.equal(staleReason(owner, 60, ctx), null);
    assert.equal(staleReason(owner, 1800, ctx), null);
    assert.equal(staleReason(owner, 1801, ctx), 'held for 30m 1s, longer than 30m 0s');
    assert.equal(staleReason({ ...owner, pid: 7 }, 5, ctx), 'process 7 on this machine (laptop) is gone');
    assert.equal(staleReason({ ...owner, pid: 7, host: 'ci-runner' }, 5, ctx), null, 'a pid on another machine cannot be checked from here');
    assert.equal(staleReason(null, 5, ctx), null);
    assert.equal(staleReason(null, 7200, ctx), 'held for 2h 0m, longer than 30m 0s');
    assert.equal(pidAlive(process.pid), true);
    assert.equal(pidAlive(deadPid()), false);
    assert.equal(pidAlive(0), false);
    assert.deepEqual([formatAge(0), formatAge(59.9), formatAge(61), formatAge(3661)], ['0s', '59s', '1m 1s', '1h 1m']);
  });

  it('the messages: who holds it, and the exact command that releases it (--force when it does not look stale)', () => {
    assert.equal(describeHolder(owner), 'locked by alice@laptop since 2026-11-21T10:15:00Z (version v1.2.3, operation deploy)');
    assert.equal(describeHolder(null), 'locked (owner.json missing or unreadable)');
    const stale = lockedError(
      { state: 'held', owner, ageSeconds: 4000, stale: true, staleReason: 'held for 1h 6m, longer than 30m 0s' },
      'root@web1:22',
      'prod',
    );
    assert.ok(stale instanceof GoDeployError);
    assert.equal(stale.exitCode, 1);
    assert.equal(
      stale.format(),
      'root@web1:22: locked by alice@laptop since 2026-11-21T10:15:00Z (version v1.2.3, operation deploy)\n' +
        '  hint: the lock looks stale (held for 1h 6m, longer than 30m 0s): if no deploy is running there, release it with `godeploy lock release prod`',
    );
    const fresh = lockedError({ state: 'held', owner, ageSeconds: 75, stale: false, staleReason: null }, 'root@web1:22', 'prod');
    assert.equal(
      fresh.hint,
      'another operation is running (held for 1m 15s): wait for it to finish; if you are sure none is, release it with `godeploy lock release prod --force`',
    );
  });

  it('acquire, status, release with a local runner; a second acquire names the holder; paths with spaces and quotes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'godeploy-lock-unit-'));
    try {
      const base = join(dir, `it's a "base" $(x)`);
      const runner = localRunner();
      assert.deepEqual(await lockStatus(runner, base), { state: 'free' });
      const info = { user: 'alice', host: hostname(), version: 'v1', pid: process.pid, operation: 'deploy' };
      const mine = await acquireLock(runner, base, info);
      assert.deepEqual(parseOwner(readFileSync(join(base, '.godeploy', 'lock', 'owner.json'), 'utf8')), mine);
      const s = await lockStatus(runner, base);
      assert.equal(s.state, 'held');
      assert.deepEqual(s.state === 'held' && [s.owner, s.stale], [mine, false]);
      await assert.rejects(acquireLock(runner, base, { ...info, user: 'bob' }, { environment: 'dev' }), (e: GoDeployError) => {
        assert.equal(e.message, `this machine: locked by alice@${hostname()} since ${mine.since} (version v1, operation deploy)`);
        assert.match(e.hint ?? '', /wait for it to finish/);
        return true;
      });
      // Someone else's owner is not released; ours is; releasing a free lock says so.
      await assert.rejects(releaseLock(runner, base, { ...mine, pid: mine.pid + 1 }), /not releasing the deploy lock: locked by alice@/);
      assert.equal(await releaseLock(runner, base, mine), true);
      assert.deepEqual(await lockStatus(runner, base), { state: 'free' });
      assert.equal(await releaseLock(runner, base), false);
      // A lock whose process is gone is stale, and the error's hint says how to release it.
      const dead = await acquireLock(runner, base, { ...info, pid: deadPid() });
      await assert.rejects(acquireLock(runner, base, info, { environment: 'dev' }), (e: GoDeployError) =>
        /is gone\): if no deploy is running there, release it with `godeploy lock release dev`/.test(e.hint ?? ''),
      );
      // A deploy (onTakeOver given) takes it over and says what it took over.
      const notices: string[] = [];
      const mineNow = await acquireLock(runner, base, info, { environment: 'dev', onTakeOver: (t) => notices.push(t) });
      assert.deepEqual(parseOwner(readFileSync(join(base, '.godeploy', 'lock', 'owner.json'), 'utf8')), mineNow);
      assert.deepEqual(notices, [
        `took over a stale deploy lock: locked by alice@${hostname()} since ${dead.since} (version v1, operation deploy); process ${dead.pid} on this machine (${hostname()}) is gone`,
      ]);
      // A live holder is never taken over, onTakeOver or not.
      await assert.rejects(acquireLock(runner, base, { ...info, user: 'bob' }, { environment: 'dev', onTakeOver: (t) => notices.push(t) }), /locked by alice@/);
      assert.equal(notices.length, 1);
      assert.equal(await releaseLock(runner, base), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acquireLockThen: the follow-up runs only once the lock is taken, with its own arguments, in the same round trip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'godeploy-lock-then-'));
    try {
      const base = join(dir, 'base $(x)');
      const runner = localRunner();
      const info = { user: 'alice', host: hostname(), version: 'v1', pid: process.pid, operation: 'deploy' };
      const then = { script: 'printf "%s|%s\\n" "$1" "$2"; echo acquired; test -d "$3/.godeploy/lock" && echo held-now; exit 4', args: ["it's", 'b c', base] };
      const r = await acquireLockThen(runner, base, info, {}, then);
      assert.deepEqual(parseOwner(readFileSync(join(base, '.godeploy', 'lock', 'owner.json'), 'utf8')), r.owner);
      assert.deepEqual(r.then, { code: 4, stdout: "it's|b c\nacquired\nheld-now\n", stderr: '' });
      // Held by someone else: "locked by", and the follow-up never ran.
      const marker = join(dir, 'ran');
      await assert.rejects(acquireLockThen(runner, base, { ...info, user: 'bob' }, {}, { script: 'touch "$1"', args: [marker] }), /locked by alice@/);
      assert.ok(!existsSync(marker), 'the follow-up ran without the lock');
      assert.equal(await releaseLock(runner, base, r.owner), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('releases: parses the listing, sorted by id, current resolved', () => {
    assert.deepEqual(parseReleaseList('none\n'), { exists: false, releases: [], currentTarget: null });
    const [a, b, c] = ['20261121T100000Z-a', '20261121T100001.000Z-b', '20261121T100002Z-c'];
    // A folder not named by a release id (someone else's) is not one of the releases.
    const l = parseReleaseList(
      `exists\ncurrent\treleases/${b}\t/o/releases/${b}\nrelease\t${c}\t/o/releases/${c}\t-\t0\nrelease\t${a}\t/o/releases/${a}\t12\t1\nrelease\t${b}\t/o/releases/${b}\t1500000\t1\nrelease\t20190101120001\t/o/releases/20190101120001\t-\t0\n`,
    );
    assert.deepEqual(l, {
      exists: true,
      currentTarget: `releases/${b}`,
      releases: [
        { id: a, current: false, binarySize: 12, wentLive: true },
        { id: b, current: true, binarySize: 1500000, wentLive: true },
        { id: c, current: false, binarySize: null, wentLive: false },
      ],
    });
    assert.deepEqual([formatBytes(900), formatBytes(1500000), formatBytes(2_300_000_000)], ['900 B', '1.5 MB', '2.3 GB']);
  });
});
