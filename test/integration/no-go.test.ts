// A machine without Go: the built `godeploy`, run with a PATH that holds every command of this
// machine but `go` (and gofmt), says at once what is missing, what to install and where from
// (https://go.dev/dl/, and the Debian package), instead of failing deep inside a build:
// `build`, and `deploy` before anything is connected, locked or written, whether the
// environment is this machine, ssh hosts or a Docker engine that packs the binary. What needs
// no Go keeps working without it: `inspect` reads the build constraints from the files and
// says why; a deploy's --dry-run prints its plan.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, fixtureModules } from '../support/paths';
import { pathWithout, tempDir } from './fixtures/util';

const work = tempDir('no-go');
after(() => work.remove());

const app = join(work.path, 'app');
const base = join(work.path, 'base');
const noGoBin = join(work.path, 'bin');

before(() => {
  cpSync(join(fixtureModules, 'deployapp'), app, { recursive: true });
  writeFileSync(
    join(app, 'godeploy.yaml'),
    [
      'app:',
      '  name: deployapp',
      '  port: 18431',
      'environments:',
      '  dev:',
      '    type: local',
      `    path: ${base}`,
      // Unreachable on purpose: without Go the deploy must stop before it connects anywhere.
      '  web:',
      '    type: ssh',
      '    hosts:',
      '      - host: 127.0.0.1',
      '        port: 9',
      '        user: deploy',
      '    path: /opt/deployapp',
      '  engine:',
      '    type: docker',
      '    docker:',
      '      host: tcp://127.0.0.1:9',
      '',
    ].join('\n'),
  );
  // A link to every command on PATH except the Go toolchain's: this machine as it is, without Go.
  pathWithout(noGoBin, ['go', 'gofmt']);
});

/** `godeploy ARGS` in the module, as its own process, with Go off PATH (node by its absolute path). */
function godeployWithoutGo(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: app, env: { ...process.env, PATH: noGoBin }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every entry under `root`, with its type, size and mtime: to see that nothing was written. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      out[r] = `${st.isSymbolicLink() ? `link:${readlinkSync(join(root, r))}` : st.isDirectory() ? 'dir' : 'file'}:${st.size}:${st.mtimeMs}`;
      if (st.isDirectory() && !st.isSymbolicLink()) walk(r);
    }
  };
  if (existsSync(root)) walk('');
  return out;
}

const goMissing = [
  'godeploy: Go is not installed: there is no `go` command on PATH',
  '  hint: install Go from https://go.dev/dl/ (Debian/Ubuntu: sudo apt install golang-go), then check that `go version` works where Go Deploy runs',
  '',
].join('\n');

describe('godeploy on a machine without Go', function () {
  this.timeout(300_000);

  it('the PATH of these tests has no go, and still has what godeploy runs (git, sh)', () => {
    assert.equal(spawnSync('go', ['version'], { env: { PATH: noGoBin } }).error?.message.includes('ENOENT'), true);
    assert.equal(spawnSync('sh', ['-c', 'command -v git'], { env: { PATH: noGoBin } }).status, 0);
  });

  it('build: exit 1, one message naming go.dev/dl and the Debian package, no stack, nothing written', () => {
    const before = snapshot(work.path);
    const r = godeployWithoutGo(['build']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, goMissing);
    assert.equal(r.stdout, '');
    assert.deepEqual(snapshot(work.path), before);
  });

  it('build --json: the same failure as one line of JSON on stdout', () => {
    const r = godeployWithoutGo(['build', '--json']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, goMissing);
    assert.deepEqual(JSON.parse(r.stdout), {
      error: {
        message: 'Go is not installed: there is no `go` command on PATH',
        hint: 'install Go from https://go.dev/dl/ (Debian/Ubuntu: sudo apt install golang-go), then check that `go version` works where Go Deploy runs',
        location: null,
        exitCode: 1,
      },
    });
  });

  for (const [environment, what] of [
    ['dev', 'type local: no release folder, no lock, no adopted base'],
    ['web', 'ssh hosts: before connecting (the host is not even reachable)'],
    ['engine', 'a Docker engine that packs the binary: before connecting to it'],
  ] as const) {
    it(`deploy ${environment} (${what}): the same message, exit 1, nothing written`, () => {
      const before = snapshot(work.path);
      const r = godeployWithoutGo(['deploy', environment]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stderr, goMissing);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.deepEqual(snapshot(work.path), before);
      assert.equal(existsSync(base), false);
    });
  }

  it('deploy --dry-run needs no Go: the plan is printed', () => {
    const r = godeployWithoutGo(['deploy', 'dev', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^build: go build for each host's platform/m);
    assert.equal(existsSync(base), false);
  });

  it('inspect works from the files and says Go is missing and where to get it', () => {
    const r = godeployWithoutGo(['inspect']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^read by {4}reading build constraints in the files \(Go is not installed: there is no `go` command on PATH; get Go from https:\/\/go\.dev\/dl\/\)$/m,
    );
    assert.match(r.stdout, /^main \. {2}\(binary deployapp\) {2}<- deployed$/m);
    const j = godeployWithoutGo(['inspect', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const facts = JSON.parse(j.stdout);
    assert.equal(facts.via, 'files');
    assert.equal(facts.viaReason, 'Go is not installed: there is no `go` command on PATH; get Go from https://go.dev/dl/');
    assert.equal(facts.port, 8080);
  });
});
