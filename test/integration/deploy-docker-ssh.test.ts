// A docker environment whose engine is reached over ssh (docker.host: ssh://user@host:port/
// socket): a second, real dockerd on its own socket stands in for a remote host's engine,
// and the loopback sshd carries the Engine API through the deploy engine's ssh2 connection
// (streamlocal forwarding). The host key is checked like an ssh environment's; the image is
// built on this machine's engine and moved there without a registry (save → load through the
// APIs, layers the target has left out), the container runs there, the health gate goes
// through the tunnel.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment } from '../../src/core/environment/load';
import { engineAddress, openEngine } from '../../src/core/targets/docker/engine';
import { openEnvironmentEngine } from '../../src/core/targets/docker/environmentEngine';
import { transferImage } from '../../src/core/targets/docker/transfer';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { setDeployappBuild } from './fixtures/deployApp';
import { docker, ensureDockerEngine, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { buildStatic, goEnv } from './fixtures/go';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { freePort, httpGet, tempDir, waitFor } from './fixtures/util';

describe('deploy to a docker engine over ssh (real sshd, a second real dockerd)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-docker-ssh');
  const dir = join(work.path, 'app');
  const env = 'remote';
  let local: DockerEngine;
  let remote: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  let sshd: SshdFixture;
  let port = 0;

  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());
  const configure = (knownHostsFile: string, socketPath = remote.socketPath): void => {
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'sshdockerapp', port },
          docker: { runtime: 'scratch' },
          environments: {
            [env]: {
              type: 'docker',
              knownHostsFile,
              sshConfigFile: 'ssh_config',
              docker: { host: `ssh://${sshd.user}@127.0.0.1:${sshd.port}${socketPath}`, network: 'host' },
              healthCheck: { timeout: '10s', interval: '200ms' },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
  };

  before(async () => {
    // The local engine only to show that nothing lands there.
    local = await ensureDockerEngine();
    [remote, sshd] = await Promise.all([startSecondDockerEngine(), startSshd()]);
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    // How the user's ~/.ssh/config would name the key.
    writeFileSync(join(dir, 'ssh_config'), `Host 127.0.0.1\n  IdentityFile ${sshd.identityFile}\n  IdentitiesOnly yes\n`);
    writeFileSync(join(dir, 'known_hosts'), '');
  });
  after(async () => {
    const images = (await docker(['images', '-q', 'sshdockerapp'])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await docker(['rmi', '--force', 'godeploy-it/layers:a', 'godeploy-it/layers:b']);
    const stopped = await Promise.allSettled([remote?.stop(), sshd?.stop(), local?.stop()]);
    work.remove();
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  it('an engine host not in known_hosts is refused, naming the key; --accept-new-host-key records it', async () => {
    configure('known_hosts');
    const refused = await cli(['doctor', env]);
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /FAIL reachable {2}the Docker engine at ssh:\/\/\S+ \(environments\.remote\.docker\.host\): .*host key/i);
    assert.match(refused.out, new RegExp(sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')));
    const accepted = await cli(['doctor', env, '--accept-new-host-key']);
    assert.equal(accepted.code, 0, accepted.out);
    assert.match(accepted.out, new RegExp(`^  ok   reachable  Docker Engine ${remote.version.replace(/[.+]/g, '\\$&')}`, 'm'));
    assert.match(accepted.out, /^ {2}(ok {3}|WARN )disk {7}[\d.]+ [MG]B free under \S+/m);
    assert.match(accepted.out, new RegExp(`^  ok   port       ${port} is free$`, 'm'));

    // The host is reached but no engine listens at that socket path there.
    configure('known_hosts', join(work.path, 'no-engine.sock'));
    const noSocket = await cli(['doctor', env]);
    assert.equal(noSocket.code, 1, noSocket.out);
    assert.match(noSocket.out, /FAIL reachable {2}\S+: could not open \S+no-engine\.sock through ssh: /);
    assert.match(noSocket.out, /hint: the socket must exist and be writable by the ssh user/);
  });

  it("deploys through the tunnel: the container runs on the ssh host's engine (not the local one) and answers; rollback works there too", async () => {
    configure(sshd.knownHostsFile);
    const r = await cli(['deploy', env]);
    assert.equal(r.code, 0, r.out + r.err);
    const id = new RegExp(`^deploy (\\S+) to ${env}: done`, 'm').exec(r.out)?.[1];
    assert.ok(id, r.out);
    assert.match(r.out, new RegExp(`^engine \\(ssh://\\S+\\): live on ${id.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(
      r.out,
      /^\[engine\] image: sshdockerapp:\S+, sshdockerapp:\S+ \([0-9a-f]{12}\) on unix:\/\/\/var\/run\/docker\.sock/m,
      'not built on the local engine',
    );
    assert.match(r.out, /^\[engine\] transfer: [\d.]+ [kM]B sent/m, r.out);
    const there = await remote.docker(['inspect', '--format', '{{.State.Running}} {{index .Config.Labels "godeploy.release"}}', `sshdockerapp-${id}`]);
    assert.equal(there.stdout.trim(), `true ${id}`, there.stderr);
    assert.equal((await docker(['inspect', `sshdockerapp-${id}`])).code, 1, 'the container landed on the local engine');
    assert.equal((await httpGet(port, '/healthz')).status, 200);

    const releases = await cli(['releases', env]);
    assert.match(releases.out, new RegExp(`\\* ${id.replace(/\./g, '\\.')} +running`));
    const status = await cli(['status', env]);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /^ {2}health {3}healthy \(200 OK\)$/m);
    const lock = await cli(['lock', 'status', env]);
    assert.match(lock.out, /^engine \(ssh:\/\/\S+\): free$/m);

    setDeployappBuild(dir, 'build-2');
    assert.equal((await cli(['deploy', env])).code, 0);
    assert.equal(JSON.parse((await httpGet(port, '/info')).body).build, 'build-2');
    const back = await cli(['rollback', env]);
    assert.equal(back.code, 0, back.out);
    assert.equal(JSON.parse((await httpGet(port, '/info')).body).build, 'build-0');
  });

  it('the transfer sends only the layers the target lacks, and nothing for an image it has; the loaded image runs there', async () => {
    configure(sshd.knownHostsFile);
    const ctx = join(work.path, 'layers');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'big'), randomBytes(4 * 1024 * 1024));
    writeFileSync(join(ctx, 'small'), 'v1');
    const dockerfile = 'FROM scratch\nCOPY big /big\nCOPY small /small\nCOPY deployapp /deployapp\nENTRYPOINT ["/deployapp"]\n';
    await buildStatic(dir, join(ctx, 'deployapp'));
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    assert.equal((await docker(['build', '-q', '-t', 'godeploy-it/layers:a', ctx])).code, 0);
    const loaded = await loadEnvironment({ file: join(dir, 'godeploy.yaml'), exists: true }, env, 'test');
    const target = await openEnvironmentEngine(loaded);
    const local = await openEngine(engineAddress(undefined, {}));
    try {
      const first = await transferImage(local, target, 'godeploy-it/layers:a');
      assert.deepEqual([first.present, first.layersSkipped, first.layers], [false, 0, 3]);
      assert.ok(first.bytesSent > 4 * 1024 * 1024, String(first.bytesSent));
      // The second image shares its first layer (4 MB) with the first.
      writeFileSync(join(ctx, 'small'), 'v2');
      assert.equal((await docker(['build', '-q', '-t', 'godeploy-it/layers:b', ctx])).code, 0);
      const second = await transferImage(local, target, 'godeploy-it/layers:b', ['godeploy-it/layers:latest']);
      assert.deepEqual([second.present, second.layersSkipped, second.layers], [false, 1, 3]);
      assert.ok(second.bytesSent < first.bytesSent - 4 * 1024 * 1024 + 64 * 1024, `${second.bytesSent} vs ${first.bytesSent}`);
      const ids = await Promise.all(
        ['godeploy-it/layers:b', 'godeploy-it/layers:latest'].map(async (r) =>
          (await remote.docker(['image', 'inspect', '--format', '{{.Id}}', r])).stdout.trim(),
        ),
      );
      assert.equal(ids[0], (await docker(['image', 'inspect', '--format', '{{.Id}}', 'godeploy-it/layers:b'])).stdout.trim());
      assert.equal(ids[1], ids[0]);
      const p = await freePort();
      assert.equal((await remote.docker(['run', '-d', '--name', 'layers-run', '--network', 'host', '--env', `PORT=${p}`, 'godeploy-it/layers:b'])).code, 0);
      await waitFor(
        async () => (await httpGet(p, '/healthz').catch(() => ({ status: 0 }))).status === 200,
        20_000,
        () => 'the loaded image did not run',
      );
      const again = await transferImage(local, target, 'godeploy-it/layers:b');
      assert.deepEqual([again.present, again.bytesSent], [true, 0]);
    } finally {
      target.close();
      local.close();
      await remote.docker(['rm', '--force', 'layers-run']);
    }
  });
});
