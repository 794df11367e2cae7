// The generated supervisor program in a real supervisord: the Go service runs as `nobody`
// from the release layout, gets its env file and plain values, and logs where configured.
import * as assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderFiles } from '../../src/core/generate/generate';
import type { GenerateModel } from '../../src/core/generate/model';
import { renderSupervisorProgram } from '../../src/core/generate/supervisor';
import { LISTEN_FLAG, TRICKY_ARGV, yamlArgs } from '../support/launchArgs';
import { modelFor } from '../support/models';
import { buildStatic } from './fixtures/go';
import { startSupervisord, SupervisordFixture } from './fixtures/supervisord';
import { freePort, httpGet, portAccepts, runOk, tempDir, waitFor } from './fixtures/util';

const SINGLE = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules', 'single');
const ARGV = resolve(SINGLE, '..', 'argv');

describe('generated supervisor program in a real supervisord', () => {
  const work = tempDir('gen-supervisor');
  let sup: SupervisordFixture | undefined;
  let nobody: { uid: number; gid: number };
  let port: number;
  const model: Record<string, GenerateModel> = {};
  const tricky = { QUOTED: `say "hi", 100% $HOME`, APOS: String.raw`it's a \ back;slash#hash, comma=1` };

  /** <base>/releases/r1/<name>, current -> releases/r1, and the env file (0600, owned by nobody unless `envFile` is null). */
  function layOut(m: GenerateModel, binary: string, envFile: string | null): void {
    const { base, envFile: envPath } = m.paths;
    mkdirSync(join(base, 'releases', 'r1'), { recursive: true });
    mkdirSync(join(base, 'shared'), { recursive: true });
    mkdirSync(m.supervisor.logDir, { recursive: true });
    copyFileSync(binary, join(base, 'releases', 'r1', m.app.name));
    chmodSync(join(base, 'releases', 'r1', m.app.name), 0o755);
    symlinkSync('releases/r1', join(base, 'current'));
    if (envFile !== null) {
      writeFileSync(envPath, envFile, { mode: 0o600 });
      chownSync(envPath, nobody.uid, nobody.gid);
    }
  }

  const yaml = (name: string, appPort: number, env: Record<string, string> = {}): string =>
    `app:\n  name: ${name}\n  port: ${appPort}\n  env:\n${
      Object.entries(env)
        .map(([k, v]) => `    ${k}: '${v.replace(/'/g, "''")}'\n`)
        .join('') || '    {}\n'
    }` +
    `environments:\n  it:\n    type: local\n    path: ${join(work.path, name)}\nsupervisor:\n  user: nobody\n  logDir: ${join(work.path, 'logs')}\n  stopTimeout: 3s\n`;

  const status = (name: string): Promise<string> => (sup as SupervisordFixture).ctl(['status', name]);
  const environOf = (pid: string): Record<string, string> =>
    Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => kv.split(/=(.*)/s).slice(0, 2)),
    );

  before(async () => {
    // mkdtemp makes the folder 0700: nobody must be able to reach the binary.
    chmodSync(work.path, 0o755);
    const id = async (flag: string): Promise<number> => Number((await runOk('id', [flag, 'nobody'])).stdout.trim());
    nobody = { uid: await id('-u'), gid: await id('-g') };
    const binary = (await buildStatic(SINGLE, join(work.path, 'hello-build'))).outFile;
    port = await freePort();
    model.hello = await modelFor('single', yaml('hello', port, { ...tricky, OVERRIDE: 'from environment=' }), { environment: 'it' });
    // Same port as hello: Go's own "address already in use" must land in clash's stderr log.
    model.clash = await modelFor('single', yaml('clash', port), { environment: 'it' });
    // No env file: the program must not start without it.
    model.noenv = await modelFor('single', yaml('noenv', await freePort()), { environment: 'it' });
    layOut(model.hello, binary, "GREETING='hello from the env file'\nOVERRIDE='the env file wins'\n");
    layOut(model.clash, binary, '');
    layOut(model.noenv, binary, null);
    // Arguments and a port flag: the argv fixture listens on the flag's address.
    // Its own port: freePort may hand out hello's again, which nothing listens on yet.
    let argvPort = await freePort();
    while (argvPort === port || argvPort === model.noenv.app.port) argvPort = await freePort();
    const argvYaml = yaml('argv', argvPort).replace('app:\n', () => `app:\n  portFlag: "${LISTEN_FLAG}"\n  args: ${yamlArgs(TRICKY_ARGV)}\n`);
    model.argv = await modelFor('argv', argvYaml, { environment: 'it' });
    layOut(model.argv, (await buildStatic(ARGV, join(work.path, 'argv-build'))).outFile, '');
    const programs = [
      renderSupervisorProgram(model.hello),
      renderSupervisorProgram(model.clash).replace('autostart=true', 'autostart=false'),
      renderSupervisorProgram(model.noenv),
      renderSupervisorProgram(model.argv),
    ];
    sup = await startSupervisord(programs.join('\n'));
  });
  after(async () => {
    await sup?.stop();
    work.remove();
  });

  it('runs the Go binary (exec, not a shell) as nobody and it answers on its health path', async () => {
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
      20_000,
      () => `nothing answered on ${port}`,
    );
    assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    let last = '';
    await waitFor(
      async () => /RUNNING/.test((last = await status('hello'))),
      20_000,
      () => `hello never became RUNNING: ${last}`,
    );
    assert.match(await status('hello'), /^hello\s+RUNNING\s+pid \d+, uptime /);
    const pid = (await (sup as SupervisordFixture).ctl(['pid', 'hello'])).trim();
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'hello', 'the shell must exec the binary');
    const procStatus = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(procStatus, new RegExp(`^Uid:\\s+${nobody.uid}\\s`, 'm'));
    assert.match(procStatus, /^Umask:\s+0077$/m);
  });

  it('the env file and the plain values reach the process exactly; the env file wins', async () => {
    const pid = (await (sup as SupervisordFixture).ctl(['pid', 'hello'])).trim();
    const env = environOf(pid);
    assert.equal(env.GREETING, 'hello from the env file');
    assert.equal(env.APOS, tricky.APOS);
    assert.equal(env.QUOTED, tricky.QUOTED);
    assert.equal(env.OVERRIDE, 'the env file wins');
    assert.equal(env.PORT, String(port));
  });

  it('arguments and a port flag reach the process exactly (/proc/PID/cmdline)', async () => {
    const port = model.argv.app.port;
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
      20_000,
      () => `argv did not answer on ${port}`,
    );
    const pid = (await (sup as SupervisordFixture).ctl(['pid', 'argv'])).trim();
    assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1), [
      model.argv.paths.binary,
      `--listen=127.0.0.1:${port}`,
      ...TRICKY_ARGV,
    ]);
    assert.equal(environOf(pid).PORT, undefined, 'the port goes only by flag');
  });

  it("writes the program's output to the configured log files", async () => {
    const logs = join(work.path, 'logs');
    for (const f of ['hello.out.log', 'hello.err.log', 'noenv.err.log']) assert.ok(existsSync(join(logs, f)), `${f} missing`);
    const start = await (sup as SupervisordFixture).ctl(['start', 'clash']);
    process.stderr.write(`      (supervisorctl start clash: ${start}; noenv.err.log: ${readFileSync(join(logs, 'noenv.err.log'), 'utf8').split('\n')[0]})\n`);
    assert.match(start, /^clash: ERROR \((spawn error|abnormal termination)\)$/, 'clash cannot bind a port in use');
    const clashLog = join(logs, 'clash.err.log');
    assert.match(readFileSync(clashLog, 'utf8'), /listen tcp :\d+: bind: address already in use/);
    // supervisord keeps retrying it (startretries): once hello stops it would take the port.
    await (sup as SupervisordFixture).ctl(['stop', 'clash']);
  });

  it('does not run without its env file, and says why in its stderr log', async () => {
    const noenvPort = model.noenv.app.port;
    const log = join(work.path, 'logs', 'noenv.err.log');
    await waitFor(
      async () => /cannot open|can't open/i.test(readFileSync(log, 'utf8')),
      20_000,
      () => `noenv.err.log: ${readFileSync(log, 'utf8')}`,
    );
    assert.ok(readFileSync(log, 'utf8').includes(model.noenv.paths.envFile), readFileSync(log, 'utf8'));
    assert.doesNotMatch(await status('noenv'), /RUNNING/);
    assert.equal(await portAccepts(noenvPort), false);
  });

  it('stops the program with TERM and nothing is left listening', async () => {
    assert.match(await (sup as SupervisordFixture).ctl(['stop', 'hello']), /hello: stopped/);
    assert.match(await status('hello'), /STOPPED/);
    assert.equal(await portAccepts(port), false);
  });
});

describe('generated supervisor programs of several processes (api + worker) in a real supervisord', () => {
  const SHOP = resolve(SINGLE, '..', 'shop');
  const work = tempDir('gen-supervisor-shop');
  let sup: SupervisordFixture | undefined;
  let port: number;
  let model: GenerateModel;

  before(async () => {
    chmodSync(work.path, 0o755);
    port = await freePort();
    const base = join(work.path, 'shop');
    const yaml =
      `app:\n  name: shop\n  env: { GREETING: hi }\n  processes:\n    api:\n      main: ./cmd/api\n      port: ${port}\n    worker:\n      main: ./cmd/worker\n      args: [--queue, emails]\n      env: { QUEUE: emails }\n` +
      `environments:\n  it:\n    type: local\n    path: ${base}\nsupervisor:\n  user: nobody\n  logDir: ${join(work.path, 'logs')}\n  stopTimeout: 3s\n`;
    model = await modelFor('shop', yaml, { environment: 'it' });
    // One release holding both executables, an env file per process.
    mkdirSync(join(base, 'releases', 'r1'), { recursive: true });
    mkdirSync(join(base, 'shared'), { recursive: true });
    mkdirSync(join(work.path, 'logs'), { recursive: true });
    for (const exe of ['api', 'worker']) {
      await buildStatic(join(SHOP, 'cmd', exe), join(base, 'releases', 'r1', exe));
      writeFileSync(join(base, 'shared', `shop-${exe}.env`), '', { mode: 0o600 });
      chownSync(join(base, 'shared', `shop-${exe}.env`), Number((await runOk('id', ['-u', 'nobody'])).stdout.trim()), 0);
    }
    symlinkSync('releases/r1', join(base, 'current'));
    const files = await renderFiles(['supervisor'], model, work.path);
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['deploy/supervisor/shop-api.conf', 'deploy/supervisor/shop-worker.conf'],
    );
    sup = await startSupervisord(files.map((f) => f.content).join('\n'));
  });
  after(async () => {
    await sup?.stop();
    work.remove();
  });

  it('runs each process as its own program: the api answers on its port, the worker runs its own executable with its args and no PORT', async () => {
    await waitFor(
      async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
      20_000,
      () => `the api did not answer on ${port}`,
    );
    let last = '';
    await waitFor(
      async () => /RUNNING/.test((last = await (sup as SupervisordFixture).ctl(['status', 'shop-worker']))),
      20_000,
      () => `shop-worker never became RUNNING: ${last}`,
    );
    const pid = (await (sup as SupervisordFixture).ctl(['pid', 'shop-worker'])).trim();
    assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1), [
      join(work.path, 'shop', 'current', 'worker'),
      '--queue',
      'emails',
    ]);
    const env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => kv.split(/=(.*)/s).slice(0, 2)),
    );
    assert.equal(env.PORT, undefined);
    assert.equal(env.QUEUE, 'emails');
    assert.equal(env.GREETING, 'hi');
    const apiPid = (await (sup as SupervisordFixture).ctl(['pid', 'shop-api'])).trim();
    assert.equal(readFileSync(`/proc/${apiPid}/comm`, 'utf8').trim(), 'api');
    await waitFor(
      async () =>
        existsSync(join(work.path, 'logs', 'shop-worker.out.log')) &&
        /worker started with/.test(readFileSync(join(work.path, 'logs', 'shop-worker.out.log'), 'utf8')),
      10_000,
      () => 'the worker wrote nothing to shop-worker.out.log',
    );
  });
});
