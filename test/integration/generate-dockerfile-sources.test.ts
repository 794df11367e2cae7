// The generated Dockerfile where the sources are not just the module: a vendored module (no
// module proxy knows its dependency, so only -mod=vendor builds it) and a go.work member that
// replaces a sibling (the workspace root is the context); and a service with arguments and a
// port flag, whose container must get them exactly. Real Docker Engine, no registry: the Go
// builder is the local test image, the runtime scratch, the legacy builder (buildkit: false).
import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildContext } from '../../src/core/targets/docker/buildContext';
import { engineAddress, openEngine } from '../../src/core/targets/docker/engine';
import { buildImage } from '../../src/core/targets/docker/image';
import { dockerBuildContextOf } from '../../src/core/generate/buildSource';
import { renderDockerfile } from '../../src/core/generate/dockerfile';
import { renderDockerignore } from '../../src/core/generate/dockerignore';
import type { GenerateModel } from '../../src/core/generate/model';
import { LISTEN_FLAG, TRICKY_ARGV, yamlArgs } from '../support/launchArgs';
import { modelFor } from '../support/models';
import { fixtureModules } from '../support/paths';
import { ensureBuilderImage } from './fixtures/builderImage';
import { docker, DOCKER_SOCKET, DockerEngine, ensureDockerEngine } from './fixtures/docker';
import { freePort, httpGet, tempDir, waitFor } from './fixtures/util';

const id = `${process.pid}-${Date.now().toString(36)}`;
const work = tempDir('gen-dockerfile-sources');
const images: string[] = [];
const containers: string[] = [];
const SCRATCH = 'docker: { runtime: scratch, buildkit: false }\n';

async function dockerOk(args: string[], timeoutMs = 600_000): Promise<string> {
  const r = await docker(args, timeoutMs);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A copy of fixture `name` (a module, or a workspace holding it) with the generated Dockerfile and .dockerignore in the module folder. */
async function copyWithDockerfile(name: string, moduleRel: string, yaml: string): Promise<{ root: string; moduleDir: string; model: GenerateModel }> {
  const root = join(work.path, name);
  cpSync(join(fixtureModules, name), root, { recursive: true });
  const moduleDir = join(root, moduleRel);
  const model = await modelFor(join(name, moduleRel), yaml);
  writeFileSync(join(moduleDir, 'Dockerfile'), renderDockerfile(model));
  writeFileSync(join(moduleDir, '.dockerignore'), renderDockerignore(model));
  return { root, moduleDir, model };
}

/** Runs `tag` with host networking and `env`; returns the container name once GET /healthz answers 200. */
async function runHealthy(tag: string, port: number, env: string[] = []): Promise<{ name: string; body: string }> {
  const name = `godeploy-it-gensrc-${id}-${containers.length}`;
  containers.push(name);
  await dockerOk(['run', '--detach', '--name', name, '--network', 'host', ...env.flatMap((e) => ['--env', e]), tag]);
  let body = '';
  try {
    await waitFor(
      async () => {
        const r = await httpGet(port, '/healthz').catch(() => undefined);
        body = r?.body ?? '';
        return r?.status === 200;
      },
      20_000,
      () => `${tag} did not answer 200 on http://127.0.0.1:${port}/healthz`,
    );
  } catch (e) {
    const logs = await docker(['logs', name]);
    throw new Error(`${(e as Error).message}; its log:\n${logs.stdout}${logs.stderr}`, { cause: e });
  }
  return { name, body };
}

describe('generated Dockerfile: vendored modules, go.work members, arguments (real Docker Engine)', () => {
  let engine: DockerEngine;
  let builder: string;
  before(async () => {
    engine = await ensureDockerEngine();
    const base = await ensureBuilderImage((await modelFor('single', 'app: {}\n')).app.goVersion);
    // The test builder sets GOFLAGS=-mod=mod for its offline builds; the official golang images
    // set no GOFLAGS, and Go refuses -mod=mod in workspace mode. This one is like them.
    builder = `godeploy-it/golang-plain:${id}`;
    const dir = join(work.path, 'builder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nENV GOFLAGS=\n`);
    await dockerOk(['build', '--tag', builder, dir]);
    images.push(builder);
  });
  after(async () => {
    for (const c of containers) await docker(['rm', '--force', c]);
    for (const i of images.reverse()) await docker(['rmi', '--force', i]);
    work.remove();
    await engine?.stop();
  });

  it('vendored: builds with no module proxy (GOPROXY=off) from vendor/ alone and serves', async () => {
    const { moduleDir } = await copyWithDockerfile('vendored-gen', '.', `app: {}\n${SCRATCH}`);
    const dockerfile = readFileSync(join(moduleDir, 'Dockerfile'), 'utf8');
    assert.doesNotMatch(dockerfile, /go mod download/);
    const tag = `godeploy-it/gen-vendored:${id}`;
    images.push(tag);
    await dockerOk(['build', '--force-rm', '--tag', tag, '--build-arg', `GO_IMAGE=${builder}`, moduleDir]);
    const port = await freePort();
    assert.equal((await runHealthy(tag, port, [`PORT=${port}`])).body, 'ok from vendor\n');
  });

  it('a go.work member replacing a sibling: built as its comment says (-f Dockerfile, the workspace root as context) and serves', async () => {
    const { root, moduleDir } = await copyWithDockerfile('workspace-gen', 'api', `app: {}\n${SCRATCH}`);
    const dockerfile = readFileSync(join(moduleDir, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /docker build -f Dockerfile .*\n.* -t api \.\.\n/);
    const tag = `godeploy-it/gen-workspace:${id}`;
    images.push(tag);
    await dockerOk(['build', '--force-rm', '--tag', tag, '--build-arg', `GO_IMAGE=${builder}`, '-f', join(moduleDir, 'Dockerfile'), root]);
    const port = await freePort();
    assert.equal((await runHealthy(tag, port, [`PORT=${port}`])).body, 'ok from lib\n');
  });

  it("the same workspace through the deploy's build context (only go.work and the members travel) and the Engine API", async () => {
    const { moduleDir, model } = await copyWithDockerfile('workspace-gen', 'api', `app: {}\n${SCRATCH}`);
    writeFileSync(join(moduleDir, '..', 'unrelated.bin'), Buffer.alloc(4 << 20));
    const context = dockerBuildContextOf(moduleDir, model.source);
    const ctx = await buildContext(context.dir, { dockerfile: context.dockerfile, only: context.only });
    const api = await openEngine(engineAddress(`unix://${DOCKER_SOCKET}`));
    const tag = `godeploy-it/gen-workspace-api:${id}`;
    images.push(tag);
    try {
      await buildImage(api, ctx.stream, { tags: [tag], buildargs: { GO_IMAGE: builder }, dockerfile: context.dockerfile });
    } finally {
      api.close();
    }
    const sent = await ctx.done;
    assert.ok(sent.bytes < 1 << 20, `the context held ${sent.bytes} bytes: unrelated.bin travelled`);
    const port = await freePort();
    assert.equal((await runHealthy(tag, port, [`PORT=${port}`])).body, 'ok from lib\n');
  });

  it("arguments and a port flag: the image's Cmd and the running process's argv are exactly the configured ones", async () => {
    const port = await freePort();
    const { moduleDir } = await copyWithDockerfile(
      'argv',
      '.',
      `app:\n  port: ${port}\n  portFlag: "${LISTEN_FLAG}"\n  args: ${yamlArgs(TRICKY_ARGV)}\n${SCRATCH}`,
    );
    const tag = `godeploy-it/gen-args:${id}`;
    images.push(tag);
    await dockerOk(['build', '--force-rm', '--tag', tag, '--build-arg', `GO_IMAGE=${builder}`, moduleDir]);
    const expected = [`--listen=127.0.0.1:${port}`, ...TRICKY_ARGV];
    const config = JSON.parse(await dockerOk(['image', 'inspect', '--format', '{{json .Config}}', tag])) as {
      Cmd: string[];
      Entrypoint: string[];
      Env: string[];
    };
    assert.deepEqual(config.Entrypoint, ['/app/argv']);
    assert.deepEqual(config.Cmd, expected);
    assert.ok(!config.Env.some((e) => e.startsWith('PORT=')), config.Env.join(' '));
    const { name } = await runHealthy(tag, port);
    const pid = (await dockerOk(['inspect', '--format', '{{.State.Pid}}', name])).trim();
    assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1), ['/app/argv', ...expected]);
    assert.deepEqual(JSON.parse((await httpGet(port, '/args')).body), expected);
  });
});
