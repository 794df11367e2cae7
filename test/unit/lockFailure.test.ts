// A deploy or rollback that failed on a held deploy lock offers Release Lock…: recognizing it
// in the result (the engine's "HOST: locked by USER@HOST since …" on a failed host).
import { strict as assert } from 'node:assert';
import { describeHolder, lockedError } from '../../src/core/release/lockOwner';
import { isLockedError, lockedHost } from '../../src/vscode/deploy/lockFailure';

describe('recognizing a deploy that failed on a held lock', () => {
  const owner = { user: 'carol', host: 'laptop', since: '2026-11-21T10:15:00Z', version: 'v2.0.0', pid: 4242, operation: 'deploy' };
  const held = { state: 'held' as const, owner, ageSeconds: 61, stale: false, staleReason: null };

  it("the engine's lock errors (ssh host, docker engine, unreadable owner.json) are lock failures; others are not", () => {
    assert.ok(isLockedError(lockedError(held, 'root@127.0.0.1:2222', 'prod').message));
    assert.ok(isLockedError(lockedError(held, 'ssh://root@web1:22 (container godeploy-lock-api)', 'prod').message));
    assert.ok(isLockedError(lockedError({ ...held, owner: null }, 'root@web1:22').message));
    assert.ok(!isLockedError(`web1: preflight failed: port: 8080 is taken`));
    assert.ok(
      !isLockedError(`web1: not releasing the deploy lock: ${describeHolder(owner)}, not dave@laptop (pid 1) since 2026-11-21T10:00:00Z`),
      'a lock lost at the end is not one to release',
    );
  });

  it('lockedHost: the first failed host with a lock failure, only in a failed, not cancelled result', () => {
    const locked = { host: 'web2', result: 'failed', error: lockedError(held, 'root@web2:22').message };
    const hosts = [{ host: 'web1', result: 'failed', error: 'web1: preflight failed: disk: full' }, locked];
    assert.deepEqual(lockedHost({ ok: false, hosts }), locked);
    assert.equal(lockedHost({ ok: false, hosts: [hosts[0]] }), undefined);
    assert.equal(lockedHost({ ok: false, cancelled: true, hosts }), undefined);
    assert.equal(lockedHost({ ok: true, hosts: [{ host: 'web2', result: 'live', error: locked.error }] }), undefined);
  });
});
