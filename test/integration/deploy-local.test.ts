// `godeploy deploy|rollback|status|releases|lock` against a `type: local` environment, end to
// end through the CLI's main() (and, for a deploy killed mid-way, the built CLI as a child
// process): releases, reuse of an unchanged executable, the health gate and automatic
// rollback with the previous release's own env file, rollbacks, pruning, hooks, dry runs,
// status, the deploy lock, quoting of odd env values, and a secret that reaches the
// service but no output and no file other than the 0600 env files.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { environmentSources } from '../../src/core/config/references';
import { deploy } from '../../src/core/operations/index';
import { RELEASE_ID, releaseId } from '../../src/core/release/releaseId';
import { fixtureModules, repoRoot } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { startFollowingCli } from './fixtures/followingCli';
import { goEnv } from './fixtures/go';
import { descendants, freePort, httpGet, killProcessesUnder, onExit, portAccepts, processesUnder, sleep, tempDir, waitFor } from './fixtures/util';

const cliJs = join(repoRoot, 'out', 'src', 'cli', 'main.js');

interface Info {
  build: string;
  version: string;
  pid: number;
  cwd: string;
  exe: string;
  port: string;
  env: Record<string, string>;
}
interface EnvSpec {
  env?: Record<string, string>;
  keepReleases?: number;
  hooks?: { preDeploy?: string[]; postDeploy?: string[] };
  healthTimeout?: string;
}
interface HistoryLine {
  release: string;
  result: string;
  previous: string | null;
  binary?: string | null;
  version?: string;
}

const servicePids = processesUnder;

function killAll(pids: number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Every entry under `root` (relative path → type, size, mode, mtime, link target); empty when it does not exist. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      out[r] =
        `${st.isSymbolicLink() ? `link:${readlinkSync(join(root, r))}` : st.isDirectory() ? 'dir' : 'file'}:${st.size}:${(st.mode & 0o7777).toString(8)}:${st.mtimeMs}`;
      if (st.isDirectory() && !st.isSymbolicLink()) walk(r);
    }
  };
  walk('');
  return out;
}

/** Regular files under `root` (absolute paths). */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

describe('deploy to this machine (type: local) through the CLI', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-local');
  const bases: string[] = [];
  const killServices = (): void => {
    for (const b of bases) killProcessesUnder(b);
  };
  const removeExitHook = onExit(killServices);

  after(() => {
    killServices();
    removeExitHook();
    work.remove();
  });

  /** A copy of test/fixtures/modules/deployapp with its own port and base folder. */
  class App {
    readonly dir: string;
    readonly base: string;
    port = 0;
    constructor(
      readonly label: string,
      base?: string,
    ) {
      this.dir = join(work.path, label, 'app');
      this.base = base ?? join(work.path, label, 'base');
      cpSync(join(fixtureModules, 'deployapp'), this.dir, { recursive: true });
      bases.push(this.base);
    }

    async init(): Promise<this> {
      this.port = await freePort();
      this.configure();
      return this;
    }

    /** godeploy.yaml (as JSON, which is YAML) with environment dev. */
    configure(spec: EnvSpec = {}): void {
      const dev: Record<string, unknown> = { type: 'local', path: this.base };
      if (spec.keepReleases !== undefined) dev.keepReleases = spec.keepReleases;
      if (spec.hooks) dev.hooks = spec.hooks;
      if (spec.healthTimeout) dev.healthCheck = { timeout: spec.healthTimeout, interval: '500ms' };
      if (spec.env) dev.env = spec.env;
      writeFileSync(join(this.dir, 'godeploy.yaml'), `${JSON.stringify({ app: { name: 'deployapp', port: this.port }, environments: { dev } }, null, 2)}\n`);
    }

    setBuild(b: string): void {
      const f = join(this.dir, 'main.go');
      const text = readFileSync(f, 'utf8');
      assert.match(text, /const build = "[^"]*"/);
      writeFileSync(f, text.replace(/const build = "[^"]*"/, `const build = "${b}"`));
    }

    /** `godeploy -C DIR ARGS…` in this process, output captured; ${env:}/${secret:} from `env` (plus the Go build environment). */
    async cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
      return runCli(this.dir, args, goEnv(env));
    }

    /** A deploy that starts in a later second than every release so far (release ids have one-second resolution; see the same-second test). */
    async deploy(env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<CliRun & { id: string }> {
      await this.laterSecondThanReleases();
      const r = await this.cli(['deploy', 'dev', ...extra], env);
      return { ...r, id: /^deploy (\S+) to dev: /m.exec(r.out)?.[1] ?? '' };
    }

    async deployOk(env: NodeJS.ProcessEnv = {}): Promise<string> {
      const r = await this.deploy(env);
      assert.equal(r.code, 0, `deploy failed:\n${r.out}${r.err}`);
      assert.match(r.out, new RegExp(`^local \\(this machine\\): live on ${r.id}$`, 'm'), r.out);
      assert.match(r.id, RELEASE_ID);
      return r.id;
    }

    async laterSecondThanReleases(): Promise<void> {
      const stamps = this.releases().map((id) => id.slice(0, 16));
      const latest = stamps.sort().pop() ?? '';
      while (releaseId(new Date(), 'x').slice(0, 16) <= latest) await sleep(50);
    }

    releases(): string[] {
      const d = join(this.base, 'releases');
      return existsSync(d)
        ? readdirSync(d)
            .filter((n) => !n.startsWith('.'))
            .sort()
        : [];
    }

    current(): string | null {
      try {
        return readlinkSync(join(this.base, 'current'));
      } catch {
        return null;
      }
    }

    history(): HistoryLine[] {
      const f = join(this.base, '.godeploy', 'history.jsonl');
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as HistoryLine)
        : [];
    }

    async info(...names: string[]): Promise<Info> {
      const r = await httpGet(this.port, `/info${names.length ? `?${names.map((n) => `env=${encodeURIComponent(n)}`).join('&')}` : ''}`);
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as Info;
    }

    envFile(id?: string): string {
      return join(this.base, ...(id ? ['releases', id] : ['shared']), 'deployapp.env');
    }

    pidFile(): string {
      return join(this.base, 'shared', 'deployapp.pid');
    }
  }

  const mode = (f: string): string => (statSync(f).mode & 0o777).toString(8);

  // ---- one app through a sequence of deploys, failures and rollbacks ----
  describe('a sequence of deploys, failed deploys and rollbacks', () => {
    let app: App;
    const ids: Record<string, string> = {};
    before(async () => {
      app = await new App('main').init();
    });

    it('first deploy: exit 0, serves from the new release, current → releases/<id>, env file 0600, history line "live"', async () => {
      app.configure({ env: { MARK: 'm1' } });
      const r = await app.deploy();
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.err, '');
      ids.r1 = r.id;
      assert.match(r.id, RELEASE_ID);
      assert.match(r.out, /^\[local\] binary: uploaded .*, sha256 checked on the host/m);
      assert.match(r.out, /^\[local\] health: healthy after /m);
      assert.match(r.out, new RegExp(`^local \\(this machine\\): live on ${r.id}$`, 'm'));
      assert.match(r.out, new RegExp(`^deploy ${r.id} to dev: done in \\d+\\.\\d s; live on ${r.id}: local$`, 'm'));
      assert.equal(app.current(), `releases/${r.id}`);
      const info = await app.info('MARK', 'PORT');
      assert.equal(info.build, 'build-0');
      assert.equal(info.exe, `${app.base}/releases/${r.id}/deployapp`);
      // Like systemd, the service starts in current with a clean environment (no $PWD), so it sees the resolved release folder.
      assert.equal(info.cwd, `${app.base}/releases/${r.id}`);
      assert.deepEqual(info.env, { MARK: 'm1', PORT: String(app.port) });
      assert.equal(readFileSync(app.pidFile(), 'utf8').trim(), String(info.pid));
      assert.equal(mode(app.envFile()), '600');
      assert.equal(mode(app.envFile(r.id)), '600');
      assert.equal(readFileSync(app.envFile(), 'utf8'), readFileSync(app.envFile(r.id), 'utf8'));
      assert.ok(existsSync(join(app.base, 'shared', 'logs', 'deployapp.log')));
      const h = app.history();
      assert.equal(h.length, 1);
      assert.deepEqual([h[0].release, h[0].result, h[0].previous, h[0].binary], [r.id, 'live', null, 'uploaded']);
      assert.deepEqual(app.releases(), [r.id]);
    });

    it('an unchanged redeploy links the executable (same inode) instead of uploading it', async () => {
      const before = await app.info();
      app.configure({ env: { MARK: 'm2' } });
      const r = await app.deploy();
      assert.equal(r.code, 0, r.out + r.err);
      ids.r2 = r.id;
      assert.match(r.out, new RegExp(`^\\[local\\] binary: linked from release ${ids.r1} \\(same sha256, nothing uploaded\\)`, 'm'));
      assert.doesNotMatch(r.out, /binary: uploaded/);
      const a = statSync(join(app.base, 'releases', ids.r1, 'deployapp'));
      const b = statSync(join(app.base, 'releases', ids.r2, 'deployapp'));
      assert.equal(b.ino, a.ino, 'the same file (hard link)');
      assert.equal(readFileSync(join(app.base, 'releases', ids.r2, '.sha256'), 'utf8'), readFileSync(join(app.base, 'releases', ids.r1, '.sha256'), 'utf8'));
      const info = await app.info('MARK');
      assert.notEqual(info.pid, before.pid, 'restarted');
      assert.deepEqual([info.build, info.env.MARK, info.exe], ['build-0', 'm2', `${app.base}/releases/${ids.r2}/deployapp`]);
      assert.equal(app.current(), `releases/${ids.r2}`);
      const h = app.history().pop()!;
      assert.deepEqual([h.release, h.result, h.previous, h.binary], [ids.r2, 'live', ids.r1, 'reused']);
    });

    it('a changed build is uploaded and serves build-1', async () => {
      app.setBuild('build-1');
      app.configure({ env: { MARK: 'm3' } });
      const r = await app.deploy();
      assert.equal(r.code, 0, r.out + r.err);
      ids.r3 = r.id;
      assert.match(r.out, /^\[local\] binary: uploaded .*, sha256 checked on the host/m);
      assert.doesNotMatch(r.out, /linked from release/);
      assert.notEqual(statSync(join(app.base, 'releases', ids.r3, 'deployapp')).ino, statSync(join(app.base, 'releases', ids.r2, 'deployapp')).ino);
      const info = await app.info('MARK');
      assert.deepEqual([info.build, info.env.MARK], ['build-1', 'm3']);
      assert.equal(app.history().pop()!.binary, 'uploaded');
    });

    it("godeploy logs reads the service's log file on this machine (the last lines, then following)", async () => {
      assert.equal((await httpGet(app.port, '/log?line=local%20line&n=3')).status, 200);
      const r = await app.cli(['logs', 'dev', '-n', '2']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(r.out.trim().split('\n'), ['local | local line 2', 'local | local line 3']);
      const f = startFollowingCli(app.dir, ['logs', 'dev', '-f', '-n', '0'], goEnv());
      try {
        for (let i = 0; i < 50 && !f.lines().some((l) => l.endsWith('followed')); i++) {
          await httpGet(app.port, '/log?line=followed');
          await sleep(200);
        }
        await f.waitForLine(/^local \| followed$/);
      } finally {
        assert.equal(await f.stop(), 0, f.stderr());
      }
    });

    it('a release failing its health gate: exit 1, its last log lines shown, the previous release serves again with its own env', async () => {
      const before = await app.info();
      app.configure({ env: { MARK: 'm4', DEPLOYAPP_FAIL_HEALTH: '1' }, healthTimeout: '3s' });
      const r = await app.deploy();
      assert.equal(r.code, 1, r.out + r.err);
      ids.r4 = r.id;
      assert.match(r.out, /^\[local\] health: FAIL local: \/healthz did not answer 2xx within 3 s \(last: 503 Service Unavailable, \d+ attempts\)/m);
      assert.match(r.out, new RegExp(`^\\[local\\] logs: last log lines of ${r.id}:$`, 'm'));
      assert.match(r.out, /^\[local\] {3}.*deployapp build-1: failing the health check on purpose$/m);
      assert.match(r.out, new RegExp(`^\\[local\\] rollback: ${ids.r3} is live again and healthy`, 'm'));
      assert.match(r.out, new RegExp(`^local \\(this machine\\): rolled back to ${ids.r3}: `, 'm'));
      assert.match(r.out, new RegExp(`^deploy ${r.id} to dev: FAILED after \\d+\\.\\d s; no host switched to ${r.id}$`, 'm'));
      assert.equal(app.current(), `releases/${ids.r3}`);
      const info = await app.info('MARK', 'DEPLOYAPP_FAIL_HEALTH');
      assert.deepEqual([info.build, info.env.MARK, info.env.DEPLOYAPP_FAIL_HEALTH], ['build-1', 'm3', '']);
      assert.notEqual(info.pid, before.pid, 'the previous release was restarted');
      assert.equal(readFileSync(app.envFile(), 'utf8'), readFileSync(app.envFile(ids.r3), 'utf8'), "shared env file is the previous release's again");
      assert.equal(mode(app.envFile()), '600');
      const h = app.history().pop()!;
      assert.deepEqual([h.release, h.result, h.previous], [ids.r4, 'rolled-back', ids.r3]);
      assert.deepEqual(servicePids(app.base), [info.pid], 'exactly one service process');
    });

    it('a release exiting at start: exit 1, its log line shown, the previous release serves again', async () => {
      app.configure({ env: { MARK: 'm5', DEPLOYAPP_EXIT_AT_START: '1' }, healthTimeout: '3s' });
      const r = await app.deploy();
      assert.equal(r.code, 1, r.out + r.err);
      ids.r5 = r.id;
      assert.match(r.out, /\(last: connection refused, \d+ attempts\)/);
      assert.match(r.out, /^\[local\] {3}.*deployapp: exiting at start on purpose \(DEPLOYAPP_EXIT_AT_START\)$/m);
      assert.match(r.out, new RegExp(`^local \\(this machine\\): rolled back to ${ids.r3}: `, 'm'));
      assert.equal(app.current(), `releases/${ids.r3}`);
      const info = await app.info('MARK', 'DEPLOYAPP_EXIT_AT_START');
      assert.deepEqual([info.build, info.env.MARK, info.env.DEPLOYAPP_EXIT_AT_START], ['build-1', 'm3', '']);
      assert.deepEqual(servicePids(app.base), [info.pid]);
    });

    it('rollback goes back one release; --to ID to a named one; an unknown or live id exits 1 naming it', async () => {
      const r1 = await app.cli(['rollback', 'dev']);
      assert.equal(r1.code, 0, r1.out + r1.err);
      assert.match(r1.out, new RegExp(`^local \\(this machine\\): live on ${ids.r2}$`, 'm'));
      assert.match(r1.out, /^rollback dev: done in /m);
      assert.equal(app.current(), `releases/${ids.r2}`);
      let info = await app.info('MARK');
      assert.deepEqual([info.build, info.env.MARK], ['build-0', 'm2']);
      assert.equal(readFileSync(app.envFile(), 'utf8'), readFileSync(app.envFile(ids.r2), 'utf8'));

      const r2 = await app.cli(['rollback', 'dev', '--to', ids.r1]);
      assert.equal(r2.code, 0, r2.out + r2.err);
      assert.equal(app.current(), `releases/${ids.r1}`);
      info = await app.info('MARK');
      assert.deepEqual([info.build, info.env.MARK], ['build-0', 'm1']);

      const unknown = '20200101T000000Z-nope';
      const r3 = await app.cli(['rollback', 'dev', '--to', unknown]);
      assert.equal(r3.code, 1, r3.out + r3.err);
      assert.match(r3.out, new RegExp(`^local \\(this machine\\): FAILED: local: no release ${unknown} in ${app.base}/releases$`, 'm'));
      assert.match(r3.out, new RegExp(`hint: releases there: ${ids.r1}, ${ids.r2}, ${ids.r3}`));
      assert.equal(app.current(), `releases/${ids.r1}`);

      const live = await app.cli(['rollback', 'dev', '--to', ids.r1]);
      assert.equal(live.code, 1);
      assert.match(live.out, new RegExp(`${ids.r1} is already live`));

      const bad = await app.cli(['rollback', 'dev', '--to', 'yesterday']);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /rollback --to: "yesterday" is not a release id/);

      const r4 = await app.cli(['rollback', 'dev', '--to', ids.r3]);
      assert.equal(r4.code, 0, r4.out + r4.err);
      info = await app.info('MARK');
      assert.deepEqual([info.build, info.env.MARK], ['build-1', 'm3']);
      const rollbacks = app
        .history()
        .filter((h) => h.result === 'rollback')
        .map((h) => [h.release, h.previous]);
      assert.deepEqual(rollbacks, [
        [ids.r2, ids.r3],
        [ids.r1, ids.r2],
        [ids.r3, ids.r1],
      ]);
      assert.equal(existsSync(join(app.base, '.godeploy', 'lock')), false, 'lock released after every rollback');
    });

    it('hooks: preDeploy runs in the new release with its env before the switch, postDeploy after it', async () => {
      app.configure({
        env: { MARK: 'm6' },
        hooks: {
          preDeploy: ['printf \'%s\\n\' "$MARK" > pre-deploy.txt; pwd >> pre-deploy.txt; readlink ../../current >> pre-deploy.txt'],
          postDeploy: ['readlink ../../current > post-deploy.txt; printf \'%s\\n\' "$MARK" >> post-deploy.txt'],
        },
      });
      const id = await app.deployOk();
      ids.r6 = id;
      assert.equal(readFileSync(join(app.base, 'releases', id, 'pre-deploy.txt'), 'utf8'), `m6\n${app.base}/releases/${id}\nreleases/${ids.r3}\n`);
      assert.equal(readFileSync(join(app.base, 'releases', id, 'post-deploy.txt'), 'utf8'), `releases/${id}\nm6\n`);
    });

    it('a failing preDeploy hook: exit 1, its output shown, the live release untouched and the new one removed', async () => {
      const before = await app.info();
      const releases = app.releases();
      app.configure({ env: { MARK: 'm7' }, hooks: { preDeploy: ['echo pre-deploy says no; exit 7'] } });
      const r = await app.deploy();
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, /^\[local\] pre-deploy: pre-deploy says no$/m);
      assert.match(
        r.out,
        /^local \(this machine\): FAILED: local: hooks\.preDeploy\[0\] \(echo pre-deploy says no; exit 7\) failed with exit 7; the live release was not touched$/m,
      );
      assert.doesNotMatch(r.out, /\] switch:/);
      assert.equal(app.current(), `releases/${ids.r6}`);
      assert.deepEqual(app.releases(), releases, 'the new release is removed');
      const after = await app.info('MARK');
      assert.deepEqual([after.pid, after.env.MARK], [before.pid, 'm6'], 'not restarted');
      assert.equal(existsSync(join(app.base, '.godeploy', 'lock')), false);
    });

    it('a failing postDeploy hook is reported: exit 1, but the new release stays live (no rollback)', async () => {
      app.configure({ env: { MARK: 'm8' }, hooks: { postDeploy: ['echo post-deploy says no >&2; exit 5'] } });
      const r = await app.deploy();
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, /^\[local\] post-deploy: post-deploy says no$/m);
      assert.match(
        r.out,
        /^\[local\] post-deploy: FAIL local: hooks\.postDeploy\[0\] \(echo post-deploy says no >&2; exit 5\) failed with exit 5; the new release stays live/m,
      );
      assert.match(r.out, /^warning: local: hooks\.postDeploy\[0\] \(echo post-deploy says no >&2; exit 5\) failed with exit 5; the new release stays live$/m);
      assert.match(r.out, new RegExp(`^deploy ${r.id} to dev: done in `, 'm'));
      assert.equal(app.current(), `releases/${r.id}`);
      assert.equal((await app.info('MARK')).env.MARK, 'm8');
      assert.equal(app.history().pop()!.result, 'live');
    });

    it('deploy --dry-run prints every step and changes nothing on disk', async () => {
      app.configure({ env: { MARK: 'm9' }, hooks: { preDeploy: ['true'], postDeploy: ['true'] } });
      const baseBefore = snapshot(app.base);
      const dirBefore = snapshot(app.dir);
      const pid = (await app.info()).pid;
      const r = await app.cli(['deploy', 'dev', '--dry-run']);
      assert.equal(r.code, 0, r.out + r.err);
      const titles = [
        /^deploy deployapp dev to dev \(1 host\)$/,
        /^build: go build for each host's platform/,
        /^local: release \d{8}T\d{6}\.\d{3}Z-dev into .* \(process\)$/,
        /^ {2} 1\. preflight checks/,
        /^ {2} 2\. take the deploy lock /,
        /^ {2} 3\. create .*\/releases\/\.\d{8}T\d{6}\.\d{3}Z-dev\.partial, and link deployapp there from an earlier release with the same sha256 if there is one$/,
        /^ {2} 4\. place deployapp$/,
        /^ {2} 5\. write the release's env file deployapp\.env \(mode 0600\)/,
        /^ {2} 6\. run hooks\.preDeploy in the new release$/,
        /^ {2} 7\. point .*\/current at releases\//,
        /^ {2} 8\. restart process deployapp$/,
        new RegExp(`^ {2} 9\\. wait for GET http://127\\.0\\.0\\.1:${app.port}/healthz to answer 2xx`),
        /^ {2}10\. run hooks\.postDeploy in the new release$/,
        /^ {2}11\. mark the release live, append to .*\/\.godeploy\/history\.jsonl, keep the newest 5 releases .*, release the deploy lock$/,
      ];
      const lines = r.out.split('\n');
      let at = 0;
      for (const t of titles) {
        const found = lines.findIndex((l, i) => i >= at && t.test(l));
        assert.ok(found >= 0, `${t} not found (in order) in:\n${r.out}`);
        at = found + 1;
      }
      // prepare 1, binary 1, env-file 1, hooks 1 + 1, switch 2 (readlink current when the release's completion did not say it, the switch), restart 1, finish 1.
      assert.equal(lines.filter((l) => l.startsWith('      $ ')).length, 9, r.out);
      // What runs only on a failure is listed too: removing the release, df, switching back, restart or stop, the log lines, the history line.
      assert.ok(lines.filter((l) => l.startsWith('      on failure $ ')).length >= 7, r.out);
      assert.deepEqual(snapshot(app.base), baseBefore, 'the base folder changed');
      assert.deepEqual(snapshot(app.dir), dirBefore, 'the module folder changed');
      assert.equal((await app.info()).pid, pid, 'not restarted');
    });

    it('status: running and healthy exits 0; with the process killed it exits 1', async () => {
      const live = app.current()!.replace('releases/', '');
      const info = await app.info();
      const s = await app.cli(['status', 'dev']);
      assert.equal(s.code, 0, s.out + s.err);
      assert.match(s.out, new RegExp(`^ {2}live {5}${live} \\(version dev\\), \\d+ releases on the host$`, 'm'));
      assert.match(s.out, new RegExp(`^ {2}service {2}running, pid ${info.pid}, up (\\d+m )?\\d+s$`, 'm'));
      assert.match(s.out, /^ {2}health {3}healthy \(200 OK\)$/m);
      const j = await app.cli(['status', 'dev', '--json']);
      assert.equal(j.code, 0);
      const report = JSON.parse(j.out) as { hosts: { live: string; service: { running: boolean; pid: number }; health: { healthy: boolean } }[] };
      assert.deepEqual(
        [report.hosts[0].live, report.hosts[0].service.running, report.hosts[0].service.pid, report.hosts[0].health.healthy],
        [live, true, info.pid, true],
      );

      process.kill(info.pid, 'SIGKILL');
      // Gone, and reaped (a zombie still answers kill -0; this machine's pid 1 reaps lazily).
      await waitFor(
        async () => !existsSync(`/proc/${info.pid}`) && !(await portAccepts(app.port)),
        20_000,
        () => `pid ${info.pid} still there`,
      );
      const down = await app.cli(['status', 'dev']);
      assert.equal(down.code, 1, down.out + down.err);
      assert.match(down.out, /^ {2}service {2}stopped$/m);
      assert.match(down.out, /^ {2}health {3}UNHEALTHY \(connection refused\)$/m);
      // The next deploy starts it again (the pid file names a dead process).
      app.configure({ env: { MARK: 'm10' } });
      await app.deployOk();
      assert.equal((await app.info('MARK')).env.MARK, 'm10');
    });

    it('two deploys started at once: exactly one succeeds, the other exits 1 "locked by"', async () => {
      app.configure({ env: { MARK: 'm11' } });
      await app.laterSecondThanReleases();
      const runs = await Promise.all([app.cli(['deploy', 'dev']), app.cli(['deploy', 'dev'])]);
      const codes = runs.map((r) => r.code).sort();
      assert.deepEqual(codes, [0, 1], runs.map((r) => r.out + r.err).join('\n-----\n'));
      const loser = runs.find((r) => r.code === 1)!;
      const winner = runs.find((r) => r.code === 0)!;
      assert.match(
        loser.out,
        new RegExp(`^local \\(this machine\\): FAILED: this machine: locked by \\S+@${hostname()} since \\S+ \\(version dev, operation deploy\\)$`, 'm'),
      );
      assert.match(loser.out, /hint: another operation is running \(held for \d+s\): wait for it to finish/);
      const id = /live on (\S+)/.exec(winner.out)![1];
      assert.equal(app.current(), `releases/${id}`);
      assert.equal((await app.info('MARK')).env.MARK, 'm11');
      assert.equal(existsSync(join(app.base, '.godeploy', 'lock')), false);
    });

    it('a lock left by a killed deploy is reported stale, and the next deploy takes it over with a notice', async () => {
      // The hook holds the deploy after it took the lock, before any switch.
      app.configure({ env: { MARK: 'm12' }, hooks: { preDeploy: ['sleep 120'] } });
      await app.laterSecondThanReleases();
      const child = spawn(process.execPath, [cliJs, '-C', app.dir, 'deploy', 'dev'], { env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let childOut = '';
      child.stdout.on('data', (d: Buffer) => {
        childOut += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        childOut += d.toString();
      });
      const exited = new Promise<void>((r) => child.once('close', () => r()));
      const pid = child.pid!;
      try {
        await waitFor(
          async () => {
            const s = await app.cli(['lock', 'status', 'dev', '--json']);
            const h = (JSON.parse(s.out) as { hosts: { state: string; owner: { pid: number } | null }[] }).hosts[0];
            return (
              h.state === 'held' &&
              h.owner?.pid === pid &&
              descendants(pid).some((p) => {
                try {
                  return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u0000120\u0000';
                } catch {
                  return false;
                }
              })
            );
          },
          120_000,
          () => `the child deploy never held the lock with its hook running:\n${childOut}`,
        );
      } finally {
        const family = descendants(pid);
        killAll([pid]);
        killAll(family);
        await exited;
      }
      const status = await app.cli(['lock', 'status', 'dev', '--json']);
      const held = (JSON.parse(status.out) as { hosts: { state: string; stale: boolean; staleReason: string }[] }).hosts[0];
      assert.deepEqual([held.state, held.stale, held.staleReason], ['held', true, `process ${pid} on this machine (${hostname()}) is gone`]);

      // The next deploy takes the stale lock over itself, says so, and succeeds: no --force, no `lock release`.
      app.configure({ env: { MARK: 'm12' } });
      const next = await app.deploy();
      assert.equal(next.code, 0, next.out + next.err);
      assert.ok(
        next.out.includes(`[local] lock: took over a stale deploy lock: locked by `) &&
          next.out.includes(`(version dev, operation deploy); process ${pid} on this machine (${hostname()}) is gone`),
        next.out,
      );
      assert.equal((await app.info('MARK')).env.MARK, 'm12');
      const after = await app.cli(['lock', 'status', 'dev']);
      assert.match(after.out, /^local \(this machine\): free$/m);
    });

    it('quoting: an env value with spaces, quotes, $(), backticks, $HOME, backslashes and a newline arrives intact', async () => {
      const marker = join(work.path, 'substitution-ran');
      const odd = `it's "quoted"  $(touch ${marker}) \`touch ${marker}\` $HOME \${HOME} \\ back\\slash \\n\nsecond line ü ✓ `;
      // In godeploy.yaml a literal $ is written $$.
      app.configure({ env: { ODD: odd.replace(/\$/g, '$$$$'), DOLLARS: 'price: $$5 and $$$$', EMPTY: '' } });
      await app.deployOk();
      const info = await app.info('ODD', 'DOLLARS', 'EMPTY');
      assert.equal(info.env.ODD, odd);
      assert.equal(info.env.DOLLARS, 'price: $5 and $$');
      assert.equal(info.env.EMPTY, '');
      assert.equal(existsSync(marker), false, 'a command substitution in a value ran');
    });

    it('secrets: ${secret:CANARY} reaches the service but no CLI output and no file except the 0600 env files', async () => {
      const canary = `cAnArY${randomBytes(12).toString('hex')}`;
      app.configure({ env: { SECRET_VALUE: '${secret:CANARY}', MARK: 'secret' }, hooks: { preDeploy: ['echo "hook sees $SECRET_VALUE"'] } });
      const outputs: string[] = [];
      const r = await app.deploy({ CANARY: canary });
      outputs.push(r.out, r.err);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^\[local\] pre-deploy: hook sees \*\*\*$/m);
      const info = await app.info('SECRET_VALUE');
      assert.equal(info.env.SECRET_VALUE, canary);
      // The same again as --json, and the read-only commands.
      await app.laterSecondThanReleases();
      const j = await app.cli(['deploy', 'dev', '--json', '--force'], { CANARY: canary });
      assert.equal(j.code, 0, j.out + j.err);
      outputs.push(j.out, j.err);
      for (const args of [
        ['status', 'dev'],
        ['status', 'dev', '--json'],
        ['releases', 'dev'],
        ['releases', 'dev', '--json'],
        ['lock', 'status', 'dev'],
        ['deploy', 'dev', '--dry-run'],
      ]) {
        const x = await app.cli(args, { CANARY: canary });
        outputs.push(x.out, x.err);
      }
      for (const o of outputs) assert.ok(!o.includes(canary), `the secret is in the CLI output:\n${o}`);

      const holders = filesUnder(app.base).filter((f) => readFileSync(f).includes(canary));
      const allowed = /\/(releases\/\d{8}T\d{6}\.\d{3}Z-[^/]+|shared)\/deployapp\.env$/;
      assert.ok(holders.length >= 3, `expected the shared and two release env files, got ${holders.join(', ')}`);
      for (const f of holders) {
        assert.match(f, allowed, `the secret is in ${f}`);
        assert.equal(mode(f), '600', f);
      }
      assert.ok(!readFileSync(join(app.base, '.godeploy', 'history.jsonl'), 'utf8').includes(canary));
      for (const f of filesUnder(app.dir)) assert.ok(!readFileSync(f).includes(canary), `the secret is in ${f} (module folder)`);
    });

    // The detached process starts with a clean environment plus its env file, as under
    // systemd: nothing of the deploying shell (CI secrets, the raw secret source) leaks in.
    it("the service's environment is its env file, not the deploying shell's", async () => {
      const canary = `cAnArY${randomBytes(12).toString('hex')}`;
      app.configure({ env: { SECRET_VALUE: '${secret:CANARY}' } });
      await app.laterSecondThanReleases();
      // The built CLI as a user runs it: its environment holds CANARY and an unrelated variable.
      const child = spawn(process.execPath, [cliJs, '-C', app.dir, 'deploy', 'dev'], {
        env: goEnv({ CANARY: canary, DEPLOYER_ONLY_VARIABLE: 'from-the-deployer-shell' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
      assert.equal(code, 0, out);
      const info = await app.info('SECRET_VALUE', 'CANARY', 'DEPLOYER_ONLY_VARIABLE');
      assert.equal(info.env.SECRET_VALUE, canary);
      assert.deepEqual([info.env.CANARY, info.env.DEPLOYER_ONLY_VARIABLE], ['', ''], "the deployer's environment leaked into the service");
    });
  });

  describe('pruning, a failing first deploy, same-second deploys, a symlinked base', () => {
    it('keepReleases: 2 after 4 deploys leaves 2 releases: the live one and the previous one', async () => {
      const app = await new App('prune').init();
      const ids: string[] = [];
      for (let i = 1; i <= 4; i++) {
        app.configure({ env: { MARK: `p${i}` }, keepReleases: 2 });
        const r = await app.deploy();
        assert.equal(r.code, 0, r.out + r.err);
        ids.push(r.id);
        if (i === 3) assert.match(r.out, new RegExp(`^\\[local\\] finish: recorded in history\\.jsonl; removed ${ids[0]} `, 'm'));
        if (i === 4) assert.match(r.out, new RegExp(`^\\[local\\] finish: recorded in history\\.jsonl; removed ${ids[1]} `, 'm'));
      }
      assert.deepEqual(app.releases(), [ids[2], ids[3]]);
      assert.equal(app.current(), `releases/${ids[3]}`);
      assert.equal((await app.info('MARK')).env.MARK, 'p4');
      // No partial folder left behind; the executable linked from a pruned release still runs (rollback below).
      assert.equal(readdirSync(join(app.base, 'releases')).filter((n) => n.startsWith('.')).length, 0);
      const rb = await app.cli(['rollback', 'dev']);
      assert.equal(rb.code, 0, rb.out + rb.err);
      assert.equal((await app.info('MARK')).env.MARK, 'p3');
    });

    it('a deploy killed between the switch and the restart: the next deploy of that build restarts it, not "unchanged"', async () => {
      const app = await new App('killed').init();
      app.configure({ env: { MARK: 'k' } });
      const first = await app.deploy();
      assert.equal(first.code, 0, first.out + first.err);
      app.setBuild('build-1');
      const second = await app.deploy();
      assert.equal(second.code, 0, second.out + second.err);
      const back = await app.cli(['rollback', 'dev']);
      assert.equal(back.code, 0, back.out + back.err);
      assert.equal((await app.info()).build, 'build-0');
      // What a SIGKILL right after the switch leaves: current names build-1's release, whose
      // gate never passed there, while build-0's process still serves.
      rmSync(join(app.base, 'releases', second.id, '.went-live'), { force: true });
      symlinkSync(`releases/${second.id}`, join(app.base, 'current.tmp'));
      renameSync(join(app.base, 'current.tmp'), join(app.base, 'current'));
      assert.equal((await app.info()).build, 'build-0');
      const next = await app.deploy();
      assert.equal(next.code, 0, next.out + next.err);
      assert.match(next.out, /^\[local\] restart: /m, 'restarted, not skipped as unchanged');
      assert.equal((await app.info()).build, 'build-1', `exit 0 must mean build-1 serves:\n${next.out}`);
    });

    it('a first deploy failing its health gate leaves no current, no process and a free port; --dry-run before it created nothing', async () => {
      const app = await new App('firstfail').init();
      app.configure({ env: { DEPLOYAPP_FAIL_HEALTH: '1' }, healthTimeout: '3s' });
      const dry = await app.cli(['deploy', 'dev', '--dry-run']);
      assert.equal(dry.code, 0, dry.out + dry.err);
      assert.equal(existsSync(app.base), false, '--dry-run created the base folder');
      assert.equal(existsSync(join(app.dir, 'dist')), false, '--dry-run built');

      const r = await app.deploy();
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, /^\[local\] {3}.*failing the health check on purpose$/m);
      assert.match(r.out, /^\[local\] rollback: stopped; no current release/m);
      assert.equal(app.current(), null);
      assert.equal(existsSync(join(app.base, 'current')), false);
      assert.deepEqual(servicePids(app.base), []);
      assert.equal(existsSync(app.pidFile()), false);
      assert.equal(await portAccepts(app.port), false);
      assert.equal(existsSync(join(app.base, '.godeploy', 'lock')), false);
      const s = await app.cli(['status', 'dev']);
      assert.equal(s.code, 1);
      assert.match(s.out, /^ {2}live {5}none, /m);
      const rb = await app.cli(['rollback', 'dev']);
      assert.equal(rb.code, 1);
      assert.match(rb.out, /no live release to roll back from/);
    });

    // Release ids carry milliseconds, so deploys in the same second (a local deploy takes
    // well under one; CI retries) get distinct ids.
    it('two deploys in the same second both succeed, with distinct release ids', async () => {
      const app = await new App('samesecond').init();
      const second0 = Math.floor(Date.now() / 1000) * 1000;
      const req = {
        configFile: { file: join(app.dir, 'godeploy.yaml'), exists: true },
        environment: 'dev',
        sources: environmentSources(goEnv()),
        buildEnv: goEnv(),
      };
      const first = await deploy({ ...req, now: new Date(second0 + 100) });
      assert.ok(first.ok, JSON.stringify(first.hosts));
      const second = await deploy({ ...req, now: new Date(second0 + 700), force: true });
      assert.ok(second.ok, `second deploy in the same second failed: ${JSON.stringify(second.hosts.map((h) => h.error))}`);
      assert.notEqual(second.releaseId, first.releaseId);
      assert.equal(readlinkSync(join(app.base, 'current')), `releases/${second.releaseId}`);
    });

    // /proc/PID/exe is a resolved path: preflight and the stop script compare it with the
    // base as written and as resolved, so a symlinked base still finds the live release.
    it('a base path through a symlink: a redeploy replaces the running release', async () => {
      const real = join(work.path, 'symlinked', 'real');
      mkdirSync(real, { recursive: true });
      symlinkSync(real, join(work.path, 'symlinked', 'link'));
      const app = await new App('symlinked', join(work.path, 'symlinked', 'link', 'base')).init();
      bases.push(join(real, 'base'));
      await app.deployOk();
      assert.equal((await app.info()).build, 'build-0');
      app.setBuild('build-1');
      const r = await app.deploy();
      assert.equal(r.code, 0, `redeploy failed:\n${r.out}${r.err}`);
      assert.equal((await app.info()).build, 'build-1');
      assert.equal(servicePids(join(real, 'base')).length, 1);
    });
  });
});
