// Go Deploy: Deploy…, Rollback…, Show Releases and Run Doctor against a `type: local`
// environment, with the real engine: the deployapp fixture (a stdlib Go HTTP service) is
// built, started as a detached process under a temp base folder and probed over HTTP.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { DoctorResult } from '../../../src/vscode/commands/doctor';
import type { ShowReleasesResult } from '../../../src/vscode/commands/releases';
import type { RollbackCommandResult } from '../../../src/vscode/commands/rollback';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot, localized } from '../../support/vscodeHelpers';

const OP_MS = 180_000;
const SECRET_NAME = 'GODEPLOY_VSCODE_TEST_GREETING';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

interface Info {
  build: string;
  exe: string;
  pid: number;
  env: Record<string, string>;
}

async function info(port: number, envName?: string): Promise<Info> {
  const res = await fetch(`http://127.0.0.1:${port}/info${envName ? `?env=${envName}` : ''}`);
  assert.equal(res.status, 200, `/info answered ${res.status}`);
  return (await res.json()) as Info;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops the service the deploys started: the pid in <base>/shared/deployapp.pid, if it runs one of our releases. */
async function stopService(base: string): Promise<void> {
  const pidFile = path.join(base, 'shared', 'deployapp.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return;
  }
  if (!exe.startsWith(path.join(base, 'releases'))) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
}

function config(port: number, base: string, extraEnv = ''): string {
  // `staging` first: the picker lists the environment used last first, whatever the file's order.
  return `app:
  name: deployapp
  port: ${port}
  healthCheck:
    timeout: 4s
    interval: 250ms
environments:
  staging:
    type: ssh
    hosts:
      - host: staging.invalid
  local:
    type: local
    path: ${base}
    keepReleases: 10
    env:
      GREETING: \${secret:${SECRET_NAME}}
${extraEnv}`;
}

describe('Go Deploy: Deploy / Rollback / Show Releases / Run Doctor on a local environment', function () {
  this.timeout(OP_MS + 30_000);
  const secret = `s3cr3t-${Math.random().toString(36).slice(2, 10)}-value`;
  let scratch = '';
  let base = '';
  let moduleDir = '';
  let configFile = '';
  let port = 0;
  let first: DeployCommandResult | undefined;
  let second: DeployCommandResult | undefined;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    scratch = mkdtempSync(path.join(tmpdir(), 'godeploy-vscode-deploy-'));
    base = path.join(scratch, 'base');
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'deployapp');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    configFile = path.join(moduleDir, 'godeploy.yaml');
    writeFileSync(configFile, config(port, base));
    // Stored the way a user would with Go Deploy: Set Secret… (here with its arguments).
    const stored = await vscode.commands.executeCommand<{ name: string }>('godeploy.setSecret', { name: SECRET_NAME, value: secret });
    assert.equal(stored?.name, SECRET_NAME);
  });

  after(async () => {
    await stopService(base).catch(() => undefined);
    await vscode.commands.executeCommand('godeploy.deleteSecret', { name: SECRET_NAME });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it('deploys with an explicit environment: the new release serves, current points at it, the secret reaches the service but not the log', async () => {
    first = await withTimeout(
      'godeploy.deploy',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'local' }),
      OP_MS,
    );
    assert.ok(first, 'the command returned no result (it failed: see the Go Deploy log)');
    assert.equal(first.ok, true, `deploy failed: ${JSON.stringify(first.hosts)}`);
    assert.equal(first.cancelled, false);
    assert.equal(first.environment, 'local');
    assert.deepEqual(
      first.hosts.map((h) => [h.host, h.result]),
      [['local', 'live']],
    );
    assert.equal(path.resolve(first.module), moduleDir);

    assert.equal(readlinkSync(path.join(base, 'current')), `releases/${first.releaseId}`);
    const served = await info(port, 'GREETING');
    assert.equal(served.exe, path.join(base, 'releases', first.releaseId, 'deployapp'), 'the new release does not serve');
    assert.equal(served.build, 'build-0');
    assert.equal(served.env.GREETING, secret, 'the secret from SecretStorage did not reach the service');

    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(log.text, /\[local\] health: healthy/, `the log shows no health step:\n${log.text.slice(-2000)}`);
    assert.match(log.text, new RegExp(`deploy ${first.releaseId} to local: done after \\d+\\.\\d s`));
    assert.match(log.text, /\d+\. point .*current at releases\//, 'the log shows no plan');
    assert.equal(log.text.includes(secret), false, 'the secret value is in the Go Deploy log');
    if (log.file) assert.equal(readFileSync(log.file, 'utf8').includes(secret), false, `the secret value is in ${log.file}`);
  });

  it('deploys again from the explorer (environment picked, the last one first), then Rollback goes back to the first release', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    writeFileSync(
      path.join(moduleDir, 'main.go'),
      readFileSync(path.join(moduleDir, 'main.go'), 'utf8').replace('const build = "build-0"', 'const build = "build-1"'),
    );
    await sleep(1100); // release ids are per second
    const releases = () => (existsSync(path.join(base, 'releases')) ? readdirSync(path.join(base, 'releases')).length : 0);
    const before = releases();
    // As the explorer calls it: with the go.mod's Uri. The environment picker opens with
    // `local` (used last) on top although `staging` comes first in godeploy.yaml; accept it.
    let settled = false;
    const running = vscode.commands
      .executeCommand<DeployCommandResult | undefined>('godeploy.deploy', vscode.Uri.file(path.join(moduleDir, 'go.mod')))
      .then((r) => {
        settled = true;
        return r;
      });
    const deadline = Date.now() + 30_000;
    while (!settled && releases() === before && Date.now() < deadline) {
      await sleep(500);
      if (!settled && releases() === before) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    second = await withTimeout('godeploy.deploy from the explorer', running, OP_MS);
    assert.ok(second, 'the second deploy returned no result');
    assert.equal(second.environment, 'local', 'the picker did not offer the last environment first');
    assert.equal(second.ok, true, `second deploy failed: ${JSON.stringify(second.hosts)}`);
    assert.notEqual(second.releaseId, first.releaseId);
    assert.equal(readlinkSync(path.join(base, 'current')), `releases/${second.releaseId}`);
    assert.equal((await info(port)).build, 'build-1');

    const back = await withTimeout(
      'godeploy.rollback',
      vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.rollback', { module: moduleDir, environment: 'local', to: 'previous' }),
      OP_MS,
    );
    assert.ok(back, 'rollback returned no result');
    assert.equal(back.ok, true, `rollback failed: ${JSON.stringify(back.hosts)}`);
    assert.deepEqual(back.targets, { local: first.releaseId });
    assert.equal(readlinkSync(path.join(base, 'current')), `releases/${first.releaseId}`);
    const served = await info(port, 'GREETING');
    assert.equal(served.exe, path.join(base, 'releases', first.releaseId, 'deployapp'));
    assert.equal(served.build, 'build-0');
    assert.equal(served.env.GREETING, secret, 'the first release lost its env file');
  });

  it('a deploy whose health check fails returns not ok, and the live release still answers', async () => {
    assert.ok(first?.ok && second?.ok, 'needs the earlier deploys');
    writeFileSync(configFile, config(port, base, '      DEPLOYAPP_FAIL_HEALTH: "1"\n'));
    await sleep(1100);
    const failed = await withTimeout(
      'godeploy.deploy (failing health)',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'local' }),
      OP_MS,
    );
    assert.ok(failed, 'the failing deploy returned no result');
    assert.equal(failed.ok, false);
    assert.equal(failed.cancelled, false);
    assert.equal(failed.hosts[0].result, 'rolled-back', JSON.stringify(failed.hosts));
    assert.match(failed.hosts[0].error ?? '', /healthz/);
    assert.equal(readlinkSync(path.join(base, 'current')), `releases/${first.releaseId}`);
    const served = await info(port);
    assert.equal(served.exe, path.join(base, 'releases', first.releaseId, 'deployapp'), 'the first release does not serve after the failed deploy');
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(log.text, /\[local\] health: FAIL/);
    assert.equal(log.text.includes(secret), false, 'the secret value is in the Go Deploy log');
  });

  it('with dryRun, returns the plan (no secret in it) and changes nothing', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const releasesBefore = readdirSync(path.join(base, 'releases')).sort();
    const planned = await withTimeout(
      'godeploy.deploy (dry run)',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'local', dryRun: true }),
      OP_MS,
    );
    assert.ok(planned?.dryRun, 'not a dry run');
    assert.equal(planned.ok, true);
    assert.deepEqual(planned.hosts, []);
    assert.match(planned.plan, new RegExp(`^local: release \\S+ into ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(process\\)`, 'm'));
    assert.equal(planned.plan.includes(secret), false, 'the secret is in the plan');
    assert.deepEqual(readdirSync(path.join(base, 'releases')).sort(), releasesBefore);
    assert.equal(readlinkSync(path.join(base, 'current')), `releases/${first.releaseId}`);
  });

  it('Show Releases lists the releases with the live one marked; Run Doctor checks this machine', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const listed = await withTimeout(
      'godeploy.showReleases',
      vscode.commands.executeCommand<ShowReleasesResult | undefined>('godeploy.showReleases', { module: moduleDir, environment: 'local' }),
      OP_MS,
    );
    assert.ok(listed);
    assert.equal(listed.base, base);
    const host = listed.hosts[0];
    assert.ok(host.ok, JSON.stringify(host));
    const ids = host.value.map((r) => r.id);
    assert.ok(ids.includes(first.releaseId) && ids.includes(second!.releaseId), ids.join(', '));
    assert.deepEqual(
      host.value.filter((r) => r.live).map((r) => r.id),
      [first.releaseId],
    );

    const doctor = await withTimeout(
      'godeploy.runDoctor',
      vscode.commands.executeCommand<DoctorResult | undefined>('godeploy.runDoctor', { module: moduleDir, environment: 'local' }),
      OP_MS,
    );
    assert.ok(doctor);
    assert.equal(doctor.hosts.length, 1);
    assert.deepEqual(
      doctor.hosts[0].checks.slice(0, 2).map((c) => [c.id, c.status]),
      [
        ['reachable', 'ok'],
        ['platform', 'ok'],
      ],
    );
    assert.equal(doctor.failures, 0, JSON.stringify(doctor.hosts[0].checks.filter((c) => c.status === 'fail')));
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(log.text, new RegExp(`\\* ${first.releaseId}.*\\(live\\)`));
    assert.match(log.text, /doctor local: 1 host, 0 failed/);
  });

  it('is contributed: palette titles, the explorer menu and the environments view', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command?: string; when?: string }[]> };
    };
    const title = (id: string) => localized(pkg.contributes.commands.find((c) => c.command === id)?.title);
    assert.equal(title('godeploy.deploy'), 'Deploy…');
    assert.equal(title('godeploy.rollback'), 'Rollback…');
    assert.equal(title('godeploy.showReleases'), 'Show Releases');
    assert.equal(title('godeploy.runDoctor'), 'Run Doctor');
    assert.ok(pkg.contributes.menus['godeploy.explorer'].some((m) => m.command === 'godeploy.deploy'));
    const tree = pkg.contributes.menus['view/item/context'].filter((m) => m.when?.includes('view == godeploy.environments')).map((m) => m.command);
    assert.ok(tree.includes('godeploy.deploy') && tree.includes('godeploy.rollback'), tree.join(', '));
  });
});
