// `godeploy deploy` of a ~20 MB executable to real systemd hosts (systemd-nspawn, OpenSSH),
// against baselines measured in the same run:
//   1. a full deploy, uploading the whole executable (deltaUpload: false), vs the shell a
//      person would write with the OpenSSH client (scp into a new release folder, ssh:
//      symlink switch + systemctl restart, poll /healthz);
//   2. an unchanged redeploy (same source) vs that full deploy;
//   3. one environment of 4 private-network hosts in parallel vs 1 of those hosts alone, as
//      configured by default: each host gets a delta upload (the chunks its live executable
//      lacks). For context, not a goal: the same with whole uploads (deltaUpload: false).
// godeploy's time is deploy() from src/core/deploy (what `godeploy deploy ENV` runs, without
// the CLI's process start): config load, connect, uname, go build + link + sha256 (Go build
// cache warm, only main.go changed), preflight, lock, release folder, upload + sha256 check
// on the host, env file, unit check, switch, restart, health gate, history, prune, unlock.
// Hosts boot once per run (not timed) and are stopped at the end, also on failure.
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { environmentSources } from '../src/core/config/references';
import { deploy } from '../src/core/operations/index';
import { type DeployResult } from '../src/core/environment/types';
import type { DeployEvent } from '../src/core/environment/types';
import { releaseId } from '../src/core/release/releaseId';
import { goEnv } from '../test/integration/fixtures/go';
import { startSystemdHost, type SystemdHost } from '../test/integration/fixtures/systemdHost';
import { sshOptions } from '../test/integration/fixtures/sshd';
import { freePort, run as runProgram, tempDir } from '../test/integration/fixtures/util';
import { cpuSample, cpuUsed, type CpuSample } from './cpuAccounting';
import { makeBigDeployapp, setBuild, shellDeploy, writeBenchConfig, type ShellDeployTimings } from './deployFixture';
import { median, type BenchResult } from './harness';

const iterations = Math.max(1, Number(process.env.BENCH_DEPLOY_ITERATIONS ?? 7));
/** Health poll interval, the same for godeploy (app.healthCheck.interval) and the baseline. */
const INTERVAL_MS = 100;
/** Incompressible ballast: with deployapp's ~4.6 MB the executable is ~20.6 MB. */
const BLOB_BYTES = 16_000_000;
const MIN_SIZE = 19_000_000;
const MAX_SIZE = 22_000_000;
const BASE = '/opt/deployapp';
const UNIT = 'deployapp.service';

const log = (s: string): void => {
  process.stderr.write(`  [deploy bench] ${s}\n`);
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Measured {
  ms: number;
  result: DeployResult;
  events: { at: number; e: DeployEvent }[];
  cpu: CpuSample;
  sentBytes: number;
}

/**
 * Where a deploy's time went, in seconds (median over runs): the phases before and after the
 * per-host steps from the deploy's events, the steps from result.hosts[].timings (the
 * slowest host's, for several hosts). Preflight and lock run while the build runs; "wait
 * build" is how long the hosts then waited for it.
 */
function breakdown(runs: Measured[]): string {
  const phases = runs.map((m) => {
    const first = (step: string, state: string): number => m.events.find((x) => x.e.step === step && x.e.state === state)?.at ?? 0;
    const last = (step: string, state: string): number => Math.max(0, ...m.events.filter((x) => x.e.step === step && x.e.state === state).map((x) => x.at));
    const step = (id: string): number => Math.max(0, ...m.result.hosts.map((h) => h.timings[id] ?? 0));
    return {
      'load+connect+uname': first('build', 'start'),
      build: first('build', 'done') - first('build', 'start'),
      preflight: step('preflight'),
      lock: step('lock'),
      'wait build': Math.max(0, first('build', 'done') - last('lock', 'done')),
      prepare: step('prepare'),
      binary: step('binary'),
      'env-file': step('env-file'),
      service: step('service'),
      switch: step('switch'),
      restart: step('restart'),
      health: step('health'),
      'after health (finish: record, prune, unlock)': m.ms - last('health', 'done'),
    } as Record<string, number>;
  });
  return Object.keys(phases[0])
    .map((k) => `${k} ${(median(phases.map((p) => p[k])) / 1000).toFixed(2)}`)
    .join(', ');
}

/** Median CPU core-seconds of the runs: godeploy's engine, go, the hosts (which share this machine's cores). */
function cpuBreakdown(runs: Measured[]): string {
  const m = (f: (c: CpuSample) => number): string => (median(runs.map((r) => f(r.cpu))) / 1000).toFixed(2);
  const total = (c: CpuSample): number => c.engine + c.children + c.hosts.reduce((a, b) => a + b, 0);
  return `engine ${m((c) => c.engine)}, go ${m((c) => c.children)}, hosts ${m((c) => c.hosts.reduce((a, b) => a + b, 0))}, total ${m(total)}`;
}

function shellBreakdown(runs: ShellDeployTimings[]): string {
  return (['scp', 'switchRestart', 'health'] as const).map((k) => `${k} ${(median(runs.map((r) => r[k])) / 1000).toFixed(2)}`).join(', ');
}

export async function run(): Promise<BenchResult[]> {
  const work = tempDir('bench-deploy');
  const moduleDir = path.join(work.path, 'app');
  const buildEnv = goEnv();
  const hosts: SystemdHost[] = [];
  let lastStamp = 0;
  /** A release time one second after the last one at least: release ids have second resolution. */
  const nextNow = (): Date => {
    const s = Math.max(Math.floor(Date.now() / 1000), lastStamp + 1);
    lastStamp = s;
    return new Date(s * 1000);
  };
  try {
    // ---- hosts (booting is not timed) ----
    const t0 = performance.now();
    const booted = await Promise.allSettled([startSystemdHost(), ...Array.from({ length: 4 }, () => startSystemdHost({ network: 'private' }))]);
    for (const b of booted) if (b.status === 'fulfilled') hosts.push(b.value);
    const bootFailure = booted.find((b): b is PromiseRejectedResult => b.status === 'rejected');
    if (bootFailure) throw bootFailure.reason;
    const [shared, ...priv] = hosts;
    log(`booted 5 systemd hosts in ${sec(performance.now() - t0)}: ${hosts.map((h) => `${h.host}:${h.port}`).join(', ')}`);

    // ---- the module: deployapp + a 16 MB embedded blob ----
    makeBigDeployapp(moduleDir, BLOB_BYTES);
    const appPort = await freePort();
    const entry = (h: SystemdHost) => ({ host: h.host, port: h.port, identityFile: h.identityFile });
    // One config file per setup, each with its environment `prod` (so the unit is the same).
    const configs = {
      shared: writeBenchConfig(moduleDir, 'godeploy.yaml', { port: appPort, intervalMs: INTERVAL_MS, hosts: [entry(shared)], deltaUpload: false }),
      one: writeBenchConfig(moduleDir, 'godeploy-one.yaml', { port: appPort, intervalMs: INTERVAL_MS, hosts: [entry(priv[0])] }),
      four: writeBenchConfig(moduleDir, 'godeploy-four.yaml', { port: appPort, intervalMs: INTERVAL_MS, hosts: priv.map(entry) }),
      oneWhole: writeBenchConfig(moduleDir, 'godeploy-one-whole.yaml', { port: appPort, intervalMs: INTERVAL_MS, hosts: [entry(priv[0])], deltaUpload: false }),
      fourWhole: writeBenchConfig(moduleDir, 'godeploy-four-whole.yaml', {
        port: appPort,
        intervalMs: INTERVAL_MS,
        hosts: priv.map(entry),
        deltaUpload: false,
      }),
    };
    writeFileSync(path.join(moduleDir, 'known_hosts'), hosts.map((h) => readFileSync(h.knownHostsFile, 'utf8')).join(''));

    /** 'uploaded' (whole) or 'delta': a new build goes live sent so ('new': either); 'unchanged': the same build again finds it live and changes nothing. */
    const godeploy = async (setup: keyof typeof configs, binary: 'uploaded' | 'delta' | 'new' | 'unchanged'): Promise<Measured> => {
      const events: Measured['events'] = [];
      const roots = hosts.map((h) => h.nspawnPid);
      const cpu0 = cpuSample(roots);
      const start = performance.now();
      const result = await deploy({
        configFile: { file: configs[setup], exists: true },
        environment: 'prod',
        sources: environmentSources(buildEnv),
        buildEnv,
        user: 'bench',
        now: nextNow(),
        emit: (e) => events.push({ at: performance.now() - start, e }),
      });
      const ms = performance.now() - start;
      const cpu = cpuUsed(cpu0, cpuSample(roots));
      const bad =
        binary === 'unchanged'
          ? result.alreadyLive
            ? []
            : result.hosts
          : result.hosts.filter((h) => h.result !== 'live' || (binary === 'new' ? h.binary !== 'uploaded' && h.binary !== 'delta' : h.binary !== binary));
      if (!result.ok || bad.length) {
        throw new Error(
          `godeploy deploy prod (${configs[setup]}) did not go live with binary ${binary}: ${JSON.stringify(result.hosts, null, 1)}\n${events.map((x) => `${x.e.host} ${x.e.step} ${x.e.state} ${x.e.message}`).join('\n')}`,
        );
      }
      return { ms, result, events, cpu, sentBytes: Math.max(0, ...result.hosts.map((h) => h.binaryBytesSent ?? 0)) };
    };
    /** The executable the last deploy built (dist/deploy/<environment>/build.json). */
    const artifact = (): { path: string; size: number } => {
      const manifest = JSON.parse(readFileSync(path.join(moduleDir, 'dist', 'deploy', 'prod', 'build.json'), 'utf8')) as {
        artifacts: { path: string; size: number }[];
      };
      const a = manifest.artifacts[0];
      return { path: path.join(moduleDir, 'dist', 'deploy', 'prod', a.path), size: a.size };
    };
    const liveBuild = async (): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${appPort}/info`, { signal: AbortSignal.timeout(5000) });
      return ((await res.json()) as { build: string }).build;
    };
    const shell = async (): Promise<ShellDeployTimings> => {
      const a = artifact();
      const dir = path.join(work.path, 'shell', releaseId(nextNow(), 'shell'));
      mkdirSync(dir, { recursive: true });
      copyFileSync(a.path, path.join(dir, 'deployapp'));
      const t = await shellDeploy(shared, { releaseDir: dir, base: BASE, unit: UNIT, appPort, healthPath: '/healthz', intervalMs: INTERVAL_MS });
      const live = (await shared.exec(`readlink ${BASE}/current`)).stdout.trim();
      if (live !== `releases/${path.basename(dir)}`) throw new Error(`baseline did not switch: current -> ${live}`);
      return t;
    };

    // ---- warm-up (not timed): Go build cache, unit installed, first releases, ssh paths ----
    setBuild(moduleDir, 'build-warm');
    const w0 = performance.now();
    await godeploy('shared', 'uploaded');
    const size = artifact().size;
    if (size < MIN_SIZE || size > MAX_SIZE) throw new Error(`the bench executable is ${size} bytes, not ~20 MB`);
    await godeploy('four', 'uploaded');
    await shell();
    log(
      `warm-up done in ${sec(performance.now() - w0)}; executable ${(size / 1e6).toFixed(1)} MB (${(statSync(path.join(moduleDir, 'blob.bin')).size / 1e6).toFixed(1)} MB of it random, embedded)`,
    );

    // ---- goals 1 and 2: one host on this machine's network ----
    const full: Measured[] = [];
    const again: Measured[] = [];
    const base: ShellDeployTimings[] = [];
    for (let i = 0; i < iterations; i++) {
      const fullThenAgain = async (): Promise<void> => {
        const b = `build-s${i}`;
        setBuild(moduleDir, b);
        full.push(await godeploy('shared', 'uploaded'));
        if ((await liveBuild()) !== b) throw new Error(`after the deploy of ${b} the service answers as another build`);
        again.push(await godeploy('shared', 'unchanged'));
      };
      // Alternate the order so a drift in the machine's load hits both sides alike.
      if (i % 2 === 0) {
        await fullThenAgain();
        base.push(await shell());
      } else {
        base.push(await shell());
        await fullThenAgain();
      }
      log(`single host #${i + 1}: godeploy full ${sec(full[i].ms)}, unchanged redeploy ${sec(again[i].ms)}, shell baseline ${sec(base[i].total)}`);
    }

    // ---- goal 3: 4 private-network hosts in parallel vs one of them alone ----
    const one: Measured[] = [];
    const four: Measured[] = [];
    const oneWhole: Measured[] = [];
    const fourWhole: Measured[] = [];
    // Context, not a goal: the same executable copied with OpenSSH's scp to one of those hosts, then to all four at once.
    const scpOne: number[] = [];
    const scpFour: number[] = [];
    const scpTo = async (h: (typeof priv)[number]): Promise<void> => {
      const r = await runProgram('scp', [...sshOptions(h), '-q', '-P', String(h.port), artifact().path, `${h.user}@${h.host}:/tmp/bench-scp`], {
        timeoutMs: 120_000,
      });
      if (r.code !== 0) throw new Error(`scp to ${h.host} failed: ${r.stderr}`);
    };
    for (let i = 0; i < iterations; i++) {
      let t = performance.now();
      await scpTo(priv[0]);
      scpOne.push(performance.now() - t);
      t = performance.now();
      await Promise.all(priv.map(scpTo));
      scpFour.push(performance.now() - t);
    }
    // Untimed: the private hosts run a build made after goal 1's, whose chunk index is kept
    // (dist/deploy/prod/.chunks keeps the newest 8), so every timed deploy below can send a delta.
    setBuild(moduleDir, 'build-four-warm');
    await godeploy('four', 'new');
    for (let i = 0; i < iterations; i++) {
      const single = async (): Promise<void> => {
        setBuild(moduleDir, `build-one${i}`);
        one.push(await godeploy('one', 'delta'));
      };
      const parallel = async (): Promise<void> => {
        setBuild(moduleDir, `build-four${i}`);
        four.push(await godeploy('four', 'delta'));
      };
      const singleWhole = async (): Promise<void> => {
        setBuild(moduleDir, `build-onew${i}`);
        oneWhole.push(await godeploy('oneWhole', 'uploaded'));
      };
      const parallelWhole = async (): Promise<void> => {
        setBuild(moduleDir, `build-fourw${i}`);
        fourWhole.push(await godeploy('fourWhole', 'uploaded'));
      };
      if (i % 2 === 0) {
        await single();
        await parallel();
        await singleWhole();
        await parallelWhole();
      } else {
        await parallelWhole();
        await singleWhole();
        await parallel();
        await single();
      }
      log(
        `private hosts #${i + 1}: 1 host ${sec(one[i].ms)}, 4 hosts ${sec(four[i].ms)}; whole uploads: 1 host ${sec(oneWhole[i].ms)}, 4 hosts ${sec(fourWhole[i].ms)}`,
      );
    }
    // Untimed check: B, C, D serve the last 4-host release; A the last release deployed to it.
    const order = [...four, ...one, ...fourWhole, ...oneWhole].sort((a, b) => a.result.releaseId.localeCompare(b.result.releaseId));
    const lastOnA = order[order.length - 1].result.releaseId;
    const lastOnAll = [...four, ...fourWhole].sort((a, b) => a.result.releaseId.localeCompare(b.result.releaseId)).pop()!.result.releaseId;
    const want = [lastOnA, ...priv.slice(1).map(() => lastOnAll)];
    const live = await Promise.all(priv.map(async (h) => (await h.exec(`readlink ${BASE}/current`)).stdout.trim()));
    if (live.some((l, i) => l !== `releases/${want[i]}`))
      throw new Error(`the private hosts do not serve the releases deployed last: ${live.join(', ')} (want ${want.join(', ')})`);

    const fullMs = median(full.map((m) => m.ms));
    const againMs = median(again.map((m) => m.ms));
    const baseMs = median(base.map((t) => t.total));
    const oneMs = median(one.map((m) => m.ms));
    const fourMs = median(four.map((m) => m.ms));
    const wholeRatio = median(fourWhole.map((m) => m.ms)) / median(oneWhole.map((m) => m.ms));
    const sent = median(four.map((m) => m.sentBytes));
    const n = `median of ${iterations}`;
    return [
      {
        name: 'deploy: full, 20 MB whole, 1 systemd host',
        ratio: fullMs / baseMs,
        value: fullMs / 1000,
        baseline: baseMs / 1000,
        unit: 's vs scp + ssh (ln -s, mv -T, systemctl restart) + poll /healthz',
        goal: 'at most 1.3x',
        met: fullMs / baseMs <= 1.3,
        notes: `${n}; ${(size / 1e6).toFixed(1)} MB executable sent whole by both (deltaUpload: false), poll every ${INTERVAL_MS} ms both. godeploy includes config load, connect, go build+link+sha256 (warm cache), preflight, lock, upload+verify, env file, unit check, switch, restart, health, record, prune, unlock. godeploy s: ${breakdown(full)}. shell s: ${shellBreakdown(base)}`,
      },
      {
        name: 'deploy: unchanged redeploy, 1 host',
        ratio: againMs / fullMs,
        value: againMs / 1000,
        baseline: fullMs / 1000,
        unit: 's vs the full deploy',
        goal: 'at most 0.3x',
        met: againMs / fullMs <= 0.3,
        notes: `${n}; the same build again: the live release already runs this executable, env file and unit and is healthy, so nothing is uploaded, switched or restarted (--force would make a new release linking the executable). s: ${breakdown(again)}`,
      },
      {
        name: 'deploy: 4 private hosts in parallel',
        ratio: fourMs / oneMs,
        value: fourMs / 1000,
        baseline: oneMs / 1000,
        unit: 's vs 1 of those hosts alone',
        goal: 'at most 1.5x',
        met: fourMs / oneMs <= 1.5,
        notes: `${n}; every host gets its delta upload (default): ${(sent / 1e3).toFixed(0)} kB of the ${(size / 1e6).toFixed(1)} MB executable each (main.go changed, the embedded 16 MB did not), assembled with dd and sha256-checked on the host. Context, not the goal: with whole uploads (deltaUpload: false) 4 hosts take ${sec(median(fourWhole.map((m) => m.ms)))} vs ${sec(median(oneWhole.map((m) => m.ms)))} for 1 (${wholeRatio.toFixed(2)}x), CPU core-s 4 hosts ${cpuBreakdown(fourWhole)}. 4 hosts s (slowest host per step): ${breakdown(four)}. 1 host s: ${breakdown(one)}. CPU core-s used (median): 4 hosts ${cpuBreakdown(four)}; 1 host ${cpuBreakdown(one)}: the hosts run on this machine's ${cpus().length} cores too. For scale: OpenSSH scp of the same executable takes ${sec(median(scpFour))} to 4 hosts at once vs ${sec(median(scpOne))} to 1 (${(median(scpFour) / median(scpOne)).toFixed(2)}x): the upload's encryption and writes for 4 hosts share the cores`,
      },
    ];
  } finally {
    const stopped = await Promise.allSettled(hosts.map((h) => h.stop()));
    for (const s of stopped) if (s.status === 'rejected') log(`stopping a host: ${(s.reason as Error).message}`);
    work.remove();
  }
}
