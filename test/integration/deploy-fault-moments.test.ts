// Faults at random moments, not only where the code makes it convenient: `godeploy deploy`
// runs as a user runs it (its own process) against a real systemd host with a large
// executable, and the host's ssh sessions are cut at seeded random moments inside each phase
// (lock acquisition, mid-upload, mid-delta-assembly, switch, health gate, finish), the CLI is
// SIGKILLed at random moments, and SIGTERM / SIGHUP / a second Ctrl-C arrive during a failing
// health gate. After each: exit 0 only when the new release is live and healthy, a failure
// names its step, a complete release serves (the old one unless the switch was confirmed),
// no lock or partial release is left, and the next deploy succeeds without --force.
// GODEPLOY_FAULT_SEED=N replays a run (the seed and every moment are printed).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../support/prng';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { killSshSessions } from './fixtures/sshFaults';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, portAccepts, sleep, tempDir, waitFor } from './fixtures/util';

const cliJs = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const BALLAST_MB = 24;

/** A deploy CLI process: its output as it comes, an anchor to wait for, signals to send. */
interface CliProcess {
  out(): string;
  err(): string;
  /** Resolves when a stdout line matches `re` (false if the process exited first). */
  line(re: RegExp): Promise<boolean>;
  signal(s: NodeJS.Signals): void;
  exit: Promise<number | null>;
  startedAt: number;
}

function startCli(dir: string, args: string[]): CliProcess {
  const child = spawn(process.execPath, [cliJs, '-C', dir, ...args], { env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  return {
    out: () => out,
    err: () => err,
    startedAt: Date.now(),
    line: (re) =>
      new Promise<boolean>((resolve) => {
        const check = (): void => {
          if (out.split('\n').some((l) => re.test(l))) {
            waiters.delete(check);
            resolve(true);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            resolve(false);
          }
        };
        waiters.add(check);
        check();
      }),
    signal: (s) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(s);
    },
    exit,
  };
}

type Phase = 'lock' | 'upload' | 'delta' | 'switch' | 'health' | 'finish';
/**
 * Each phase lies between two stdout lines: the one printed right before it starts (the
 * anchor) and the one printed when it ends. Calibration measures how far apart they arrive.
 */
const PHASES: Record<Phase, { env: string; anchor: RegExp; end: RegExp }> = {
  lock: { env: 'prod', anchor: /^\[127\.0\.0\.1\] preflight: preflight ok/, end: /^\[127\.0\.0\.1\] lock: lock taken/ },
  upload: { env: 'prod-full', anchor: /^\[127\.0\.0\.1\] prepare: /, end: /^\[127\.0\.0\.1\] binary: / },
  delta: { env: 'prod', anchor: /^\[127\.0\.0\.1\] prepare: /, end: /^\[127\.0\.0\.1\] binary: / },
  switch: { env: 'prod', anchor: /^\[127\.0\.0\.1\] (env-file|service): /, end: /^\[127\.0\.0\.1\] restart: / },
  health: { env: 'prod', anchor: /^\[127\.0\.0\.1\] restart: /, end: /^\[127\.0\.0\.1\] health: / },
  finish: { env: 'prod', anchor: /^\[127\.0\.0\.1\] health: /, end: /^deploy \S+ to prod: done/ },
};

describe('deploy faults at seeded random moments (real systemd host, the CLI as its own process)', function () {
  this.timeout(1_800_000);
  const seed = Number(process.env.GODEPLOY_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = prng(seed);
  const work = tempDir('fault-moments');
  let host: SystemdHost;
  let port: number;
  let buildNo = 0;
  /** Per phase, the longest time from its anchor line to its end line in the calibration deploys (ms). */
  const phaseMs: Partial<Record<Phase, number>> = {};
  /** The shortest calibration deploy, start to exit: SIGKILL moments fall inside it. */
  let deployMs = Infinity;

  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const nextBuild = (): string => {
    const b = `moment-${++buildNo}`;
    setDeployappBuild(work.path, b);
    return b;
  };
  const serving = async (): Promise<string> => {
    const r = await httpGet(port, '/info');
    assert.equal(r.status, 200, `the service does not answer: ${r.status} ${r.body}`);
    return (JSON.parse(r.body) as { build: string }).build;
  };
  /** current is a complete release whose executable is the one recorded, the service answers from it, no lock or partial folder is left (unless killed). */
  const assertCompleteAndServing = async (why: string, killed = false): Promise<void> => {
    const cur = await remote('readlink -f /opt/bigapp/current');
    assert.match(cur, /^\/opt\/bigapp\/releases\/\d{8}T\d{6}\.\d{3}Z-/, why);
    await remote(`test -x ${cur}/bigapp && test -s ${cur}/bigapp.env && test -s ${cur}/.sha256`);
    assert.equal(
      await remote(`sha256sum ${cur}/bigapp | cut -d' ' -f1`),
      await remote(`cat ${cur}/.sha256`),
      `${why}: the live executable is not the one recorded`,
    );
    const exe = (JSON.parse((await httpGet(port, '/info')).body) as { exe: string }).exe;
    // A SIGKILLed deploy cannot clean up after itself: killed between the switch and the
    // restart, current names the new release while the old process still serves; its lock and
    // partial folder stay too. All of that is the next deploy's to put right (checked after it).
    if (killed) {
      assert.match(exe, /^\/opt\/bigapp\/releases\/[^/]+\/bigapp$/, `${why}: the process serving is not a release's`);
      await remote(`test -x ${exe} && test -s $(dirname ${exe})/.sha256`);
      return;
    }
    assert.equal(exe, `${cur}/bigapp`, `${why}: the process serving is not current's`);
    assert.equal(await remote('test -e /opt/bigapp/.godeploy/lock && echo held || echo free'), 'free', `${why}: lock left behind`);
    assert.equal(await remote('ls -a /opt/bigapp/releases | grep -c "partial$" || true'), '0', `${why}: partial release left`);
  };
  /** Deploys `b` (the build the interrupted deploy was taking out, already compiled) and checks it serves. */
  const deployOk = async (b: string, why: string): Promise<void> => {
    const c = startCli(work.path, ['deploy', 'prod']);
    const code = await c.exit;
    assert.equal(code, 0, `${why} failed:\n${c.out()}${c.err()}`);
    assert.equal(await serving(), b, `${why}: the new build does not serve`);
    await assertCompleteAndServing(why);
  };

  before(async () => {
    console.log(`      fault seed ${seed} (replay: GODEPLOY_FAULT_SEED=${seed})`);
    host = await startSystemdHost();
    port = await freePort();
    copyDeployapp(work.path, [host]);
    // The linker keeps the ballast: init reads it.
    writeFileSync(join(work.path, 'ballast.bin'), randomBytes(BALLAST_MB * 1024 * 1024));
    writeFileSync(
      join(work.path, 'ballast.go'),
      [
        'package main',
        '',
        'import (',
        '\t_ "embed"',
        '\t"os"',
        ')',
        '',
        '//go:embed ballast.bin',
        'var ballast []byte',
        '',
        'func init() {',
        '\tif os.Getenv("BIGAPP_PRINT_BALLAST") != "" {',
        '\t\tprintln(len(ballast), ballast[0])',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
    const target = `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`;
    const environment = (name: string, extra: string[]) => [
      `  ${name}:`,
      '    type: ssh',
      '    hosts:',
      target,
      '    knownHostsFile: known_hosts',
      '    path: /opt/bigapp',
      ...extra,
    ];
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: bigapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        'environments:',
        ...environment('prod', []),
        ...environment('prod-full', ['    deltaUpload: false']),
        ...environment('prod-failing', ['    env:', '      DEPLOYAPP_FAIL_HEALTH: "1"', '    healthCheck:', '      timeout: 6s', '      interval: 250ms']),
        '',
      ].join('\n'),
    );
    // Calibration: when each line arrives here, for whole uploads and for deltas.
    for (const env of ['prod-full', 'prod-full', 'prod', 'prod']) {
      nextBuild();
      const c = startCli(work.path, ['deploy', env]);
      const arrived = new Map<RegExp, number>();
      const watched = Object.values(PHASES)
        .filter((p) => p.env === env)
        .flatMap((p) => [p.anchor, p.end]);
      for (const re of watched)
        void c.line(re).then((seen) => {
          if (seen) arrived.set(re, Date.now());
        });
      assert.equal(await c.exit, 0, c.out() + c.err());
      await sleep(10);
      deployMs = Math.min(deployMs, Date.now() - c.startedAt);
      for (const [phase, p] of Object.entries(PHASES) as [Phase, (typeof PHASES)[Phase]][]) {
        const from = arrived.get(p.anchor);
        const to = arrived.get(p.end);
        if (p.env === env && from !== undefined && to !== undefined) phaseMs[phase] = Math.max(phaseMs[phase] ?? 0, to - from);
      }
    }
    console.log(`      calibration: deploy ${deployMs} ms; phases (anchor line to end line) ${JSON.stringify(phaseMs)}`);
    assert.ok(Number(await remote('stat -c %s /opt/bigapp/current/bigapp')) > BALLAST_MB * 1024 * 1024, 'the executable lost its ballast');
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  it('30 ssh cuts at random moments in every phase: honest exit codes, the old release serves unless the switch was confirmed, the next deploy succeeds', async () => {
    const phases = (Object.keys(PHASES) as Phase[]).flatMap((p) => [p, p, p, p, p]);
    for (let i = phases.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [phases[i], phases[j]] = [phases[j], phases[i]];
    }
    const outcomes: string[] = [];
    let cuts = 0;
    for (const [n, phase] of phases.entries()) {
      const { env, anchor } = PHASES[phase];
      const windowMs = Math.max(20, phaseMs[phase] ?? 0);
      const offset = Math.floor(random() * windowMs);
      const moment = `#${n + 1} ${phase}: ${offset} ms after ${anchor.source} (window ${windowMs} ms)`;
      const before = await serving();
      const beforeRelease = await remote('readlink /opt/bigapp/current');
      const b = nextBuild();
      const c = startCli(work.path, ['deploy', env]);
      let cut = 'not cut: the anchor never came';
      if (await c.line(anchor)) {
        await sleep(offset);
        cut = await killSshSessions(host, { waitMs: 300 }).then(
          (pids) => `cut ${pids.length} session process(es)`,
          () => 'not cut: no ssh session was open any more',
        );
      }
      const code = await c.exit;
      const out = c.out();
      const why = `${moment}; ${cut}; seed ${seed}\n--- output ---\n${out}${c.err()}`;
      assert.doesNotMatch(c.err(), /internal error/, why);
      const now = await serving();
      const switched = now === b;
      assert.ok(switched || now === before, `${why}\nserving ${now}, neither the old ${before} nor the new ${b}`);
      if (code === 0) {
        assert.ok(switched, `exit 0 but the new build does not serve: ${why}`);
        assert.match(out, /: done in [\d.]+ s; live on \S+: 127\.0\.0\.1$/m, why);
      } else {
        assert.equal(code, 1, why);
        // The failure names its step (a FAIL line) and the final line says which hosts switched.
        assert.match(out, /^\[127\.0\.0\.1\] [a-z-]+: FAIL /m, why);
        if (switched) {
          // Only a cut after the gate confirmed the release (finishing: history, prune, unlock).
          assert.match(out, /^\[127\.0\.0\.1\] health: healthy/m, why);
          assert.match(out, /; live on \S+: 127\.0\.0\.1$/m, why);
        } else {
          assert.match(out, /; no host switched to \S+$/m, why);
          assert.equal(await remote('readlink /opt/bigapp/current'), beforeRelease, why);
        }
      }
      await assertCompleteAndServing(why);
      outcomes.push(`${moment}: ${cut}, exit ${code}, ${switched ? 'new' : 'old'} release serves`);
      if (cut.startsWith('cut ')) cuts++;
      await deployOk(b, `the deploy after ${moment}`);
    }
    console.log(outcomes.map((o) => `      ${o}`).join('\n'));
    // A moment after the deploy had already ended cuts nothing; most must land inside one.
    assert.ok(cuts >= 12, `only ${cuts} of 30 moments cut a live connection; seed ${seed}`);
  });

  it('SIGKILL of the CLI at 10 random moments: a complete release serves, and the next deploy takes over the lock without --force', async () => {
    const outcomes: string[] = [];
    for (let n = 1; n <= 10; n++) {
      const offset = Math.floor(random() * deployMs);
      const before = await serving();
      const b = nextBuild();
      const c = startCli(work.path, ['deploy', n % 2 ? 'prod' : 'prod-full']);
      await Promise.race([sleep(offset), c.exit]);
      c.signal('SIGKILL');
      const code = await c.exit;
      const why = `SIGKILL #${n} at ${offset} ms; seed ${seed}\n--- output ---\n${c.out()}${c.err()}`;
      // Killed during `systemctl restart`, the restart still completes on the host: the port
      // is closed for a moment meanwhile.
      await waitFor(
        () => portAccepts(port),
        15_000,
        () => `nothing answers on port ${port} after ${why}`,
      );
      const now = await serving();
      assert.ok(now === before || now === b, `${why}\nserving ${now}`);
      await assertCompleteAndServing(why, true);
      const lock = await remote('test -e /opt/bigapp/.godeploy/lock && echo held || echo free');
      outcomes.push(`SIGKILL #${n} at ${offset} ms: exit ${code}, ${now === b ? 'new' : 'old'} release serves, lock ${lock}`);
      // A partial release or a lock left by the killed process is no obstacle.
      const next = startCli(work.path, ['deploy', 'prod']);
      assert.equal(await next.exit, 0, `the deploy after ${why}\n--- next ---\n${next.out()}${next.err()}`);
      if (lock === 'held') assert.match(next.out(), /lock: took over a stale deploy lock: locked by .* process \d+ on this machine .* is gone/, next.out());
      assert.equal(await serving(), b);
      await assertCompleteAndServing(`after SIGKILL #${n}`);
    }
    console.log(outcomes.map((o) => `      ${o}`).join('\n'));
  });

  for (const signals of [['SIGTERM'], ['SIGHUP'], ['SIGINT', 'SIGINT']] as NodeJS.Signals[][]) {
    it(`${signals.join(' then ')} during a failing health gate: rolled back, the lock is free, exit 1`, async () => {
      const before = await serving();
      const beforeRelease = await remote('readlink /opt/bigapp/current');
      const b = nextBuild();
      const c = startCli(work.path, ['deploy', 'prod-failing']);
      assert.ok(await c.line(/^\[127\.0\.0\.1\] restart: /), c.out() + c.err());
      for (const s of signals) {
        await sleep(300 + Math.floor(random() * 700));
        c.signal(s);
      }
      const code = await c.exit;
      const why = `${signals.join(', ')}; seed ${seed}\n--- output ---\n${c.out()}${c.err()}`;
      assert.equal(code, 1, why);
      assert.match(c.err(), signals[0] === 'SIGINT' ? /godeploy: interrupted: cancelling/ : new RegExp(`godeploy: received ${signals[0]}: cancelling`), why);
      if (signals.length > 1) assert.match(c.err(), /still finishing what cancelling started/, why);
      assert.match(c.out(), new RegExp(`^\\[127\\.0\\.0\\.1\\] rollback: .*${beforeRelease.replace('releases/', '')} is live again and healthy`, 'm'), why);
      assert.match(c.out(), /; no host switched to \S+$/m, why);
      assert.equal(await serving(), before, why);
      assert.equal(await remote('readlink /opt/bigapp/current'), beforeRelease, why);
      await assertCompleteAndServing(why);
      await deployOk(b, `the deploy after ${signals.join(', ')}`);
    });
  }
});
