// The generated Dockerfile and .dockerignore on a real Docker Engine, with no registry: the
// Go builder is a local image (fixtures/builderImage.ts) passed as --build-arg GO_IMAGE, and
// the runtime is scratch. The service must answer its health check, run as non-root and
// carry the version it was built with.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDockerfile, type DockerfileOptions } from '../../src/core/generate/dockerfile';
import { renderDockerignore } from '../../src/core/generate/dockerignore';
import { modelFor } from '../support/models';
import { fixtureModules } from '../support/paths';
import { ensureBuilderImage } from './fixtures/builderImage';
import { docker, DOCKER_SOCKET, DockerEngine, ensureDockerEngine } from './fixtures/docker';
import { buildStatic, goEnv } from './fixtures/go';
import { freePort, httpGet, run, runOk, SETUP_HINT, tempDir, waitFor } from './fixtures/util';

const SINGLE = join(fixtureModules, 'single');
const id = `${process.pid}-${Date.now().toString(36)}`;
const work = tempDir('gen-dockerfile');
const images: string[] = [];
const containers: string[] = [];

// main.version is unused in the fixture (so the linker drops it and -X has nothing to set):
// copies of the module get this file, which serves it.
const VERSION_GO =
  'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc init() {\n' +
  '\thttp.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, version) })\n}\n';

function moduleCopy(name: string): string {
  const dir = join(work.path, name);
  cpSync(SINGLE, dir, { recursive: true });
  writeFileSync(join(dir, 'version.go'), VERSION_GO);
  return dir;
}

async function dockerOk(args: string[], timeoutMs = 600_000): Promise<string> {
  const r = await docker(args, timeoutMs);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A build context: the single module, the generated files, and things the .dockerignore must drop. */
async function context(name: string, yaml: string, options?: DockerfileOptions): Promise<string> {
  const dir = moduleCopy(name);
  const model = await modelFor('single', yaml);
  writeFileSync(join(dir, 'Dockerfile'), renderDockerfile(model, options));
  writeFileSync(join(dir, '.dockerignore'), renderDockerignore(model));
  for (const f of ['.git/objects/pack/junk.pack', 'node_modules/big/blob', 'dist/hello_darwin_arm64']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), randomBytes(8 << 20));
  }
  writeFileSync(join(dir, '.env'), 'SECRET=do-not-ship\n');
  return dir;
}

async function build(dir: string, tag: string, args: string[]): Promise<{ seconds: number; size: number }> {
  const started = Date.now();
  const r = await docker(['build', '--force-rm', '--tag', tag, ...args, dir], 600_000);
  images.push(tag);
  if (r.code !== 0) {
    // A failed legacy build leaves its steps' images untagged: remove those (never a tagged one, e.g. the FROM image).
    for (const step of [...r.stdout.matchAll(/---> ([0-9a-f]{12})\b/g)].map((m) => m[1]).reverse()) {
      if ((await docker(['image', 'inspect', '--format', '{{len .RepoTags}}', step])).stdout.trim() === '0') await docker(['rmi', step]);
    }
    assert.fail(`docker build of ${dir} exited ${r.code}\n${r.stdout}${r.stderr}`);
  }
  const size = Number(await dockerOk(['image', 'inspect', '--format', '{{.Size}}', tag]));
  return { seconds: (Date.now() - started) / 1000, size };
}

/** Runs the image with host networking on a free PORT; returns once /healthz answers 200 "ok" and /version `version`. */
async function runHealthy(tag: string, version: string): Promise<{ name: string; port: number }> {
  const port = await freePort();
  const name = `godeploy-it-gen-${id}-${containers.length}`;
  containers.push(name);
  await dockerOk(['run', '--detach', '--name', name, '--network', 'host', '--env', `PORT=${port}`, tag]);
  await waitFor(
    async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
    20_000,
    () => `${tag} did not answer 200 on http://127.0.0.1:${port}/healthz`,
  );
  assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
  assert.deepEqual(await httpGet(port, '/version'), { status: 200, body: version }, 'the version stamped with -X main.version');
  return { name, port };
}

/** The uid the container's process really runs as, read from /proc on this machine. */
async function processUid(container: string): Promise<number> {
  const pid = (await dockerOk(['inspect', '--format', '{{.State.Pid}}', container])).trim();
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

async function imageConfig(tag: string): Promise<{ User: string; Labels: Record<string, string>; Env: string[]; ExposedPorts: Record<string, unknown> }> {
  return JSON.parse(await dockerOk(['image', 'inspect', '--format', '{{json .Config}}', tag]));
}

/** `go version -m` of the binary copied out of the container (it omits -ldflags under -trimpath). */
async function buildInfo(container: string): Promise<string> {
  const out = join(work.path, `${container}.bin`);
  await dockerOk(['cp', `${container}:/app/hello`, out]);
  return (await runOk('go', ['version', '-m', out], { env: goEnv() })).stdout;
}

const report = (what: string, r: { seconds: number; size: number }) =>
  process.stderr.write(`      (${what}: built in ${r.seconds.toFixed(1)} s, ${(r.size / 1e6).toFixed(1)} MB)\n`);

describe('generated Dockerfile on a real Docker Engine', () => {
  let engine: DockerEngine;
  let builder: string;
  before(async () => {
    engine = await ensureDockerEngine();
    builder = await ensureBuilderImage((await modelFor('single', 'app: {}\n')).app.goVersion);
  });
  after(async () => {
    for (const c of containers) await docker(['rm', '--force', c]);
    for (const i of images.reverse()) await docker(['rmi', '--force', i]);
    work.remove();
    await engine?.stop();
  });

  it('scratch, legacy builder: builds from source, serves /healthz as uid 65532 with the version stamped', async () => {
    const dir = await context('legacy', 'app: {}\nbuild: { ldflags: "-s -w -X main.version={{.Version}}" }\ndocker: { runtime: scratch, buildkit: false }\n');
    const args = ['--build-arg', `GO_IMAGE=${builder}`, '--build-arg', 'VERSION=1.2.3-it.legacy', '--build-arg', 'REVISION=0123abc'];
    // The build stage on its own first (the full build reuses its layers): it shows what the context held.
    report('build stage (legacy builder)', await build(dir, `godeploy-it/gen-build:${id}`, [...args, '--target', 'build']));
    const src = await dockerOk([
      'run',
      '--rm',
      '--network',
      'host',
      `godeploy-it/gen-build:${id}`,
      'sh',
      '-c',
      'cd /src && find . -path ./.git -prune -o -print | sort',
    ]);
    assert.deepEqual(
      src.trim().split('\n'),
      ['.', './.dockerignore', './Dockerfile', './dist', './go.mod', './main.go', './version.go'],
      'the .dockerignore dropped .git, .env, node_modules and dist/',
    );
    const r = await build(dir, `godeploy-it/gen-legacy:${id}`, args);
    report('scratch, legacy builder', r);

    const config = await imageConfig(`godeploy-it/gen-legacy:${id}`);
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Labels, {
      'org.opencontainers.image.title': 'hello',
      'org.opencontainers.image.version': '1.2.3-it.legacy',
      'org.opencontainers.image.revision': '0123abc',
      'org.opencontainers.image.source': 'https://example.com/hello',
    });
    assert.ok(config.Env.includes('PORT=8081'), config.Env.join(' '));
    assert.deepEqual(Object.keys(config.ExposedPorts), ['8081/tcp']);

    const { name } = await runHealthy(`godeploy-it/gen-legacy:${id}`, '1.2.3-it.legacy');
    assert.equal(await processUid(name), 65532);
    const info = await buildInfo(name);
    for (const s of ['CGO_ENABLED=0', '-trimpath=true', '-tags=timetzdata', 'GOOS=linux']) assert.ok(info.includes(s), `${s} missing from:\n${info}`);
    await dockerOk(['cp', `${name}:/etc/ssl/certs/ca-certificates.crt`, join(work.path, 'ca.crt')]);
    assert.match(readFileSync(join(work.path, 'ca.crt'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
  });

  it('several processes (the shop module, api + worker): one image built from source holds both executables; its default runs the api, --entrypoint /app/worker the worker with its args', async () => {
    const dir = join(work.path, 'shop');
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
    const yaml = [
      'app:',
      '  name: shop',
      '  processes:',
      '    api: { main: ./cmd/api, port: 8080 }',
      '    worker: { main: ./cmd/worker, args: [--queue, mail] }',
      'docker: { runtime: scratch, buildkit: false }',
      '',
    ].join('\n');
    const model = await modelFor('shop', yaml);
    writeFileSync(join(dir, 'Dockerfile'), renderDockerfile(model));
    writeFileSync(join(dir, '.dockerignore'), renderDockerignore(model));
    const tag = `godeploy-it/gen-shop:${id}`;
    report('api + worker', await build(dir, tag, ['--build-arg', `GO_IMAGE=${builder}`]));
    const port = await freePort();
    const api = `godeploy-it-gen-${id}-shop-api`;
    containers.push(api);
    await dockerOk(['run', '--detach', '--name', api, '--network', 'host', '--env', `PORT=${port}`, tag]);
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
      20_000,
      () => `${tag} did not answer 200 on http://127.0.0.1:${port}/healthz`,
    );
    const answer = JSON.parse((await httpGet(port, '/')).body) as { process: string; exe: string };
    assert.deepEqual([answer.process, answer.exe], ['api', '/app/api']);
    const worker = `godeploy-it-gen-${id}-shop-worker`;
    containers.push(worker);
    await dockerOk(['run', '--detach', '--name', worker, '--entrypoint', '/app/worker', '--env', 'QUEUE=mail', tag, '--queue', 'mail']);
    let logs = '';
    await waitFor(
      async () => /worker started/.test((logs = (await docker(['logs', worker])).stdout)),
      20_000,
      () => `the worker printed nothing: ${logs}`,
    );
    assert.match(logs, /worker started with \["--queue" "mail"\], queue "mail"/);
    assert.equal((await dockerOk(['inspect', '--format', '{{.State.Running}}', worker])).trim(), 'true');
  });

  it('scratch, BuildKit (RUN --mount cache, cross-compiling stage): builds and serves /healthz', async () => {
    // BuildKit needs a CLI that speaks it: buildx, else the Debian docker.io 20.10 client's built-in one.
    const env = { ...process.env, DOCKER_HOST: `unix://${DOCKER_SOCKET}`, DOCKER_BUILDKIT: '1' };
    const cli = (await run('docker', ['buildx', 'version'], { env })).code === 0 ? 'docker' : '/usr/bin/docker';
    const v = await run(cli, ['version', '--format', '{{.Client.Version}}'], { env });
    assert.equal(v.code, 0, `no Docker CLI with BuildKit (buildx, or docker.io's /usr/bin/docker); ${SETUP_HINT}\n${v.stderr}`);
    const dir = await context('buildkit', 'app: {}\nbuild: { ldflags: "-s -w -X main.version={{.Version}}" }\ndocker: { runtime: scratch }\n');
    assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), /RUN --mount=type=cache,target=\/go\/pkg\/mod \\\n/);
    const tag = `godeploy-it/gen-buildkit:${id}`;
    const started = Date.now();
    // The engine has no bridge network (--bridge=none): BuildKit's RUN steps need the host's.
    await runOk(
      cli,
      [
        'build',
        '--no-cache',
        '--network',
        'host',
        '--progress',
        'plain',
        '--build-arg',
        `GO_IMAGE=${builder}`,
        '--build-arg',
        'VERSION=2.0.0-it.buildkit',
        '--tag',
        tag,
        dir,
      ],
      { env, timeoutMs: 600_000 },
    );
    images.push(tag);
    report('scratch, BuildKit', { seconds: (Date.now() - started) / 1000, size: Number(await dockerOk(['image', 'inspect', '--format', '{{.Size}}', tag])) });
    const { name } = await runHealthy(tag, '2.0.0-it.buildkit');
    assert.equal(await processUid(name), 65532);
    assert.equal((await imageConfig(tag)).Labels['org.opencontainers.image.version'], '2.0.0-it.buildkit');
    const info = await buildInfo(name);
    for (const s of ['GOARCH=amd64', 'GOOS=linux', 'CGO_ENABLED=0', '-trimpath=true']) assert.ok(info.includes(s), `${s} missing from:\n${info}`);
  });

  it('--from-binary, scratch: packs the cross-compiled binary from dist/ with no build stage', async () => {
    const dir = await context('from-binary', 'app: {}\ndocker: { runtime: scratch }\n', { fromBinary: 'dist/hello_linux_amd64' });
    const bin = join(dir, 'dist', 'hello_linux_amd64');
    await buildStatic(moduleCopy('from-binary-src'), bin, { goos: 'linux', goarch: 'amd64', ldflags: '-s -w -X main.version=3.1.4-it.bin' });
    chmodSync(bin, 0o755);
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    assert.deepEqual(
      dockerfile.split('\n').filter((l) => l.startsWith('FROM ')),
      ['FROM scratch'],
    );
    const r = await build(dir, `godeploy-it/gen-binary:${id}`, ['--build-arg', 'VERSION=3.1.4-it.bin']);
    report('--from-binary scratch', r);
    assert.ok(r.size < 16e6, `image is ${r.size} bytes: a scratch image of one binary is smaller`);
    const { name } = await runHealthy(`godeploy-it/gen-binary:${id}`, '3.1.4-it.bin');
    assert.equal(await processUid(name), 65532);
    const config = await imageConfig(`godeploy-it/gen-binary:${id}`);
    assert.equal(config.User, '65532:65532');
    assert.equal(config.Labels['org.opencontainers.image.version'], '3.1.4-it.bin');
  });
});
