// app.files and app.shared on a real systemd host (systemd-nspawn, OpenSSH on loopback) with
// a service user (systemd.user): the config file ships with the release, the shared uploads
// folder is owned by that user and writable by the unit's User= (the unit lists it in
// ReadWritePaths=, everything else stays read-only under ProtectSystem=strict), and it
// survives a redeploy and a rollback.
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules, repoRoot } from '../support/paths';
import { remoteOk } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const BASE = '/opt/shop';

describe('app.files and app.shared on a real systemd host with a service user', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-files-systemd');
  let host: SystemdHost;
  let port = 0;
  const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv({}) });
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const deployOk = async (what: string, flags: string[] = []): Promise<string> => {
    const r = await godeploy(['deploy', 'prod', ...flags]);
    assert.equal(r.code, 0, `${what}: ${r.stdout}\n${r.stderr}`);
    const id = /live on (\S+)/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    return id;
  };
  const get = async (p: string): Promise<string> => {
    const r = await httpGet(port, p);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    return r.body;
  };
  const config = async (): Promise<string> => (JSON.parse(await get('/')) as { config: string }).config;

  before(async () => {
    host = await startSystemdHost();
    port = await freePort();
    cpSync(join(fixtureModules, 'shop'), work.path, { recursive: true });
    writeFileSync(join(work.path, 'known_hosts'), readFileSync(host.knownHostsFile, 'utf8'));
    // The service user, as `godeploy setup` (or an operator) makes it: a system user without a login shell.
    await remote('useradd -r -s /usr/sbin/nologin shop');
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: shop',
        '  main: ./cmd/api',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '  files:',
        '    - config/app.yaml',
        '  shared:',
        '    - storage/uploads',
        'systemd:',
        '  user: shop',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
        '    knownHostsFile: known_hosts',
        `    path: ${BASE}`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  const ids: string[] = [];

  it('first deploy: the release holds config/app.yaml, the unit runs as shop and writes uploads into the shared folder it owns', async () => {
    writeFileSync(join(work.path, 'config', 'app.yaml'), 'greeting: one\n');
    ids.push(await deployOk('first deploy'));
    assert.equal(await config(), 'greeting: one\n');
    assert.match(await remote('systemctl cat shop.service'), new RegExp(`^ReadWritePaths=-${BASE}/shared/storage/uploads$`, 'm'));
    assert.equal(await remote('systemctl show -p User --value shop.service'), 'shop');
    assert.equal(await remote(`stat -c %U ${BASE}/shared/storage/uploads`), 'shop');
    assert.equal(await remote(`readlink ${BASE}/releases/${ids[0]}/storage/uploads`), '../../../shared/storage/uploads');
    await get('/upload?name=first&data=1');
    assert.equal(await remote(`stat -c %U ${BASE}/shared/storage/uploads/first`), 'shop');
  });

  it('a changed config file ships with the next release; the upload is still there', async () => {
    writeFileSync(join(work.path, 'config', 'app.yaml'), 'greeting: two\n');
    ids.push(await deployOk('second deploy'));
    assert.equal(await config(), 'greeting: two\n');
    assert.equal((await get('/uploads')).trim(), 'first');
    await get('/upload?name=second&data=2');
  });

  it('rollback: the first release’s config file again, and both uploads kept', async () => {
    const r = await godeploy(['rollback', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await config(), 'greeting: one\n');
    assert.deepEqual((await get('/uploads')).trim().split('\n').sort(), ['first', 'second']);
  });
});
