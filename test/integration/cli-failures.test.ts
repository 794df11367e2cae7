// How the real `godeploy` process fails: with --json, every command that takes it prints
// one line of JSON on stdout ({"error":{message,hint,location,exitCode}}) and still the
// message for people on stderr; -C naming a folder that is not there says so.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { goEnv } from './fixtures/go';
import { freePort, tempDir } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const work = tempDir('cli-failures');
after(() => work.remove());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `godeploy ARGS…` as a user runs it: its own process, real stdout and stderr. */
function godeploy(cwd: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: goEnv(), encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonError {
  message: string;
  hint: string | null;
  location: { file: string; line: number; col: number } | null;
  exitCode: number;
  diagnostics?: unknown[];
}

/** The failure on stdout: exactly one line of JSON, the same message, hint and exit code as on stderr. */
function jsonFailure(r: Run, what: string): JsonError {
  const lines = r.stdout.trimEnd().split('\n');
  const parsed = JSON.parse(lines[lines.length - 1]) as { error: JsonError };
  const e = parsed.error;
  assert.deepEqual(Object.keys(parsed), ['error'], what);
  assert.equal(e.exitCode, r.code, `${what}: exitCode in the JSON is the process's`);
  assert.equal(typeof e.message, 'string', what);
  assert.ok(e.hint === null || typeof e.hint === 'string', what);
  const said = r.stderr.trimEnd().split('\n');
  const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.col}: ` : '';
  assert.ok(said[0].startsWith(`godeploy: ${where}`), `${what}: stderr still has the message for people: ${r.stderr}`);
  assert.ok(r.stderr.includes(e.message.split('\n')[0]), `${what}: the same message on stderr: ${r.stderr}`);
  if (e.hint) assert.ok(r.stderr.includes(`  hint: ${e.hint}`), `${what}: the same hint on stderr`);
  return e;
}

function module(name: string, config: string | null, source = 'package main\n\nfunc main() {}\n'): string {
  const dir = join(work.path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), 'module example.com/app\n\ngo 1.19\n');
  writeFileSync(join(dir, 'main.go'), source);
  if (config !== null) writeFileSync(join(dir, 'godeploy.yaml'), config);
  return dir;
}

const LOCAL = 'app:\n  port: 8080\nenvironments:\n  dev:\n    type: local\n';

describe('CLI failures with --json: one JSON error on stdout, the message on stderr', function () {
  this.timeout(300_000);

  it('every command that takes --json, failing before it has a result', () => {
    const dir = module('app', LOCAL);
    const bare = module('bare', null);
    const empty = join(work.path, 'empty');
    mkdirSync(empty, { recursive: true });
    const cases: [string, string, string[], number, RegExp][] = [
      ['inspect', empty, ['inspect', '--json'], 2, /^no go\.mod in /],
      ['validate', bare, ['validate', '--json'], 2, /^no godeploy\.yaml at /],
      ['generate', bare, ['generate', 'systemd', '--json'], 2, /^no godeploy\.yaml at /],
      ['generate kind', dir, ['generate', 'nope', '--json'], 2, /^generate: unknown kind "nope"$/],
      ['inspect-binary', dir, ['inspect-binary', join(dir, 'no-such-binary'), '--json'], 1, /no-such-binary/],
      ['deploy', dir, ['deploy', 'nope', '--json'], 2, /^no environment "nope" in godeploy\.yaml$/],
      ['rollback', dir, ['rollback', 'nope', '--json'], 2, /^no environment "nope"/],
      ['status', dir, ['status', 'nope', '--json'], 2, /^no environment "nope"/],
      ['releases', dir, ['releases', 'nope', '--json'], 2, /^no environment "nope"/],
      ['doctor', dir, ['doctor', 'nope', '--json'], 2, /^no environment "nope"/],
      ['lock', dir, ['lock', 'status', 'nope', '--json'], 2, /^no environment "nope"/],
      ['logs', dir, ['logs', 'nope', '--json'], 2, /^no environment "nope"/],
      ['an unknown option', dir, ['build', '--json', '--bogus'], 2, /bogus/],
    ];
    for (const [what, cwd, args, code, message] of cases) {
      const r = godeploy(cwd, args);
      assert.equal(r.code, code, `${what}: ${r.stderr}`);
      assert.equal(r.stdout.trimEnd().split('\n').length, 1, `${what}: one line on stdout: ${r.stdout}`);
      assert.match(jsonFailure(r, what).message, message, what);
    }
  });

  it("build --json: a compile error is one JSON error (exit 1) with the compiler's lines; without --json stdout stays empty", () => {
    const dir = module('broken', LOCAL, 'package main\n\nfunc main() { nosuch() }\n');
    const r = godeploy(dir, ['build', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const e = jsonFailure(r, 'build');
    assert.match(e.message, /^building linux\/amd64 failed:/);
    assert.ok(e.message.includes(`${join(dir, 'main.go')}:3:15: undefined: nosuch`), e.message);
    assert.equal(e.hint, 'fix the error above; nothing was written to the output folder');
    const plain = godeploy(dir, ['build']);
    assert.equal(plain.code, 1);
    assert.equal(plain.stdout, '');
  });

  it("a config with problems: the first one's message, hint and place, and every diagnostic", () => {
    const dir = module('badconfig', 'app:\n  port: eighty\nenvironments:\n  dev:\n    type: locall\n');
    const r = godeploy(dir, ['deploy', 'dev', '--json', '--dry-run']);
    assert.equal(r.code, 2, r.stderr);
    const e = jsonFailure(r, 'config');
    assert.deepEqual(e.location, { file: join(dir, 'godeploy.yaml'), line: 2, col: 9 });
    assert.equal(e.message, 'app.port: expected an integer, got the string "eighty"');
    assert.equal(e.diagnostics?.length, 2);
  });

  it('logs --json: a host that cannot be reached ends the stream with the JSON error (exit 1)', async () => {
    const port = await freePort(); // free a moment ago: nothing listens there
    const dir = module(
      'logs',
      `app:\n  port: 8080\nenvironments:\n  prod:\n    type: ssh\n    hosts:\n      - host: 127.0.0.1\n        port: ${port}\n        user: nobody\n`,
    );
    const r = godeploy(dir, ['logs', 'prod', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(jsonFailure(r, 'logs').message, new RegExp(`^logs: could not connect to 127\\.0\\.0\\.1:${port}`));
  });

  it('a command that does not take --json refuses it without JSON (init)', () => {
    const r = godeploy(module('init', null), ['init', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^godeploy: init does not take --json$/m);
    assert.equal(r.stdout, '');
  });
});

describe('-C naming a folder that is not there', function () {
  this.timeout(120_000);

  it('says "no such folder" and names it, for every command (exit 2), not "no go.mod"', () => {
    const missing = join(work.path, 'no', 'such', 'folder');
    for (const args of [
      ['inspect'],
      ['validate'],
      ['build'],
      ['init', '--dry-run'],
      ['generate', 'systemd', '--stdout'],
      ['deploy', 'dev', '--dry-run'],
      ['status', 'dev'],
    ]) {
      const r = godeploy(work.path, ['-C', missing, ...args]);
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n')[0], `godeploy: -C ${missing}: no such folder`, args[0]);
      assert.doesNotMatch(r.stderr, /go\.mod|godeploy\.yaml/, args[0]);
    }
    const json = godeploy(work.path, ['-C', missing, 'inspect', '--json']);
    assert.equal(jsonFailure(json, '-C --json').message, `-C ${missing}: no such folder`);
    const relative = godeploy(work.path, ['-C', 'nowhere', 'inspect']);
    assert.equal(relative.stderr.split('\n')[0], `godeploy: -C ${join(work.path, 'nowhere')}: no such folder`);
    const positional = godeploy(work.path, ['inspect', 'nowhere']);
    assert.equal(positional.code, 2);
    assert.equal(positional.stderr.split('\n')[0], `godeploy: inspect ${join(work.path, 'nowhere')}: no such folder`);
  });

  it('a file instead of a folder is named as such (exit 2), with the folder that holds it in the hint', () => {
    const dir = module('cfile', LOCAL);
    const file = join(dir, 'main.go');
    const r = godeploy(work.path, ['-C', file, 'validate']);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [`godeploy: -C ${file} is a file, not a folder`, `  hint: give the folder that holds it: -C ${dir}`]);
    const below = godeploy(work.path, ['-C', join(file, 'sub'), 'validate']);
    assert.equal(below.code, 2);
    assert.match(below.stderr, /no such folder \(a part of that path is a file\)/);
  });
});
