// Docker environments, against baselines measured in the same run:
//   1. a redeploy after a one-line change with docker.build: binary (go build here with its
//      warm cache, the executable packed by the --from-binary Dockerfile) vs the same
//      redeploy with docker.build: dockerfile (the generated multi-stage Dockerfile, the Go
//      build inside the builder stage), both through deploy() to the local engine;
//   2. moving a ~16 MB image to an engine reached over ssh with no registry (transferImage
//      through the ssh tunnel: GET /images/get into POST /images/load) vs what a person runs
//      by hand: `docker save IMAGE | ssh HOST docker load`. Each run starts with the image
//      absent on the target. For context, not a goal: the transfer of a rebuilt image whose
//      big layer the target already has.
// Engines: the local one (started by the test fixture if none runs) and a second dockerd on
// its own socket behind the loopback sshd, as in the integration tests.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { environmentSources } from '../src/core/config/references';
import { deploy } from '../src/core/operations/index';
import { loadEnvironment } from '../src/core/environment/load';
import { engineAddress, openEngine } from '../src/core/targets/docker/engine';
import { openEnvironmentEngine } from '../src/core/targets/docker/environmentEngine';
import { transferImage } from '../src/core/targets/docker/transfer';
import { ensureBuilderImage } from '../test/integration/fixtures/builderImage';
import { docker, ensureDockerEngine, startSecondDockerEngine } from '../test/integration/fixtures/docker';
import { goEnv } from '../test/integration/fixtures/go';
import { sshOptions, startSshd } from '../test/integration/fixtures/sshd';
import { freePort, run as runProgram, tempDir } from '../test/integration/fixtures/util';
import { makeBigDeployapp, setBuild } from './deployFixture';
import { median, type BenchResult } from './harness';

const iterations = Math.max(1, Number(process.env.BENCH_DOCKER_ITERATIONS ?? 5));
const log = (s: string): void => {
  process.stderr.write(`  [docker bench] ${s}\n`);
};
const APP = 'benchdockerapp';

export async function run(): Promise<BenchResult[]> {
  const work = tempDir('bench-docker');
  const moduleDir = path.join(work.path, 'app');
  const buildEnv = goEnv();
  const local = await ensureDockerEngine();
  const [remote, sshd] = await Promise.all([startSecondDockerEngine(), startSshd()]);
  try {
    const builder = await ensureBuilderImage('1.19');
    makeBigDeployapp(moduleDir, 16_000_000);
    const ports = { binary: await freePort(), dockerfile: await freePort() };
    const config = (build: 'binary' | 'dockerfile'): string => {
      const file = path.join(moduleDir, `godeploy-${build}.yaml`);
      writeFileSync(
        file,
        `${JSON.stringify(
          {
            app: { name: APP, port: ports[build], healthCheck: { interval: '100ms' } },
            docker: { runtime: 'scratch', buildkit: false, builderImage: builder.split(':')[0] },
            environments: {
              [build]: { type: 'docker', docker: { host: `unix://${local.socketPath}`, network: 'host', build } },
              remote: {
                type: 'docker',
                knownHostsFile: sshd.knownHostsFile,
                sshConfigFile: 'ssh_config',
                docker: { host: `ssh://${sshd.user}@127.0.0.1:${sshd.port}${remote.socketPath}`, network: 'host' },
              },
            },
          },
          null,
          2,
        )}\n`,
      );
      return file;
    };
    const files = { binary: config('binary'), dockerfile: config('dockerfile') };
    writeFileSync(path.join(moduleDir, 'ssh_config'), `Host 127.0.0.1\n  IdentityFile ${sshd.identityFile}\n  IdentitiesOnly yes\n`);
    writeFileSync(
      path.join(moduleDir, 'Dockerfile'),
      (await import('../src/core/generate/dockerfile')).renderDockerfile(
        (await loadEnvironment({ file: files.dockerfile, exists: true }, 'dockerfile', 'bench')).model,
      ),
    );
    const deployOnce = async (build: 'binary' | 'dockerfile'): Promise<number> => {
      const t0 = performance.now();
      const r = await deploy({ configFile: { file: files[build], exists: true }, environment: build, sources: environmentSources(buildEnv), buildEnv });
      const ms = performance.now() - t0;
      if (!r.ok) throw new Error(`docker.build: ${build}: deploy failed: ${JSON.stringify(r.hosts)}`);
      return ms;
    };

    // ---- 1. from binary vs Dockerfile, the same change each time ----
    setBuild(moduleDir, 'warm');
    await deployOnce('binary');
    await deployOnce('dockerfile');
    const fromBinary: number[] = [];
    const fromDockerfile: number[] = [];
    for (let i = 0; i < iterations; i++) {
      setBuild(moduleDir, `change-${i}`);
      fromBinary.push(await deployOnce('binary'));
      fromDockerfile.push(await deployOnce('dockerfile'));
    }
    log(`from binary ${fromBinary.map((x) => (x / 1000).toFixed(2)).join(' ')} s; Dockerfile ${fromDockerfile.map((x) => (x / 1000).toFixed(2)).join(' ')} s`);
    const b = median(fromBinary);
    const f = median(fromDockerfile);

    // ---- 2. registry-free transfer vs docker save | ssh docker load ----
    const image = `${APP}:transfer`;
    const ctx = path.join(work.path, 'image');
    await runProgram('mkdir', ['-p', ctx]);
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY blob.bin /blob.bin\nCOPY small /small\n');
    await runProgram('cp', [path.join(moduleDir, 'blob.bin'), path.join(ctx, 'blob.bin')]);
    writeFileSync(path.join(ctx, 'small'), 'v1');
    if ((await docker(['build', '-q', '-t', image, ctx], 300_000)).code !== 0) throw new Error('building the transfer image failed');
    const loaded = await loadEnvironment({ file: files.binary, exists: true }, 'remote', 'bench');
    const target = await openEnvironmentEngine(loaded);
    const source = await openEngine(engineAddress(`unix://${local.socketPath}`));
    const clearTarget = async (): Promise<void> => {
      const ids = (await remote.docker(['images', '-q', APP])).stdout.split('\n').filter(Boolean);
      if (ids.length) await remote.docker(['rmi', '--force', ...new Set(ids)]);
    };
    const ours: number[] = [];
    const byHand: number[] = [];
    const script = `docker save ${image} | ssh ${sshOptions(sshd).join(' ')} -p ${sshd.port} ${sshd.user}@127.0.0.1 "DOCKER_HOST=unix://${remote.socketPath} docker load -q"`;
    try {
      for (let i = 0; i <= iterations; i++) {
        await clearTarget();
        const t0 = performance.now();
        const r = await transferImage(source, target, image);
        const ms = performance.now() - t0;
        if (r.present || r.layersSkipped) throw new Error('the target was not empty');
        await clearTarget();
        const t1 = performance.now();
        const hand = await runProgram('bash', ['-o', 'pipefail', '-c', script], {
          env: { ...process.env, DOCKER_HOST: `unix://${local.socketPath}` },
          timeoutMs: 300_000,
        });
        const handMs = performance.now() - t1;
        if (hand.code !== 0) throw new Error(`docker save | ssh docker load failed: ${hand.stderr}`);
        if (i > 0) {
          ours.push(ms);
          byHand.push(handMs);
        } // the first pair warms caches
      }
      // Context: a rebuilt image (its small layer changed) to a target that has the big one.
      await clearTarget();
      await transferImage(source, target, image);
      writeFileSync(path.join(ctx, 'small'), 'v2');
      await docker(['build', '-q', '-t', `${APP}:transfer2`, ctx], 300_000);
      const t2 = performance.now();
      const again = await transferImage(source, target, `${APP}:transfer2`);
      const againMs = performance.now() - t2;
      log(
        `transfer ${ours.map((x) => (x / 1000).toFixed(2)).join(' ')} s; save|ssh load ${byHand.map((x) => (x / 1000).toFixed(2)).join(' ')} s; rebuilt image: ${again.layersSkipped} of ${again.layers} layers skipped, ${(again.bytesSent / 1e6).toFixed(2)} MB in ${(againMs / 1000).toFixed(2)} s`,
      );
      const t = median(ours);
      const h = median(byHand);
      return [
        {
          name: 'docker redeploy: from binary vs Dockerfile',
          ratio: b / f,
          value: b / 1000,
          baseline: f / 1000,
          unit: 's',
          goal: '≤ 0.5',
          met: b / f <= 0.5,
          notes: `the same one-line change, medians of ${iterations}`,
        },
        {
          name: 'docker image to an ssh engine vs save|ssh load',
          ratio: t / h,
          value: t / 1000,
          baseline: h / 1000,
          unit: 's',
          goal: '≤ 1.2',
          met: t / h <= 1.2,
          notes: `16 MB image, absent on the target; a rebuilt image with the big layer there: ${(again.bytesSent / 1e6).toFixed(2)} MB, ${(againMs / 1000).toFixed(2)} s`,
        },
      ];
    } finally {
      target.close();
      source.close();
    }
  } finally {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.app=${APP}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
    const images = (await docker(['images', '-q', APP])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await Promise.allSettled([remote.stop(), sshd.stop()]);
    await local.stop();
    work.remove();
  }
}
