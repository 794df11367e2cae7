// A docker environment reached over ssh:// (a real sshd carrying a second, real dockerd's
// API), its ssh connection cut at seeded random moments from the start of the image transfer
// (save → load through the tunnel) to the end of the health gate, the window calibrated from
// two real deploys. After each cut: either exit 0 with the new release live (the cut came
// after the gate), or exit 1 naming the step, no host switched, the old container still
// serves (a cut during the switch is undone over a new connection), no new container runs,
// and the next deploy succeeds without --force. GODEPLOY_FAULT_SEED=N replays a run.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules, repoRoot } from '../support/paths';
import { prng } from '../support/prng';
import { setDeployappBuild } from './fixtures/deployApp';
import { docker, ensureDockerEngine, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { goEnv } from './fixtures/go';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { killSshSessions } from './fixtures/sshFaults';
import { freePort, httpGet, sleep, tempDir } from './fixtures/util';

const cliJs = join(repoRoot, 'out', 'src', 'cli', 'main.js');

/** `godeploy deploy` in its own process; resolves with its exit code and output once it ends. */
function deployProcess(dir: string, args: string[], onLine: (line: string) => void): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cliJs, '-C', dir, 'deploy', ...args], { env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

describe('docker over ssh://: the connection cut at random moments from the image transfer to the end of the health gate', function () {
  this.timeout(1_200_000);
  const seed = Number(process.env.GODEPLOY_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = prng(seed);
  const work = tempDir('docker-faults');
  const dir = join(work.path, 'app');
  let local: DockerEngine;
  let remote: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  let sshd: SshdFixture;
  let port = 0;
  let buildNo = 0;
  let windowMs = 0;
  let switchMs = 0;

  const nextBuild = (): string => {
    const b = `docker-moment-${++buildNo}`;
    setDeployappBuild(dir, b);
    return b;
  };
  const serving = async (): Promise<string> => {
    const r = await httpGet(port, '/info');
    assert.equal(r.status, 200, `the service does not answer: ${r.status}`);
    return (JSON.parse(r.body) as { build: string }).build;
  };
  const containers = async (): Promise<string[]> =>
    (await remote.docker(['ps', '-a', '--filter', 'label=godeploy.app=bigdocker', '--format', '{{.Names}} {{.State}}'])).stdout
      .split('\n')
      .filter(Boolean)
      .sort();

  before(async () => {
    console.log(`      fault seed ${seed} (replay: GODEPLOY_FAULT_SEED=${seed})`);
    local = await ensureDockerEngine();
    [remote, sshd] = await Promise.all([startSecondDockerEngine(), startSshd()]);
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(join(dir, 'ballast.bin'), randomBytes(32 * 1024 * 1024));
    writeFileSync(
      join(dir, 'ballast.go'),
      'package main\n\nimport (\n\t_ "embed"\n\t"os"\n)\n\n//go:embed ballast.bin\nvar ballast []byte\n\nfunc init() {\n\tif os.Getenv("BIGAPP_PRINT_BALLAST") != "" {\n\t\tprintln(len(ballast))\n\t}\n}\n',
    );
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'bigdocker', port },
          docker: { runtime: 'scratch' },
          environments: {
            remote: {
              type: 'docker',
              knownHostsFile: sshd.knownHostsFile,
              sshConfigFile: 'ssh_config',
              docker: { host: `ssh://${sshd.user}@127.0.0.1:${sshd.port}${remote.socketPath}`, network: 'host' },
              healthCheck: { timeout: '10s', interval: '200ms' },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(join(dir, 'ssh_config'), `Host 127.0.0.1\n  IdentityFile ${sshd.identityFile}\n  IdentitiesOnly yes\n`);
    // Calibration: a first deploy and a second (new layer only), timed.
    for (let i = 0; i < 2; i++) {
      nextBuild();
      const r = await deployProcess(dir, ['remote', '--json'], () => undefined);
      assert.equal(r.code, 0, r.out + r.err);
      const timings = (JSON.parse(r.out) as { hosts: { timings: Record<string, number | undefined> }[] }).hosts[0].timings;
      assert.ok((timings.transfer ?? 0) > 0, `no transfer was timed: ${JSON.stringify(timings)}`);
      windowMs = Math.max(windowMs, (timings.transfer ?? 0) + (timings.container ?? 100) + (timings.switch ?? 0) + (timings.health ?? 0));
      switchMs = Math.max(switchMs, (timings.switch ?? 0) + (timings.health ?? 0));
    }
    console.log(`      calibration: transfer to the end of the health gate took up to ${windowMs} ms, the switch and gate ${switchMs} ms`);
  });
  after(async () => {
    const images = (await docker(['images', '-q', 'bigdocker'])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    const stopped = await Promise.allSettled([remote?.stop(), sshd?.stop(), local?.stop()]);
    work.remove();
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  it('8 cuts from the transfer to the end of the health gate (3 within the switch and gate): live and exit 0, or exit 1 naming the step with the old container serving; the next deploy succeeds', async () => {
    const outcomes: string[] = [];
    // 5 moments over the whole window (mostly the transfer, the longest part), then 3 within the switch and gate alone.
    for (let n = 1; n <= 8; n++) {
      const inSwitch = n > 5;
      const offset = Math.floor(random() * (inSwitch ? switchMs + 100 : windowMs));
      const trigger = inSwitch ? /^\[engine\] container: / : /^\[engine\] image: /;
      const moment = inSwitch
        ? `#${n}: ${offset} ms after the release container was created (switch and gate calibrated at ${switchMs} ms)`
        : `#${n}: ${offset} ms after the transfer began (window calibrated at ${windowMs} ms)`;
      const before = await serving();
      const beforeContainers = await containers();
      nextBuild();
      let cut: Promise<string> | undefined;
      const r = await deployProcess(dir, ['remote'], (line) => {
        if (!cut && trigger.test(line)) {
          cut = sleep(offset)
            .then(() => killSshSessions(sshd, { waitMs: 300 }))
            .then(
              (p) => `cut ${p.length} session process(es)`,
              () => 'not cut: no session open',
            );
        }
      });
      const what = `${moment}; ${await cut}; seed ${seed}\n--- output ---\n${r.out}${r.err}`;
      assert.doesNotMatch(r.err, /internal error/, what);
      if (r.code === 0) {
        // The cut came after the health gate (or missed every connection): the release must really be live.
        assert.match(r.out, /: done in [\d.]+ s; live on \S+: engine$/m, what);
        assert.notEqual(await serving(), before, what);
        outcomes.push(`${moment}: exit 0, live (the cut came after the gate)`);
      } else {
        assert.equal(r.code, 1, what);
        assert.match(r.out, /^\[engine\] (transfer|container|health|switch|rollback|lock|unlock): FAIL /m, what);
        assert.match(r.out, /; no host switched to \S+$/m, what);
        assert.equal(await serving(), before, `${what}\nthe old container no longer serves`);
        const now = (await containers()).filter((c) => !beforeContainers.includes(c));
        assert.deepEqual(
          now.filter((c) => / running$/.test(c)),
          [],
          `${what}\na new container runs`,
        );
        outcomes.push(`${moment}: exit 1, ${/^\[engine\] (\S+): FAIL/m.exec(r.out)?.[1]} named, the old container serves`);
      }
      const b = nextBuild();
      const next = await deployProcess(dir, ['remote'], () => undefined);
      assert.equal(next.code, 0, `the deploy after ${moment}\n${next.out}${next.err}`);
      assert.equal(await serving(), b);
    }
    console.log(outcomes.map((o) => `      ${o}`).join('\n'));
  });
});
