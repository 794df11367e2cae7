// `godeploy deploy` with processManager supervisor: a real supervisord (its own config,
// socket and conf.d) on this machine, reached as an ssh host through a real OpenSSH server
// on loopback. The program file is installed and loaded with reread/update, the release
// starts under supervisord with its env file, a failing release is switched back.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fixtureModules, repoRoot } from '../support/paths';
import { setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { startSupervisorHost, type SupervisorHost } from './fixtures/supervisord';
import { freePort, httpGet, run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const ODD = 'a "quoted" \'single\' $(date) `id` \\ value\nsecond line';

describe('deploy with supervisor (real supervisord, reached over a real sshd)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-supervisor');
  let sshd: SshdFixture;
  let sup: SupervisorHost;
  let port: number;
  // A base path with spaces, quotes, $(…) and backticks reaches supervisor intact.
  const base = join(work.path, 'srv', `it's "my" app $(id) \`id\``);

  const godeploy = (args: string[]): Promise<RunResult> =>
    run(process.execPath, [cli, '-C', join(work.path, 'app'), ...args], { timeoutMs: 300_000, env: goEnv() });
  const info = async (): Promise<{ build: string; exe: string; env: Record<string, string> }> => JSON.parse((await httpGet(port, '/info?env=ODD')).body);
  const writeConfig = (env: string[] = []): void =>
    writeFileSync(
      join(work.path, 'app', 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 5s',
        '    interval: 250ms',
        '  env:',
        `    ODD: ${JSON.stringify(ODD)}`,
        'environments:',
        '  sup:',
        '    type: ssh',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${sshd.port}\n        user: ${sshd.user}\n        identityFile: ${sshd.identityFile}`,
        `    knownHostsFile: ${sshd.knownHostsFile}`,
        '    processManager: supervisor',
        `    path: ${JSON.stringify(base)}`,
        '    supervisor:',
        `      configFile: ${sup.configFile}`,
        '      user: root',
        '      stopTimeout: 5s',
        ...(env.length ? ['    env:', ...env.map((l) => `      ${l}`)] : []),
        '',
      ].join('\n'),
    );
  const setBuild = (b: string): void => setDeployappBuild(join(work.path, 'app'), b);

  before(async () => {
    [sshd, sup] = await Promise.all([startSshd(), startSupervisorHost()]);
    assert.equal(join(dirname(sup.configFile), 'conf.d'), sup.confDir, 'the fixture keeps programs in conf.d next to supervisord.conf');
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), join(work.path, 'app'), { recursive: true });
    writeConfig();
  });
  after(async () => {
    const left = await sup?.stop();
    await sshd?.stop();
    work.remove();
    assert.deepEqual(left ?? [], [], 'supervisord left processes behind');
  });

  it('first deploy: the program is installed and RUNNING from current, with its env file (odd value intact, 0600, owned by the program user)', async () => {
    const r = await godeploy(['deploy', 'sup']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`service: ${sup.confDir.replace(/[.]/g, '\\.')}/deployapp\\.conf installed`));
    assert.match(await sup.ctl(['status', 'deployapp']), /^deployapp\s+RUNNING\s+pid \d+/);
    const id = /live on (\S+)/.exec(r.stdout)![1];
    assert.equal(readlinkSync(join(base, 'current')), `releases/${id}`);
    const i = await info();
    assert.equal(i.build, 'build-0');
    assert.equal(i.env.ODD, ODD);
    assert.equal(i.exe, join(base, 'releases', id, 'deployapp'));
    const st = statSync(join(base, 'shared', 'deployapp.env'));
    assert.equal((st.mode & 0o777).toString(8), '600');
    assert.equal(st.uid, 0);
    assert.ok(existsSync(join(base, 'shared', 'logs', 'deployapp.err.log')), "supervisor writes the program's log under shared/logs");
  });

  it('a changed build replaces the running program; status reads supervisorctl', async () => {
    setBuild('build-1');
    const r = await godeploy(['deploy', 'sup']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /deployapp\.conf unchanged/);
    assert.equal((await info()).build, 'build-1');
    const s = await godeploy(['status', 'sup', '--json']);
    assert.equal(s.code, 0, s.stdout);
    const h = (JSON.parse(s.stdout) as { hosts: { service: { state: string; running: boolean; uptimeSeconds: number | null } }[] }).hosts[0];
    assert.equal(h.service.state, 'running');
    assert.equal(typeof h.service.uptimeSeconds, 'number');
  });

  it('a release failing its health gate is switched back: exit 1, its supervisor log lines shown, build-1 serves again', async () => {
    setBuild('build-2');
    writeConfig(['DEPLOYAPP_FAIL_HEALTH: "1"']);
    const r = await godeploy(['deploy', 'sup']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /==> .*deployapp\.err\.log <==/);
    assert.match(r.stdout, /build-2: failing the health check on purpose/);
    assert.equal((await info()).build, 'build-1');
    assert.match(await sup.ctl(['status', 'deployapp']), /RUNNING/);
    writeConfig();
  });

  it('rollback switches supervisor back to the previous release', async () => {
    const r = await godeploy(['rollback', 'sup']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await info()).build, 'build-0');
  });
});
