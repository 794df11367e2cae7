// What a docker deploy asks of the engine, as data: the container of a release (network,
// published port, restart policy, log rotation, memory with GOMEMLIMIT, hardening, labels),
// image tags from versions, which releases are pruned, and the build context that
// .dockerignore leaves (read from a real folder).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextEntries } from '../../src/core/targets/docker/buildContext';
import { containerSpec, describeContainer, memoryBytes, type ContainerInput } from '../../src/core/targets/docker/containerSpec';
import { imageTag } from '../../src/core/targets/docker/dockerPlan';
import { releasesToPrune, type DockerRelease } from '../../src/core/targets/docker/dockerReleases';
import { sharedPrefix } from '../../src/core/targets/docker/transfer';
import { serviceSpec, type ServiceInput } from '../../src/core/targets/docker/swarmService';
import { GoDeployError } from '../../src/core/errors';

const input = (over: Partial<ContainerInput> = {}): ContainerInput => ({
  app: 'api',
  environment: 'prod',
  releaseId: '20261121T101500Z-v1.2.3',
  version: 'v1.2.3',
  image: 'api:20261121T101500Z-v1.2.3',
  port: 8080,
  env: { DATABASE_URL: 'postgres://x', PORT: 'ignored' },
  docker: {},
  deployedBy: 'ann@laptop',
  ...over,
});

describe('docker container of a release', () => {
  it('bridge (the default) publishes app.port; the env is sorted, PORT is app.port; labels say app, environment, release, version', () => {
    const s = containerSpec(input());
    assert.equal(s.name, 'api-20261121T101500Z-v1.2.3');
    assert.deepEqual(s.Env, ['DATABASE_URL=postgres://x', 'PORT=8080']);
    assert.deepEqual(s.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(s.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '', HostPort: '8080' }] });
    assert.equal(s.HostConfig.NetworkMode, 'bridge');
    assert.deepEqual(s.Labels, {
      'godeploy.app': 'api',
      'godeploy.environment': 'prod',
      'godeploy.release': '20261121T101500Z-v1.2.3',
      'godeploy.version': 'v1.2.3',
      'godeploy.deployed-by': 'ann@laptop',
      'godeploy.port': '8080',
    });
    assert.deepEqual(s.HostConfig.RestartPolicy, { Name: 'unless-stopped' });
    assert.deepEqual(s.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    assert.equal(s.HostConfig.Memory, undefined);
    assert.deepEqual(
      [s.HostConfig.CapDrop, s.HostConfig.CapAdd, s.HostConfig.SecurityOpt, s.HostConfig.ReadonlyRootfs],
      [['ALL'], undefined, ['no-new-privileges'], true],
    );
  });

  it('host networking publishes nothing; memory sets the limit and GOMEMLIMIT at 90%; a port below 1024 gets NET_BIND_SERVICE only', () => {
    const s = containerSpec(input({ port: 80, docker: { network: 'host', memory: '512M', restart: 'on-failure', logMaxSize: '50m', logMaxFiles: 5 } }));
    assert.equal(s.HostConfig.NetworkMode, 'host');
    assert.equal(s.ExposedPorts, undefined);
    assert.equal(s.HostConfig.PortBindings, undefined);
    assert.equal(s.HostConfig.Memory, 512 * 1024 * 1024);
    assert.ok(s.Env.includes('GOMEMLIMIT=460MiB'), s.Env.join(' '));
    assert.deepEqual(s.HostConfig.CapAdd, ['NET_BIND_SERVICE']);
    assert.deepEqual(s.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 });
    assert.deepEqual(s.HostConfig.LogConfig.Config, { 'max-size': '50m', 'max-file': '5' });
    // A GOMEMLIMIT the user set wins.
    assert.ok(containerSpec(input({ env: { GOMEMLIMIT: '100MiB' }, docker: { memory: '1G' } })).Env.includes('GOMEMLIMIT=100MiB'));
  });

  it('memory sizes: K/M/G/T as powers of 1024; unreadable or below 6M is a config error naming docker.memory', () => {
    assert.equal(memoryBytes('1.5G'), 1.5 * 1024 ** 3);
    assert.throws(
      () => memoryBytes('lots'),
      (e: GoDeployError) => e.exitCode === 2 && /^docker\.memory: cannot read the size "lots"$/.test(e.message),
    );
    assert.throws(
      () => memoryBytes('4M'),
      (e: GoDeployError) => /below the engine's minimum of 6M/.test(e.message),
    );
  });

  it('--dry-run shows the env by name only', () => {
    const lines = describeContainer(containerSpec(input({ env: { TOKEN: 's3cret-value' } })));
    assert.ok(lines.includes('  env: PORT TOKEN'), lines.join('\n'));
    assert.ok(!lines.join('\n').includes('s3cret'));
    assert.ok(lines.includes('  network: bridge, publish 8080:8080/tcp'), lines.join('\n'));
  });

  it('image tags from versions: characters outside [A-Za-z0-9_.-] become -, no leading . or -, at most 128', () => {
    assert.equal(imageTag('v1.2.3-4-gabc123-dirty'), 'v1.2.3-4-gabc123-dirty');
    assert.equal(imageTag('v1.0.0+build.5'), 'v1.0.0-build.5');
    assert.equal(imageTag('-x'), 'x');
    assert.equal(imageTag('a'.repeat(200)).length, 128);
    assert.equal(imageTag('+++'), 'unversioned');
  });

  it('pruning removes the oldest stopped releases beyond keepReleases, never the running one', () => {
    const r = (id: string, live = false): DockerRelease => ({
      id,
      version: '',
      container: `api-${id}`,
      containerId: id,
      state: live ? 'running' : 'exited',
      imageId: '',
      image: '',
      live,
      restart: 'unless-stopped',
    });
    assert.deepEqual(releasesToPrune([r('1'), r('2'), r('3', true)], 5), []);
    assert.deepEqual(
      releasesToPrune([r('1'), r('2'), r('3'), r('4', true)], 2).map((x) => x.id),
      ['1', '2'],
    );
    // After a rollback the live one is old: the newer stopped ones are what is kept.
    assert.deepEqual(
      releasesToPrune([r('1', true), r('2'), r('3')], 2).map((x) => x.id),
      ['2'],
    );
  });
});

describe('swarm service of a release', () => {
  const svc = (over: Partial<ServiceInput> = {}): Record<string, any> =>
    serviceSpec({
      app: 'api',
      environment: 'prod',
      releaseId: '20261121T101500Z-v1',
      version: 'v1',
      image: 'api:20261121T101500Z-v1',
      port: 8080,
      healthPath: '/healthz',
      healthTimeoutSeconds: 30,
      healthIntervalMs: 1000,
      env: { A: '1' },
      docker: { mode: 'swarm' },
      deployedBy: 'ann@laptop',
      probe: true,
      ...over,
    });

  it('replicas, a start-first rolling update that rolls back on failure, the probe as health check, app.port through the routing mesh', () => {
    const s = svc();
    assert.equal(s.Name, 'api-prod');
    assert.deepEqual(s.Mode, { Replicated: { Replicas: 2 } });
    assert.deepEqual([s.UpdateConfig.Order, s.UpdateConfig.FailureAction, s.UpdateConfig.Parallelism], ['start-first', 'rollback', 1]);
    assert.equal(s.UpdateConfig.Monitor, 33_000 * 1_000_000, 'monitor: the start period and three checks');
    assert.deepEqual(s.TaskTemplate.ContainerSpec.Healthcheck.Test, ['CMD', '/godeploy-probe', 'http://127.0.0.1:8080/healthz']);
    assert.deepEqual(s.TaskTemplate.ContainerSpec.Env, ['A=1', 'PORT=8080']);
    assert.equal(s.Labels['godeploy.release'], '20261121T101500Z-v1');
    assert.deepEqual(s.EndpointSpec, { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'ingress' }] });
  });

  it('publish: false uses DNS round-robin and no port; memory sets the limit and GOMEMLIMIT; no probe, no health check', () => {
    const s = svc({ docker: { mode: 'swarm', publish: false, memory: '256M', replicas: 3, overlayNetwork: 'backend' }, probe: false });
    assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr' });
    assert.equal(s.TaskTemplate.Resources.Limits.MemoryBytes, 256 * 1024 * 1024);
    assert.ok(s.TaskTemplate.ContainerSpec.Env.includes('GOMEMLIMIT=230MiB'));
    assert.equal(s.TaskTemplate.ContainerSpec.Healthcheck, undefined);
    assert.deepEqual(s.TaskTemplate.Networks, [{ Target: 'backend' }]);
    assert.deepEqual(s.Mode, { Replicated: { Replicas: 3 } });
  });
});

describe('docker image transfer', () => {
  it('the layers a target already has are the longest chain prefix it holds in any image; a gap ends it', () => {
    const img = ['sha256:a', 'sha256:b', 'sha256:c'];
    assert.equal(sharedPrefix(img, []), 0);
    assert.equal(
      sharedPrefix(img, [
        ['sha256:a', 'sha256:x'],
        ['sha256:a', 'sha256:b', 'sha256:y'],
      ]),
      2,
    );
    assert.equal(sharedPrefix(img, [['sha256:b', 'sha256:c']]), 0, 'a layer is only usable at the same place in the chain');
    assert.equal(sharedPrefix(img, [img, ['sha256:a']]), 3);
  });
});

describe('docker build context (.dockerignore)', () => {
  const dir = { path: mkdtempSync(join(tmpdir(), 'godeploy-docker-context-')) };
  after(() => rmSync(dir.path, { recursive: true, force: true }));

  it('honours .dockerignore like docker build: folders, globs, ** and ! exceptions; the Dockerfile and .dockerignore always go', async () => {
    const d = dir.path;
    for (const f of [
      'go.mod',
      'main.go',
      'Dockerfile',
      'notes.md',
      'README.md',
      'internal/x.go',
      'internal/x_test.go',
      'dist/api_linux_amd64',
      'dist/api_darwin_arm64',
      '.git/HEAD',
      'secrets/key.pem',
      'deep/a/b/c.log',
    ]) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), f);
    }
    symlinkSync('main.go', join(d, 'link.go'));
    writeFileSync(
      join(d, '.dockerignore'),
      ['# comment', '.git', 'secrets/', '*.md', '!README.md', '**/*_test.go', '**/*.log', 'dist', '!dist/api_linux_*', 'Dockerfile', '.dockerignore', ''].join(
        '\n',
      ),
    );
    assert.deepEqual(await contextEntries(d), [
      '.dockerignore',
      'Dockerfile',
      'README.md',
      'deep',
      'deep/a',
      'deep/a/b',
      'dist/api_linux_amd64',
      'go.mod',
      'internal',
      'internal/x.go',
      'link.go',
      'main.go',
    ]);
  });
});
