// `godeploy exec` and `godeploy restart|stop|start` on ssh hosts, below the CLI: which hosts a
// request selects; exec's argv run by a real sh (as this machine, and as an ssh login shell
// gets it quoted), with hostile arguments and env values, no secret in argv, the worst exit
// code over several hosts (one unreachable); and restart/stop/start over fake ssh hosts
// (fakeHostRunner.ts): the plan, the lock, --host, the gate, rollout batches. exec and the
// service actions open their hosts themselves (openHosts): as in orchestration-rollback, the
// test swaps openHosts in the compiled module; the rest runs as written.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../../src/core/environment/load';
import type { ExecOutputLine, ExecRequest, ServiceActionRequest } from '../../src/core/environment/operations';
import { UNREACHABLE_EXIT, worstExitCode } from '../../src/core/environment/operations';
import { execCommand, serviceAction } from '../../src/core/operations';
import { renderEnvFile } from '../../src/core/release/envFile';
import { commandLineArgv, exitCodeOf, selectOperationHosts } from '../../src/core/release/operationHosts';
import { localRunner, type HostRunner } from '../../src/core/remote/hostRunner';
import * as connectHosts from '../../src/core/remote/openHosts';
import { shellQuote } from '../../src/core/remote/quote';
import { GoDeployError } from '../../src/core/errors';
import { execArgv } from '../../src/core/targets/hosts/operations';
import { FakeWorld, type FakeHost } from '../support/fakeHostRunner';
import { NEW_ID, OLD_ID } from '../support/fakeRollout';
import { hostileValues } from '../support/hostile';
import { fixtureModules } from '../support/paths';

const SECRET = 's3cr3t-canary-0123456789';
/** Values a shell would love to get wrong. */
const HOSTILE = ["it's", 'say "hi"', '$(touch pwned)', '`touch pwned`', '$HOME', 'a\nb', 'semi;colon && x', '\\back\\slash', '-n', '', '*', '~root'];

describe('operations: exec, restart, stop, start', function () {
  this.timeout(60_000);
  let dir: string;
  let base: string;
  const configFile = (): { file: string; exists: boolean } => ({ file: path.join(dir, 'godeploy.yaml'), exists: true });
  const real = connectHosts.openHosts;
  const mutable = connectHosts as { openHosts: typeof connectHosts.openHosts };

  /** godeploy.yaml with environment prod (ssh hosts web1, web2, web3) and the rollout given. */
  const configure = (extra: string[] = []): void =>
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        '  healthCheck:',
        '    type: tcp',
        '    timeout: 200ms',
        '    interval: 50ms',
        '  env:',
        '    GREETING: ${secret:OPS_SECRET}',
        'environments:',
        '  prod:',
        '    type: ssh',
        `    path: ${base}`,
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '      - host: web3',
        ...extra,
        '',
      ].join('\n'),
    );

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-ops-'));
    base = path.join(dir, 'srv', 'deployapp');
    cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
    configure();
  });
  after(() => {
    mutable.openHosts = real;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('which hosts', () => {
    it("--host picks hosts in the environment's order, --primary the first, --process only the app's own name; unknown names are usage errors naming the known ones", async () => {
      const e = await loadEnvironment(configFile(), 'prod', 'exec');
      assert.deepEqual(selectOperationHosts(e, {}, 'exec'), ['web1', 'web2', 'web3']);
      assert.deepEqual(selectOperationHosts(e, { only: ['web3', 'web1'] }, 'exec'), ['web1', 'web3']);
      assert.deepEqual(selectOperationHosts(e, { primary: true }, 'exec'), ['web1']);
      assert.deepEqual(selectOperationHosts(e, { process: 'deployapp' }, 'restart'), ['web1', 'web2', 'web3']);
      const usage = (f: () => unknown, re: RegExp): void =>
        assert.throws(f, (err: unknown) => err instanceof GoDeployError && err.exitCode === 2 && re.test(`${err.message} ${err.hint}`));
      usage(() => selectOperationHosts(e, { only: ['web9'] }, 'exec'), /exec: prod has no host "web9" its hosts: web1, web2, web3/);
      usage(() => selectOperationHosts(e, { only: ['web1'], primary: true }, 'exec'), /--host and --primary/);
      usage(() => selectOperationHosts(e, { process: 'worker' }, 'stop'), /stop: prod has no process "worker".*runs one process, "deployapp"/);
    });

    it("Run Command's line: plain words (quotes honoured) run as argv, anything with shell syntax through sh -c", () => {
      assert.deepEqual(commandLineArgv('./deployapp migrate --to 3'), ['./deployapp', 'migrate', '--to', '3']);
      assert.deepEqual(commandLineArgv(`  ./app say "hello world" 'it''s'  `), ['./app', 'say', 'hello world', 'its']);
      for (const line of ['ls | wc -l', 'echo $HOME', 'FOO=1 ./app', 'cat *.log', 'a && b', 'echo `id`', 'x > out', 'echo hi # note'])
        assert.deepEqual(commandLineArgv(line), ['sh', '-c', line], line);
    });

    it('the worst exit code is the highest, 0 only when all are 0; a signal counts as 128+N', () => {
      assert.equal(worstExitCode([]), 0);
      assert.equal(worstExitCode([0, 0]), 0);
      assert.equal(worstExitCode([0, 3, 1]), 3);
      assert.equal(worstExitCode([1, UNREACHABLE_EXIT, 0]), 255);
      assert.equal(exitCodeOf(null, 'TERM'), 143);
      assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
      assert.equal(exitCodeOf(7, null), 7);
      assert.equal(exitCodeOf(null, null), 255);
    });
  });

  describe('exec on hosts (a real sh runs the argv)', () => {
    const env = { GREETING: SECRET, ODD: HOSTILE.join('|'), MULTI: 'line one\nline "two" $x `y`' };
    before(() => {
      // A live release: current -> releases/<id>, and the env file the service reads (written as a deploy writes it).
      mkdirSync(path.join(base, 'releases', NEW_ID), { recursive: true });
      mkdirSync(path.join(base, 'shared'), { recursive: true });
      symlinkSync(`releases/${NEW_ID}`, path.join(base, 'current'));
      writeFileSync(path.join(base, 'shared', 'deployapp.env'), renderEnvFile(env), { mode: 0o600 });
    });

    const d = (): { base: string; model: { app: { name: string } } } => ({ base, model: { app: { name: 'deployapp' } } });

    it("hostile arguments reach the command unchanged, directly and through an ssh login shell (quoted); the env file's values arrive; no value is in argv", async () => {
      const argv = execArgv(d() as never, ['printf', '[%s]\\n', ...HOSTILE, ...Object.values(hostileValues('touch pwned'))]);
      assert.ok(!argv.join('\0').includes(SECRET), 'the secret is not in argv');
      assert.ok(!argv.join('\0').includes('line one'), 'no env value is in argv');
      const expected = [...HOSTILE, ...Object.values(hostileValues('touch pwned'))].map((a) => `[${a}]`).join('\n');
      const direct = await localRunner().exec(argv);
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(direct.stdout.trimEnd(), expected);
      // What sshd hands the login shell: one command line, quoted by shellQuote.
      const viaSsh = await localRunner().exec(['sh', '-c', shellQuote(argv)]);
      assert.equal(viaSsh.stdout.trimEnd(), expected);
      const values = await localRunner().exec(execArgv(d() as never, ['sh', '-c', 'printf "%s|%s|%s|%s" "$GREETING" "$ODD" "$MULTI" "$(pwd -P)"']));
      assert.equal(values.stdout, `${SECRET}|${env.ODD}|${env.MULTI}|${path.join(base, 'releases', NEW_ID)}`);
      assert.equal(existsSync(path.join(base, 'releases', NEW_ID, 'pwned')), false);
    });

    it('stdin is /dev/null (a command reading it ends); no live release is exit 126 with the reason', async () => {
      const cat = await localRunner().exec(execArgv(d() as never, ['cat']));
      assert.deepEqual([cat.code, cat.stdout], [0, '']);
      const none = await localRunner().exec(execArgv({ base: path.join(dir, 'nothing-here'), model: { app: { name: 'deployapp' } } } as never, ['true']));
      assert.equal(none.code, 126);
      assert.match(none.stderr, /no live release here: .*nothing-here\/current does not exist \(deploy first\)/);
    });

    /** Hosts web1..web3 that run their commands on this machine, each with GD_HOST set to its name; `down` cannot be reached. */
    const localHosts = (down: string[]): void => {
      mutable.openHosts = async (dd) =>
        ((dd.env as { hosts?: { host: string }[] }).hosts ?? []).map((h) => {
          if (down.includes(h.host))
            return {
              alias: h.host,
              ok: false as const,
              address: `root@${h.host}:22`,
              error: new GoDeployError(`cannot reach ${h.host}: connection refused`, { hint: 'is it up?' }),
            };
          const runner: HostRunner = { ...localRunner(), spawn: (argv) => localRunner().spawn(['env', `GD_HOST=${h.host}`, ...argv]) };
          return { alias: h.host, ok: true as const, host: { alias: h.host, address: `root@${h.host}:22`, runner }, close: () => undefined };
        });
    };

    const exec = async (
      command: string[],
      over: Partial<ExecRequest> = {},
    ): Promise<{ r: Awaited<ReturnType<typeof execCommand>>; lines: ExecOutputLine[] }> => {
      const lines: ExecOutputLine[] = [];
      const r = await execCommand({ configFile: configFile(), environment: 'prod', command, onOutput: (l) => lines.push(l), ...over });
      return { r, lines };
    };

    it('every host reports, prefixed, stdout and stderr apart; the worst exit code wins; an unreachable host counts as 255 and does not stop the others', async () => {
      localHosts(['web3']);
      const { r, lines } = await exec(['sh', '-c', 'echo "out $GD_HOST"; echo "err $GD_HOST" >&2; [ "$GD_HOST" = web1 ] && exit 3; exit 0']);
      assert.equal(r.exitCode, 255);
      const byHost = Object.fromEntries(r.hosts.map((h) => [h.host, h]));
      assert.equal(byHost.web1.exitCode, 3);
      assert.equal(byHost.web2.exitCode, 0);
      assert.equal(byHost.web3.exitCode, UNREACHABLE_EXIT);
      assert.match(byHost.web3.error ?? '', /cannot reach web3/);
      assert.equal(byHost.web3.hint, 'is it up?');
      for (const h of ['web1', 'web2']) {
        assert.deepEqual(
          lines
            .filter((l) => l.host === h)
            .map((l) => `${l.stream} ${l.text}`)
            .sort(),
          [`stderr err ${h}`, `stdout out ${h}`],
        );
      }
      localHosts([]);
      assert.equal((await exec(['sh', '-c', '[ "$GD_HOST" = web2 ] && exit 4; exit 1'])).r.exitCode, 4);
      assert.equal((await exec(['true'])).r.exitCode, 0);
    });

    it('--host runs on that host only, --primary on the first; a secret in the output shows as ***; --dry-run runs nothing and shows no value', async () => {
      localHosts([]);
      const sources = { env: async () => undefined, secret: async (n: string) => (n === 'OPS_SECRET' ? SECRET : undefined) };
      const one = await exec(['sh', '-c', 'echo "$GD_HOST $GREETING"'], { only: ['web2'], sources });
      assert.deepEqual(
        one.lines.map((l) => `${l.host} ${l.text}`),
        ['web2 web2 ***'],
      );
      const primary = await exec(['sh', '-c', 'echo "$GD_HOST"'], { primary: true });
      assert.deepEqual(
        primary.r.hosts.map((h) => h.host),
        ['web1'],
      );
      let planned = '';
      const dry = await exec(['sh', '-c', 'touch "$0"', path.join(dir, 'ran')], { dryRun: true, onPlan: (p) => (planned = p.text) });
      assert.equal(dry.r.dryRun, true);
      assert.equal(existsSync(path.join(dir, 'ran')), false);
      assert.match(planned, /^exec in deployapp's live release in prod, on web1, web2, web3 \(3 hosts\): sh -c /);
      assert.ok(!planned.includes(SECRET));
      assert.deepEqual(
        dry.r.plan.steps.map((s) => s.host),
        ['web1', 'web2', 'web3'],
      );
    });
  });

  describe('docker environments: the plans, and a swarm refusing restart/stop/start (no engine is contacted)', () => {
    let ddir: string;
    const dockerConfig = (mode: string): { file: string; exists: boolean } => {
      writeFileSync(
        path.join(ddir, 'godeploy.yaml'),
        `${JSON.stringify({ app: { name: 'deployapp', port: 8181 }, environments: { box: { type: 'docker', docker: { host: 'unix:///nowhere/docker.sock', mode, publish: false } } } })}\n`,
      );
      return { file: path.join(ddir, 'godeploy.yaml'), exists: true };
    };
    before(() => {
      ddir = mkdtempSync(path.join(tmpdir(), 'godeploy-ops-docker-'));
      cpSync(path.join(fixtureModules, 'deployapp'), ddir, { recursive: true });
    });
    after(() => rmSync(ddir, { recursive: true, force: true }));

    it('exec --dry-run: the engine and the command, one step on "engine"; --host must name the engine', async () => {
      const r = await execCommand({ configFile: dockerConfig('container'), environment: 'box', command: ['/app/deployapp', 'migrate'], dryRun: true });
      assert.match(r.plan.text, /^exec in deployapp's live release in box, on the Docker Engine at unix:\/\/\/nowhere\/docker\.sock: \/app\/deployapp migrate/);
      assert.deepEqual(
        r.plan.steps.map((st) => st.host),
        ['engine'],
      );
      await assert.rejects(
        execCommand({ configFile: dockerConfig('container'), environment: 'box', command: ['true'], only: ['web1'], dryRun: true }),
        /box has no host "web1"/,
      );
    });

    it('restart/stop/start --dry-run in container mode list the lock, the action, the gate; on a swarm each is refused (exit 2) naming the docker command', async () => {
      const plan = await serviceAction({ configFile: dockerConfig('container'), environment: 'box', action: 'stop', dryRun: true });
      assert.match(plan.plan.text, /^stop deployapp in box on the Docker Engine at unix:\/\/\/nowhere\/docker\.sock\nengine:\n {2}1\. take the deploy lock/);
      const commands = {
        restart: 'docker service update --force deployapp-box',
        stop: 'docker service scale deployapp-box=0',
        start: 'docker service scale deployapp-box=2',
      };
      for (const [action, command] of Object.entries(commands))
        await assert.rejects(
          serviceAction({ configFile: dockerConfig('swarm'), environment: 'box', action: action as ServiceActionRequest['action'] }),
          (err: unknown) =>
            err instanceof GoDeployError &&
            err.exitCode === 2 &&
            err.message.startsWith(`${action} is not supported on a swarm`) &&
            (err.hint ?? '').includes(command),
        );
    });
  });

  describe('restart, stop and start over fake ssh hosts', () => {
    let world: FakeWorld;
    const hosts = (): FakeHost[] => [...world.hosts.values()];
    beforeEach(() => {
      world = new FakeWorld();
      for (const a of ['web1', 'web2', 'web3']) {
        const h = world.host(a, { base, releases: { [OLD_ID]: {}, [NEW_ID]: {} }, current: NEW_ID });
        h.running = NEW_ID;
        // systemctl show: the unit's state, as the model runs it.
        h.on('systemctl show', (_op, host) => ({
          stdout: host.running ? 'ActiveState=active\nSubState=running\nMainPID=4242\n' : 'ActiveState=inactive\nSubState=dead\nMainPID=0\n',
        }));
      }
      mutable.openHosts = async (dd) => {
        const names = ((dd.env as { hosts?: { host: string }[] }).hosts ?? []).map((h) => h.host);
        return hosts()
          .filter((h) => names.includes(h.alias))
          .map((h) => ({ alias: h.alias, ok: true as const, host: h.deployHost(), close: () => undefined }));
      };
    });
    afterEach(() => configure());
    const act = (action: ServiceActionRequest['action'], over: Partial<ServiceActionRequest> = {}) =>
      serviceAction({ configFile: configFile(), environment: 'prod', action, user: 'tester', ...over });
    const locksFree = (): void => {
      for (const h of hosts()) assert.equal(h.lock, null, `the lock is left on ${h.alias}`);
    };

    it("restart: the plan names each host's commands; each host is locked, restarted with the unit's restart, gated, unlocked", async () => {
      let plan = '';
      let steps: string[][][] = [];
      const r = await act('restart', {
        onPlan: (p) => {
          plan = p.text;
          steps = p.steps.map((s) => s.commands);
        },
      });
      assert.equal(r.ok, true, JSON.stringify(r.hosts));
      assert.match(plan, /^restart deployapp in prod on web1, web2, web3 \(3 hosts\)\nweb1:\n {2}1\. take the deploy lock/);
      assert.match(plan, /3\. restart deployapp\.service on the live release\n {2}4\. health gate: port 8181 to accept a TCP connection/);
      assert.ok(steps.flat().some((argv) => argv[0] === 'sh' && /systemctl restart "\$1"/.test(argv[2]) && argv[4] === 'deployapp.service'));
      for (const h of r.hosts) {
        assert.equal(h.release, NEW_ID);
        assert.deepEqual(h.health, { healthy: true, answer: 'connected' });
        assert.equal(h.after?.running, true);
      }
      for (const a of ['web1', 'web2', 'web3'])
        assert.deepEqual(
          world.ops(['lock', 'read-current', 'restart', 'unlock'], a).map((o) => o.what),
          ['lock', 'read-current', 'restart', 'unlock'],
          a,
        );
      locksFree();
    });

    it('--host web2 touches web2 only; --dry-run touches nothing', async () => {
      const r = await act('restart', { only: ['web2'] });
      assert.deepEqual(
        r.hosts.map((h) => h.host),
        ['web2'],
      );
      assert.deepEqual([...new Set(world.ops().map((o) => o.host))], ['web2']);
      world = new FakeWorld();
      const dry = await act('stop', { dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.equal(world.ops().length, 0);
    });

    it('stop leaves the service stopped (a stopped one is left as it is); start brings it back behind the gate; start of a running one changes nothing', async () => {
      hosts()[1].running = null;
      const stopped = await act('stop');
      assert.equal(stopped.ok, true);
      for (const h of hosts()) assert.equal(h.running, null);
      assert.deepEqual(
        stopped.hosts.map((h) => [h.host, h.unchanged === true, h.after?.running]),
        [
          ['web1', false, false],
          ['web2', true, false],
          ['web3', false, false],
        ],
      );
      assert.equal(world.ops('stop', 'web2').length, 0, 'web2 was not running: no stop');
      const started = await act('start', { only: ['web1'] });
      assert.equal(started.ok, true);
      assert.equal(hosts()[0].running, NEW_ID);
      assert.equal(hosts()[1].running, null);
      const again = await act('start', { only: ['web1'] });
      assert.equal(again.hosts[0].unchanged, true);
      assert.equal(world.ops('restart', 'web1').length, 1, 'the second start restarted nothing');
      locksFree();
    });

    it('rollout batches of 1: a host failing its gate stops the restart there; later hosts are left as they were; its logs are reported', async () => {
      configure(['    rollout:', '      batch: 1']);
      hosts()[1].unhealthy.add(NEW_ID);
      const events: string[] = [];
      const r = await act('restart', { emit: (e) => events.push(`${e.host} ${e.step} ${e.state}`) });
      assert.equal(r.ok, false);
      const [w1, w2, w3] = r.hosts;
      assert.equal(w1.ok, true);
      assert.equal(w2.ok, false);
      assert.match(w2.error ?? '', /^web2: port 8181 did not accept a connection/);
      assert.match(w2.logs ?? '', /fake log/);
      assert.match(w3.error ?? '', /web3: not restarted: web2 failed in an earlier batch/);
      assert.equal(world.ops('restart', 'web3').length, 0);
      assert.ok(events.includes('web2 health fail'));
      locksFree();
    });

    it('a host whose lock is held is reported and left alone; the others go on', async () => {
      hosts()[0].lock = '{"user":"someone","host":"elsewhere","since":"2099-01-01T00:00:00Z","version":"v9","pid":1,"operation":"deploy"}';
      const r = await act('restart');
      assert.equal(r.hosts[0].ok, false);
      assert.match(r.hosts[0].error ?? '', /locked by someone/);
      assert.equal(world.ops('restart', 'web1').length, 0);
      assert.deepEqual(
        r.hosts.slice(1).map((h) => h.ok),
        [true, true],
      );
    });
  });
});
