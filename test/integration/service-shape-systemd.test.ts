// The whole shape of issue 20 on one real systemd host that runs both processes (no roles),
// through the CLI as a user would: `setup` makes the service user, both units and the nginx
// site, so the first deploy installs nothing; the api (behind nginx) and the worker run their
// own executables; config/app.yaml ships and changes with each release; uploads in the
// shared folder survive three deploys, a failed one and a rollback; the migration hook (on:
// primary) runs once per deploy; a loopback webhook receives one payload per deploy, failure
// and rollback; exec returns the host's output and exit code; restart/stop/start --process
// act on the worker alone.
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { NotificationReport } from '../../src/core/index';
import { fixtureModules, repoRoot } from '../support/paths';
import { remoteOk } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');

describe('service shapes on a real systemd host: api + worker, setup, files, shared uploads, a migration on the primary, webhooks', function () {
  this.timeout(900_000);
  const work = tempDir('service-shape');
  const dir = join(work.path, 'shop');
  let host: SystemdHost;
  let server: Server;
  let hookPort = 0;
  const posts: NotificationReport[] = [];
  const migrations = '/var/tmp/shop-migrations.log';

  const godeploy = (args: string[]): Promise<RunResult> => run(process.execPath, [cli, '-C', dir, ...args], { timeoutMs: 300_000, env: goEnv() });
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const configure = (o: { workerFails?: boolean } = {}): void => {
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: shop',
        '  env:',
        `    MIGRATIONS_LOG: ${migrations}`,
        '  processes:',
        '    api: { main: ./cmd/api, port: 8080, args: [serve], healthCheck: { path: /healthz, timeout: 10s, interval: 250ms } }',
        `    worker: { main: ./cmd/worker, args: [--queue, mail], env: { QUEUE: mail${o.workerFails ? ', WORKER_FAIL: "1"' : ''} }, healthCheck: { for: 2s, timeout: 10s } }`,
        '  files: [config/app.yaml]',
        '  shared: [storage/uploads]',
        `notify: [{ url: "http://127.0.0.1:${hookPort}/hook" }]`,
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        `      - host: ${host.host}`,
        `        port: ${host.port}`,
        '        user: root',
        `        identityFile: ${host.identityFile}`,
        '    knownHostsFile: known_hosts',
        '    path: /opt/shop',
        '    systemd: { user: shop }',
        '    nginx: { listen: 80 }',
        '    hooks:',
        '      preDeploy:',
        '        - { run: ./api migrate, on: primary }',
        '',
      ].join('\n'),
    );
  };
  const setConfigText = (greeting: string): void => writeFileSync(join(dir, 'config', 'app.yaml'), `greeting: ${greeting}\n`);
  /** The api's answer through nginx on port 80. */
  const api = async (path = '/'): Promise<string> => {
    const res = await fetch(`http://${host.address}${path}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200, `GET ${path}`);
    return res.text();
  };
  const served = async (): Promise<{ args: string[]; config: string }> => JSON.parse(await api('/')) as { args: string[]; config: string };
  const migrationCount = async (): Promise<number> => Number(await remote(`[ -f ${migrations} ] && wc -l < ${migrations} || echo 0`));
  const take = (): NotificationReport[] => posts.splice(0);
  const mainPid = (unit: string): Promise<string> => remote(`systemctl show --property=MainPID --value ${unit}`);

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        posts.push(JSON.parse(text) as NotificationReport);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookPort = (server.address() as { port: number }).port;
    host = await startSystemdHost({ network: 'private' });
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
    writeFileSync(join(dir, 'known_hosts'), readFileSync(host.knownHostsFile, 'utf8'));
    configure();
  });
  after(async () => {
    await host?.stop();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    work.remove();
  });

  let first = '';
  let second = '';

  it('setup makes the service user, both units and the nginx site; the first deploy after it installs nothing and both processes run', async () => {
    const s = await godeploy(['setup', 'prod']);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /created\s+service user: system user shop/);
    assert.match(s.stdout, /installed\s+unit: \/etc\/systemd\/system\/shop-api\.service/);
    assert.match(s.stdout, /installed\s+unit: \/etc\/systemd\/system\/shop-worker\.service/);
    assert.match(s.stdout, /installed\s+nginx site: .*nginx -t ok/);

    setConfigText('one');
    const d = await godeploy(['deploy', 'prod']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.match(d.stdout + d.stderr, /\/etc\/systemd\/system\/shop-api\.service unchanged/);
    assert.match(d.stdout + d.stderr, /\/etc\/systemd\/system\/shop-worker\.service unchanged/);
    first = await remote('readlink /opt/shop/current');
    const answer = await served();
    assert.deepEqual([answer.args, answer.config], [['serve'], 'greeting: one\n']);
    for (const unit of ['shop-api.service', 'shop-worker.service']) {
      assert.equal(await remote(`systemctl is-active ${unit}`), 'active', unit);
      assert.equal(await remote(`ps -o user= -p "$(systemctl show --property=MainPID --value ${unit})"`), 'shop', unit);
    }
    assert.equal(await remote(`tr "\\0" " " < /proc/${await mainPid('shop-worker.service')}/cmdline`), '/opt/shop/current/worker --queue mail');
    assert.equal(await migrationCount(), 1);
    assert.deepEqual(
      take().map((p) => [p.event, p.result, p.release]),
      [['deploy', 'live', first.replace(/^releases\//, '')]],
    );
    assert.match(await api('/upload?name=a.txt&data=A'), /stored a\.txt/);
  });

  it('a changed config file ships with the next release; the upload stays; the migration ran once more', async () => {
    setConfigText('two');
    const d = await godeploy(['deploy', 'prod']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    second = await remote('readlink /opt/shop/current');
    assert.notEqual(second, first);
    assert.equal((await served()).config, 'greeting: two\n');
    assert.match(await api('/uploads'), /^a\.txt$/m);
    assert.equal(await migrationCount(), 2);
    assert.deepEqual(
      take().map((p) => [p.event, p.result]),
      [['deploy', 'live']],
    );
    assert.match(await api('/upload?name=b.txt&data=B'), /stored b\.txt/);
  });

  it('a release whose worker fails its gate takes both processes back; the webhook hears of the failure', async () => {
    setConfigText('three');
    configure({ workerFails: true });
    const d = await godeploy(['deploy', 'prod']);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    assert.equal(await remote('readlink /opt/shop/current'), second);
    assert.equal((await served()).config, 'greeting: two\n');
    assert.equal(await remote('systemctl is-active shop-worker.service'), 'active');
    assert.equal(await migrationCount(), 3, 'the migration runs before the switch, once');
    assert.deepEqual(
      take().map((p) => [p.event, p.result, p.ok]),
      [['deploy', 'rolled-back', false]],
    );
  });

  it('a third good release, then a rollback: the config goes back with the release, the uploads stay', async () => {
    configure();
    const d = await godeploy(['deploy', 'prod']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.equal((await served()).config, 'greeting: three\n');
    assert.equal(await migrationCount(), 4);
    const r = await godeploy(['rollback', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await remote('readlink /opt/shop/current'), second);
    assert.equal((await served()).config, 'greeting: two\n');
    assert.deepEqual((await api('/uploads')).trim().split('\n'), ['a.txt', 'b.txt']);
    assert.equal(await remote('stat -c %U /opt/shop/shared/storage/uploads/b.txt'), 'shop');
    assert.deepEqual(
      take().map((p) => [p.event, p.result]),
      [
        ['deploy', 'live'],
        ['rollback', 'live'],
      ],
    );
  });

  it("exec returns the host's output and exit code; restart, stop and start --process worker act on the worker alone", async () => {
    const e = await godeploy(['exec', 'prod', '--', 'sh', '-c', 'cat config/app.yaml; exit 3']);
    assert.equal(e.code, 3, e.stdout + e.stderr);
    assert.match(e.stdout, new RegExp(`^${host.host.replace(/\./g, '\\.')}\\s+\\| greeting: two$`, 'm'));

    const apiPid = await mainPid('shop-api.service');
    const workerPid = await mainPid('shop-worker.service');
    const r = await godeploy(['restart', 'prod', '--process', 'worker']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.notEqual(await mainPid('shop-worker.service'), workerPid);
    assert.equal(await mainPid('shop-api.service'), apiPid);

    const stop = await godeploy(['stop', 'prod', '--process', 'worker']);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.equal((await host.exec('systemctl is-active shop-worker.service')).stdout.trim(), 'inactive');
    assert.equal(await remote('systemctl is-active shop-api.service'), 'active');
    const start = await godeploy(['start', 'prod', '--process', 'worker']);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.equal(await remote('systemctl is-active shop-worker.service'), 'active');
  });
});
