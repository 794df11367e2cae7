// strategy blue-green for a docker environment: releases take turns on blueGreen.ports
// behind nginx on the engine's host. The host is a real systemd host (systemd-nspawn on this
// machine's network) with nginx; its Docker engine is a second real dockerd whose socket is
// bind-mounted at the host's /var/run/docker.sock, so Go Deploy reaches it the way it reaches
// a VM's engine: ssh://root@host (the default socket path) through its own ssh connection,
// the image built on this machine's engine and sent there without a registry, nginx switched
// on the host with nginx -t and systemctl reload. A load loop sends requests through that
// nginx during deploys, a failing release and two rollbacks: no request may fail.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from './fixtures/cli';
import { remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { startDockerHost, type DockerHost } from './fixtures/dockerHost';
import { goEnv } from './fixtures/go';
import { LoadLoop } from './fixtures/loadLoop';
import type { SystemdHost } from './fixtures/systemdHost';
import { freePort, tempDir } from './fixtures/util';

describe("blue-green docker deploys behind nginx on the engine's host (real systemd host, real dockerd): no failed request", function () {
  this.timeout(900_000);
  const work = tempDir('deploy-docker-bluegreen');
  const dir = work.path;
  let dh: DockerHost;
  let host: SystemdHost;
  let ports: [number, number];
  let listen = 0;
  let buildNo = 0;
  const ids: string[] = [];

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const nextBuild = (): string => {
    const b = `bgd-${++buildNo}`;
    setDeployappBuild(dir, b);
    return b;
  };
  const serving = async (): Promise<string> => (await (await fetch(`http://127.0.0.1:${listen}/`)).text()).trim().split(' ')[1];
  const include = (): Promise<string> => remote('cat /etc/nginx/godeploy/bgdocker.upstream.conf');
  /** name → "state port" of the app's containers on the host's engine. */
  const containers = async (): Promise<Map<string, string>> => {
    const r = await dh.engine.docker(['ps', '-a', '--filter', 'label=godeploy.app=bgdocker', '--format', '{{.Names}} {{.State}} {{.Label "godeploy.port"}}']);
    return new Map(
      r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [n, ...rest] = l.split(' ');
          return [n, rest.join(' ')];
        }),
    );
  };
  const deployed = (r: CliRun): string => {
    assert.equal(r.code, 0, r.out + r.err);
    const id = /^deploy (\S+) to prod: done/m.exec(r.out)?.[1];
    assert.ok(id, r.out);
    ids.push(id);
    return id;
  };
  const writeConfig = (env: Record<string, string> = {}): void =>
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'bgdocker', port: ports[0] - 1, healthCheck: { path: '/healthz', timeout: '10s', interval: '200ms' } },
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
              env,
            },
          },
        },
        null,
        2,
      )}\n`,
    );

  before(async () => {
    dh = await startDockerHost();
    host = dh.host;
    ports = [await freePort(), await freePort()];
    listen = await freePort();
    dh.module(dir);
    writeConfig();
  });
  after(async () => {
    try {
      await dh?.stop('bgdocker');
    } finally {
      work.remove();
    }
  });

  it('--dry-run names the nginx switch; the first deploy runs the release on the first port and nginx (site + include) sends traffic to it', async () => {
    const dry = await cli(['deploy', 'prod', '--dry-run']);
    assert.equal(dry.code, 0, dry.out + dry.err);
    assert.match(
      dry.out,
      /preflight: nginx on the engine's host; after the lock, which of ports \d+\/\d+ nginx sends traffic to \(\/etc\/nginx\/godeploy\/bgdocker\.upstream\.conf\)/,
    );
    assert.match(dry.out, /nginx: \/etc\/nginx\/godeploy\/bgdocker\.upstream\.conf becomes `server 127\.0\.0\.1:<idle port>;`/);
    assert.equal(await remote('test -e /etc/nginx/godeploy/bgdocker.upstream.conf && echo there || echo absent'), 'absent', 'a dry run changes nothing');

    const b = nextBuild();
    const r = await cli(['deploy', 'prod']);
    const id = deployed(r);
    assert.match(r.out, /^\[engine\] preflight: nginx\/[\d.]+ on the engine's host/m);
    assert.match(r.out, /^\[engine\] transfer: [\d.]+ [kM]B sent/m, "built here, sent to the host's engine");
    assert.equal(await include(), `server 127.0.0.1:${ports[0]};`);
    assert.equal(await remote('readlink /etc/nginx/sites-enabled/bgdocker.conf'), '../sites-available/bgdocker.conf');
    assert.equal((await containers()).get(`bgdocker-${id}`), `running ${ports[0]}`);
    assert.equal(await serving(), b);
  });

  it('three deploys under a steady load through nginx: zero failed requests; releases take turns on the two ports, the old container stopped', async () => {
    const load = new LoadLoop('127.0.0.1', listen);
    try {
      for (let i = 0; i < 3; i++) {
        const before = await include();
        const previous = ids[ids.length - 1];
        const b = nextBuild();
        const id = deployed(await cli(['deploy', 'prod']));
        const now = await include();
        assert.notEqual(now, before, 'the releases take turns');
        const port = Number(/:(\d+);/.exec(now)?.[1]);
        const state = await containers();
        assert.equal(state.get(`bgdocker-${id}`), `running ${port}`);
        assert.match(state.get(`bgdocker-${previous}`) ?? '', /^exited \d+$/, 'the old container is stopped');
        assert.equal(await serving(), b);
      }
    } finally {
      await load.stop();
    }
    assert.deepEqual(
      load.failures,
      [],
      `${load.failures.length} of ${load.ok + load.failures.length} requests failed (${load.retried} retried on a new connection)`,
    );
    assert.ok(load.ok > 30, `only ${load.ok} requests made it through: the loop did not exercise the switches`);
    assert.ok(load.builds.size >= 3, `answers came from ${load.builds.size} builds: ${[...load.builds.keys()].join(', ')}`);
  });

  it('a release failing its health check never gets traffic: exit 1 with its log lines, the container removed, nginx untouched, zero failed requests', async () => {
    const live = await serving();
    const before = await include();
    const names = [...(await containers()).keys()];
    writeConfig({ DEPLOYAPP_FAIL_HEALTH: '1' });
    const load = new LoadLoop('127.0.0.1', listen);
    let r: CliRun;
    try {
      nextBuild();
      r = await cli(['deploy', 'prod']);
    } finally {
      await load.stop();
      writeConfig();
    }
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /not healthy on port \d+ within the timeout/);
    assert.match(r.out, /failing the health check on purpose/, "the failed container's log lines");
    assert.match(r.out + r.err, /nginx was not touched: bgdocker-\S+ kept serving/);
    assert.deepEqual(load.failures, []);
    assert.deepEqual([...load.builds.keys()], [live], 'only the live build answered');
    assert.equal(await include(), before);
    assert.deepEqual([...(await containers()).keys()].sort(), names.sort(), "the failed release's container is gone");
  });

  it('rollback starts the previous release on the idle port and switches nginx; --to a release kept on the live port re-creates it on the idle one; no failed request', async () => {
    // ids: 1 (port A), 2 (B), 3 (A), 4 (B, live).
    const load = new LoadLoop('127.0.0.1', listen);
    try {
      const back = await cli(['rollback', 'prod']);
      assert.equal(back.code, 0, back.out + back.err);
      assert.equal(await serving(), 'bgd-3');
      assert.equal((await containers()).get(`bgdocker-${ids[2]}`), `running ${ports[0]}`);

      // Release 2 was kept on port B, which is idle now: started as it is. Release 1 sits on A, the live port.
      const toFirst = await cli(['rollback', 'prod', '--to', ids[0]]);
      assert.equal(toFirst.code, 0, toFirst.out + toFirst.err);
      assert.match(toFirst.out, new RegExp(`bgdocker-${ids[0].replace(/\./g, '\\.')} re-created on port ${ports[1]}`));
      assert.equal(await serving(), 'bgd-1');
      assert.equal(await include(), `server 127.0.0.1:${ports[1]};`);
      const state = await containers();
      assert.equal(state.get(`bgdocker-${ids[0]}`), `running ${ports[1]}`, 'same name, the other port');
      assert.match(state.get(`bgdocker-${ids[2]}`) ?? '', /^exited /);
    } finally {
      await load.stop();
    }
    assert.deepEqual(load.failures, [], `${load.failures.length} requests failed`);
    const releases = await cli(['releases', 'prod']);
    assert.match(releases.out, new RegExp(`\\* ${ids[0].replace(/\./g, '\\.')} +running`));
    const status = await cli(['status', 'prod']);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /^ {2}health {3}healthy \(200 OK\)$/m, "checked on the live release's port");
  });

  it('an engine host without nginx is refused before anything changes, saying what to install', async () => {
    const live = await serving();
    await remote('mv /usr/sbin/nginx /usr/sbin/nginx.away');
    let r: CliRun;
    try {
      nextBuild();
      r = await cli(['deploy', 'prod']);
    } finally {
      await remote('mv /usr/sbin/nginx.away /usr/sbin/nginx');
    }
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out + r.err,
      /strategy: blue-green sends traffic through nginx on the engine's host \(root@127\.0\.0\.1:\d+\), and nginx is not installed there/,
    );
    assert.match(r.out + r.err, /hint: install nginx on that host \(apt install nginx\), or use strategy: restart/);
    assert.equal(await serving(), live);
  });
});
