// Several processes (app.processes) on a real Docker Engine, through the CLI's main(): the
// shop fixture's api and worker deploy as two containers of one release image, each running
// its own executable with its own arguments and environment; status lists both; restart
// --process acts on one; a release whose worker fails its gate rolls both back (the api keeps
// answering the old release, the old containers run); rollback takes both back together. On a
// single-node swarm: two services, created, then both updated to the next release; status lists both.
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { docker, ensureDockerEngine, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, tempDir } from './fixtures/util';

interface Inspected {
  Id: string;
  Name: string;
  Config: { Entrypoint: string[] | null; Cmd: string[] | null; Env: string[]; Labels: Record<string, string> };
  State: { Running: boolean; Pid: number };
}

interface Answer {
  process: string;
  args: string[];
  greeting: string;
  exe: string;
  pid: number;
}

describe('several processes on a Docker Engine: api + worker as two containers of one release (CLI, real engine)', function () {
  this.timeout(900_000);
  const work = tempDir('deploy-docker-processes');
  const env = `procs${process.pid}`;
  const app = 'shop';
  const dir = join(work.path, 'shop');
  let engine: DockerEngine;
  let port = 0;

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv({}));
  const writeConfig = (greeting: string, workerFails = false): void => {
    const config = {
      app: {
        name: app,
        env: { GREETING: greeting },
        processes: {
          api: { main: './cmd/api', port, portFlag: '-port', healthCheck: { path: '/healthz' } },
          worker: {
            main: './cmd/worker',
            args: ['--queue', 'mail'],
            env: { QUEUE: 'mail', ...(workerFails ? { WORKER_FAIL: '1' } : {}) },
            healthCheck: { for: '3s' },
          },
        },
      },
      docker: { runtime: 'scratch', buildkit: false },
      environments: {
        [env]: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, network: 'host' }, healthCheck: { timeout: '15s', interval: '200ms' } },
      },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  };
  const deploy = async (): Promise<{ r: CliRun; release: string }> => {
    const r = await cli(['deploy', env]);
    return { r, release: new RegExp(`^deploy (\\S+) to ${env}: `, 'm').exec(r.out)?.[1] ?? '' };
  };
  const containers = async (filter: string[]): Promise<Inspected[]> => {
    const ids = (await docker(['ps', '-q', '--filter', `label=godeploy.environment=${env}`, ...filter.flatMap((f) => ['--filter', f])])).stdout
      .split('\n')
      .filter(Boolean);
    return ids.length ? (JSON.parse((await docker(['inspect', ...ids])).stdout) as Inspected[]) : [];
  };
  const running = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await containers([])).map((c) => [c.Config.Labels['godeploy.process'], c.Config.Labels['godeploy.release']]));
  const api = async (): Promise<Answer> => (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Answer;
  const workerLog = async (release: string): Promise<string> => {
    const r = await docker(['logs', `${app}-worker-${release}`]);
    return r.stdout + r.stderr;
  };

  before(async () => {
    engine = await ensureDockerEngine();
    port = await freePort();
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
  });
  after(async () => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
    await docker(['rm', '--force', `godeploy-lock-${app}`]);
    const images = (await docker(['images', '-q', app])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await engine?.stop();
    work.remove();
  });

  let first = '';
  it('deploys api and worker as two containers of one image, each its own executable with its own arguments and environment; status lists both', async () => {
    writeConfig('one');
    const { r, release } = await deploy();
    assert.equal(r.code, 0, r.out + r.err);
    first = release;
    const [apiC] = await containers([`label=godeploy.process=api`]);
    const [workerC] = await containers([`label=godeploy.process=worker`]);
    assert.equal(apiC.Name, `/${app}-api-${release}`);
    assert.equal(workerC.Name, `/${app}-worker-${release}`);
    assert.deepEqual(apiC.Config.Entrypoint, ['/app/api']);
    assert.deepEqual(apiC.Config.Cmd, [`-port=${port}`]);
    assert.deepEqual(workerC.Config.Entrypoint, ['/app/worker']);
    assert.deepEqual(workerC.Config.Cmd, ['--queue', 'mail']);
    for (const c of [apiC, workerC]) {
      assert.equal(c.Config.Labels['godeploy.app'], app);
      assert.equal(c.Config.Labels['godeploy.release'], release);
    }
    assert.ok(workerC.Config.Env.includes('QUEUE=mail'));
    assert.ok(!apiC.Config.Env.includes('QUEUE=mail'), 'the worker env is its own');
    assert.ok(!workerC.Config.Env.some((x) => x.startsWith('PORT=')), 'no port for the worker');
    // One image: both containers run the release's tag.
    assert.equal((await docker(['inspect', '-f', '{{.Config.Image}}', apiC.Id])).stdout.trim(), `${app}:${release}`);
    assert.equal((await docker(['inspect', '-f', '{{.Config.Image}}', workerC.Id])).stdout.trim(), `${app}:${release}`);
    const answer = await api();
    assert.equal(answer.process, 'api');
    assert.deepEqual(answer.args, [`-port=${port}`]);
    assert.equal(answer.greeting, 'one');
    assert.equal(answer.exe, '/app/api');
    assert.match(await workerLog(release), /worker started with \["--queue" "mail"\], queue "mail"/);

    const s = await cli(['status', env, '--json']);
    assert.equal(s.code, 0, s.out + s.err);
    const host = (
      JSON.parse(s.out) as {
        hosts: { live: string; processes: { name: string; service: string; running: boolean; health: { healthy: boolean } | null; port: number | null }[] }[];
      }
    ).hosts[0];
    assert.equal(host.live, release);
    assert.deepEqual(
      host.processes.map((p) => [p.name, p.service, p.running, p.health?.healthy, p.port]),
      [
        ['api', `${app}-api-${release}`, true, true, port],
        ['worker', `${app}-worker-${release}`, true, true, null],
      ],
    );
  });

  it('restart --process worker restarts only the worker; exec --process names a process the app has', async () => {
    const before = await containers([]);
    const r = await cli(['restart', env, '--process', 'worker']);
    assert.equal(r.code, 0, r.out + r.err);
    const after = await containers([]);
    const pid = (cs: Inspected[], p: string) => cs.find((c) => c.Config.Labels['godeploy.process'] === p)!.State.Pid;
    assert.equal(pid(after, 'api'), pid(before, 'api'));
    assert.notEqual(pid(after, 'worker'), pid(before, 'worker'));
    // exec --process picks that process's container; a process the app does not have is a usage error naming those it has.
    const x = await cli(['exec', env, '--process', 'worker', '--', '/no/such/program']);
    assert.ok(x.code >= 126, x.out + x.err);
    const unknown = await cli(['exec', env, '--process', 'mailer', '--', '/app/api']);
    assert.equal(unknown.code, 2, unknown.out + unknown.err);
    assert.match(unknown.err, /its processes: api, worker/);
  });

  it('a release whose worker fails rolls back both: the new containers are gone, the old ones run, the api answers the old release', async () => {
    writeConfig('two', true);
    const { r, release } = await deploy();
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out + r.err, /worker/);
    assert.deepEqual(await running(), { api: first, worker: first });
    const leftovers = (await docker(['ps', '-aq', '--filter', `label=godeploy.release=${release}`])).stdout.trim();
    assert.equal(leftovers, '', 'the failed release containers were removed');
    const answer = await api();
    assert.equal(answer.greeting, 'one');
  });

  it('a second release goes live for both; rollback takes both back to the first', async () => {
    writeConfig('three');
    const { r, release } = await deploy();
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(await running(), { api: release, worker: release });
    assert.equal((await api()).greeting, 'three');
    const back = await cli(['rollback', env]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.deepEqual(await running(), { api: first, worker: first });
    assert.equal((await api()).greeting, 'one');
  });
});

describe('several processes on a single-node Docker Swarm: api + worker as two services', function () {
  this.timeout(900_000);
  const work = tempDir('deploy-swarm-processes');
  const dir = join(work.path, 'shop');
  const app = 'shop';
  let engine: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv({}));
  const writeConfig = (greeting: string): void => {
    const config = {
      app: {
        name: app,
        env: { GREETING: greeting },
        processes: {
          api: { main: './cmd/api', port: 8080, portFlag: '-port', healthCheck: { path: '/healthz' } },
          worker: { main: './cmd/worker', args: ['--queue', 'mail'], env: { QUEUE: 'mail' }, healthCheck: { for: '2s' } },
        },
      },
      docker: { runtime: 'scratch' },
      environments: {
        cluster: {
          type: 'docker',
          docker: { host: `unix://${engine.socketPath}`, mode: 'swarm', replicas: 1, publish: false },
          healthCheck: { timeout: '4s', interval: '1s' },
        },
      },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  };
  interface Service {
    Spec: {
      Name: string;
      Labels: Record<string, string>;
      TaskTemplate: { ContainerSpec: { Command?: string[]; Args?: string[]; Env?: string[]; Image: string } };
      EndpointSpec?: { Mode?: string };
    };
  }
  const service = async (name: string): Promise<Service> => (JSON.parse((await engine.docker(['service', 'inspect', name])).stdout) as Service[])[0];
  const release = (out: string): string => /^deploy (\S+) to cluster: /m.exec(out)?.[1] ?? '';

  before(async () => {
    engine = await startSecondDockerEngine();
    const init = await engine.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    assert.equal(init.code, 0, init.stderr);
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
  });
  after(async () => {
    await engine?.docker(['service', 'rm', `${app}-api-cluster`, `${app}-worker-cluster`]);
    await engine?.docker(['swarm', 'leave', '--force']);
    await engine?.stop();
    work.remove();
  });

  it('creates two services of one image, each its own executable and arguments, then updates both; status lists both', async () => {
    writeConfig('one');
    const r1 = await cli(['deploy', 'cluster']);
    assert.equal(r1.code, 0, r1.out + r1.err);
    const first = release(r1.out);
    const api = await service(`${app}-api-cluster`);
    const worker = await service(`${app}-worker-cluster`);
    assert.deepEqual(api.Spec.TaskTemplate.ContainerSpec.Command, ['/app/api']);
    assert.deepEqual(api.Spec.TaskTemplate.ContainerSpec.Args, ['-port=8080']);
    assert.deepEqual(worker.Spec.TaskTemplate.ContainerSpec.Command, ['/app/worker']);
    assert.deepEqual(worker.Spec.TaskTemplate.ContainerSpec.Args, ['--queue', 'mail']);
    assert.ok(worker.Spec.TaskTemplate.ContainerSpec.Env?.includes('QUEUE=mail'));
    assert.equal(worker.Spec.EndpointSpec?.Mode, 'dnsrr');
    assert.equal(api.Spec.TaskTemplate.ContainerSpec.Image, worker.Spec.TaskTemplate.ContainerSpec.Image, 'one image');
    for (const s of [api, worker]) assert.equal(s.Spec.Labels['godeploy.release'], first);

    writeConfig('two');
    const r2 = await cli(['deploy', 'cluster']);
    assert.equal(r2.code, 0, r2.out + r2.err);
    const second = release(r2.out);
    assert.notEqual(second, first);
    for (const name of [`${app}-api-cluster`, `${app}-worker-cluster`]) assert.equal((await service(name)).Spec.Labels['godeploy.release'], second, name);
    const ls = await engine.docker(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), [`${app}-api-cluster 1/1`, `${app}-worker-cluster 1/1`]);

    const s = await cli(['status', 'cluster', '--json']);
    assert.equal(s.code, 0, s.out + s.err);
    const host = (JSON.parse(s.out) as { hosts: { live: string; processes: { name: string; service: string; running: boolean }[] }[] }).hosts[0];
    assert.equal(host.live, second);
    assert.deepEqual(
      host.processes.map((p) => [p.name, p.service, p.running]),
      [
        ['api', `${app}-api-cluster`, true],
        ['worker', `${app}-worker-cluster`, true],
      ],
    );

    // Logs of one process: that service's tasks only.
    const logs = await cli(['logs', 'cluster', '--process', 'worker', '-n', '20']);
    assert.equal(logs.code, 0, logs.out + logs.err);
    assert.match(logs.out, /worker started with \["--queue" "mail"\], queue "mail"/);
    assert.doesNotMatch(logs.out, new RegExp(`${app}-api-cluster`));

    // Rollback takes both services back to the first release.
    const back = await cli(['rollback', 'cluster']);
    assert.equal(back.code, 0, back.out + back.err);
    for (const name of [`${app}-api-cluster`, `${app}-worker-cluster`]) assert.equal((await service(name)).Spec.Labels['godeploy.release'], first, name);
  });
});
