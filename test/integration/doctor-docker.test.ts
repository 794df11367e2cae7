// `godeploy doctor ENV` for a docker environment against the real Docker Engine (started by
// the fixture when none runs): the engine's version and platform, free space under its data
// folder, who holds app.port (a foreign container's process, this app's own container),
// an engine that cannot be reached, and permission denied on its socket (run as nobody).
import { strict as assert } from 'node:assert';
import { chmodSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { copyDeployapp } from './fixtures/deployApp';
import { buildScratchImage, docker, type DockerEngine, ensureDockerEngine } from './fixtures/docker';
import { buildStatic, goEnv } from './fixtures/go';
import { freePort, httpGet, run, tempDir, waitFor, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('doctor for a docker environment (CLI, real Docker Engine)', function () {
  this.timeout(300_000);
  const work = tempDir('doctor-docker');
  const tag = `godeploy-it/deployapp-doctor:${process.pid}`;
  const names = [`godeploy-it-foreign-${process.pid}`, `godeploy-it-ours-${process.pid}`];
  let engine: DockerEngine;
  let port: number;

  const writeConfig = (host: string): void => {
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        'environments:',
        '  box:',
        '    type: docker',
        '    docker:',
        `      host: ${JSON.stringify(host)}`,
        '      network: host',
        '',
      ].join('\n'),
    );
  };
  const doctor = (args: string[] = []): Promise<RunResult> =>
    run(process.execPath, [cli, '-C', work.path, 'doctor', 'box', ...args], { env: goEnv(), timeoutMs: 120_000 });
  const runContainer = async (name: string, labels: string[]): Promise<void> => {
    const r = await docker(['run', '--detach', '--name', name, '--network', 'host', '--env', `PORT=${port}`, ...labels.flatMap((l) => ['--label', l]), tag]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => ({ status: 0 }))).status === 200,
      20_000,
      () => `${name} did not answer on ${port}`,
    );
  };

  before(async () => {
    engine = await ensureDockerEngine();
    port = await freePort();
    copyDeployapp(work.path, []);
    await buildStatic(work.path, join(work.path, 'deployapp'));
    await buildScratchImage(tag, join(work.path, 'deployapp'));
    writeConfig(`unix://${engine.socketPath}`);
  });
  after(async () => {
    for (const n of names) await docker(['rm', '--force', n]);
    await docker(['rmi', '--force', tag]);
    await engine?.stop();
    work.remove();
  });

  it('a healthy engine: reachable with its version, the platform, free space, the port free; exit 0', async () => {
    const r = await doctor();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^engine \\(unix://${esc(engine.socketPath)}\\)$`, 'm'));
    assert.match(r.stdout, new RegExp(`^  ok   reachable  Docker Engine ${esc(engine.version)} \\(API \\d+\\.\\d+\\)$`, 'm'));
    assert.match(r.stdout, /^ {2}ok {3}platform {3}linux\/(amd64|arm64)$/m);
    assert.match(r.stdout, /^ {2}(ok {3}|WARN )disk {7}[\d.]+ [MG]B free under \//m);
    assert.match(r.stdout, new RegExp(`^  ok   port       ${port} is free$`, 'm'));
    const j = JSON.parse((await doctor(['--json'])).stdout) as { hosts: { checks: { id: string; status: string }[] }[] };
    assert.deepEqual(
      j.hosts[0].checks.map((c) => c.id),
      ['reachable', 'platform', 'disk', 'port'],
    );
  });

  it("app.port held by another container (host network): FAIL naming the container, exit 1; by this app's container: a warning, exit 0", async () => {
    await runContainer(names[0], []);
    const foreign = await doctor();
    assert.equal(foreign.code, 1, foreign.stdout);
    assert.match(
      foreign.stdout,
      new RegExp(`^  FAIL port       ${port} is held by container ${names[0]} \\(${esc(tag)}\\) \\(host network, pid \\d+\\)$`, 'm'),
    );
    assert.equal((await docker(['rm', '--force', names[0]])).code, 0);
    await runContainer(names[1], ['godeploy.app=deployapp', 'godeploy.release=r1']);
    const ours = await doctor();
    assert.equal(ours.code, 0, ours.stdout);
    assert.match(ours.stdout, new RegExp(`^  WARN port       ${port} is held by container ${names[1]} \\(${esc(tag)}\\), the current release$`, 'm'));
    assert.equal((await docker(['rm', '--force', names[1]])).code, 0);
  });

  it('an engine that cannot be reached: FAIL naming the address and what to do, exit 1; an npipe:// engine is refused (exit 2)', async () => {
    const closed = await freePort();
    writeConfig(`tcp://127.0.0.1:${closed}`);
    const refused = await doctor();
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stdout,
      new RegExp(`FAIL reachable  the Docker engine at tcp://127\\.0\\.0\\.1:${closed} \\(environments\\.box\\.docker\\.host\\) refused the connection`),
    );
    assert.match(refused.stdout, /hint: check that the engine listens there, or set docker\.host to the engine you use/);
    writeConfig(`unix://${join(work.path, 'no-such.sock')}`);
    const missing = await doctor();
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, new RegExp(`is not running: ${esc(join(work.path, 'no-such.sock'))} does not exist`));
    writeConfig('npipe:////./pipe/docker_engine');
    const npipe = await doctor();
    assert.equal(npipe.code, 2, npipe.stdout + npipe.stderr);
    assert.match(npipe.stdout + npipe.stderr, /npipe:\/\/ engines \(Docker Desktop on Windows\) are not supported/);
    writeConfig(`unix://${engine.socketPath}`);
  });

  it('permission denied on the socket, caused for real (the CLI run as nobody, outside the docker group): doctor and deploy say so and what to do', async () => {
    writeConfig(`unix://${engine.socketPath}`);
    // A world-readable copy of the module: nobody cannot enter the test's 0700 folder.
    const open = tempDir('doctor-docker-nobody');
    try {
      const dir = join(open.path, 'app');
      cpSync(work.path, dir, { recursive: true, filter: (src) => !src.endsWith('/deployapp') });
      chmodSync(open.path, 0o755);
      await run('chmod', ['-R', 'a+rX', dir]);
      const asNobody = (args: string[]): Promise<RunResult> =>
        run(
          'runuser',
          [
            '-u',
            'nobody',
            '--',
            'env',
            `HOME=${open.path}`,
            `GOCACHE=${join(open.path, 'gocache')}`,
            `PATH=${process.env.PATH}`,
            process.execPath,
            cli,
            '-C',
            dir,
            ...args,
          ],
          { timeoutMs: 120_000 },
        );
      const d = await asNobody(['doctor', 'box']);
      assert.equal(d.code, 1, d.stdout + d.stderr);
      assert.match(
        d.stdout,
        new RegExp(
          `FAIL reachable  permission denied on ${esc(engine.socketPath)} \\(the Docker engine at unix://${esc(engine.socketPath)} \\(environments\\.box\\.docker\\.host\\)\\)`,
        ),
      );
      assert.match(d.stdout, /hint: add your user to the docker group and log in again, or use a rootless engine/);
      const before = (await docker(['ps', '-aq'])).stdout;
      const r = await asNobody(['deploy', 'box']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /connect: FAIL permission denied on \S+docker\.sock/);
      assert.equal((await docker(['ps', '-aq'])).stdout, before, 'a container changed');
    } finally {
      open.remove();
    }
  });
});
