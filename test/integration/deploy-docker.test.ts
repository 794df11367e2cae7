// `godeploy deploy|rollback|releases|status|lock` against a docker environment, end to end
// through the CLI's main() and a real Docker Engine (started by the fixture with host
// networking only, so every container listens on 127.0.0.1). Images are packed from the
// cross-compiled binary (FROM scratch) or built from the module's generated Dockerfile with
// a locally imported Go builder image; no registry is involved.
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { ensureBuilderImage } from './fixtures/builderImage';
import { docker, ensureDockerEngine, type DockerEngine } from './fixtures/docker';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, sleep, tempDir } from './fixtures/util';

interface Container {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean };
  Config: { Env: string[]; Labels: Record<string, string>; Image: string };
  HostConfig: {
    RestartPolicy: { Name: string };
    Memory: number;
    LogConfig: { Type: string; Config: Record<string, string> };
    NetworkMode: string;
    CapDrop: string[];
    ReadonlyRootfs: boolean;
    SecurityOpt: string[];
  };
}

const SECRET = `dk-canary-${process.pid}-Zq7`;

describe('deploy to a docker environment (real Docker Engine, CLI)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-docker');
  const env = `it${process.pid}`;
  const app = 'dockerapp';
  let engine: DockerEngine;

  before(async () => {
    engine = await ensureDockerEngine();
  });
  const removeContainers = async (): Promise<void> => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
  };
  afterEach(removeContainers);
  after(async () => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
    await docker(['rm', '--force', `godeploy-lock-${app}`]);
    const images = (await docker(['images', '-q', app])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await engine?.stop();
    work.remove();
  });

  class App {
    readonly dir: string;
    port = 0;
    constructor(label: string) {
      this.dir = join(work.path, label);
      cpSync(join(fixtureModules, 'deployapp'), this.dir, { recursive: true });
    }

    async init(spec: Record<string, unknown> = {}): Promise<this> {
      this.port = await freePort();
      this.configure(spec);
      return this;
    }

    /** godeploy.yaml (JSON is YAML): environment `env` of type docker, host networking, the fixture engine. */
    configure(spec: Record<string, unknown> = {}, docker: Record<string, unknown> = {}): void {
      const environment = {
        type: 'docker',
        docker: { host: `unix://${engine.socketPath}`, network: 'host', ...docker },
        healthCheck: { timeout: '10s', interval: '200ms' },
        ...spec,
      };
      const config = {
        app: { name: app, port: this.port, env: { GREETING: 'hello ${env:DK_SECRET}' } },
        docker: { runtime: 'scratch', buildkit: false },
        environments: { [env]: environment },
      };
      writeFileSync(join(this.dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    }

    setBuild(b: string): void {
      const f = join(this.dir, 'main.go');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/const build = "[^"]*"/, `const build = "${b}"`));
    }

    cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
      return runCli(this.dir, args, goEnv({ DK_SECRET: SECRET, ...extraEnv }));
    }

    /** A deploy in a later millisecond than the last (release ids are timestamps). */
    async deploy(extra: string[] = []): Promise<CliRun & { id: string }> {
      await sleep(5);
      const r = await this.cli(['deploy', env, ...extra]);
      return { ...r, id: new RegExp(`^deploy (\\S+) to ${env}: `, 'm').exec(r.out)?.[1] ?? '' };
    }

    async deployOk(): Promise<string> {
      const r = await this.deploy();
      assert.equal(r.code, 0, `deploy failed:\n${r.out}${r.err}`);
      assert.match(r.out, new RegExp(`^engine \\(unix://\\S+\\): live on ${r.id.replace(/\./g, '\\.')}$`, 'm'), r.out);
      return r.id;
    }

    async info(): Promise<{ build: string; env: Record<string, string> }> {
      const r = await httpGet(this.port, '/info?env=GREETING&env=GOMEMLIMIT');
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as { build: string; env: Record<string, string> };
    }
  }

  async function containers(): Promise<Container[]> {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`])).stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    return (JSON.parse((await docker(['inspect', ...ids])).stdout) as Container[]).sort((a, b) => (a.Name < b.Name ? -1 : 1));
  }
  const running = async (): Promise<Container[]> => (await containers()).filter((c) => c.State.Running);
  const imageExists = async (ref: string): Promise<boolean> => (await docker(['image', 'inspect', ref])).code === 0;

  it('--dry-run prints the plan (container, labels, env names, no values) and touches nothing', async () => {
    const a = await new App('dry').init();
    const r = await a.cli(['deploy', env, '--dry-run']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^ {2}5\. container dockerapp-\S+ from dockerapp:\S+$/m);
    assert.match(r.out, /^ {5}network: host$/m);
    assert.match(r.out, /^ {5}env: GREETING PORT$/m);
    assert.match(r.out, new RegExp(`^  2\\. lock: container godeploy-lock-${app} on the engine`, 'm'));
    assert.ok(!r.out.includes(SECRET));
    assert.deepEqual(await containers(), []);
    assert.equal(await imageExists(`${app}:latest`), false);
  });

  it('deploys a container packed from the binary: it answers, with its env, labels, limits and log rotation; the secret is in no output', async () => {
    const a = await new App('first').init();
    a.configure({}, { memory: '64M', logMaxSize: '5m', logMaxFiles: 2 });
    const id = await a.deployOk();
    const out = (await a.cli(['status', env])).out;
    const info = await a.info();
    assert.equal(info.env.GREETING, `hello ${SECRET}`);
    assert.equal(info.env.GOMEMLIMIT, '57MiB');
    const [c] = await containers();
    assert.equal(c.Name, `/${app}-${id}`);
    assert.equal(c.Config.Image, `${app}:${id}`);
    assert.deepEqual(
      { app: c.Config.Labels['godeploy.app'], env: c.Config.Labels['godeploy.environment'], release: c.Config.Labels['godeploy.release'] },
      { app, env, release: id },
    );
    assert.equal(c.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
    assert.deepEqual(c.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } });
    assert.deepEqual(
      [c.HostConfig.NetworkMode, c.HostConfig.CapDrop, c.HostConfig.ReadonlyRootfs, c.HostConfig.SecurityOpt],
      ['host', ['ALL'], true, ['no-new-privileges']],
    );
    assert.ok(await imageExists(`${app}:${id}`));
    assert.match(out, new RegExp(`^ {2}live {5}${id.replace(/\./g, '\\.')}`, 'm'));
    assert.match(out, /^ {2}health {3}healthy \(200 OK\)$/m);
    // Secrets stay out of what the CLI printed (deploy and status).
    const again = await a.cli(['deploy', env, '--json']);
    assert.ok(!again.out.includes(SECRET) && !out.includes(SECRET));
  });

  it('an unchanged redeploy does nothing; a changed build replaces the container and keeps the old one stopped for a rollback', async () => {
    const a = await new App('replace').init();
    const first = await a.deployOk();
    const same = await a.deploy();
    assert.equal(same.code, 0, same.out);
    assert.match(same.out, /nothing to do/);
    assert.equal((await containers()).filter((c) => c.Config.Labels['godeploy.app'] === app).length, 1);
    a.setBuild('build-2');
    const second = await a.deployOk();
    assert.equal((await a.info()).build, 'build-2');
    const all = await containers();
    assert.deepEqual(
      all.map((c) => [c.Config.Labels['godeploy.release'], c.State.Status, c.HostConfig.RestartPolicy.Name]),
      [
        [first, 'exited', 'no'],
        [second, 'running', 'unless-stopped'],
      ],
    );
    const releases = await a.cli(['releases', env]);
    assert.match(releases.out, new RegExp(`^ {2}\\* ${second.replace(/\./g, '\\.')} +running .*\\(live\\)$`, 'm'), releases.out);
    assert.match(releases.out, new RegExp(`^ {4}${first.replace(/\./g, '\\.')} +exited`, 'm'), releases.out);

    // Rollback: the kept container runs again, with the build it went live with.
    const back = await a.cli(['rollback', env]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.equal((await a.info()).build, 'build-0');
    assert.deepEqual(
      (await running()).map((c) => c.Config.Labels['godeploy.release']),
      [first],
    );
    const forward = await a.cli(['rollback', env, '--to', second]);
    assert.equal(forward.code, 0, forward.out + forward.err);
    assert.equal((await a.info()).build, 'build-2');
    const none = await a.cli(['rollback', env, '--to', '20200101T000000Z-v0']);
    assert.equal(none.code, 1);
    assert.match(none.out, /no release 20200101T000000Z-v0 on the engine/);
  });

  it('a replacement that fails its health gate: exit 1 with its last log lines, removed; the old container serves again', async () => {
    const a = await new App('unhealthy').init();
    const good = await a.deployOk();
    const oldId = (await running())[0].Id;
    a.setBuild('build-bad');
    a.configure({ env: { DEPLOYAPP_FAIL_HEALTH: '1' }, healthCheck: { timeout: '2s', interval: '200ms' } });
    const r = await a.deploy();
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /health: FAIL not healthy within the timeout \(last: 503 Service Unavailable\)/);
    assert.match(r.out, /logs: last log lines of dockerapp-\S+:\n[\s\S]*deployapp build-bad: failing the health check on purpose/);
    assert.match(r.out, new RegExp(`rolled back to ${good.replace(/\./g, '\\.')}`));
    assert.deepEqual(
      (await containers()).map((c) => c.Id),
      [oldId],
      'the failed container was not removed',
    );
    assert.equal((await running())[0].Id, oldId);
    assert.equal((await a.info()).build, 'build-0');
    assert.equal(await imageExists(`${app}:${r.id}`), false, 'the failed release kept its tag');
  });

  it('keeps keepReleases releases: older stopped containers and their tags go', async () => {
    const a = await new App('prune').init({ keepReleases: 2 });
    const ids: string[] = [];
    for (const b of ['p1', 'p2', 'p3']) {
      a.setBuild(b);
      ids.push(await a.deployOk());
    }
    assert.deepEqual(
      (await containers()).map((c) => c.Config.Labels['godeploy.release']),
      ids.slice(1),
    );
    assert.equal(await imageExists(`${app}:${ids[0]}`), false);
  });

  it('the deploy lock lives on the engine: a held lock refuses the deploy and nothing changes; lock status and release see it', async () => {
    const a = await new App('lock').init();
    const owner = JSON.stringify({
      user: 'bob',
      host: 'elsewhere',
      since: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      version: 'v9',
      pid: 4242,
      operation: 'deploy',
    });
    await docker(['create', '--name', `godeploy-lock-${app}`, '--label', `godeploy.lock-owner=${owner}`, 'godeploy/lock:1']).then(async (c) => {
      if (c.code !== 0) {
        // The lock image is made by the first lock taken on an engine.
        await a.deployOk();
        await docker(['rm', '--force', ...(await containers()).map((x) => x.Id)]);
        assert.equal((await docker(['create', '--name', `godeploy-lock-${app}`, '--label', `godeploy.lock-owner=${owner}`, 'godeploy/lock:1'])).code, 0);
      }
    });
    const r = await a.deploy();
    assert.equal(r.code, 1);
    assert.match(r.out, /locked by bob@elsewhere since .* \(version v9, operation deploy\)/);
    assert.deepEqual(await containers(), []);
    const s = await a.cli(['lock', 'status', env]);
    assert.match(s.out, /^engine \(unix:\/\/\S+\): locked by bob@elsewhere/m);
    assert.equal((await a.cli(['lock', 'release', env])).code, 1, 'a lock that is not stale was released without --force');
    const f = await a.cli(['lock', 'release', env, '--force']);
    assert.equal(f.code, 0, f.out);
    assert.match(f.out, /released \(was locked by bob@elsewhere/);
    await a.deployOk();
    assert.equal((await docker(['inspect', `godeploy-lock-${app}`])).code, 1, 'the deploy left its lock behind');
  });

  it('the port held by another container: the preflight names it and nothing is created', async () => {
    const a = await new App('port').init();
    const squat = `godeploy-it-squat-${process.pid}`;
    // Another container of the same image, not a release: started by hand on the app's port.
    const img = `${app}:${await a.deployOk()}`;
    await removeContainers();
    assert.equal((await docker(['run', '-d', '--name', squat, '--network', 'host', '--env', `PORT=${a.port}`, img])).code, 0);
    try {
      const r = await a.deploy();
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`preflight: FAIL preflight: port: ${a.port} is held by container ${squat}`));
      assert.deepEqual(await containers(), []);
    } finally {
      await docker(['rm', '--force', squat]);
    }
  });

  it('an engine that is not there: one message naming the address, exit 1', async () => {
    const a = await new App('gone').init();
    a.configure({}, { host: `unix://${join(work.path, 'no-such.sock')}` });
    const r = await a.deploy();
    assert.equal(r.code, 1);
    assert.match(r.out, /the Docker engine at unix:\/\/\S+no-such\.sock \(environments\.\S+\.docker\.host\) is not running: \S+ does not exist/);
    assert.match(r.out, /hint: start the engine/);
  });

  it('swarm with host networking, and strategy: blue-green with swarm or a tcp:// engine, are refused (exit 2, saying what to use), before the engine is touched', async () => {
    const a = await new App('refused').init();
    a.configure({}, { mode: 'swarm' });
    for (const cmd of [
      ['deploy', env],
      ['rollback', env],
    ]) {
      const r = await a.cli(cmd);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, /docker\.network: host cannot be used with docker\.mode: swarm\n {2}hint: a start-first rolling update/);
    }
    a.configure({ strategy: 'blue-green' }, { mode: 'swarm', network: 'bridge' });
    const swarm = await a.cli(['deploy', env]);
    assert.equal(swarm.code, 2, swarm.out + swarm.err);
    assert.match(swarm.err, /strategy: blue-green cannot be used with docker\.mode: swarm\n {2}hint: Swarm already starts each new task/);
    // No engine listens there: the refusal comes first.
    a.configure({ strategy: 'blue-green' }, { host: 'tcp://127.0.0.1:1' });
    for (const cmd of [
      ['deploy', env],
      ['rollback', env],
    ]) {
      const tcp = await a.cli(cmd);
      assert.equal(tcp.code, 2, tcp.out + tcp.err);
      assert.match(
        tcp.err,
        /strategy: blue-green switches nginx on the engine's host, and a tcp:\/\/ engine gives Go Deploy no way onto that host\n {2}hint: reach the same engine as ssh:\/\/user@host/,
      );
    }
    assert.deepEqual(await containers(), []);
  });

  describe('docker.build: dockerfile', () => {
    let builder: string;
    before(async function () {
      this.timeout(900_000);
      builder = await ensureBuilderImage('1.19');
    });

    it('builds the generated Dockerfile with the module (after .dockerignore) as context, and deploys it', async () => {
      const a = await new App('dockerfile').init();
      a.configure({}, { build: 'dockerfile', builderImage: builder.split(':')[0] });
      // go.mod says go 1.19 here: the builder tag the Dockerfile asks for is the module's go version.
      assert.equal((await a.cli(['generate', 'dockerfile', '--env', env])).code, 0);
      assert.equal((await a.cli(['generate', 'dockerignore'])).code, 0);
      mkdirSync(join(a.dir, 'secrets'));
      writeFileSync(join(a.dir, 'secrets', 'x.key'), 'not for the image');
      writeFileSync(join(a.dir, '.dockerignore'), `${readFileSync(join(a.dir, '.dockerignore'), 'utf8')}secrets/\n`);
      const r = await a.deploy();
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^\[engine\] image: dockerapp:\S+, dockerapp:\S+ \([0-9a-f]{12}\)/m);
      assert.equal((await a.info()).build, 'build-0');
    });

    it('a failing step names the step and its output; nothing is replaced', async () => {
      const a = await new App('dockerfile-bad').init();
      a.configure({}, { build: 'dockerfile', builderImage: builder.split(':')[0] });
      assert.equal((await a.cli(['generate', 'dockerfile', '--env', env])).code, 0);
      const live = await a.deployOk();
      writeFileSync(join(a.dir, 'broken.go'), 'package main\n\nfunc broken() { undefinedCall() }\n');
      const r = await a.deploy();
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /image: FAIL building dockerapp:\S+ failed at Step \d+\/\d+ : RUN .*go build/);
      assert.match(r.out, /undefined: undefinedCall/);
      assert.deepEqual(
        (await running()).map((c) => c.Config.Labels['godeploy.release']),
        [live],
      );
    });

    it('a missing Dockerfile: the error says how to make one; nothing changes', async () => {
      const a = await new App('no-dockerfile').init();
      a.configure({}, { build: 'dockerfile' });
      const r = await a.deploy();
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /Dockerfile does not exist \(environments\.\S+\.docker\.build: dockerfile builds the module's Dockerfile\)/);
      assert.match(r.out, /hint: write it with `godeploy generate dockerfile --env/);
      assert.deepEqual(await containers(), []);
    });
  });
});
