// Hooks that run once per deploy (on: primary) and on the deploying machine (local: true),
// with the shop fixture's `api migrate` (one line appended to $MIGRATIONS_LOG per run; exit 3
// with MIGRATE_FAIL=1). On this machine (type local: the one host is the primary): the
// migration runs once per deploy in the new release, local hooks write files here with
// GODEPLOY_RELEASE, a failing migration stops the deploy before the switch (the live release
// still answers, the new one is gone, the lock is free), a failing local preDeploy hook stops
// it before any host is touched. Then on two real systemd hosts (network namespaces): the
// migration runs exactly once per deploy and only on the first host of the list; a failing
// one leaves both hosts on the live release, exit 1, its output shown with no secret in it.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentSources } from '../../src/core/config/references';
import type { DeployEvent } from '../../src/core/environment/types';
import { deploy } from '../../src/core/operations/index';
import { fixtureModules, repoRoot } from '../support/paths';
import { remoteOk } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, killProcessesUnder, onExit, run, type RunResult, tempDir } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const lines = (text: string): string[] => text.split('\n').filter(Boolean);

describe('hooks on: primary and local: true (real deploys)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-hooks');

  describe('type local: the one host is the primary', () => {
    const dir = join(work.path, 'local', 'shop');
    const base = join(work.path, 'local', 'base');
    const log = join(work.path, 'local', 'migrations.log');
    let port = 0;
    const killAll = (): void => killProcessesUnder(base);
    const removeHook = onExit(killAll);
    after(() => {
      killAll();
      removeHook();
    });

    const configure = (greeting: string, o: { migrateFails?: boolean; localFails?: boolean } = {}): void => {
      const config = {
        app: { name: 'shop', main: './cmd/api', port, healthCheck: { path: '/healthz' }, env: { GREETING: greeting, MIGRATIONS_LOG: log } },
        environments: {
          dev: {
            type: 'local',
            path: base,
            healthCheck: { timeout: '15s', interval: '200ms' },
            ...(o.migrateFails ? { env: { MIGRATE_FAIL: '1' } } : {}),
            hooks: {
              preDeploy: [
                { run: './shop migrate', on: 'primary' },
                { run: 'echo "$GODEPLOY_RELEASE" > local-pre.txt', local: true },
                ...(o.localFails ? [{ run: 'echo stopping here; exit 4', local: true }] : []),
              ],
              postDeploy: [{ run: 'echo "$GODEPLOY_ENVIRONMENT $GODEPLOY_RELEASE $GODEPLOY_VERSION" >> local-post.txt', local: true }],
            },
          },
        },
      };
      writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    };
    const events: DeployEvent[] = [];
    const req = () => ({
      configFile: { file: join(dir, 'godeploy.yaml'), exists: true },
      environment: 'dev',
      sources: environmentSources(goEnv()),
      buildEnv: goEnv(),
      emit: (e: DeployEvent) => events.push(e),
    });
    const greeting = async (): Promise<string> => {
      const r = await httpGet(port, '/');
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { greeting: string }).greeting;
    };

    before(async () => {
      cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
      port = await freePort();
    });

    const ids: string[] = [];
    it('runs the migration once per deploy in the new release; local hooks run here with GODEPLOY_RELEASE', async () => {
      for (const g of ['one', 'two']) {
        configure(g);
        events.length = 0;
        const r = await deploy(req());
        assert.ok(r.ok, JSON.stringify(r.hosts, null, 2));
        ids.push(r.releaseId);
        assert.equal(await greeting(), g);
        assert.equal(readFileSync(join(dir, 'local-pre.txt'), 'utf8'), `${r.releaseId}\n`);
        assert.deepEqual(
          events.filter((e) => e.step === 'pre-deploy-primary' && e.state !== 'start').map((e) => [e.host, e.state, e.message]),
          [
            ['local', 'info', 'migrated'],
            ['local', 'done', 'hooks.preDeploy on: primary'],
          ],
        );
        // The local preDeploy hook ran before the build started.
        const at = (p: (e: DeployEvent) => boolean): number => events.findIndex(p);
        assert.ok(at((e) => e.host === '*' && e.step === 'pre-deploy' && e.state === 'done') < at((e) => e.step === 'build'));
      }
      const migrations = lines(readFileSync(log, 'utf8'));
      assert.equal(migrations.length, 2, migrations.join('\n'));
      ids.forEach((id, i) => assert.match(migrations[i], new RegExp(`^migrated in ${base}/releases/${id.replace(/[.+]/g, '\\$&')} at `)));
      const version = ids[1].replace(/^[^-]+-/, '');
      assert.deepEqual(lines(readFileSync(join(dir, 'local-post.txt'), 'utf8')), [
        `dev ${ids[0]} ${ids[0].replace(/^[^-]+-/, '')}`,
        `dev ${ids[1]} ${version}`,
      ]);
    });

    it('a failing migration stops the deploy before the switch: the live release answers, the new one is gone, the lock is free', async () => {
      configure('three', { migrateFails: true });
      events.length = 0;
      const r = await deploy(req());
      assert.equal(r.ok, false);
      assert.match(
        r.hosts[0].error ?? '',
        /hooks\.preDeploy\[0\] \(\.\/shop migrate\) on: primary failed with exit 3; the new release is removed from every host and nothing was switched/,
      );
      assert.ok(events.some((e) => e.step === 'pre-deploy-primary' && e.state === 'info' && e.message.includes('migration failed on purpose')));
      assert.ok(!events.some((e) => e.step === 'switch'), 'nothing switched');
      assert.equal(readlinkSync(join(base, 'current')), `releases/${ids[1]}`);
      assert.equal(await greeting(), 'two');
      assert.equal(existsSync(join(base, 'releases', r.releaseId)), false);
      assert.equal(existsSync(join(base, '.godeploy', 'lock')), false);
      assert.equal(lines(readFileSync(log, 'utf8')).length, 2);
      // The postDeploy local hook did not run.
      assert.equal(lines(readFileSync(join(dir, 'local-post.txt'), 'utf8')).length, 2);
    });

    it('a failing local preDeploy hook stops the deploy before any host is touched', async () => {
      configure('four', { localFails: true });
      const before = readdirSync(join(base, 'releases')).sort();
      events.length = 0;
      await assert.rejects(deploy(req()), /hooks\.preDeploy\[2\] \(local: echo stopping here; exit 4\) failed on this machine with exit 4/);
      assert.ok(events.some((e) => e.host === '*' && e.step === 'pre-deploy' && e.message === 'stopping here'));
      assert.ok(!events.some((e) => e.step === 'build' || e.step === 'lock' || e.step === 'connect'), events.map((e) => e.step).join(' '));
      assert.deepEqual(readdirSync(join(base, 'releases')).sort(), before);
      assert.equal(lines(readFileSync(log, 'utf8')).length, 2);
      assert.equal(await greeting(), 'two');
    });
  });

  describe('two systemd hosts: the migration runs on the first one only, once per deploy', () => {
    const dir = join(work.path, 'ssh');
    const CANARY = 'hook-canary-Zq81x';
    let a: SystemdHost;
    let b: SystemdHost;
    let port = 0;
    const godeploy = (args: string[]): Promise<RunResult> =>
      run(process.execPath, [cli, '-C', dir, ...args], { timeoutMs: 300_000, env: { ...goEnv(), HOOK_TOKEN: CANARY } });
    const count = async (h: SystemdHost, file: string): Promise<number> => Number(await remoteOk(h, `cat ${file} 2>/dev/null | wc -l`));

    before(async () => {
      [a, b] = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
      port = await freePort();
      cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
      writeFileSync(join(dir, 'known_hosts'), [a, b].map((h) => readFileSync(h.knownHostsFile, 'utf8')).join(''));
      const env = (migrateFails: boolean) => ({
        type: 'ssh',
        path: '/opt/shop',
        knownHostsFile: 'known_hosts',
        hosts: [a, b].map((h) => ({ host: h.host, port: h.port, user: 'root', identityFile: h.identityFile })),
        env: { MIGRATIONS_LOG: '/var/tmp/migrations.log', HOOK_TOKEN: '${secret:HOOK_TOKEN}', ...(migrateFails ? { MIGRATE_FAIL: '1' } : {}) },
        hooks: {
          preDeploy: [{ run: 'echo "token $HOOK_TOKEN"; ./shop migrate', on: 'primary' }],
          postDeploy: [{ run: 'echo "$HOOK_TOKEN" >> /var/tmp/post.log', on: 'primary' }],
        },
      });
      const config = {
        app: { name: 'shop', main: './cmd/api', port, healthCheck: { path: '/healthz', timeout: '10s', interval: '250ms' } },
        environments: { pair: env(false), 'pair-fails': env(true) },
      };
      writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    let live = '';
    it('two deploys: two migrations on the first host, none on the second; output without the secret', async () => {
      for (const args of [
        ['deploy', 'pair'],
        ['deploy', 'pair', '--force'],
      ]) {
        const r = await godeploy(args);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(!(r.stdout + r.stderr).includes(CANARY), 'the secret is not shown');
        const ea = a.host.replace(/\./g, '\\.');
        // The hook's output, redacted: the secret it echoes is ***.
        assert.match(r.stdout, new RegExp(`^\\[${ea}\\] pre-deploy-primary: token \\*\\*\\*\n\\[${ea}\\] {3}migrated$`, 'm'));
        assert.doesNotMatch(r.stdout, new RegExp(`^\\[${b.host.replace(/\./g, '\\.')}\\] pre-deploy-primary`, 'm'));
        live = await remoteOk(a, 'readlink /opt/shop/current');
        assert.equal(await remoteOk(b, 'readlink /opt/shop/current'), live);
      }
      assert.equal(await count(a, '/var/tmp/migrations.log'), 2);
      assert.equal(await count(b, '/var/tmp/migrations.log'), 0);
      assert.equal(await count(a, '/var/tmp/post.log'), 2);
      assert.equal(await count(b, '/var/tmp/post.log'), 0);
      // The hook ran in the release folder with its env file (the secret resolved there).
      assert.match(await remoteOk(a, 'tail -n 1 /var/tmp/migrations.log'), new RegExp(`^migrated in /opt/shop/${live.replace(/[.+]/g, '\\$&')} at `));
      assert.equal(await remoteOk(a, 'tail -n 1 /var/tmp/post.log'), CANARY);
    });

    it('a failing migration: exit 1 before any switch, both hosts still serve the live release, locks free, no new release left', async () => {
      const r = await godeploy(['deploy', 'pair-fails']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const out = r.stdout + r.stderr;
      assert.ok(!out.includes(CANARY), 'the secret is not shown');
      assert.match(out, /migration failed on purpose \(MIGRATE_FAIL=1\)/);
      assert.match(out, /hooks\.preDeploy\[0\] \(echo "token \$HOOK_TOKEN"; \.\/shop migrate\) on: primary failed with exit 3/);
      assert.doesNotMatch(out, /\] switch:/);
      for (const h of [a, b]) {
        assert.equal(await remoteOk(h, 'readlink /opt/shop/current'), live);
        assert.equal(await remoteOk(h, `curl -fsS http://127.0.0.1:${port}/healthz`), 'ok');
        assert.equal(await remoteOk(h, 'test -e /opt/shop/.godeploy/lock && echo held || echo free'), 'free');
        assert.equal(await remoteOk(h, 'ls /opt/shop/releases | wc -l'), '2');
      }
      assert.equal(await count(a, '/var/tmp/migrations.log'), 2);
      assert.equal(await count(b, '/var/tmp/migrations.log'), 0);
    });
  });
});
