// What Go Deploy may touch in a base folder, with the real scripts and sh: which folders are
// adopted (absent, empty, marked, an earlier Go Deploy's deployment) and which are refused
// (anything else, naming a few entries); symlinks where Go Deploy writes are refused, never
// written through; pruning removes only Go Deploy's own releases; a file named current is
// never replaced; a missing shared/ is made again.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_GUARD, CLAIM_BASE, LAYOUT, parseLayout, refusedError } from '../../src/core/targets/hosts/baseLayout';
import { WRITE_STATE } from '../../src/core/targets/hosts/blueGreen';
import { layoutCheck } from '../../src/core/targets/hosts/layoutCheck';
import { localRunner, type HostRunResult } from '../../src/core/remote/hostRunner';
import { acquireLock } from '../../src/core/targets/hosts/lock';
import * as scripts from '../../src/core/targets/hosts/releaseScripts';
import { claimNotes } from '../../src/core/targets/hosts/unchanged';

const runner = localRunner({ timeoutMs: 30_000 });
const run = (script: string, ...args: string[]): Promise<HostRunResult> => runner.exec(['sh', '-c', script, 'sh', ...args]);
const sha = (data: string): string => createHash('sha256').update(data).digest('hex');
const layout = (b: string, app = 'app'): Promise<HostRunResult> => run(`${LAYOUT}\nlayout "$1" "$2"`, b, app);
const claim = (b: string, app = 'app'): Promise<HostRunResult> => run(`${CLAIM_BASE}\nclaim "$1" "$2"`, b, app);
const owner = { user: 'alice', host: 'ws1', pid: 42, version: 'v1', operation: 'deploy' };

describe('base folder ownership: the layout, adoption and the scripts that write', () => {
  let root: string;
  let b: string;
  let outside: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'godeploy-layout-'));
    b = join(root, 'my base $x');
    outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'a.conf'), 'precious a\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A release as a deploy leaves it (executable, .sha256, env file). */
  const release = (id: string): void => {
    mkdirSync(join(b, 'releases', id), { recursive: true });
    writeFileSync(join(b, 'releases', id, 'app'), id);
    writeFileSync(join(b, 'releases', id, '.sha256'), `${sha(id)}\n`);
    writeFileSync(join(b, 'releases', id, 'app.env'), `MARK=${id}\n`, { mode: 0o600 });
  };
  const ID1 = '20261121T100000.000Z-v1';
  const ID2 = '20261121T110000.000Z-v2';

  it('absent and empty folders are adopted: the claim writes .godeploy/base.json (app, time) and the layout', async () => {
    assert.deepEqual(parseLayout((await layout(b)).stdout), { refusals: [], state: 'absent', missing: [] });
    const r = await claim(b);
    assert.deepEqual([r.code, r.stdout], [0, 'adopted absent\n']);
    assert.deepEqual(readdirSync(b).sort(), ['.godeploy', 'releases', 'shared']);
    assert.ok(existsSync(join(b, 'shared', 'logs')));
    const mark = JSON.parse(readFileSync(join(b, '.godeploy', 'base.json'), 'utf8')) as Record<string, string>;
    assert.equal(mark.app, 'app');
    assert.match(mark.adoptedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(parseLayout((await layout(b)).stdout).state, 'marked');
    assert.deepEqual((await claim(b)).stdout, '', 'a marked base is not adopted again');

    const e = join(root, 'empty');
    mkdirSync(e);
    assert.equal(parseLayout((await layout(e)).stdout).state, 'empty');
    assert.equal((await claim(e)).stdout, 'adopted empty\n');
  });

  it('a folder holding anything else is refused (exit 6), naming a few entries and what to do; nothing is written', async () => {
    mkdirSync(join(b, 'releases', '20190101120001'), { recursive: true });
    for (const n of ['a-important.txt', '2019-report.pdf', 'zz-keep.txt', 'more1', 'more2']) writeFileSync(join(b, n), n);
    const report = parseLayout((await layout(b)).stdout);
    assert.equal(report.refusals[0].kind, 'foreign');
    assert.match(
      report.refusals[0].message,
      /is not empty and not a Go Deploy base \(no \.godeploy\/base\.json\); it holds 2019-report\.pdf, a-important\.txt, .*, …: choose an empty folder for path, or move those entries away$/,
    );
    const before = readdirSync(b).sort();
    for (const r of [await claim(b), await run(`${BASE_GUARD}\necho passed`, b)]) {
      assert.equal(r.code, 6);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /is not empty and not a Go Deploy base/);
    }
    await assert.rejects(
      acquireLock(runner, b, owner),
      (e: Error & { hint?: string }) => /not a Go Deploy base/.test(e.message) && /choose an empty folder/.test(e.hint ?? ''),
    );
    assert.deepEqual(readdirSync(b).sort(), before, 'the lock made nothing');
    const check = layoutCheck(b, 'app').interpret(await layout(b), { startMs: 0, endMs: 0 });
    assert.equal('status' in check && check.status, 'fail');
  });

  it("an earlier Go Deploy's deployment is adopted: current → releases/<release id> holding .sha256, or a history.jsonl", async () => {
    release(ID1);
    symlinkSync(`releases/${ID1}`, join(b, 'current'));
    assert.equal(parseLayout((await layout(b)).stdout).state, 'legacy');
    const r = await claim(b);
    assert.match(r.stdout, /^adopted legacy\nrecreated shared\nrecreated shared\/logs\nrecreated \.godeploy\n$/);
    assert.equal(parseLayout((await layout(b)).stdout).state, 'marked');

    // Capistrano's current (absolute, a timestamp without T…Z-) is not Go Deploy's.
    const cap = join(root, 'cap');
    mkdirSync(join(cap, 'releases', '20190101120001'), { recursive: true });
    writeFileSync(join(cap, 'releases', '20190101120001', '.sha256'), 'x');
    symlinkSync(join(cap, 'releases', '20190101120001'), join(cap, 'current'));
    assert.equal(parseLayout((await layout(cap)).stdout).refusals[0]?.kind, 'foreign');
    // A release-id-named current without .sha256 is not enough either; a history.jsonl is.
    const h = join(root, 'hist');
    mkdirSync(join(h, '.godeploy'), { recursive: true });
    writeFileSync(join(h, '.godeploy', 'history.jsonl'), '{"release":"x"}\n');
    assert.equal(parseLayout((await layout(h)).stdout).state, 'legacy');
  });

  it('a base marked for another app is refused', async () => {
    await claim(b, 'one');
    const r = await claim(b, 'two');
    assert.equal(r.code, 6);
    assert.match(r.stderr, /is the base of the app one, not of two/);
  });

  it('symlinks where Go Deploy writes are refused by the layout, the lock, SWITCH, RECORD and WRITE_STATE; their targets are untouched', async () => {
    await claim(b);
    release(ID1);
    for (const [rel, target] of [
      ['shared/app.env', join(outside, 'a.conf')],
      ['.godeploy/history.jsonl', join(outside, 'a.conf')],
    ] as const) {
      symlinkSync(target, join(b, rel));
      const report = parseLayout((await layout(b)).stdout);
      assert.equal(report.refusals[0]?.kind, 'symlink', rel);
      assert.ok(report.refusals[0].message.includes(`${b}/${rel} is a symlink (to ${target})`), report.refusals[0].message);
      const w = rel === 'shared/app.env' ? await run(scripts.SWITCH, b, ID1, 'app.env', '') : await run(scripts.RECORD, b, '{"x":1}');
      assert.equal(w.code, 6, rel);
      assert.match(w.stderr, /is a symlink .*Go Deploy does not write through symlinks/);
      rmSync(join(b, rel));
    }
    symlinkSync(join(outside, 'a.conf'), join(b, 'shared', '.app.env.tmp'));
    assert.equal((await run(scripts.SWITCH, b, ID1, 'app.env', '')).code, 6);
    rmSync(join(b, 'shared', '.app.env.tmp'));
    // releases/ and .godeploy/ as links: nothing pruned, no lock taken through them.
    const lockLink = join(b, '.godeploy', 'lock');
    symlinkSync(outside, lockLink);
    await assert.rejects(acquireLock(runner, b, owner), /\.godeploy\/lock is a symlink/);
    rmSync(lockLink);
    const state = join(b, '.godeploy', 'active-port');
    symlinkSync(join(outside, 'a.conf'), `${state}.tmp`);
    assert.equal((await run(WRITE_STATE, state, '8081')).code, 6);
    assert.equal(readFileSync(join(outside, 'a.conf'), 'utf8'), 'precious a\n');
    assert.deepEqual(readdirSync(outside), ['a.conf']);
  });

  it("PRUNE removes only Go Deploy's releases (a release id, a real folder, .sha256 or a history line), never through a symlink", async () => {
    await claim(b);
    const ours = ['20261121T100000Z-a', '20261121T100001.000Z-b', '20261121T100002Z-c', '20261121T100003Z-d'];
    for (const id of ours) release(id);
    // Not Go Deploy's: files, a Capistrano folder, an id-named folder with no record, a link.
    writeFileSync(join(b, 'releases', 'a-important.txt'), 'keep');
    mkdirSync(join(b, 'releases', 'b-notes'));
    mkdirSync(join(b, 'releases', '20190101120001'));
    mkdirSync(join(b, 'releases', '20190101T120001Z-foreign'));
    symlinkSync(outside, join(b, 'releases', '20190101T120002Z-link'));
    mkdirSync(join(b, 'releases', '.notes.partial'));
    // Recorded in history.jsonl only (a release of an early version without .sha256).
    mkdirSync(join(b, 'releases', '20190101T120003Z-old'));
    writeFileSync(join(b, '.godeploy', 'history.jsonl'), `${JSON.stringify({ release: '20190101T120003Z-old', result: 'live' })}\n`);
    mkdirSync(join(b, 'releases', `.${ID2}.partial`));
    const r = await run(scripts.PRUNE, b, '2', ours[3]);
    assert.equal(r.stdout, `pruned 20190101T120003Z-old\npruned ${ours[0]}\npruned ${ours[1]}\n`);
    assert.deepEqual(
      readdirSync(join(b, 'releases')).sort(),
      ['.notes.partial', '20190101120001', '20190101T120001Z-foreign', '20190101T120002Z-link', ours[2], ours[3], 'a-important.txt', 'b-notes'].sort(),
    );
    assert.deepEqual(readdirSync(outside), ['a.conf']);

    // releases/ itself a link to another folder: nothing is removed there.
    const other = join(root, 'other');
    mkdirSync(join(other, ours[0]), { recursive: true });
    writeFileSync(join(other, ours[0], '.sha256'), 'x');
    rmSync(join(b, 'releases'), { recursive: true });
    symlinkSync(other, join(b, 'releases'));
    const p = await run(`prune() {\n${scripts.PRUNE}\n}\nprune "$@"`, b, '0');
    assert.equal(p.stdout, '');
    assert.deepEqual(readdirSync(other), [ours[0]]);
  });

  it('a file named current is refused by SWITCH and left by UNSWITCH; a missing shared/ is made again by SWITCH', async () => {
    await claim(b);
    release(ID1);
    writeFileSync(join(b, 'current'), 'not a link');
    const r = await run(scripts.SWITCH, b, ID1, 'app.env', '');
    assert.equal(r.code, 6);
    assert.match(r.stderr, /current is not the symlink Go Deploy keeps there: Go Deploy will not replace it/);
    assert.equal((await run(scripts.UNSWITCH, b)).code, 0);
    assert.equal(readFileSync(join(b, 'current'), 'utf8'), 'not a link');
    assert.equal(refusedError('h', r.stderr).hint?.includes('move it away'), true);
    rmSync(join(b, 'current'));

    rmSync(join(b, 'shared'), { recursive: true });
    const check = layoutCheck(b, 'app').interpret(await layout(b), { startMs: 0, endMs: 0 });
    assert.ok(
      'status' in check && check.status === 'fail' && /shared, .*shared\/logs are missing/.test(check.detail) && /godeploy deploy/.test(check.hint ?? ''),
      JSON.stringify(check),
    );
    const warn = layoutCheck(b, 'app', true).interpret(await layout(b), { startMs: 0, endMs: 0 });
    assert.equal('status' in warn && warn.status, 'warn');
    assert.equal((await run(scripts.SWITCH, b, ID1, 'app.env', '')).code, 0);
    assert.equal(readFileSync(join(b, 'shared', 'app.env'), 'utf8'), `MARK=${ID1}\n`);
    assert.ok(lstatSync(join(b, 'current')).isSymbolicLink());
  });

  it('claimNotes: a refusal becomes the error naming the path with a hint; adoption and recreated parts become notes', () => {
    assert.throws(
      () =>
        claimNotes('web1', '/srv/x', { code: 6, stdout: '', stderr: '/srv/x/releases is a symlink (to /etc): Go Deploy does not write through symlinks\n' }),
      (e: Error & { hint?: string }) =>
        e.message === 'web1: /srv/x/releases is a symlink (to /etc): Go Deploy does not write through symlinks' && /replace the link/.test(e.hint ?? ''),
    );
    assert.deepEqual(claimNotes('web1', '/srv/x', { code: 0, stdout: 'adopted legacy\nrecreated shared\nfree 1\n', stderr: '' }), [
      "marked the deployment of an earlier Go Deploy in /srv/x as this app's base (.godeploy/base.json)",
      '/srv/x/shared was missing: made it again',
    ]);
  });
});
