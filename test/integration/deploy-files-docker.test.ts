// app.files and app.shared on a real Docker Engine (docker.build: binary, FROM scratch): the
// release image holds config/app.yaml under /app (the api, working in /app, serves it), and
// the shared uploads folder is the named volume shop-storage-uploads, which keeps an upload
// across two deploys and is never removed by them.
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { docker, ensureDockerEngine, type DockerEngine } from './fixtures/docker';
import { runCli } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, sleep, tempDir } from './fixtures/util';

describe('app.files and app.shared on a docker environment (real Docker Engine, CLI)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-files-docker');
  const env = `files${process.pid}`;
  const app = `shopfiles${process.pid}`;
  const volume = `${app}-storage-uploads`;
  let engine: DockerEngine;
  let port = 0;

  before(async () => {
    engine = await ensureDockerEngine();
    port = await freePort();
    cpSync(join(fixtureModules, 'shop'), work.path, { recursive: true });
    const config = {
      app: { name: app, main: './cmd/api', port, healthCheck: { path: '/healthz' }, files: ['config/app.yaml'], shared: ['storage/uploads'] },
      docker: { runtime: 'scratch', buildkit: false },
      environments: {
        [env]: { type: 'docker', docker: { host: `unix://${engine.socketPath}`, network: 'host' }, healthCheck: { timeout: '10s', interval: '200ms' } },
      },
    };
    writeFileSync(join(work.path, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  });
  after(async () => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.environment=${env}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
    await docker(['rm', '--force', `godeploy-lock-${app}`]);
    const images = (await docker(['images', '-q', app])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await docker(['volume', 'rm', '--force', volume]);
    await engine?.stop();
    work.remove();
  });

  const deployOk = async (): Promise<string> => {
    await sleep(5);
    const r = await runCli(work.path, ['deploy', env], goEnv({}));
    assert.equal(r.code, 0, `deploy failed:\n${r.out}${r.err}`);
    return new RegExp(`^deploy (\\S+) to ${env}: `, 'm').exec(r.out)?.[1] ?? '';
  };
  const get = async (p: string): Promise<string> => {
    const r = await httpGet(port, p);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    return r.body;
  };

  it('the image holds config/app.yaml under /app; the shared folder is a named volume; an upload survives the next deploy', async () => {
    writeFileSync(join(work.path, 'config', 'app.yaml'), 'greeting: docker one\n');
    const first = await deployOk();
    assert.equal((JSON.parse(await get('/')) as { config: string }).config, 'greeting: docker one\n');
    const mounts = JSON.parse((await docker(['inspect', '-f', '{{json .Mounts}}', `${app}-${first}`])).stdout) as {
      Type: string;
      Name: string;
      Destination: string;
    }[];
    assert.deepEqual(
      mounts.filter((m) => m.Type === 'volume').map((m) => `${m.Name} ${m.Destination}`),
      [`${volume} /app/storage/uploads`],
    );
    await get('/upload?name=kept&data=1');

    writeFileSync(join(work.path, 'config', 'app.yaml'), 'greeting: docker two\n');
    const second = await deployOk();
    assert.notEqual(second, first);
    assert.equal((JSON.parse(await get('/')) as { config: string }).config, 'greeting: docker two\n');
    assert.equal((await get('/uploads')).trim(), 'kept');
    await get('/upload?name=later&data=2');
    assert.deepEqual((await get('/uploads')).trim().split('\n').sort(), ['kept', 'later']);
    assert.equal((await docker(['volume', 'inspect', volume])).code, 0, 'the volume is still there');
  });
});
