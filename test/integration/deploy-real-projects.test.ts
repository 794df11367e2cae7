// The first minute on real code, through the built CLI as a user runs it (a child process:
// dist/cli.js, or out/src/cli/main.js when dist/ is older than the sources): `godeploy init`
// then `godeploy deploy` with the godeploy.yaml init wrote.
// - go-httpbin (a snapshot of the real project, ../shared/go-corpus): init's app section is
//   deployed unedited, to this machine (type local) and to a real systemd host (systemd-nspawn
//   with a network of its own, over ssh) reached through the `staging` block init writes
//   commented out, uncommented as a user would. The health gate passes on the path init found,
//   the port reaches the process through its -port flag (/proc/PID/cmdline, the unit's
//   ExecStart) and the process itself listens on it.
// - flagport (test/fixtures/modules/flagport): takes its port exactly as traefik/whoami does
//   (a -port string flag defaulting to getEnv("X_PORT_NUMBER", "80"); it never reads PORT).
//   whoami itself is not deployed here: its dependencies (grpc, x/net, websocket) need a Go
//   module proxy, and these tests run offline. inspect reports the flag and the env var, init
//   writes portFlag -port, and a deploy on another port passes it by the flag: the process
//   listens on that port, not on 80.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { corpusTruth, unpackCorpus } from '../support/corpus';
import { fixtureModules, repoRoot } from '../support/paths';
import { goEnv } from './fixtures/go';
import { localArgv } from './fixtures/launchApp';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, killProcessesUnder, onExit, portAccepts, run, tempDir } from './fixtures/util';

/** The newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The built CLI: dist/cli.js when it is newer than every source file, else tsc's out/src/cli/main.js. */
const cliEntry = ((): string => {
  const dist = join(repoRoot, 'dist', 'cli.js');
  return existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(repoRoot, 'src')) ? dist : join(repoRoot, 'out', 'src', 'cli', 'main.js');
})();

interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** `godeploy ARGS…` in `cwd`, a child process with the user's environment plus `env`. */
function godeploy(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

interface AppSection {
  name: string;
  main: string;
  port: number;
  portFlag?: string;
  portEnv?: string;
  healthCheck?: { path?: string; type?: string };
}

const appOf = (dir: string): AppSection => (parseYaml(readFileSync(join(dir, 'godeploy.yaml'), 'utf8')) as { app: AppSection }).app;

/** The part of godeploy.yaml above `environments:` (app, build): what init wrote for the app. */
const appText = (dir: string): string => readFileSync(join(dir, 'godeploy.yaml'), 'utf8').split(/^environments:/m)[0];

/** Only `app.port`'s value changed, the rest of the line (init's comment) kept. */
function setAppPort(dir: string, port: number): void {
  const file = join(dir, 'godeploy.yaml');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^ {2}port: \d+/m);
  writeFileSync(file, text.replace(/^( {2}port: )\d+/m, `$1${port}`));
}

/**
 * The `staging` block init writes commented out, uncommented as a user does: its lines lose
 * their `# `, the example address becomes the host's, the user root, with the host's ssh port,
 * key and known_hosts file (copied next to godeploy.yaml, named relatively).
 */
function uncommentStaging(dir: string, host: SystemdHost): void {
  const file = join(dir, 'godeploy.yaml');
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.indexOf('  # staging:');
  assert.ok(start > 0, 'init wrote no commented staging environment');
  for (let i = start; i < lines.length && lines[i].startsWith('  #'); i++) lines[i] = lines[i].replace(/^ {2}# /, '  ');
  let text = lines.join('\n');
  assert.match(text, /^ {6}- host: 203\.0\.113\.10 /m);
  assert.match(text, /^ {8}user: deploy$/m);
  text = text
    .replace(/^( {6}- host: )203\.0\.113\.10 /m, `$1${host.host} `)
    .replace(/^ {8}user: deploy$/m, `        user: root\n        port: ${host.port}\n        identityFile: ${host.identityFile}`)
    .replace(/^ {2}staging:\n/m, '  staging:\n    knownHostsFile: known_hosts\n');
  copyFileSync(host.knownHostsFile, join(dir, 'known_hosts'));
  writeFileSync(file, text);
}

/** The pids listening on TCP `port` on this machine or, with `host`, on that host (ss -ltnp). */
async function listeners(port: number, host?: SystemdHost): Promise<number[]> {
  const cmd = `ss -ltnpH 'sport = :${port}'`;
  const r = host ? await host.exec(cmd) : await run('sh', ['-c', cmd]);
  assert.equal(r.code, 0, r.stderr);
  return [...new Set([...r.stdout.matchAll(/pid=(\d+),/g)].map((m) => Number(m[1])))];
}

/** GET http://HOST:PORT/PATH (no proxy, short timeout). */
async function get(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** A deploy that went through: exit 0, health gate passed, and the last line says done and live. */
function assertDeployed(r: CliResult): void {
  assert.equal(r.code, 0, `deploy failed:\n${r.out}${r.err}`);
  assert.match(r.out, /health: healthy after/, r.out);
  const last = r.out.trimEnd().split('\n').pop() ?? '';
  assert.match(last, /: done in \d+(\.\d+)? s; live on \S+/, r.out);
}

/** A systemd unit's ExecStart line (from the unit file) and its MainPID's argv. */
async function unitFacts(host: SystemdHost, unit: string): Promise<{ execStart: string; pid: number; argv: string[] }> {
  const r = await host.exec(
    `grep '^ExecStart=' /etc/systemd/system/${unit} && systemctl show --property=MainPID --value ${unit} && pid=$(systemctl show --property=MainPID --value ${unit}) && base64 -w0 /proc/$pid/cmdline`,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [execStart, pid, cmdline] = r.stdout.trim().split('\n');
  const text = Buffer.from(cmdline, 'base64').toString('utf8');
  return { execStart, pid: Number(pid), argv: (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0') };
}

describe('the first minute on real Go code: init, then deploy, through the built CLI', function () {
  this.timeout(1_200_000);
  const work = tempDir('real-projects');
  // The user's home for the CLI: `type: local` deploys into ~/.local/share/godeploy/NAME.
  const home = join(work.path, 'home');
  mkdirSync(home);
  const userEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => goEnv({ HOME: home, ...extra });
  const localBase = (name: string): string => join(home, '.local', 'share', 'godeploy', name);
  const killLocal = (): void => ['go-httpbin', 'flagport'].forEach((name) => killProcessesUnder(localBase(name)));
  const removeHook = onExit(killLocal);
  // One systemd host for both projects, booting while the local deploys run.
  let hostStarting: Promise<SystemdHost> | undefined;
  before(() => {
    hostStarting = startSystemdHost({ network: 'private' });
    hostStarting.catch(() => undefined);
  });
  const systemdHost = (): Promise<SystemdHost> => hostStarting ?? Promise.reject(new Error('the systemd host was not started'));
  after(async () => {
    killLocal();
    removeHook();
    await (await hostStarting?.catch(() => undefined))?.stop();
    work.remove();
  });

  describe('go-httpbin (../shared/go-corpus), with the godeploy.yaml init wrote', () => {
    const truth = corpusTruth()['go-httpbin'];
    const dir = join(work.path, 'go-httpbin');
    let written = '';

    before(async () => {
      // A copy: the unpacked snapshot is shared by the process and stays read-only.
      cpSync(await unpackCorpus('go-httpbin'), dir, { recursive: true });
    });

    it('init writes main ./cmd/go-httpbin, port 8080 by -port, and a health path the code answers 2xx on', async () => {
      const r = await godeploy(dir, ['init'], userEnv());
      assert.equal(r.code, 0, r.out + r.err);
      const app = appOf(dir);
      assert.equal(app.name, truth.name);
      assert.equal(app.main, truth.server);
      assert.equal(app.port, truth.port);
      assert.equal(app.portFlag, '-port');
      assert.equal(app.portEnv, undefined);
      const path = app.healthCheck?.path ?? '';
      assert.ok(truth.healthAccept.includes(path), `health path ${path} is not one that answers 2xx (${truth.healthAccept.join(', ')})`);
      assert.ok(!truth.notHealth.includes(path));
      written = appText(dir);
      const v = await godeploy(dir, ['validate'], userEnv());
      assert.equal(v.code, 0, v.out + v.err);
    });

    it('deploy dev (type local, as init wrote it): done and live; the process has -port=8080 in its argv, listens on it and answers the health path 2xx', async function () {
      assert.ok(written, 'init did not write its godeploy.yaml (the test before says why)');
      // init's app.port is 8080. Only when another program on this machine already holds 8080
      // is that one value changed, to a free port; nothing else in the file is touched.
      let port = truth.port ?? 0;
      if (await portAccepts(port)) {
        port = await freePort();
        setAppPort(dir, port);
      } else {
        assert.equal(appText(dir), written, "godeploy.yaml's app section is not as init wrote it");
      }
      const r = await godeploy(dir, ['deploy', 'dev'], userEnv());
      assertDeployed(r);
      const pid = Number(readFileSync(join(localBase('go-httpbin'), 'shared', 'go-httpbin.pid'), 'utf8'));
      assert.deepEqual(localArgv(pid), [join(localBase('go-httpbin'), 'current', 'go-httpbin'), `-port=${port}`]);
      assert.deepEqual(await listeners(port), [pid], `the deployed go-httpbin (pid ${pid}) is not what listens on ${port}`);
      const health = await get('127.0.0.1', port, appOf(dir).healthCheck?.path ?? '/');
      assert.ok(health.status >= 200 && health.status < 300, `${health.status} ${health.body}`);
      // It is go-httpbin that answers: /get echoes the request as JSON.
      const echo = await get('127.0.0.1', port, '/get?first=minute');
      assert.equal(echo.status, 200);
      assert.deepEqual((JSON.parse(echo.body) as { args: Record<string, string[]> }).args, { first: ['minute'] });
      // Stopped again: this machine's 8080 is left free for the next.
      killLocal();
    });

    it('deploy staging (the commented ssh block uncommented) to a real systemd host: health gate passed; ExecStart and the MainPID carry -port=8080; it answers through the host', async function () {
      assert.ok(written, 'init did not write its godeploy.yaml (the test before says why)');
      const h = await systemdHost();
      // Back to the app section init wrote (the local test may have moved the port), then the staging block.
      const environments = readFileSync(join(dir, 'godeploy.yaml'), 'utf8').split(/^(?=environments:)/m)[1];
      writeFileSync(join(dir, 'godeploy.yaml'), written + environments);
      assert.equal(appText(dir), written);
      uncommentStaging(dir, h);
      // The block's DATABASE_URL is a ${secret:…}: the CLI reads it from the environment.
      const r = await godeploy(dir, ['deploy', 'staging'], userEnv({ DATABASE_URL: 'postgres://db.internal/httpbin' }));
      assertDeployed(r);
      const unit = await unitFacts(h, 'go-httpbin.service');
      assert.match(unit.execStart, /^ExecStart=\S*\/opt\/go-httpbin\/current\/go-httpbin -port=8080$/);
      assert.deepEqual(unit.argv, ['/opt/go-httpbin/current/go-httpbin', '-port=8080']);
      assert.deepEqual(await listeners(8080, h), [unit.pid]);
      const health = await get(h.address, 8080, appOf(dir).healthCheck?.path ?? '/');
      assert.ok(health.status >= 200 && health.status < 300, `${health.status} ${health.body}`);
      assert.equal((await get(h.address, 8080, '/status/200')).status, 200);
      const envFile = await h.exec('cat /opt/go-httpbin/shared/go-httpbin.env');
      assert.match(envFile.stdout, /^DATABASE_URL=/m);
      const stop = await h.exec('systemctl stop go-httpbin.service && ! systemctl is-active go-httpbin.service');
      assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    });
  });

  describe('flagport (a whoami-style -port flag whose default comes from an env wrapper)', () => {
    const dir = join(work.path, 'flagport');
    let inited = false;
    before(() => {
      cpSync(join(fixtureModules, 'flagport'), dir, { recursive: true });
    });

    it('inspect --json reports the -port flag and X_PORT_NUMBER; init writes port 80 with portFlag -port and health /health', async () => {
      const r = await godeploy(dir, ['inspect', '--json'], userEnv());
      assert.equal(r.code, 0, r.out + r.err);
      const facts = JSON.parse(r.out) as {
        main: string;
        port: number;
        readsPortEnv: unknown;
        healthPath: string;
        mainPackages: { path: string; port: { port: number; settings: { kind: string; name: string }[] } | null }[];
      };
      assert.equal(facts.main, '.');
      assert.equal(facts.port, 80);
      assert.equal(facts.healthPath, '/health');
      const settings = facts.mainPackages.find((m) => m.path === '.')?.port?.settings ?? [];
      assert.deepEqual(
        settings.map((s) => `${s.kind} ${s.name}`),
        ['flag -port', 'env X_PORT_NUMBER'],
      );
      assert.ok(!settings.some((s) => s.name === 'PORT'), 'PORT is reported though the program never reads it');
      const init = await godeploy(dir, ['init'], userEnv());
      assert.equal(init.code, 0, init.out + init.err);
      const app = appOf(dir);
      assert.deepEqual([app.name, app.main, app.port, app.portFlag, app.portEnv, app.healthCheck?.path], ['flagport', '.', 80, '-port', undefined, '/health']);
      inited = true;
    });

    it('deploy dev on another port: argv is -port=N, the process listens on N (not 80) and answers there', async function () {
      assert.ok(inited, 'init did not write its godeploy.yaml (the test before says why)');
      // The user picks the port: app.port is the one value changed.
      const port = await freePort();
      setAppPort(dir, port);
      const r = await godeploy(dir, ['deploy', 'dev'], userEnv());
      assertDeployed(r);
      const pid = Number(readFileSync(join(localBase('flagport'), 'shared', 'flagport.pid'), 'utf8'));
      assert.deepEqual(localArgv(pid).slice(1), [`-port=${port}`]);
      assert.deepEqual(await listeners(port), [pid]);
      assert.ok(!(await listeners(80)).includes(pid), 'it listens on 80 as well');
      const me = JSON.parse((await get('127.0.0.1', port, '/')).body) as { pid: number; args: string[]; port: string };
      assert.deepEqual(me, { pid, args: [`-port=${port}`], port: String(port) });
      killLocal();
    });

    it('deploy staging to a real systemd host: ExecStart and the MainPID carry -port=N; it listens on N, not 80', async function () {
      assert.ok(inited, 'init did not write its godeploy.yaml (the test before says why)');
      const h = await systemdHost();
      const port = 8091;
      setAppPort(dir, port);
      uncommentStaging(dir, h);
      const r = await godeploy(dir, ['deploy', 'staging'], userEnv({ DATABASE_URL: 'postgres://db.internal/flagport' }));
      assertDeployed(r);
      const unit = await unitFacts(h, 'flagport.service');
      assert.match(unit.execStart, new RegExp(`^ExecStart=\\S*/opt/flagport/current/flagport -port=${port}$`));
      assert.deepEqual(unit.argv, ['/opt/flagport/current/flagport', `-port=${port}`]);
      assert.deepEqual(await listeners(port, h), [unit.pid]);
      assert.ok(!(await listeners(80, h)).includes(unit.pid), 'it listens on 80 as well');
      const me = JSON.parse((await get(h.address, port, '/')).body) as { pid: number; args: string[]; port: string };
      assert.deepEqual(me, { pid: unit.pid, args: [`-port=${port}`], port: String(port) });
      assert.equal((await h.exec('grep -c "^PORT=" /opt/flagport/shared/flagport.env')).stdout.trim(), '0', 'PORT is set though the port goes by flag');
    });
  });
});
