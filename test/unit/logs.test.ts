// The log engine's parts as data: lines split from byte chunks, journald entries and Docker
// timestamps read, --since understood, which source each environment type is read from, the
// batching queue's back-pressure, and the file tail script run for real with sh on files here.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedEnvironment } from '../../src/core/environment/load';
import { splitTimestamp } from '../../src/core/targets/docker/dockerLogs';
import { fileSource, TAIL_FILE } from '../../src/core/targets/hosts/fileTail';
import { journalctlArgv, journalLine } from '../../src/core/targets/hosts/journal';
import { LineQueue } from '../../src/core/logs/lineQueue';
import { formatLogLine, LineSplitter, MAX_LINE, parseSince, type LogLine } from '../../src/core/logs/logLine';
import { logSources } from '../../src/core/operations/index';
import { GoDeployError } from '../../src/core/errors';
import { buildGenerateModel } from '../../src/core/generate/model';

describe('log lines', () => {
  it('splits chunks into lines, a UTF-8 character cut between chunks intact, the partial last line kept for the end', () => {
    const s = new LineSplitter();
    const text = Buffer.from('one\r\ntwo ü\nthr');
    const cut = text.indexOf(0xbc); // the second byte of ü
    assert.deepEqual(s.push(text.subarray(0, cut)), ['one']);
    assert.deepEqual(s.push(text.subarray(cut)), ['two ü']);
    assert.deepEqual(s.push(Buffer.from('ee\n')), ['three']);
    assert.deepEqual(s.push(Buffer.from('last')), []);
    assert.deepEqual(s.end(), ['last']);
    const long = new LineSplitter().push(Buffer.alloc(MAX_LINE + 10, 'x'));
    assert.equal(long.length, 1);
    assert.match(long[0], /\[line cut at 64 KiB\]$/);
  });

  it('formats host | time text, notices marked', () => {
    assert.equal(formatLogLine({ host: 'web1', time: '2026-11-21T10:00:00.000Z', text: 'hi' }, 6), 'web1   | 2026-11-21T10:00:00.000Z hi');
    assert.equal(formatLogLine({ host: 'web1', text: 'reconnected', notice: true }), 'web1 | -- reconnected');
  });

  it('--since: a duration back from now, or a date; anything else is undefined', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    assert.equal(parseSince('10m', now), now / 1000 - 600);
    assert.equal(parseSince('1.5h', now), now / 1000 - 5400);
    assert.equal(parseSince('2026-11-21T08:00:00Z', now), Date.parse('2026-11-21T08:00:00Z') / 1000);
    assert.equal(parseSince('yesterday-ish', now), undefined);
  });

  it('journald JSON entries become short-iso lines with their cursor; binary messages are decoded', () => {
    const e = journalLine(
      'web1',
      JSON.stringify({ __CURSOR: 's=1;i=2', __REALTIME_TIMESTAMP: '1795348800123456', MESSAGE: 'started', _PID: '42', SYSLOG_IDENTIFIER: 'api' }),
    );
    assert.deepEqual(e, { line: { host: 'web1', time: new Date(1795348800123).toISOString(), text: 'api[42]: started' }, cursor: 's=1;i=2' });
    assert.equal(journalLine('web1', JSON.stringify({ MESSAGE: [104, 105], __CURSOR: 'c' }))?.line.text, 'hi');
    assert.equal(journalLine('web1', ''), null);
    // syslog priorities: 0-3 are errors, 4 a warning, 5-7 ordinary lines.
    const level = (p: string): string | undefined => journalLine('web1', JSON.stringify({ MESSAGE: 'm', PRIORITY: p }))?.line.level;
    assert.deepEqual(['0', '3', '4', '5', '6', '7'].map(level), ['error', 'error', 'warning', undefined, undefined, undefined]);
    assert.deepEqual(journalctlArgv(['api.service'], { lines: 5, follow: true }), [
      'journalctl',
      '--unit',
      'api.service',
      '--output',
      'json',
      '--output-fields',
      'MESSAGE,_PID,SYSLOG_IDENTIFIER,PRIORITY',
      '--no-pager',
      '--lines',
      '5',
      '--follow',
    ]);
    // A resume asks for what came after the cursor, all of it.
    assert.deepEqual(journalctlArgv(['api.service'], { lines: 5, since: 100, follow: true }, 's=1').slice(-4), [
      '--after-cursor',
      's=1',
      '--no-tail',
      '--follow',
    ]);
  });

  it('Docker timestamps (RFC 3339 with up to 9 digits) order by nanosecond', () => {
    const a = splitTimestamp('2026-11-21T10:00:00.123456789Z hello world')!;
    const b = splitTimestamp('2026-11-21T10:00:00.1234568Z next')!;
    assert.equal(a.text, 'hello world');
    assert.equal(a.time, '2026-11-21T10:00:00.123Z');
    assert.ok(b.ns > a.ns);
    assert.equal(splitTimestamp('no timestamp'), undefined);
  });
});

describe('log sources per environment', () => {
  const env = (e: Record<string, unknown>): LoadedEnvironment => {
    const config = { app: { name: 'api', port: 8080 }, environments: { prod: e } } as never;
    const model = buildGenerateModel(
      config,
      {
        dir: '/src/api',
        module: 'example.com/api',
        goVersion: '1.19',
        toolchain: null,
        mains: ['.'],
        cgo: false,
        cgoReasons: [],
        port: null,
        portSource: null,
        readsPortEnv: true,
        sdNotify: null,
        embed: false,
        embedFiles: [],
        healthPath: null,
        work: null,
        targets: ['linux/amd64'],
        via: 'files',
        viaReason: null,
        mainPackages: [],
        main: '.',
        vendored: false,
        localReplaces: [],
      } as never,
      { environment: 'prod' },
    );
    return { name: 'prod', env: e, config, model, moduleDir: '/src/api', inspection: {} } as unknown as LoadedEnvironment;
  };
  it("systemd: the unit's journal per host (both instances for blue-green); supervisor: the program files; local: its log file; docker: the engine", () => {
    const hosts = [{ host: 'web1' }, { host: 'web2' }];
    assert.deepEqual(logSources(env({ type: 'ssh', hosts })), [
      { host: 'web1', kind: 'journal', units: ['api.service'] },
      { host: 'web2', kind: 'journal', units: ['api.service'] },
    ]);
    assert.deepEqual(logSources(env({ type: 'ssh', hosts: [hosts[0]], strategy: 'blue-green' })), [
      { host: 'web1', kind: 'journal', units: ['api@*.service'] },
    ]);
    const sup = logSources(env({ type: 'ssh', hosts: [hosts[0]], processManager: 'supervisor', path: '/opt/api' }));
    assert.deepEqual(
      sup.map((s) => s.kind === 'file' && s.file),
      ['/opt/api/shared/logs/api.out.log', '/opt/api/shared/logs/api.err.log'],
    );
    assert.deepEqual(logSources(env({ type: 'local', path: '/srv/api' })), [{ host: 'local', kind: 'file', file: '/srv/api/shared/logs/api.log' }]);
    assert.equal(logSources(env({ type: 'docker' }))[0].kind, 'docker');
  });

  it('limited to some hosts, only theirs; a host the environment does not have is a usage error naming the ones it has', () => {
    const e = env({ type: 'ssh', hosts: [{ host: 'web1' }, { host: 'web2' }] });
    assert.deepEqual(
      logSources(e, ['web2']).map((s) => s.host),
      ['web2'],
    );
    assert.deepEqual(
      logSources(env({ type: 'local', path: '/srv/api' }), ['local']).map((s) => s.host),
      ['local'],
    );
    assert.throws(
      () => logSources(e, ['web3']),
      (err: GoDeployError) => err.exitCode === 2 && err.message === 'logs: prod has no host "web3"' && err.hint === 'its hosts: web1, web2',
    );
  });
});

describe('log line queue', () => {
  it('hands lines over in batches, pauses every follower past the high-water mark and resumes them once drained: nothing dropped', async () => {
    const batches: LogLine[][] = [];
    const q = new LineQueue((b) => batches.push(b), { flushMs: 10, highWater: 1000 });
    const events: string[] = [];
    const release = q.control({ pause: () => events.push('pause'), resume: () => events.push('resume') });
    for (let i = 0; i < 100; i++) q.push([{ host: 'h', text: `line ${i}` }]);
    assert.deepEqual(events, ['pause']);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(events, ['pause', 'resume']);
    assert.equal(batches.length, 1, 'one batch, not one call per line');
    q.push([{ host: 'h', text: 'last' }]);
    q.close();
    release();
    assert.equal(batches.flat().length, 101);
    assert.ok(q.peak > 1000);
  });
});

describe('the file tail script (sh, tail, stat for real)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'godeploy-tail-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const runTail = (file: string, lines: number, offset = '', inode = ''): { out: string; err: string } => {
    const r = { out: '', err: '' };
    try {
      r.out = execFileSync('sh', ['-c', `${TAIL_FILE}`, 'sh', file, String(lines), offset, inode, '0'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw new Error(String((e as { stderr?: string }).stderr), { cause: e });
    }
    return r;
  };
  const startOf = (file: string, lines: number, offset = '', inode = ''): string =>
    execFileSync(
      'sh',
      [
        '-c',
        `{ ${TAIL_FILE}
} 2>&1 >/dev/null`,
        'sh',
        file,
        String(lines),
        offset,
        inode,
        '0',
      ],
      { encoding: 'utf8' },
    ).trim();

  it('the last N lines start at the right byte; a resume reads from the offset; a replaced file starts over (and says so)', () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'a\nbb\nccc\n');
    assert.equal(runTail(f, 2).out, 'bb\nccc\n');
    const ino = execFileSync('stat', ['-c', '%i', f], { encoding: 'utf8' }).trim();
    assert.equal(startOf(f, 2), `godeploy-start ${ino} 2`);
    appendFileSync(f, 'dddd\n');
    assert.equal(runTail(f, 2, '9', ino).out, 'dddd\n');
    renameSync(f, `${f}.1`);
    writeFileSync(f, 'new\n');
    assert.match(startOf(f, 2, '9', ino), /^godeploy-replaced\ngodeploy-start \d+ 0$/);
    assert.equal(runTail(f, 2, '9', ino).out, 'new\n');
    // Not there yet: nothing, from the start once it appears.
    assert.equal(startOf(join(dir, 'none.log'), 5), 'godeploy-start  0');
  });

  it('counts its position from the bytes received, whichever stream speaks first', () => {
    const s = fileSource('web1', '/var/log/app.log', { lines: 10, follow: true });
    s.argv();
    assert.deepEqual(
      s.stdout(Buffer.from('x\ny\n')).map((l) => l.text),
      ['x', 'y'],
    );
    assert.deepEqual(s.stderr('godeploy-start 77 100'), []);
    assert.equal(s.resumePoint(), 'at byte 104 of /var/log/app.log');
    const again = s.argv();
    assert.deepEqual(again.slice(-5), ['/var/log/app.log', '10', '104', '77', '1']);
  });
});
