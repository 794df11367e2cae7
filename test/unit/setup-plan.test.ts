// `godeploy setup`'s plan and scripts: the items an environment gets (user, folders, unit and
// its enabling, nginx site, logrotate, journald) with their commands, the --dry-run plan, and
// the scripts run for real with sh on this machine: each checks, makes, then says unchanged;
// a file's hostile content arrives byte for byte (every value a positional argument); the
// logrotate file passes the real `logrotate -d`.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deployEnvironmentOf, loadEnvironment } from '../../src/core/environment/load';
import { setupHosts } from '../../src/core/operations';
import { localRunner } from '../../src/core/remote/hostRunner';
import { FILE_SCRIPT, FOLDERS_SCRIPT, logrotateConfig, parseItemLine, setupChecks, setupInputs, setupItems } from '../../src/core/targets/hosts/setup';
import { fixtureModules } from '../support/paths';

const runner = localRunner({ timeoutMs: 30_000 });

describe('godeploy setup: the plan and its scripts', function () {
  this.timeout(60_000);
  let dir: string;
  const configFile = (): { file: string; exists: boolean } => ({ file: path.join(dir, 'godeploy.yaml'), exists: true });
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-setup-'));
    cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '    systemd:',
        '      user: shop',
        '      journal:',
        '        maxUse: 200M',
        '    nginx:',
        '      listen: 80',
        '  sup:',
        '    type: ssh',
        '    processManager: supervisor',
        '    path: /srv/deployapp',
        '    hosts:',
        '      - host: web1',
        '  plain:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    hosts:',
        '      - host: web1',
        '  bluegreen:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    strategy: blue-green',
        '    hosts: [{ host: web1 }]',
        '    nginx: { listen: 80 }',
        '  canary:',
        '    type: ssh',
        '    path: /srv/deployapp',
        '    strategy: canary',
        '    hosts: [{ host: web1 }]',
        '    nginx: { listen: 80 }',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const itemsOf = async (env: string) => {
    const d = deployEnvironmentOf(await loadEnvironment(configFile(), env, 'setup'), 'setup');
    return setupItems(await setupInputs(d, ['web1']), 'web1');
  };

  it('systemd with a user, nginx and journal: user, folders, unit, its enabling, the nginx site, journald (no logrotate: the journal keeps the logs)', async () => {
    const items = await itemsOf('prod');
    assert.deepEqual(
      items.map((i) => i.id),
      ['user', 'folders', 'service:deployapp.service', 'enabled:deployapp.service', 'nginx', 'journald'],
    );
    const unit = items.find((i) => i.id === 'service:deployapp.service')!;
    assert.deepEqual(unit.after, [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--quiet', 'deployapp.service'],
    ]);
    // The unit setup writes is the one the deploy renders: its content is an argument of the script.
    assert.match(unit.apply.join('\n'), /^User=shop$/m);
    assert.equal(unit.apply[0], 'sh');
    assert.equal(unit.apply[4], 'apply');
    assert.equal(unit.check[4], 'check');
    assert.deepEqual(items.find((i) => i.id === 'journald')!.after, [['systemctl', 'restart', 'systemd-journald']]);
    assert.match(items.find((i) => i.id === 'user')!.shown[0], /useradd --system --no-create-home --shell \/usr\/sbin\/nologin shop/);
  });

  it('supervisor: the program file and logrotate for its log files; no nginx without an nginx key; no systemd user without systemd.user', async () => {
    assert.deepEqual(
      (await itemsOf('sup')).map((i) => i.id),
      ['user', 'folders', 'service:supervisor program deployapp', 'logrotate'],
    );
    assert.deepEqual(
      (await itemsOf('plain')).map((i) => i.id),
      ['folders', 'service:deployapp.service', 'enabled:deployapp.service'],
    );
  });

  it('blue-green and canary: no nginx site (their deploy installs it with its upstream or canary include)', async () => {
    for (const env of ['bluegreen', 'canary']) {
      const ids = (await itemsOf(env)).map((i) => i.id);
      assert.ok(
        ids.some((id) => id.startsWith('service:')),
        `${env}: ${ids.join(', ')}`,
      );
      assert.ok(!ids.includes('nginx'), `${env}: ${ids.join(', ')}`);
    }
  });

  it('--dry-run: the plan per host names each item and its commands; nothing is connected to', async () => {
    let planText = '';
    const r = await setupHosts({ configFile: configFile(), environment: 'prod', dryRun: true, onPlan: (p) => (planText = p.text) });
    assert.equal(r.dryRun, true);
    assert.equal(r.hosts.length, 0);
    assert.equal(r.plan.text, planText);
    assert.match(planText, /^setup deployapp in prod on web1, web2 \(2 hosts\)/);
    assert.match(planText, /^web2:$/m);
    assert.match(planText, /nginx -t \(on failure the old site stays\)/);
    assert.equal(r.plan.steps.filter((s) => s.host === 'web1').length, 6);
  });

  it('doctor: a check per item, ok or a warning pointing at godeploy setup', async () => {
    const [check] = setupChecks((await itemsOf('prod')).slice(0, 1), 'prod');
    assert.deepEqual(check.interpret({ code: 0, stdout: 'missing no user shop\n', stderr: '' }, { startMs: 0, endMs: 0 }), {
      status: 'warn',
      detail: 'missing: no user shop',
      hint: 'run `godeploy setup prod`',
    });
    assert.deepEqual(check.interpret({ code: 0, stdout: 'ok user shop exists\n', stderr: '' }, { startMs: 0, endMs: 0 }), {
      status: 'ok',
      detail: 'user shop exists',
    });
  });

  describe('the scripts, run with sh', () => {
    let tmp: string;
    beforeEach(() => (tmp = mkdtempSync(path.join(tmpdir(), 'godeploy-setup-sh-'))));
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));
    const run = async (script: string, ...args: string[]) => {
      const r = await runner.exec(['sh', '-c', script, 'sh', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return parseItemLine(r.stdout);
    };

    it('a file: missing, installed, unchanged, updated; hostile content arrives byte for byte', async () => {
      const f = path.join(tmp, 'etc', 'x.conf');
      const content = 'a \'b\' "c" $(touch pwned) `x` $HOME\n\\n -n\n*\n\n';
      assert.equal((await run(FILE_SCRIPT, 'check', f, content, '644')).word, 'missing');
      assert.equal((await run(FILE_SCRIPT, 'apply', f, content, '644')).word, 'installed');
      assert.equal(readFileSync(f, 'utf8'), content);
      assert.equal(statSync(f).mode & 0o777, 0o644);
      assert.equal((await run(FILE_SCRIPT, 'apply', f, content, '644')).word, 'ok');
      assert.equal((await run(FILE_SCRIPT, 'check', f, `${content}more\n`, '644')).word, 'missing');
      assert.equal((await run(FILE_SCRIPT, 'apply', f, `${content}more\n`, '644')).word, 'updated');
    });

    it('the folders: the base claimed as a deploy claims it, shared folders with their owner and mode; then unchanged', async () => {
      const b = path.join(tmp, 'base');
      const me = (await runner.exec(['id', '-un'])).stdout.trim();
      const args = [b, 'deployapp', '.', '', '755', 'releases', '', '755', 'shared', '', '755', 'shared/uploads', me, '750'];
      assert.equal((await run(FOLDERS_SCRIPT, 'check', ...args)).word, 'missing');
      const made = await run(FOLDERS_SCRIPT, 'apply', ...args);
      assert.equal(made.word, 'created', made.detail);
      assert.equal(statSync(path.join(b, 'shared', 'uploads')).mode & 0o777, 0o750);
      assert.ok(statSync(path.join(b, '.godeploy', 'base.json')).isFile());
      assert.equal((await run(FOLDERS_SCRIPT, 'check', ...args)).word, 'ok');
      assert.equal((await run(FOLDERS_SCRIPT, 'apply', ...args)).word, 'ok');
    });

    it('logrotate: the file passes the real logrotate -d', async () => {
      const conf = path.join(tmp, 'deployapp');
      writeFileSync(path.join(tmp, 'a.log'), 'line\n');
      writeFileSync(conf, logrotateConfig('deployapp', tmp));
      const r = await runner.exec(['logrotate', '-d', '-f', '-s', path.join(tmp, 'state'), conf]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, new RegExp(`considering log ${tmp.replace(/[.]/g, '\\.')}/a\\.log`));
      assert.match(r.stdout + r.stderr, /\(14 rotations\)/);
      assert.match(r.stdout + r.stderr, /^truncating .*\/a\.log$/m, 'copytruncate: the file is copied, then truncated');
    });
  });
});
