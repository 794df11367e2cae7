// strategy blue-green on a docker environment, as data: which port a release goes on (from
// nginx's include and the running containers), how it is published, and the combinations
// that are refused before anything is touched.
import { strict as assert } from 'node:assert';
import { upstreamPort, upstreamServer } from '../../src/core/release/nginxSwitch';
import type { LoadedEnvironment } from '../../src/core/environment/load';
import { pickIdlePort, type DockerBlueGreen } from '../../src/core/targets/docker/blueGreenContainers';
import { containerSpec } from '../../src/core/targets/docker/containerSpec';
import { refuseUnsupported } from '../../src/core/targets/docker/dockerPlan';
import type { DockerRelease } from '../../src/core/targets/docker/dockerReleases';
import { engineAddress } from '../../src/core/targets/docker/engine';
import { GoDeployError } from '../../src/core/errors';

const plan: DockerBlueGreen = {
  ports: [8081, 8082],
  include: '/etc/nginx/godeploy/api.upstream.conf',
  site: { path: '/etc/nginx/sites-available/api.conf', enabledLink: '/etc/nginx/sites-enabled/api.conf', content: '' },
};
const release = (id: string, port: number | undefined, live: boolean): DockerRelease => ({
  id,
  version: 'v',
  container: `api-${id}`,
  containerId: id,
  state: live ? 'running' : 'exited',
  imageId: 'sha256:x',
  image: `api:${id}`,
  live,
  restart: 'unless-stopped',
  port,
});

describe('docker blue-green', () => {
  it("nginx's include names the live port; the new release goes on the other one", () => {
    assert.equal(upstreamPort(`${upstreamServer(8082)}\n`), 8082);
    assert.equal(upstreamPort(''), null);
    const a = release('1', 8081, false);
    const b = release('2', 8082, true);
    assert.deepEqual(pickIdlePort(plan, [a, b], 8082), { live: b, idle: 8081 });
    // No include yet (the first blue-green deploy): the running release's port is busy, else the first port is used.
    assert.deepEqual(pickIdlePort(plan, [a, b], null), { live: b, idle: 8081 });
    assert.deepEqual(pickIdlePort(plan, [], null), { live: undefined, idle: 8081 });
    // A release left running beside the live one (a deploy cut off mid-switch): the one nginx names is live.
    const c = release('3', 8081, true);
    assert.deepEqual(pickIdlePort(plan, [a, b, c], 8082), { live: b, idle: 8081 });
    // Coming from strategy restart: the live container on app.port; nginx has no include yet.
    const old = release('0', 8080, true);
    assert.deepEqual(pickIdlePort(plan, [old], null), { live: old, idle: 8081 });
  });

  it('a blue-green container publishes its port on 127.0.0.1 only (nginx is the way in) and is labelled with it', () => {
    const s = containerSpec({
      app: 'api',
      environment: 'prod',
      releaseId: 'r1',
      version: 'v',
      image: 'api:r1',
      port: 8082,
      loopbackOnly: true,
      env: {},
      docker: {},
      deployedBy: 'ann@laptop',
    });
    assert.deepEqual(s.HostConfig.PortBindings, { '8082/tcp': [{ HostIp: '127.0.0.1', HostPort: '8082' }] });
    assert.ok(s.Env.includes('PORT=8082'));
    assert.equal(s.Labels['godeploy.port'], '8082');
  });

  it('refused with exit 2 and what to do: blue-green with swarm, and with a tcp:// engine (no way onto its host to switch nginx)', () => {
    const env = (docker: Record<string, unknown>): LoadedEnvironment =>
      ({ name: 'prod', env: { type: 'docker', strategy: 'blue-green', docker } }) as unknown as LoadedEnvironment;
    assert.throws(
      () => refuseUnsupported(env({ mode: 'swarm' })),
      (e: GoDeployError) =>
        e.exitCode === 2 &&
        /^environments\.prod\.strategy: blue-green cannot be used with docker\.mode: swarm$/.test(e.message) &&
        /Swarm already starts each new task/.test(e.hint ?? ''),
    );
    const tcp = engineAddress('tcp://10.0.0.5:2376', {});
    assert.throws(
      () => refuseUnsupported(env({ host: tcp.url }), tcp),
      (e: GoDeployError) =>
        e.exitCode === 2 && /a tcp:\/\/ engine gives Go Deploy no way onto that host/.test(e.message) && /ssh:\/\/user@host/.test(e.hint ?? ''),
    );
    for (const url of ['unix:///var/run/docker.sock', 'ssh://deploy@web1']) {
      assert.doesNotThrow(() => refuseUnsupported(env({ host: url }), engineAddress(url, {})));
    }
  });

  it('strategy canary is refused the same way: swarm, several processes, a tcp:// engine (from DOCKER_HOST too, which the config rules cannot see)', () => {
    const env = (docker: Record<string, unknown>, model?: unknown): LoadedEnvironment =>
      ({ name: 'prod', env: { type: 'docker', strategy: 'canary', docker }, model }) as unknown as LoadedEnvironment;
    assert.throws(
      () => refuseUnsupported(env({ mode: 'swarm' })),
      (e: GoDeployError) =>
        e.exitCode === 2 &&
        e.message === 'environments.prod.strategy: canary cannot be used with docker.mode: swarm' &&
        /remove strategy: canary, or use docker\.mode: container/.test(e.hint ?? ''),
    );
    const several = {
      app: { name: 'api' },
      processes: [
        { name: 'web', service: 'api-web' },
        { name: 'worker', service: 'api-worker' },
      ],
    };
    assert.throws(
      () => refuseUnsupported(env({}, several)),
      (e: GoDeployError) =>
        e.exitCode === 2 && e.message === 'environments.prod.strategy: canary cannot be used with several processes (app.processes: web, worker) on docker yet',
    );
    const tcp = engineAddress(undefined, { DOCKER_HOST: 'tcp://10.0.0.5:2376' });
    assert.throws(
      () => refuseUnsupported(env({}), tcp),
      (e: GoDeployError) =>
        e.exitCode === 2 &&
        e.message ===
          "environments.prod.strategy: canary splits traffic in nginx on the engine's host, and a tcp:// engine gives Go Deploy no way onto that host" &&
        /ssh:\/\/user@host/.test(e.hint ?? ''),
    );
    assert.doesNotThrow(() => refuseUnsupported(env({ host: 'ssh://deploy@web1' }), engineAddress('ssh://deploy@web1', {})));
  });
});
