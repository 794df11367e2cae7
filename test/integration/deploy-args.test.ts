// app.args and the port flag reach the real process on every deploy type: the arguments
// (quotes, spaces, `$`, `%`, a backslash, an empty one, and one read from ${env:…} on the
// deploying machine) are read back from the running process itself: /proc/PID/cmdline under
// systemd (a systemd-nspawn host, over ssh), supervisor (a real supervisord reached over a
// real sshd) and type local; the container's Config.Cmd (or the swarm task's) and its
// process's argv for docker and swarm. The server takes its port only from -port here
// (app.portFlag), so answering on the configured port proves the flag arrived; blue-green
// instances each get the flag with their own port.
import { strict as assert } from 'node:assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from './fixtures/cli';
import { startSecondDockerEngine } from './fixtures/docker';
import { startDockerHost, type DockerHost } from './fixtures/dockerHost';
import { goEnv } from './fixtures/go';
import { argvOf, copyLaunchapp, localArgv, ODD_ARGS, oddArgsInConfig, writeConfig } from './fixtures/launchApp';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { startSupervisorHost, type SupervisorHost } from './fixtures/supervisord';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, killProcessesUnder, onExit, sleep, tempDir } from './fixtures/util';

/** A value only the deploying machine's environment holds, for ${env:LAUNCH_ARG}. */
const FROM_ENV = 'from the "deploying" machine: $USER 50%';
/** What the program must receive after the port flag. */
const EXPECTED = [...ODD_ARGS, `env=${FROM_ENV}`];

/** The server's app section: the odd arguments, the port by -port only. */
const serverApp = (name: string, port: number): Record<string, unknown> => ({
  name,
  main: './cmd/server',
  port,
  portFlag: '-port',
  args: [...oddArgsInConfig(), 'env=${env:LAUNCH_ARG}'],
  healthCheck: { path: '/healthz', timeout: '15s', interval: '250ms' },
});

const cliEnv = (): NodeJS.ProcessEnv => goEnv({ LAUNCH_ARG: FROM_ENV });

async function deployOk(dir: string, env: string): Promise<CliRun> {
  const r = await runCli(dir, ['deploy', env], cliEnv());
  assert.equal(r.code, 0, r.out + r.err);
  return r;
}

/** GET /info on `port` (at `host`): the server's pid, arguments and the port it listens on. */
async function info(port: number, host = '127.0.0.1'): Promise<{ pid: number; args: string[]; port: number }> {
  const r =
    host === '127.0.0.1'
      ? await httpGet(port, '/info')
      : await fetch(`http://${host}:${port}/info`).then(async (x) => ({ status: x.status, body: await x.text() }));
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as { pid: number; args: string[]; port: number };
}

describe('app.args and the port flag reach the running process', function () {
  this.timeout(1_200_000);
  const work = tempDir('deploy-args');
  after(() => work.remove());

  describe('type local (this machine)', () => {
    const dir = join(work.path, 'local');
    const base = join(work.path, 'local-base');
    const kill = (): void => killProcessesUnder(base);
    const removeHook = onExit(kill);
    after(() => {
      kill();
      removeHook();
    });

    it('local: /proc/PID/cmdline of the service is its executable, -port=PORT, then app.args exactly; it answers on that port', async () => {
      copyLaunchapp(dir);
      const port = await freePort();
      writeConfig(dir, { app: serverApp('argsrv', port), environments: { dev: { type: 'local', path: base } } });
      const plan = await runCli(dir, ['deploy', 'dev', '--dry-run'], goEnv());
      assert.equal(plan.code, 0, plan.out + plan.err);
      assert.ok(!plan.out.includes(FROM_ENV), 'a dry run read ${env:…}');
      await deployOk(dir, 'dev');
      const pid = Number(readFileSync(join(base, 'shared', 'argsrv.pid'), 'utf8'));
      const argv = localArgv(pid);
      assert.equal(argv[0], join(base, 'current', 'argsrv'));
      assert.deepEqual(argv.slice(1), [`-port=${port}`, ...EXPECTED]);
      const i = await info(port);
      assert.deepEqual([i.pid, i.port], [pid, port]);
      assert.deepEqual(i.args, [`-port=${port}`, ...EXPECTED]);
    });
  });

  describe('supervisor (a real supervisord, over a real sshd)', () => {
    let sshd: SshdFixture;
    let sup: SupervisorHost;
    before(async () => {
      [sshd, sup] = await Promise.all([startSshd(), startSupervisorHost()]);
    });
    after(async () => {
      await sup?.stop();
      await sshd?.stop();
    });

    it("supervisor: the program's /proc/PID/cmdline is its executable, -port=PORT, then app.args exactly", async () => {
      const dir = join(work.path, 'supervisor');
      copyLaunchapp(dir);
      const port = await freePort();
      writeConfig(dir, {
        app: serverApp('argsrv', port),
        environments: {
          sup: {
            type: 'ssh',
            hosts: [{ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile }],
            knownHostsFile: sshd.knownHostsFile,
            processManager: 'supervisor',
            path: join(work.path, 'supervisor-base'),
            supervisor: { configFile: sup.configFile, user: 'root', stopTimeout: '5s' },
          },
        },
      });
      await deployOk(dir, 'sup');
      const pid = Number(/RUNNING\s+pid (\d+)/.exec(await sup.ctl(['status', 'argsrv']))?.[1]);
      assert.ok(pid > 0);
      const argv = localArgv(pid);
      assert.equal(argv[0], join(work.path, 'supervisor-base', 'current', 'argsrv'));
      assert.deepEqual(argv.slice(1), [`-port=${port}`, ...EXPECTED]);
      assert.equal((await info(port)).pid, pid);
    });
  });

  describe('systemd (a systemd-nspawn host, over ssh)', () => {
    let host: SystemdHost;
    before(async () => {
      host = await startSystemdHost();
    });
    after(async () => {
      await host?.stop();
    });
    const remoteArgv = async (unit: string): Promise<string[]> => {
      const r = await host.exec(`pid=$(systemctl show --property=MainPID --value ${unit}) && base64 -w0 /proc/$pid/cmdline`);
      assert.equal(r.code, 0, r.stderr);
      return argvOf(Buffer.from(r.stdout.trim(), 'base64'));
    };

    it("systemd: the unit's MainPID has /proc/PID/cmdline = its executable, -port=PORT, then app.args exactly; it answers on that port", async () => {
      const dir = join(work.path, 'systemd');
      copyLaunchapp(dir);
      copyFileSync(host.knownHostsFile, join(dir, 'known_hosts'));
      const port = await freePort();
      writeConfig(dir, {
        app: serverApp('argsrv', port),
        environments: {
          prod: { type: 'ssh', hosts: [{ host: '127.0.0.1', port: host.port, user: 'root', identityFile: host.identityFile }], knownHostsFile: 'known_hosts' },
        },
      });
      await deployOk(dir, 'prod');
      const argv = await remoteArgv('argsrv.service');
      assert.equal(argv[0], '/opt/argsrv/current/argsrv');
      assert.deepEqual(argv.slice(1), [`-port=${port}`, ...EXPECTED]);
      assert.deepEqual((await info(port)).args, argv.slice(1));
      // The port goes only by flag: the env file carries no PORT.
      assert.equal((await host.exec('grep -c "^PORT=" /opt/argsrv/shared/argsrv.env')).stdout.trim(), '0');
    });
  });

  describe('systemd blue-green behind nginx, the port by flag (a systemd-nspawn host with a network of its own)', () => {
    let host: SystemdHost;
    before(async () => {
      host = await startSystemdHost({ network: 'private' });
    });
    after(async () => {
      await host?.stop();
    });

    it('each instance gets -port with its own port; the second deploy switches nginx to the other instance', async () => {
      const dir = join(work.path, 'bluegreen');
      copyLaunchapp(dir);
      copyFileSync(host.knownHostsFile, join(dir, 'known_hosts'));
      writeConfig(dir, {
        app: serverApp('bgsrv', 8080),
        environments: {
          prod: {
            type: 'ssh',
            hosts: [{ host: host.host, port: host.port, user: 'root', identityFile: host.identityFile }],
            knownHostsFile: 'known_hosts',
            strategy: 'blue-green',
            blueGreen: { ports: [8081, 8082] },
            nginx: { listen: 80 },
          },
        },
      });
      const argvOn = async (port: number): Promise<string[]> => {
        const r = await host.exec(`pid=$(systemctl show --property=MainPID --value bgsrv@${port}.service) && base64 -w0 /proc/$pid/cmdline`);
        assert.equal(r.code, 0, r.stderr);
        return argvOf(Buffer.from(r.stdout.trim(), 'base64')).slice(1);
      };
      await deployOk(dir, 'prod');
      assert.deepEqual(await argvOn(8081), ['-port=8081', ...EXPECTED]);
      assert.equal((await info(80, host.address)).port, 8081, 'nginx does not send traffic to the instance on 8081');
      await sleep(1000);
      await runCli(dir, ['deploy', 'prod', '--force'], cliEnv()).then((r) => assert.equal(r.code, 0, r.out + r.err));
      assert.deepEqual(await argvOn(8082), ['-port=8082', ...EXPECTED]);
      assert.equal((await info(80, host.address)).port, 8082, 'nginx was not switched to the instance on 8082');
      assert.equal((await host.exec('systemctl is-active bgsrv@8081.service')).stdout.trim(), 'inactive');
    });
  });

  describe('docker and swarm (a Docker Engine of its own)', () => {
    let engine: Awaited<ReturnType<typeof startSecondDockerEngine>>;
    before(async () => {
      engine = await startSecondDockerEngine();
    });
    after(async () => {
      await engine?.docker(['service', 'rm', 'swargs-cluster']);
      await engine?.docker(['swarm', 'leave', '--force']);
      await engine?.stop();
    });
    const inspect = async <T>(id: string): Promise<T> => (JSON.parse((await engine.docker(['inspect', id])).stdout) as T[])[0];

    it("docker: the container's Config.Cmd and its process's argv are -port=PORT, then app.args exactly; it answers on that port", async () => {
      const dir = join(work.path, 'docker');
      copyLaunchapp(dir);
      const port = await freePort();
      writeConfig(dir, {
        app: serverApp('dkargs', port),
        docker: { runtime: 'scratch', buildkit: false },
        environments: { box: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, network: 'host' } } },
      });
      await deployOk(dir, 'box');
      const id = (await engine.docker(['ps', '-q', '--filter', 'label=godeploy.app=dkargs'])).stdout.trim();
      const c = await inspect<{ Config: { Cmd: string[]; Entrypoint: string[]; Env: string[] }; State: { Pid: number } }>(id);
      assert.deepEqual(c.Config.Cmd, [`-port=${port}`, ...EXPECTED]);
      assert.ok(!c.Config.Env.some((e) => e.startsWith('PORT=')), `PORT is set though the port goes by flag: ${c.Config.Env.join(' ')}`);
      const argv = localArgv(c.State.Pid);
      assert.deepEqual(argv, [...c.Config.Entrypoint, `-port=${port}`, ...EXPECTED]);
      assert.equal((await info(port)).port, port);
    });

    it("swarm: the service's TaskTemplate Args, the task container's Cmd and its process's argv are -port=PORT, then app.args exactly", async () => {
      const init = await engine.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      assert.equal(init.code, 0, init.stderr);
      const dir = join(work.path, 'swarm');
      copyLaunchapp(dir);
      writeConfig(dir, {
        app: serverApp('swargs', 8080),
        docker: { runtime: 'scratch' },
        environments: { cluster: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, mode: 'swarm', replicas: 1, publish: false } } },
      });
      await deployOk(dir, 'cluster');
      const svc = await inspect<{ Spec: { TaskTemplate: { ContainerSpec: { Args: string[]; Env?: string[] } } } }>('swargs-cluster');
      assert.deepEqual(svc.Spec.TaskTemplate.ContainerSpec.Args, ['-port=8080', ...EXPECTED]);
      const id = (await engine.docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=swargs-cluster'])).stdout.trim();
      const c = await inspect<{ Config: { Cmd: string[]; Entrypoint: string[] }; State: { Pid: number; Health?: { Status: string } } }>(id);
      assert.deepEqual(c.Config.Cmd, ['-port=8080', ...EXPECTED]);
      assert.deepEqual(localArgv(c.State.Pid), [...c.Config.Entrypoint, '-port=8080', ...EXPECTED]);
      // Its health check (godeploy-probe GET /healthz on 8080) passed: the flag set the port.
      assert.equal(c.State.Health?.Status, 'healthy');
    });
  });

  describe('docker blue-green behind nginx, the port by flag (a systemd host whose Docker engine is reached over ssh)', () => {
    let dh: DockerHost;
    before(async () => {
      dh = await startDockerHost();
    });
    after(async () => {
      await dh?.stop('bgargs');
    });

    it("the idle port's container gets -port with that port; a rollback re-creates a kept release on the other port with the flag changed", async () => {
      const dir = join(work.path, 'docker-bluegreen');
      copyLaunchapp(dir);
      copyFileSync(dh.host.knownHostsFile, join(dir, 'known_hosts'));
      writeFileSync(join(dir, 'ssh_config'), `Host 127.0.0.1\n  IdentityFile ${dh.host.identityFile}\n  IdentitiesOnly yes\n`);
      const ports: [number, number] = [await freePort(), await freePort()];
      const listen = await freePort();
      writeConfig(dir, {
        app: serverApp('bgargs', ports[0] - 1),
        docker: { runtime: 'scratch' },
        environments: {
          prod: {
            type: 'docker',
            knownHostsFile: 'known_hosts',
            sshConfigFile: 'ssh_config',
            strategy: 'blue-green',
            blueGreen: { ports },
            nginx: { listen },
            docker: { host: dh.url, network: 'host' },
          },
        },
      });
      const cmdOf = async (release: string): Promise<string[]> => {
        const r = await dh.engine.docker(['inspect', '--format', '{{json .Config.Cmd}}', `bgargs-${release}`]);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as string[];
      };
      const released: string[] = [];
      for (const [i, port] of [ports[0], ports[1], ports[0]].entries()) {
        if (i) await sleep(1000);
        const r = await runCli(dir, ['deploy', 'prod', ...(i ? ['--force'] : [])], cliEnv());
        assert.equal(r.code, 0, r.out + r.err);
        released.push(/^deploy (\S+) to prod: done/m.exec(r.out)![1]);
        assert.deepEqual(await cmdOf(released[i]), [`-port=${port}`, ...EXPECTED]);
        assert.equal((await info(listen)).port, port, `nginx does not send traffic to the release on ${port}`);
      }
      // The first release was kept on the port that is live now: it comes back on the other one.
      const back = await runCli(dir, ['rollback', 'prod', '--to', released[0]], cliEnv());
      assert.equal(back.code, 0, back.out + back.err);
      assert.match(back.out, new RegExp(`re-created on port ${ports[1]}`));
      assert.deepEqual(await cmdOf(released[0]), [`-port=${ports[1]}`, ...EXPECTED]);
      assert.equal((await info(listen)).port, ports[1]);
    });
  });
});
