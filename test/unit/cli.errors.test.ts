// Errors for people: a config or output path that cannot be read or written is one line
// with the path and a hint (no stack, the right exit code); --verbose shows the stack.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeFailure, jsonFailureFromText } from '../../src/cli/failure';
import { UNSETTLED_MESSAGE } from '../../src/cli/guard';
import { GoDeployError } from '../../src/core/errors';
import { fileError } from '../../src/core/fs/fileErrors';
import { runCli } from '../integration/fixtures/cli';
import { goEnv } from '../integration/fixtures/go';
import { fixtureModules, repoRoot } from '../support/paths';

const builtCli = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');
const config = 'app:\n  name: hello\n  port: 8081\nenvironments:\n  dev:\n    type: local\n';

/** The built CLI run as user nobody (the tests run as root, who reads a mode-000 file). */
function godeployAsNobody(cwd: string, args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, builtCli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/nonexistent' },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Exactly "godeploy: MESSAGE" and "  hint: …", nothing else (no stack). */
function assertOneLineAndHint(stderr: string, message: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `one line and a hint, got:\n${stderr}`);
  assert.match(lines[0], message);
  assert.match(lines[1], /^ {2}hint: \S/);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack');
}

describe('CLI: errors for people', function () {
  this.timeout(60_000);
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-errors-'));
    cpSync(path.join(fixtureModules, 'single'), work, { recursive: true });
    chmodSync(work, 0o755);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('a config file nobody may read (mode 000, run as nobody): validate, deploy --dry-run and generate say so in one line, exit 2; --verbose adds the stack', () => {
    const file = path.join(work, 'godeploy.yaml');
    writeFileSync(file, config);
    chmodSync(file, 0o000);
    for (const args of [['validate'], ['deploy', 'dev', '--dry-run'], ['generate', 'systemd', '--stdout'], ['status', 'dev']]) {
      const r = godeployAsNobody(work, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLineAndHint(r.stderr, new RegExp(`^godeploy: cannot read ${file.replace(/[.]/g, '\\.')}: permission denied$`));
      assert.match(r.stderr, /readable for user nobody/);
    }
    const verbose = godeployAsNobody(work, ['--verbose', 'validate']);
    assert.equal(verbose.code, 2);
    assert.match(verbose.stderr, /^godeploy: cannot read .*: permission denied$/m);
    assert.match(verbose.stderr, /caused by: Error: EACCES/);
    assert.match(verbose.stderr, /^\s+at /m, 'the stack, with --verbose');
  });

  it('a module nobody may read (go.mod mode 000, a package folder mode 000): inspect and validate name the file, exit 2', () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), config);
    chmodSync(path.join(work, 'go.mod'), 0o000);
    for (const args of [['inspect'], ['validate']]) {
      const r = godeployAsNobody(work, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLineAndHint(r.stderr, new RegExp(`^godeploy: cannot read ${path.join(work, 'go.mod').replace(/[.]/g, '\\.')}: permission denied$`));
    }
    chmodSync(path.join(work, 'go.mod'), 0o644);
    mkdirSync(path.join(work, 'internal'), { mode: 0o000 });
    const r = godeployAsNobody(work, ['inspect']);
    assert.equal(r.code, 2, r.stderr);
    assertOneLineAndHint(r.stderr, new RegExp(`^godeploy: cannot read ${path.join(work, 'internal')}: permission denied$`));
  });

  it('init into a folder nobody may write: one line naming the file, exit 1, nothing left behind', () => {
    const r = godeployAsNobody(work, ['init']);
    assert.equal(r.code, 1, r.stderr);
    assertOneLineAndHint(r.stderr, new RegExp(`^godeploy: cannot write ${path.join(work, 'godeploy.yaml').replace(/[.]/g, '\\.')}: permission denied$`));
  });

  it('godeploy.yaml is a folder: validate and deploy --dry-run exit 2, init --force exits 1, each in one line', async () => {
    mkdirSync(path.join(work, 'godeploy.yaml'));
    for (const args of [['validate'], ['deploy', 'dev', '--dry-run']]) {
      const r = await runCli(work, args, {});
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLineAndHint(r.err, /^godeploy: \/.*\/godeploy\.yaml is a folder, not a file$/);
    }
    const init = await runCli(work, ['init', '--force'], {});
    assert.equal(init.code, 1, init.err);
    assertOneLineAndHint(init.err, /^godeploy: \/.*\/godeploy\.yaml is a folder, not a file$/);
    const verbose = await runCli(work, ['init', '--force', '--verbose'], {});
    assert.match(verbose.err, /caused by: Error: EISDIR/);
  });

  it('generate --out under a file (ENOTDIR): one line with the path, exit 1', async () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), config);
    writeFileSync(path.join(work, 'plain'), 'a file\n');
    const r = await runCli(work, ['generate', 'systemd', '--out', 'plain/deploy'], {});
    assert.equal(r.code, 1, r.err);
    assertOneLineAndHint(r.err, /^godeploy: cannot write \/.*\/plain\/deploy\/\S+: a part of that path is a file, not a folder$/);
  });

  it('build --out into a read-only file system (EROFS, a read-only bind mount): one line with the path, exit 1', async function () {
    writeFileSync(path.join(work, 'godeploy.yaml'), config);
    const readOnly = path.join(work, 'ro');
    mkdirSync(readOnly);
    // Needs root (a read-only bind mount) and go, as CI has: without them the test fails, never skips.
    const bind = spawnSync('mount', ['--bind', '-o', 'ro', readOnly, readOnly], { encoding: 'utf8' });
    assert.equal(bind.status, 0, `a read-only bind mount needs root: ${bind.stderr}`);
    assert.equal(spawnSync('go', ['version']).status, 0, 'go is needed (scripts/setup/system.sh installs it)');
    try {
      const r = await runCli(work, ['build', '--out', 'ro/dist'], goEnv());
      assert.equal(r.code, 1, r.err);
      assertOneLineAndHint(r.err, /^godeploy: cannot write \/.*\/ro\/dist: the file system is read-only$/);
    } finally {
      spawnSync('umount', [readOnly]);
    }
  });

  it('a YAML file with several documents: one located error that says where the second starts', async () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), `${config}---\n${config}`);
    const r = await runCli(work, ['validate'], {});
    assert.equal(r.code, 2);
    assert.equal(r.err.split('\n')[0], 'godeploy.yaml:7:1: error: godeploy.yaml holds several YAML documents (a second one starts at line 7); use one');
    assert.doesNotMatch(r.err, /parseAllDocuments/);
  });
});

describe('fileError and describeFailure', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: something, open '/x'`), { code });

  it('names the path and says what to do for each fs error; config reads exit 2, writes 1', () => {
    const cases: [string, 'read' | 'write', RegExp][] = [
      ['EACCES', 'read', /^cannot read \/m\/godeploy\.yaml: permission denied$/],
      ['EISDIR', 'read', /^\/m\/godeploy\.yaml is a folder, not a file$/],
      ['ENOTDIR', 'read', /a part of that path is a file/],
      ['ENOSPC', 'write', /^cannot write \/m\/godeploy\.yaml: no space left on the device$/],
      ['EROFS', 'write', /^cannot write \/m\/godeploy\.yaml: the file system is read-only$/],
    ];
    for (const [code, action, message] of cases) {
      const e = fileError(errno(code), action, '/m/godeploy.yaml', 'config') as GoDeployError;
      assert.ok(e instanceof GoDeployError, code);
      assert.match(e.message, message);
      assert.ok(e.hint && e.hint.length > 10, `${code} has a hint`);
      assert.equal(e.exitCode, action === 'read' ? 2 : 1, code);
    }
    assert.equal(
      (fileError(errno('EISDIR'), 'write', '/m/godeploy.yaml', 'config') as GoDeployError).exitCode,
      2,
      'the config path is a folder: a config problem',
    );
    assert.equal((fileError(errno('EACCES'), 'write', '/m/dist/x') as GoDeployError).exitCode, 1);
  });

  it('leaves anything that is not an fs error as it is', () => {
    const bug = new TypeError('x is undefined');
    assert.equal(fileError(bug, 'read', '/m/a'), bug);
    const mine = new GoDeployError('already said');
    assert.equal(fileError(Object.assign(mine, { code: 'EACCES' }), 'read', '/m/a'), mine);
  });

  it('an internal error is one line and a hint about --verbose, the stack only with --verbose', () => {
    const bug = new TypeError('cannot read properties of undefined');
    const plain = describeFailure(bug, false);
    assert.equal(plain.exitCode, 1);
    assert.equal(
      plain.text,
      'godeploy: internal error: TypeError: cannot read properties of undefined\n  hint: this is a bug in Go Deploy; run again with --verbose for the stack, and please report it',
    );
    assert.match(describeFailure(bug, true).text, /^\s+at /m);
  });

  it('--json\'s failure line says the same: an internal error, and the guard\'s "stopped before it finished"', () => {
    const bug = new TypeError('cannot read properties of undefined');
    assert.deepEqual(describeFailure(bug, true).json, {
      error: {
        message: 'internal error: TypeError: cannot read properties of undefined',
        hint: 'this is a bug in Go Deploy; run again with --verbose for the stack, and please report it',
        location: null,
        exitCode: 1,
      },
    });
    const unsettled = jsonFailureFromText(UNSETTLED_MESSAGE, 1).error;
    assert.match(unsettled.message, /^internal error: the operation stopped before it finished/);
    assert.match(unsettled.hint ?? '', /^check the hosts with `godeploy status ENV`/);
  });
});
