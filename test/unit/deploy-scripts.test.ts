// The fixed release scripts, run for real with the local runner against temporary base
// folders (one plain, one with spaces, quotes and a $): the release layout, reusing an
// executable by sha256, checking an upload, the atomic switch, pruning, hooks, history.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRunner, type HostRunResult } from '../../src/core/remote/hostRunner';
import * as scripts from '../../src/core/targets/hosts/releaseScripts';
import { renderEnvFile } from '../../src/core/release/envFile';
import { acquireLock } from '../../src/core/targets/hosts/lock';
import { parseOwner, serializeOwner } from '../../src/core/release/lockOwner';
import { LIVE_STATE } from '../../src/core/targets/hosts/unchanged';
import { CLAIM_BASE } from '../../src/core/targets/hosts/baseLayout';

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const runner = localRunner({ timeoutMs: 30_000 });
const run = (script: string, ...args: string[]): Promise<HostRunResult> => runner.exec(['sh', '-c', script, 'sh', ...args]);
const ok = async (script: string, ...args: string[]): Promise<HostRunResult> => {
  const r = await run(script, ...args);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
};

const ID1 = '20261121T100000Z-v1';
const ID2 = '20261121T110000Z-v2';
const ID3 = '20261121T120000Z-v3';

for (const variant of [
  { label: 'plain base path', sub: 'base' },
  { label: 'base path with spaces, quotes and $', sub: `my base 'q' "d" $HOME x` },
]) {
  describe(`release scripts on this machine (${variant.label})`, () => {
    let root: string;
    let b: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'godeploy-scripts-'));
      b = join(root, variant.sub);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    /** A complete release as a deploy leaves it: executable, .sha256, env file (0600). */
    const makeRelease = (id: string, exe: string, env = `MARK='${id}'\n`): string => {
      const d = join(b, 'releases', id);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'app'), exe, { mode: 0o755 });
      writeFileSync(join(d, '.sha256'), `${sha(exe)}\n`);
      writeFileSync(join(d, 'app.env'), env, { mode: 0o600 });
      chmodSync(join(d, 'app.env'), 0o600);
      return d;
    };
    const partial = (id: string): string => join(b, 'releases', `.${id}.partial`);

    it('PREPARE creates the layout and an empty partial release, prints the free space, refuses an existing release id', async () => {
      const r = await ok(scripts.PREPARE, b, ID1);
      assert.match(r.stdout, /^free \d+\n$/);
      for (const d of ['releases', 'shared', 'shared/logs', '.godeploy', `releases/.${ID1}.partial`]) assert.ok(statSync(join(b, d)).isDirectory(), d);
      assert.deepEqual(readdirSync(partial(ID1)), []);
      // A leftover partial from an interrupted run is started afresh.
      writeFileSync(join(partial(ID1), 'junk'), 'x');
      await ok(scripts.PREPARE, b, ID1);
      assert.deepEqual(readdirSync(partial(ID1)), []);

      makeRelease(ID2, 'exe');
      const again = await run(scripts.PREPARE, b, ID2);
      assert.equal(again.code, 3);
      assert.equal(again.stderr.trim(), `release ${ID2} already exists`);
      assert.equal(existsSync(partial(ID2)), false, 'no partial folder for a refused id');
      assert.equal(readFileSync(join(b, 'releases', ID2, 'app'), 'utf8'), 'exe', 'the existing release is untouched');
    });

    it('REUSE_BINARY links an executable with the same sha256 from an earlier release and prints "reused <id>"', async () => {
      const exe = '#!/bin/sh\necho release one\n';
      makeRelease(ID1, 'other executable');
      makeRelease(ID2, exe);
      await ok(scripts.PREPARE, b, ID3);
      const r = await ok(scripts.REUSE_BINARY, b, ID3, 'app', sha(exe));
      assert.equal(r.stdout, `reused ${ID2}\n`);
      const placed = join(partial(ID3), 'app');
      assert.equal(readFileSync(placed, 'utf8'), exe);
      assert.equal(statSync(placed).ino, statSync(join(b, 'releases', ID2, 'app')).ino, 'a hard link, not a copy');
      assert.equal(statSync(placed).mode & 0o777, 0o755);
      assert.equal(readFileSync(join(partial(ID3), '.sha256'), 'utf8'), `${sha(exe)}\n`);
      assert.deepEqual(readdirSync(partial(ID3)).sort(), ['.sha256', 'app'], 'no temporary file left');
    });

    it('REUSE_BINARY prints "missing" when no release has that sha256, when there is no release, or when a release lies about its sha256', async () => {
      await ok(scripts.PREPARE, b, ID3);
      assert.equal((await ok(scripts.REUSE_BINARY, b, ID3, 'app', sha('new'))).stdout, 'missing\n', 'no release at all');
      makeRelease(ID1, 'old');
      assert.equal((await ok(scripts.REUSE_BINARY, b, ID3, 'app', sha('new'))).stdout, 'missing\n');
      // .sha256 says "new" but the file is something else: verified, not trusted.
      const liar = makeRelease(ID2, 'corrupted');
      writeFileSync(join(liar, '.sha256'), `${sha('new')}\n`);
      assert.equal((await ok(scripts.REUSE_BINARY, b, ID3, 'app', sha('new'))).stdout, 'missing\n');
      // Same sha256 but under another executable name: not reused.
      makeRelease('20261121T000000Z-v0', 'new');
      assert.equal((await ok(scripts.REUSE_BINARY, b, ID3, 'other-name', sha('new'))).stdout, 'missing\n');
      assert.deepEqual(readdirSync(partial(ID3)), [], 'nothing placed, no temporary file left');
    });

    it('VERIFY_UPLOAD renames a good upload into place; a wrong sha256 is refused and the temporary file removed', async () => {
      await ok(scripts.PREPARE, b, ID1);
      const upload = join(partial(ID1), '.app.upload');
      writeFileSync(upload, 'uploaded bytes', { mode: 0o755 });
      const wrong = sha('something else');
      const bad = await run(scripts.VERIFY_UPLOAD, b, ID1, 'app', wrong);
      assert.equal(bad.code, 4);
      assert.equal(bad.stderr.trim(), `sha256 of the uploaded file is ${sha('uploaded bytes')}, expected ${wrong}`);
      assert.deepEqual(readdirSync(partial(ID1)), [], 'the bad upload is removed and nothing is placed');

      writeFileSync(upload, 'uploaded bytes', { mode: 0o755 });
      await ok(scripts.VERIFY_UPLOAD, b, ID1, 'app', sha('uploaded bytes'));
      assert.deepEqual(readdirSync(partial(ID1)).sort(), ['.sha256', 'app']);
      assert.equal(readFileSync(join(partial(ID1), 'app'), 'utf8'), 'uploaded bytes');
      assert.equal(statSync(join(partial(ID1), 'app')).mode & 0o777, 0o755);
      assert.equal(readFileSync(join(partial(ID1), '.sha256'), 'utf8'), `${sha('uploaded bytes')}\n`);

      const missing = await run(scripts.VERIFY_UPLOAD, b, ID1, 'gone', sha('x'));
      assert.notEqual(missing.code, 0, 'no upload: refused');
      assert.equal(existsSync(join(partial(ID1), 'gone')), false);
    });

    it("COMPLETE_RELEASE completes the release and reads, in the same run, the installed definition's sha256 and what current points at", async () => {
      const def = join(root, 'unit dir', 'app.service');
      await ok(scripts.PREPARE, b, ID1);
      assert.equal((await ok(scripts.COMPLETE_RELEASE, b, ID1, def)).stdout, 'definition none\ncurrent \n');
      assert.ok(statSync(join(b, 'releases', ID1)).isDirectory());
      symlinkSync(`releases/${ID1}`, join(b, 'current'));
      mkdirSync(join(root, 'unit dir'));
      writeFileSync(def, '[Unit]\n');
      await ok(scripts.PREPARE, b, ID2);
      assert.equal((await ok(scripts.COMPLETE_RELEASE, b, ID2, def)).stdout, `definition ${sha('[Unit]\n')}\ncurrent releases/${ID1}\n`);
      await ok(scripts.PREPARE, b, ID3);
      assert.equal((await ok(scripts.COMPLETE_RELEASE, b, ID3, '')).stdout, `current releases/${ID1}\n`, 'no definition: not read');
      // An existing release of that id is never overwritten.
      writeFileSync(join(b, 'releases', ID3, 'app'), 'live one');
      mkdirSync(partial(ID3));
      assert.notEqual((await run(scripts.COMPLETE_RELEASE, b, ID3, '')).code, 0);
      assert.equal(readFileSync(join(b, 'releases', ID3, 'app'), 'utf8'), 'live one');
    });

    it('OPEN_RELEASE prepares the partial folder and links an identical executable in one run; an existing release id stops it', async () => {
      const first = await ok(scripts.OPEN_RELEASE, b, ID1, 'app', sha('exe-1'));
      assert.match(first.stdout, /^free \d+\nmissing\n$/);
      assert.deepEqual(readdirSync(partial(ID1)), []);
      makeRelease(ID2, 'exe-1');
      const again = await ok(scripts.OPEN_RELEASE, b, ID3, 'app', sha('exe-1'));
      assert.match(again.stdout, new RegExp(`^free \\d+\nreused ${ID2}\n$`));
      assert.equal(readFileSync(join(partial(ID3), 'app'), 'utf8'), 'exe-1');
      const taken = await run(scripts.OPEN_RELEASE, b, ID2, 'app', sha('exe-1'));
      assert.deepEqual([taken.code, taken.stdout, taken.stderr], [3, '', `release ${ID2} already exists\n`]);
    });

    it("LIVE_STATE names the live release, its executable's sha256, and whether env file and definition match", async () => {
      assert.equal((await ok(LIVE_STATE, b, 'app', 'app.env', sha('x'))).stdout, 'free \nnone\n', 'no base folder yet: free space unknown');
      makeRelease(ID1, 'exe-1', 'A=1\n');
      makeRelease(ID2, 'exe-2', 'A=1\n');
      rmSync(join(b, 'releases', ID2, '.sha256'));
      symlinkSync(`releases/${ID1}`, join(b, 'current'));
      // The env file installed in shared/ counts too: missing, the rest has changed.
      mkdirSync(join(b, 'shared'));
      const def = join(root, 'app.service');
      writeFileSync(def, '[Unit]\n');
      const state = async (env: string, defText: string): Promise<string> => (await ok(LIVE_STATE, b, 'app', 'app.env', sha(env), def, sha(defText))).stdout;
      const head = (text: string): string => text.replace(/^free \d+\n/, 'free N\n');
      const releases = `release ${ID1} ${sha('exe-1')}\nrelease ${ID2} -\n`;
      // A release whose deploy never passed its gate (killed between the switch and the
      // restart): whatever else matches, the process serving may be the previous one's.
      writeFileSync(join(b, 'shared', 'app.env'), 'A=1\n');
      assert.equal(head(await state('A=1\n', '[Unit]\n')), `free N\n${releases}live ${ID1}\nbinary ${sha('exe-1')}\nrest unproven\n`);
      rmSync(join(b, 'shared', 'app.env'));
      writeFileSync(join(b, 'releases', ID1, '.went-live'), '');
      assert.equal(head(await state('A=1\n', '[Unit]\n')), `free N\n${releases}live ${ID1}\nbinary ${sha('exe-1')}\nrest changed\n`);
      writeFileSync(join(b, 'shared', 'app.env'), 'A=1\n');
      assert.equal(head(await state('A=1\n', '[Unit]\n')), `free N\n${releases}live ${ID1}\nbinary ${sha('exe-1')}\nrest same\n`);
      assert.equal(head(await state('A=2\n', '[Unit]\n')), `free N\n${releases}live ${ID1}\nbinary ${sha('exe-1')}\nrest changed\n`);
      assert.equal(head(await state('A=1\n', '[Service]\n')), `free N\n${releases}live ${ID1}\nbinary ${sha('exe-1')}\nrest changed\n`);
    });

    it('FINISH_RELEASE turns the partial folder into the release; DISCARD_RELEASE removes one that did not go live, never the live one', async () => {
      await ok(scripts.PREPARE, b, ID1);
      writeFileSync(join(partial(ID1), 'app'), 'x');
      await ok(scripts.FINISH_RELEASE, b, ID1);
      assert.equal(existsSync(partial(ID1)), false);
      assert.equal(readFileSync(join(b, 'releases', ID1, 'app'), 'utf8'), 'x');
      await ok(scripts.PREPARE, b, ID2);
      await ok(scripts.DISCARD_RELEASE, b, ID2);
      assert.deepEqual(readdirSync(join(b, 'releases')), [ID1]);
      symlinkSync(`releases/${ID1}`, join(b, 'current'));
      await ok(scripts.DISCARD_RELEASE, b, ID1);
      assert.deepEqual(readdirSync(join(b, 'releases')), [ID1], 'the live release was removed');
      rmSync(join(b, 'current'));
      await ok(scripts.DISCARD_RELEASE, b, ID1);
      assert.deepEqual(readdirSync(join(b, 'releases')), [], 'a complete release that is not live is removed');
    });

    it('SWITCH points current at releases/<id> (relative symlink), installs the env file 0600 in shared/, prints previous and since', async () => {
      await ok(scripts.PREPARE, b, 'x');
      await ok(scripts.DISCARD_RELEASE, b, 'x');
      const env1 = renderEnvFile({ MARK: 'one', ODD: `it's "$(x)"\n` });
      makeRelease(ID1, 'exe1', env1);
      makeRelease(ID2, 'exe2', renderEnvFile({ MARK: 'two' }));
      const t0 = Math.floor(Date.now() / 1000);
      const first = await ok(scripts.SWITCH, b, ID1, 'app.env', '');
      const since = Number(/^since (\d+)$/m.exec(first.stdout)?.[1]);
      assert.match(first.stdout, /^previous \n/, 'no previous release');
      assert.ok(since >= t0 - 1 && since <= Math.ceil(Date.now() / 1000) + 1, first.stdout);
      assert.ok(lstatSync(join(b, 'current')).isSymbolicLink());
      assert.equal(readlinkSync(join(b, 'current')), `releases/${ID1}`);
      assert.equal(readFileSync(join(b, 'current', 'app'), 'utf8'), 'exe1');
      assert.equal(readFileSync(join(b, 'shared', 'app.env'), 'utf8'), env1);
      assert.equal(statSync(join(b, 'shared', 'app.env')).mode & 0o777, 0o600);

      // The shared env file was readable by others before: replaced, and 0600 again.
      chmodSync(join(b, 'shared', 'app.env'), 0o644);
      const second = await ok(scripts.SWITCH, b, ID2, 'app.env', '');
      assert.match(second.stdout, new RegExp(`^previous ${ID1}\\nsince \\d+\\n$`));
      assert.equal(readlinkSync(join(b, 'current')), `releases/${ID2}`);
      assert.equal(readFileSync(join(b, 'shared', 'app.env'), 'utf8'), renderEnvFile({ MARK: 'two' }));
      assert.equal(statSync(join(b, 'shared', 'app.env')).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(b).sort(), ['.godeploy', 'current', 'releases', 'shared'], 'no temporary symlink left');
      assert.deepEqual(readdirSync(join(b, 'shared')).sort(), ['app.env', 'logs'], 'no temporary env file left');

      const missing = await run(scripts.SWITCH, b, ID3, 'app.env', '');
      assert.equal(missing.code, 3);
      assert.equal(missing.stderr.trim(), `${b}/releases/${ID3} does not exist`);
      assert.equal(readlinkSync(join(b, 'current')), `releases/${ID2}`, 'current unchanged');

      // UNSWITCH: no current at all.
      await ok(scripts.UNSWITCH, b);
      assert.equal(existsSync(join(b, 'current')), false);
    });

    it('SWITCH is atomic: a reader polling current never finds it missing or dangling', async function () {
      this.timeout(60_000);
      makeRelease(ID1, 'exe1');
      makeRelease(ID2, 'exe2');
      mkdirSync(join(b, 'shared'), { recursive: true });
      await ok(scripts.SWITCH, b, ID1, 'app.env', '');
      const stopFile = join(root, 'stop-reader');
      // Reads current/app in a tight loop until told to stop (or until the test process is gone:
      // a killed run must not leave it spinning); prints every failed read.
      const reader = spawn('sh', [
        '-c',
        'n=0; while [ ! -e "$2" ] && kill -0 "$PPID" 2>/dev/null; do cat "$1/current/app" >/dev/null 2>&1 || echo "MISSING $n"; n=$((n+1)); done; echo "reads $n"',
        'sh',
        b,
        stopFile,
      ]);
      let out = '';
      reader.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const exited = new Promise<void>((r) => reader.on('close', () => r()));
      for (let i = 0; i < 40; i++) await ok(scripts.SWITCH, b, i % 2 ? ID1 : ID2, 'app.env', '');
      writeFileSync(stopFile, '');
      await exited;
      assert.match(out, /reads \d+\n$/, out);
      assert.ok(!out.includes('MISSING'), `current was missing during a switch:\n${out.slice(0, 500)}`);
      assert.ok(Number(/reads (\d+)/.exec(out)![1]) > 40, out);
    });

    it('PRUNE keeps the newest N (the ids passed always kept, and counted), removes partial folders, prints what it removed', async () => {
      const all = ['20261121T100000Z-a', '20261121T100001Z-b', '20261121T100002Z-c', '20261121T100003Z-d', '20261121T100004Z-e', '20261121T100005Z-f'];
      for (const id of [...all].reverse()) makeRelease(id, id);
      await ok(scripts.PREPARE, b, '20261121T090000Z-leftover');
      mkdirSync(join(partial('20261121T090001.500Z-other')), { recursive: true });
      // Live f, previous a (after a rollback to a and a new deploy): both kept.
      const r = await ok(scripts.PRUNE, b, '3', all[5], all[0]);
      assert.equal(r.stdout, `pruned ${all[1]}\npruned ${all[2]}\npruned ${all[3]}\n`);
      assert.deepEqual(readdirSync(join(b, 'releases')).sort(), [all[0], all[4], all[5]]);

      // keep 2 with live and previous the two newest: the oldest go.
      const r2 = await ok(scripts.PRUNE, b, '2', all[5], all[4]);
      assert.equal(r2.stdout, `pruned ${all[0]}\n`);
      assert.deepEqual(readdirSync(join(b, 'releases')).sort(), [all[4], all[5]]);

      // Fewer than keep: nothing removed. keep 1 never removes the ids passed.
      assert.equal((await ok(scripts.PRUNE, b, '5', all[5])).stdout, '');
      assert.equal((await ok(scripts.PRUNE, b, '1', all[5], all[4])).stdout, '');
      assert.deepEqual(readdirSync(join(b, 'releases')).sort(), [all[4], all[5]]);
      assert.equal((await ok(scripts.PRUNE, b, '1', all[5])).stdout, `pruned ${all[4]}\n`);
      assert.deepEqual(readdirSync(join(b, 'releases')), [all[5]]);
    });

    it("HOOK runs in the release folder with the release's env file exported; values are never evaluated", async () => {
      const marker = join(root, 'substitution-ran');
      const env = renderEnvFile({ GREETING: `hello "world" it's $(touch ${marker}) \`touch ${marker}\``, PORT: '8123' });
      const d = makeRelease(ID1, 'exe', env);
      const hook = `printf '%s|%s|%s' "$GREETING" "$PORT" "$(pwd)" > "hook out.txt"; printenv PORT >> "hook out.txt"`;
      await ok(scripts.HOOK, b, ID1, join(d, 'app.env'), hook);
      assert.equal(readFileSync(join(d, 'hook out.txt'), 'utf8'), `hello "world" it's $(touch ${marker}) \`touch ${marker}\`|8123|${d}8123\n`);
      assert.equal(existsSync(marker), false);
      const failing = await run(scripts.HOOK, b, ID1, join(d, 'app.env'), 'echo nope >&2; exit 7');
      assert.deepEqual([failing.code, failing.stderr], [7, 'nope\n']);
    });

    it('RECORD appends one line per call, verbatim', async () => {
      await ok(scripts.PREPARE, b, ID1);
      const l1 = JSON.stringify({ release: ID1, note: `it's "$(x)" \`y\` \\n $HOME %s %d` });
      const l2 = JSON.stringify({ release: ID2, result: 'live' });
      await ok(scripts.RECORD, b, l1);
      await ok(scripts.RECORD, b, l2);
      assert.equal(readFileSync(join(b, '.godeploy', 'history.jsonl'), 'utf8'), `${l1}\n${l2}\n`);
    });

    it('FINISH_DEPLOY in one run: marks the release live, appends the history line, prunes, releases the lock only for its owner', async () => {
      await ok(`${CLAIM_BASE}\nclaim "$1" app`, b);
      const all = ['20261121T100000Z-a', '20261121T100001Z-b', '20261121T100002Z-c', '20261121T100003Z-d'];
      for (const id of all) makeRelease(id, id);
      const owner = { user: 'alice', host: 'ws1', pid: 42, version: 'v1', operation: 'deploy' };
      const mine = await acquireLock(runner, b, owner);
      const line = JSON.stringify({ release: all[3], note: `it's "$(x)" \`y\` $HOME` });
      // Someone else's owner text: everything but the unlock, which reports the holder.
      const other = await ok(scripts.FINISH_DEPLOY, b, all[3], line, '3', serializeOwner({ ...mine, pid: 43 }), all[3], all[2]);
      const lines = other.stdout.trim().split('\n');
      assert.deepEqual(lines.slice(0, 4), ['recorded', `pruned ${all[0]}`, 'unlock', 'held']);
      assert.deepEqual(parseOwner(lines.slice(5).join('\n')), mine);
      assert.ok(existsSync(join(b, '.godeploy', 'lock')), 'a lock naming someone else is kept');
      assert.ok(existsSync(join(b, 'releases', all[3], '.went-live')));
      assert.deepEqual(readdirSync(join(b, 'releases')).sort(), all.slice(1));
      // The owner's text: released. No owner: the lock is not touched.
      assert.equal((await ok(scripts.FINISH_DEPLOY, b, all[3], line, '3', serializeOwner(mine), all[3], all[2])).stdout, 'recorded\nunlock\nreleased\n');
      assert.equal(existsSync(join(b, '.godeploy', 'lock')), false);
      await acquireLock(runner, b, owner);
      assert.equal((await ok(scripts.FINISH_DEPLOY, b, all[3], line, '3', '', all[3])).stdout, 'recorded\n');
      assert.ok(existsSync(join(b, '.godeploy', 'lock')));
      assert.equal(readFileSync(join(b, '.godeploy', 'history.jsonl'), 'utf8'), `${line}\n`.repeat(3));
    });

    it('FILE_SHA and INSTALL_FILE (service definitions)', async () => {
      mkdirSync(b, { recursive: true });
      const f = join(b, 'unit file.service');
      assert.equal((await ok(scripts.FILE_SHA, f)).stdout, 'none\n');
      writeFileSync(`${f}.godeploy-tmp`, '[Unit]\n');
      await ok(scripts.INSTALL_FILE, `${f}.godeploy-tmp`, f);
      assert.equal((await ok(scripts.FILE_SHA, f)).stdout, `${sha('[Unit]\n')}\n`);
      assert.equal(existsSync(`${f}.godeploy-tmp`), false);
    });
  });
}
