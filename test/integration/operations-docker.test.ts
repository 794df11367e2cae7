// `godeploy exec` and `godeploy restart|stop|start` against a docker environment, through the
// CLI's main() and a real Docker Engine (the fixture's, host networking): exec in the live
// release container (a FROM scratch image: no shell, the executable itself), its output and
// exit code; restart (the same container, a new process, healthy); stop (not running, status
// says so); start (the same release back, healthy).
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { docker, ensureDockerEngine, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { runCli, runCliInTerminal, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, portAccepts, tempDir } from './fixtures/util';

const SECRET = `ops-dk-${process.pid}-Wq2`;

interface Inspected {
  Id: string;
  State: { Running: boolean; Pid: number; StartedAt: string; Status: string };
  HostConfig: { RestartPolicy: { Name: string } };
}

describe('exec, restart, stop, start on a docker environment (real Docker Engine, CLI)', function () {
  this.timeout(600_000);
  const work = tempDir('operations-docker');
  const env = `ops${process.pid}`;
  const app = 'opsapp';
  const dir = join(work.path, 'app');
  let engine: DockerEngine;
  let port = 0;
  let release = '';

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv({ DK_SECRET: SECRET }));
  const container = async (): Promise<Inspected> => {
    const id = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`, '--filter', `label=godeploy.release=${release}`])).stdout.trim();
    assert.ok(id, 'the release container exists');
    return (JSON.parse((await docker(['inspect', id])).stdout) as Inspected[])[0];
  };

  before(async () => {
    engine = await ensureDockerEngine();
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    const config = {
      app: { name: app, port, env: { GREETING: 'hello ${env:DK_SECRET}' } },
      docker: { runtime: 'scratch', buildkit: false },
      environments: {
        [env]: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, network: 'host' }, healthCheck: { timeout: '10s', interval: '200ms' } },
      },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    const r = await cli(['deploy', env]);
    assert.equal(r.code, 0, r.out + r.err);
    release = new RegExp(`^deploy (\\S+) to ${env}: `, 'm').exec(r.out)![1];
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

  it("exec runs the release's executable in its container, with the container's environment (a value from ${env:…} shown as ***) and working folder; its exit code", async () => {
    const r = await cli(['exec', env, '--', `/app/${app}`, 'printenv', 'GREETING', 'PORT']);
    assert.equal(r.code, 0, r.out + r.err);
    // The whole value of an ${env:…} entry is hidden (it may be a CI secret).
    assert.equal(r.out, ['engine | GREETING=***', `engine | PORT=${port}`, 'engine | cwd=/', ''].join('\n'));
    assert.equal(r.err, '');
    const failed = await cli(['exec', env, '--', `/app/${app}`, 'exit', '5']);
    assert.equal(failed.code, 5, failed.out + failed.err);
    assert.match(failed.err, /^engine \| deployapp: exiting with 5$/m);
    assert.match(failed.err, /^exec in \S+: engine exit 5$/m);
    const missing = await cli(['exec', env, '--', '/no/such/program']);
    assert.ok(missing.code >= 126, `exit ${missing.code}: ${missing.out}${missing.err}`);
    assert.ok(!(r.out + r.err + failed.out + failed.err).includes(SECRET));
  });

  it('exec --tty: the executable in its container with a terminal of its own (Engine API exec), typed into; its exit code', async () => {
    const r = await runCliInTerminal(dir, ['exec', env, '--tty', '--', `/app/${app}`, 'prompt'], 'four\n', goEnv({ DK_SECRET: SECRET }));
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.out, /terminal=true TERM=xterm-256color/);
    assert.match(r.out, /hello four/);
  });

  it('restart: the same container with a new process, healthy (exit 0)', async () => {
    const before = await container();
    const r = await cli(['restart', env]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(`^engine \\(.*\\): restarted \\(running, pid \\d+\\), healthy \\(200 OK\\); live release ${release.replace(/\./g, '\\.')}$`, 'm'),
    );
    const after = await container();
    assert.equal(after.Id, before.Id);
    assert.notEqual(after.State.Pid, before.State.Pid);
    assert.notEqual(after.State.StartedAt, before.State.StartedAt);
  });

  it('stop: the container stops (kept, with its restart policy); status exits 1; start brings the same release back, healthy; a second start changes nothing', async () => {
    const s = await cli(['stop', env]);
    assert.equal(s.code, 0, s.out + s.err);
    const stopped = await container();
    assert.equal(stopped.State.Running, false);
    assert.equal(stopped.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.equal(await portAccepts(port), false);
    assert.equal((await cli(['status', env])).code, 1);
    const st = await cli(['start', env]);
    assert.equal(st.code, 0, st.out + st.err);
    assert.match(st.out, /: started \(running, pid \d+\), healthy \(200 OK\)/);
    const started = await container();
    assert.equal(started.Id, stopped.Id);
    assert.equal(started.State.Running, true);
    assert.equal((await cli(['status', env])).code, 0);
    const again = await cli(['start', env]);
    assert.equal(again.code, 0);
    assert.match(again.out, /: already running/);
    assert.equal((await container()).State.Pid, started.State.Pid);
  });
});

describe('exec on Docker Swarm, and restart/stop/start refused there (a real single-node swarm)', function () {
  this.timeout(900_000);
  const work = tempDir('operations-swarm');
  const dir = join(work.path, 'app');
  const app = 'opsswarm';
  const service = `${app}-cluster`;
  let engine: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());

  before(async () => {
    engine = await startSecondDockerEngine();
    const init = await engine.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    assert.equal(init.code, 0, init.stderr);
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    const config = {
      app: { name: app, port: 8080, env: { MARK: 'swarm-mark' } },
      docker: { runtime: 'scratch' },
      environments: {
        cluster: {
          type: 'docker',
          docker: { host: `unix://${engine.socketPath}`, mode: 'swarm', replicas: 2, publish: false },
          healthCheck: { timeout: '4s', interval: '1s' },
        },
      },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    const r = await cli(['deploy', 'cluster']);
    assert.equal(r.code, 0, r.out + r.err);
  });
  after(async () => {
    await engine?.docker(['service', 'rm', service]);
    await engine?.docker(['swarm', 'leave', '--force']);
    await engine?.stop();
    work.remove();
  });

  it("exec runs in a running task's container of the service; its output and exit code", async () => {
    const r = await cli(['exec', 'cluster', '--', `/app/${app}`, 'printenv', 'MARK', 'PORT']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out, ['engine | MARK=swarm-mark', 'engine | PORT=8080', 'engine | cwd=/', ''].join('\n'));
    const failed = await cli(['exec', 'cluster', '--', `/app/${app}`, 'exit', '6']);
    assert.equal(failed.code, 6, failed.out + failed.err);
  });

  it('restart, stop and start are refused (exit 2) naming the docker command; the service is left as it was', async () => {
    for (const [action, command] of [
      ['restart', `docker service update --force ${service}`],
      ['stop', `docker service scale ${service}=0`],
      ['start', `docker service scale ${service}=2`],
    ]) {
      const r = await cli([action, 'cluster']);
      assert.equal(r.code, 2, `${action}: ${r.out}${r.err}`);
      assert.match(r.err, new RegExp(`^godeploy: ${action} is not supported on a swarm`, 'm'));
      assert.ok(r.err.includes(command), r.err);
    }
    const ps = await engine.docker(['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}']);
    assert.equal(ps.stdout.trim(), '2/2');
  });
});
