// An image packed from a binary built here, through the engine API (no docker CLI): the
// generated --from-binary Dockerfile and the executable as the whole build context, the
// tags and labels on the result, a container of it answering /healthz, and a failing step
// named with its output.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment } from '../../src/core/environment/load';
import { engineAddress, openEngine } from '../../src/core/targets/docker/engine';
import { buildBinaryImage } from '../../src/core/targets/docker/image';
import { renderDockerfile } from '../../src/core/generate/dockerfile';
import { copyDeployapp } from './fixtures/deployApp';
import { docker, type DockerEngine, ensureDockerEngine } from './fixtures/docker';
import { buildStatic } from './fixtures/go';
import { freePort, httpGet, tempDir, waitFor } from './fixtures/util';

describe('docker image from a binary (dockerode, real Docker Engine)', function () {
  this.timeout(300_000);
  const work = tempDir('docker-image');
  const repo = `godeploy-it/deployapp-image-${process.pid}`;
  const container = `godeploy-it-image-${process.pid}`;
  let engine: DockerEngine;

  before(async () => {
    engine = await ensureDockerEngine();
    copyDeployapp(work.path, []);
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      ['app:', '  name: deployapp', '  port: 8080', 'docker:', '  runtime: scratch', 'environments:', '  box:', '    type: docker', ''].join('\n'),
    );
    await buildStatic(work.path, join(work.path, 'deployapp'));
  });
  after(async () => {
    await docker(['rm', '--force', container]);
    await docker(['rmi', '--force', `${repo}:v1`, `${repo}:r1`, `${repo}:bad`]);
    await engine?.stop();
    work.remove();
  });

  it('builds, tags and labels the image; a container of it answers /healthz; build output arrives line by line', async () => {
    const { model } = await loadEnvironment({ file: join(work.path, 'godeploy.yaml'), exists: true }, 'box', 'test');
    const dockerfile = renderDockerfile(model, { fromBinary: 'deployapp' });
    const e = await openEngine(engineAddress(`unix://${engine.socketPath}`));
    const lines: string[] = [];
    const id = await buildBinaryImage(
      e,
      {
        dockerfile,
        binaryFile: join(work.path, 'deployapp'),
        binaryName: 'deployapp',
        tags: [`${repo}:v1`, `${repo}:r1`],
        labels: { 'godeploy.app': 'deployapp', 'godeploy.release': 'r1' },
      },
      (l) => lines.push(l),
    );
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.ok(
      lines.some((l) => /^Step 1\/\d+ : FROM scratch$/.test(l)),
      lines.join('\n'),
    );
    const inspect = JSON.parse((await docker(['image', 'inspect', `${repo}:r1`])).stdout) as {
      Id: string;
      RepoTags: string[];
      Config: { Labels: Record<string, string>; User: string };
    }[];
    assert.equal(inspect[0].Id, id);
    assert.deepEqual([...inspect[0].RepoTags].sort(), [`${repo}:r1`, `${repo}:v1`]);
    assert.equal(inspect[0].Config.Labels['godeploy.release'], 'r1');
    assert.equal(inspect[0].Config.Labels['org.opencontainers.image.title'], 'deployapp');
    const port = await freePort();
    const run = await docker(['run', '--detach', '--name', container, '--network', 'host', '--env', `PORT=${port}`, `${repo}:v1`]);
    assert.equal(run.code, 0, run.stderr);
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => ({ status: 0 }))).status === 200,
      20_000,
      () => `the container did not answer on ${port}`,
    );
  });

  it('a failing step: the error names the step and its output; nothing is tagged', async () => {
    const e = await openEngine(engineAddress(`unix://${engine.socketPath}`));
    const dockerfile = 'FROM scratch\nCOPY deployapp /deployapp\nCOPY missing.txt /missing.txt\n';
    await assert.rejects(
      buildBinaryImage(e, { dockerfile, binaryFile: join(work.path, 'deployapp'), binaryName: 'deployapp', tags: [`${repo}:bad`] }),
      (err: Error) =>
        /^building godeploy-it\/deployapp-image-\d+:bad failed at Step 3\/3 : COPY missing\.txt \/missing\.txt: /.test(err.message) &&
        /missing\.txt/.test(err.message),
    );
    assert.equal((await docker(['image', 'inspect', `${repo}:bad`])).code, 1, 'a failed build was tagged');
  });
});
