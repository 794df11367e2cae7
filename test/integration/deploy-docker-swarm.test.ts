// docker.mode: swarm on a real single-node swarm (`docker swarm init` on a second dockerd of
// its own). This kernel has no IPVS, so the routing mesh cannot publish ports here: the
// service runs with `publish: false` (DNS round-robin, no virtual IP), and its health is what
// the engine's health check sees, through godeploy-probe packed in the image. A service of
// 2 replicas; a rolling update (start-first) to a new build; an update whose tasks fail their
// health check, which Swarm rolls back by itself; `godeploy rollback` to the previous spec.
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationSource } from '../../src/core/cancellation';
import { environmentSources } from '../../src/core/config/references';
import { deploy } from '../../src/core/operations/index';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { setDeployappBuild } from './fixtures/deployApp';
import { startSecondDockerEngine } from './fixtures/docker';
import { goEnv } from './fixtures/go';
import { tempDir } from './fixtures/util';

const APP = 'swarmapp';
const ENV = 'cluster';
const SERVICE = `${APP}-${ENV}`;

interface Task {
  Status: { State: string };
  DesiredState: string;
  Spec: { ContainerSpec: { Image: string } };
}

describe('deploy to Docker Swarm (a real single-node swarm)', function () {
  this.timeout(900_000);
  const work = tempDir('deploy-docker-swarm');
  const dir = join(work.path, 'app');
  let engine: Awaited<ReturnType<typeof startSecondDockerEngine>>;

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());
  const configure = (env: Record<string, string> = {}): void => {
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: APP, port: 8080 },
          docker: { runtime: 'scratch' },
          environments: {
            [ENV]: {
              type: 'docker',
              env,
              docker: { host: `unix://${engine.socketPath}`, mode: 'swarm', replicas: 2, publish: false },
              healthCheck: { timeout: '4s', interval: '1s' },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
  };
  /** The release each running task runs (its image tag), sorted. */
  const runningReleases = async (): Promise<string[]> => {
    const ids = (await engine.docker(['service', 'ps', '-q', '--filter', 'desired-state=running', SERVICE])).stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const tasks = JSON.parse((await engine.docker(['inspect', ...ids])).stdout) as Task[];
    return tasks
      .filter((t) => t.Status.State === 'running')
      .map((t) => t.Spec.ContainerSpec.Image.replace(`${APP}:`, '').replace(/@.*$/, ''))
      .sort();
  };

  before(async () => {
    engine = await startSecondDockerEngine();
    const init = await engine.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    assert.equal(init.code, 0, init.stderr);
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
  });
  after(async () => {
    await engine?.docker(['service', 'rm', SERVICE]);
    await engine?.docker(['swarm', 'leave', '--force']);
    await engine?.stop();
    work.remove();
  });

  let first = '';
  let second = '';

  it('creates the service: 2 replicas, each running and healthy (godeploy-probe), labelled with the release', async () => {
    configure();
    const r = await cli(['deploy', ENV]);
    assert.equal(r.code, 0, r.out + r.err);
    first = /^deploy (\S+) to cluster: done/m.exec(r.out)?.[1] ?? '';
    assert.ok(first, r.out);
    assert.match(r.out, /preflight: swarm manager, 1 node/);
    assert.match(r.out, /switch: swarmapp-cluster: 2 tasks of \S+ running and healthy/);
    assert.deepEqual(await runningReleases(), [first, first]);
    const spec = JSON.parse((await engine.docker(['service', 'inspect', SERVICE])).stdout)[0].Spec as {
      Labels: Record<string, string>;
      UpdateConfig: { Order: string; FailureAction: string };
      TaskTemplate: { ContainerSpec: { Healthcheck: { Test: string[] } } };
    };
    assert.equal(spec.Labels['godeploy.release'], first);
    assert.deepEqual([spec.UpdateConfig.Order, spec.UpdateConfig.FailureAction], ['start-first', 'rollback']);
    assert.deepEqual(spec.TaskTemplate.ContainerSpec.Healthcheck.Test, ['CMD', '/godeploy-probe', 'http://127.0.0.1:8080/healthz']);
  });

  it('a new build rolls out task by task (start-first) and completes; godeploy rollback returns to the previous spec', async () => {
    assert.ok(first, 'needs the first deploy');
    setDeployappBuild(dir, 'build-2');
    const r = await cli(['deploy', ENV]);
    assert.equal(r.code, 0, r.out + r.err);
    second = /^deploy (\S+) to cluster: done/m.exec(r.out)?.[1] ?? '';
    assert.deepEqual(await runningReleases(), [second, second]);
    const back = await cli(['rollback', ENV]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.deepEqual(await runningReleases(), [first, first]);
    const releases = await cli(['releases', ENV]);
    assert.match(releases.out, new RegExp(`^ {4}${second.replace(/\./g, '\\.')} +previous`, 'm'), releases.out);
    assert.match(releases.out, new RegExp(`^ {2}\\* ${first.replace(/\./g, '\\.')} +service .*\\(live\\)$`, 'm'), releases.out);
    const status = await cli(['status', ENV]);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /service swarmapp-cluster: 2\/2 tasks running, update rollback_completed/);
  });

  it("an update whose new tasks fail their health check: Swarm rolls it back by itself; exit 1 with the task's log lines", async () => {
    assert.ok(first && second, 'needs the earlier deploys');
    setDeployappBuild(dir, 'build-bad');
    configure({ DEPLOYAPP_FAIL_HEALTH: '1' });
    const r = await cli(['deploy', ENV]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /Swarm rolled the update of swarmapp-cluster back/);
    assert.match(r.out, /failing the health check on purpose/);
    assert.deepEqual(await runningReleases(), [first, first]);
  });

  it('cancelled during a rolling update: Swarm is asked for the previous spec, the result says cancelled, the previous release runs', async () => {
    assert.ok(first, 'needs the first deploy');
    setDeployappBuild(dir, 'build-3');
    configure();
    const cancel = new CancellationSource();
    const events: string[] = [];
    const r = await deploy({
      configFile: { file: join(dir, 'godeploy.yaml'), exists: true },
      environment: ENV,
      sources: environmentSources(goEnv()),
      buildEnv: goEnv(),
      token: cancel.token,
      emit: (e) => {
        events.push(`${e.step} ${e.state} ${e.message}`);
        if (e.step === 'switch' && e.state === 'start' && /^updating/.test(e.message)) cancel.cancel();
      },
    });
    assert.equal(r.ok, false, events.join('\n'));
    assert.equal(r.cancelled, true, events.join('\n'));
    assert.match(r.hosts[0].error ?? '', /cancelled: swarmapp-cluster is back on its previous spec/);
    assert.ok(
      events.some((e) => /^rollback start cancelled: asking Swarm for the previous spec/.test(e)),
      events.join('\n'),
    );
    assert.deepEqual(await runningReleases(), [first, first]);
  });
});
