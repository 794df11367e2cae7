// The CLI never reports success it did not have: when the event loop empties while the
// operation's promise is still pending (a wait on a callback that can no longer come),
// the process exits 1 with an internal-error line, not Node's default 0.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

const guard = path.join(repoRoot, 'out', 'src', 'cli', 'guard.js');

/** Runs `operation` (JavaScript text for a () => Promise<number>) under runToExitCode in a real node process. */
function runGuarded(operation: string): { code: number | null; stderr: string } {
  const program = `require(${JSON.stringify(guard)}).runToExitCode(${operation}, (t) => process.stderr.write(t + '\\n'));`;
  const r = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('the CLI guard against promises that never settle', () => {
  it('an operation whose promise never settles makes the process exit 1 with an internal error, not 0', () => {
    // A wait on something that will never happen: nothing keeps the event loop alive.
    const r = runGuarded('() => new Promise(() => {})');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^godeploy: internal error: the operation stopped before it finished/);
    assert.match(r.stderr, /hint: check the hosts with `godeploy status ENV`/);
  });

  it('one that stalls after real work (a timer, then a promise that never settles) exits 1 too', () => {
    const r = runGuarded('() => new Promise((res) => setTimeout(res, 50)).then(() => new Promise(() => {}))');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stopped before it finished/);
  });

  it('a settled operation keeps its own exit code and says nothing more', () => {
    for (const code of [0, 1, 2]) {
      const r = runGuarded(`() => new Promise((res) => setTimeout(() => res(${code}), 20))`);
      assert.deepEqual([r.code, r.stderr], [code, '']);
    }
  });

  it('a rejected operation exits 1 with the error', () => {
    const r = runGuarded('() => Promise.reject(new Error("boom"))');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^godeploy: internal error: Error: boom/);
  });
});
