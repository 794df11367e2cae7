// `godeploy exec` and `godeploy restart|stop|start` against a `type: local` environment, end
// to end through the CLI's main(): deployapp deployed for real, then a command run in its
// live release (its env var, its folder, its exit code, a secret hidden), restarted (a new
// pid that passes the health gate), stopped (nothing listens, status says so), started again,
// and a restart whose service fails its health gate (exit 1, its log lines shown).
import { strict as assert } from 'node:assert';
import { appendFileSync, cpSync, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { runCli, runCliInTerminal, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, isAlive, killProcessesUnder, onExit, portAccepts, processesUnder, tempDir } from './fixtures/util';

const SECRET = 'ops-canary-secret-7f3a9c';

describe('exec, restart, stop, start on this machine (type: local) through the CLI', function () {
  this.timeout(600_000);
  const work = tempDir('operations-local');
  const dir = join(work.path, 'app');
  const base = join(work.path, 'base');
  let port = 0;
  let release = '';
  const env = { OPS_SECRET: SECRET };

  /** Processes running an executable under the base (what the deploy started). */
  const servicePids = (): number[] => processesUnder(base);
  const killService = (): void => killProcessesUnder(base);
  const removeExitHook = onExit(killService);
  after(() => {
    killService();
    removeExitHook();
    work.remove();
  });

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv(env));
  const pid = async (): Promise<number> => (JSON.parse((await httpGet(port, '/info')).body) as { pid: number }).pid;

  before(async () => {
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    port = await freePort();
    const config = {
      app: { name: 'deployapp', port, env: { MARK: 'it\'s "marked" $here', TOKEN: '${secret:OPS_SECRET}' } },
      environments: { dev: { type: 'local', path: base, healthCheck: { timeout: '10s', interval: '200ms' } } },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  });

  it('before any deploy: exec says there is no live release (exit 126)', async () => {
    const r = await cli(['exec', 'dev', '--', 'true']);
    assert.equal(r.code, 126, r.out + r.err);
    assert.match(r.err, /^local \| no live release here: .*\/base\/current does not exist \(deploy first\)$/m);
  });

  it('deploys deployapp', async () => {
    const r = await cli(['deploy', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    release = /^deploy (\S+) to dev: /m.exec(r.out)![1];
    assert.equal(readlinkSync(join(base, 'current')), `releases/${release}`);
  });

  it("exec prints the release's env var and runs in its folder; stdout and stderr are prefixed with the host; the secret shows as ***; the exit code is the command's", async () => {
    const r = await cli(['exec', 'dev', '--', 'sh', '-c', 'echo "MARK=$MARK"; echo "PORT=$PORT"; pwd -P; echo "token $TOKEN"; echo oops >&2; exit 3']);
    assert.equal(r.code, 3, r.out + r.err);
    assert.deepEqual(r.out.trimEnd().split('\n'), [
      'local | MARK=it\'s "marked" $here',
      `local | PORT=${port}`,
      `local | ${join(base, 'releases', release)}`,
      'local | token ***',
    ]);
    assert.match(r.err, /^local \| oops$/m);
    assert.match(r.err, /^exec in dev: local exit 3$/m);
    assert.ok(!(r.out + r.err).includes(SECRET));
  });

  it("exec: exit 0 prints only the output; --json gathers it per host; the argument after -- stays the command's", async () => {
    const ok = await cli(['exec', 'dev', '--', 'printf', '%s|', '--json', "a 'b'", '$(id)']);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, "local | --json|a 'b'|$(id)|\n");
    assert.equal(ok.err, '');
    const j = await cli(['exec', 'dev', '--json', '--', 'sh', '-c', 'echo one; echo two >&2; exit 5']);
    assert.equal(j.code, 5);
    const parsed = JSON.parse(j.out) as { exitCode: number; hosts: { host: string; exitCode: number; stdout: string[]; stderr: string[] }[] };
    assert.equal(parsed.exitCode, 5);
    assert.deepEqual(
      parsed.hosts.map((h) => [h.host, h.exitCode, h.stdout, h.stderr]),
      [['local', 5, ['one'], ['two']]],
    );
  });

  it("exec --tty: the command reads the terminal godeploy runs in (typed keys in), in the release's folder; godeploy exits with its code", async () => {
    const r = await runCliInTerminal(dir, ['exec', 'dev', '--tty', '--', './deployapp', 'prompt'], 'four\n', goEnv(env));
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.out, /terminal=true TERM=xterm-256color/);
    assert.match(r.out, /hello four/);
    const piped = await cli(['exec', 'dev', '--tty', '--', 'true']);
    assert.equal(piped.code, 2, 'no terminal: a usage error');
    assert.match(piped.err, /exec --tty needs a terminal/);
  });

  it('exec without -- or with an unknown host is a usage error (exit 2) and runs nothing', async () => {
    const marker = join(work.path, 'ran');
    const no = await cli(['exec', 'dev', 'touch', marker]);
    assert.equal(no.code, 2);
    assert.match(no.err, /put -- before the command \("touch"\)/);
    const host = await cli(['exec', 'dev', '--host', 'web1', '--', 'touch', marker]);
    assert.equal(host.code, 2);
    assert.match(host.err, /dev has no host "web1"\n {2}hint: its hosts: local/);
    const dry = await cli(['exec', 'dev', '--dry-run', '--', 'touch', marker]);
    assert.equal(dry.code, 0);
    assert.match(dry.out, /^exec in deployapp's live release in dev, on local \(1 host\): touch /m);
    assert.equal(existsSync(marker), false);
  });

  it('restart: a new pid, the health gate passed, exit 0; the release is unchanged', async () => {
    const before = await pid();
    const r = await cli(['restart', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^\[local\] health: healthy after /m);
    assert.match(r.out, new RegExp(`^local \\(this machine\\): restarted \\(running, pid \\d+\\), healthy \\(200 OK\\); live release ${release}$`, 'm'));
    const after = await pid();
    assert.notEqual(after, before);
    assert.equal(isAlive(before), false);
    assert.equal(readlinkSync(join(base, 'current')), `releases/${release}`);
    assert.equal(existsSync(join(base, '.godeploy', 'lock')), false, 'the lock is released');
  });

  it('stop: nothing runs or listens, status exits 1; a second stop says it was not running (exit 0)', async () => {
    const r = await cli(['stop', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^local \(this machine\): stopped \(stopped\); live release /m);
    assert.deepEqual(servicePids(), []);
    assert.equal(await portAccepts(port), false);
    assert.equal((await cli(['status', 'dev'])).code, 1);
    const again = await cli(['stop', 'dev', '--json']);
    assert.equal(again.code, 0);
    const j = JSON.parse(again.out) as { ok: boolean; hosts: { unchanged: boolean; after: { running: boolean } }[] };
    assert.deepEqual([j.ok, j.hosts[0].unchanged, j.hosts[0].after.running], [true, true, false]);
  });

  it('start: running and healthy again (exit 0); a second start changes nothing', async () => {
    const r = await cli(['start', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^local \(this machine\): started \(running, pid \d+\), healthy \(200 OK\)/m);
    const first = await pid();
    assert.equal((await cli(['status', 'dev'])).code, 0);
    const again = await cli(['start', 'dev']);
    assert.equal(again.code, 0);
    assert.match(again.out, /^local \(this machine\): already running \(running, pid \d+\), healthy/m);
    assert.equal(await pid(), first);
  });

  it('restart into a service that fails its health gate: exit 1, its last log lines shown, the secret hidden', async () => {
    // The env file the service reads, as if edited on the host: the next start fails its health check.
    appendFileSync(join(base, 'shared', 'deployapp.env'), 'DEPLOYAPP_FAIL_HEALTH="1"\n');
    try {
      const r = await cli(['restart', 'dev']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, /^\[local\] health: FAIL .*did not answer 2xx within 10 s/m);
      assert.match(r.out, /failing the health check on purpose/);
      assert.match(r.out, /^local \(this machine\): FAILED: local: \/healthz did not answer 2xx/m);
      assert.match(r.out, /hint: the service runs .* but does not pass its health gate/);
      assert.match(r.out, /^restart dev: FAILED in /m);
      assert.ok(!(r.out + r.err).includes(SECRET));
    } finally {
      const f = join(base, 'shared', 'deployapp.env');
      writeFileSync(f, readFileSync(f, 'utf8').replace('DEPLOYAPP_FAIL_HEALTH="1"\n', ''));
    }
    const back = await cli(['restart', 'dev']);
    assert.equal(back.code, 0, back.out + back.err);
  });
});
