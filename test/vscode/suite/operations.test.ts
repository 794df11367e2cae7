// The environments view's host actions Restart, Stop, Start and Run Command… against a
// `type: local` environment, with the real engine: deployapp deployed by Go Deploy: Deploy…,
// then the `local` host node of the view restarted (a new pid, healthy), a command run on it
// in a terminal (its output and exit code; the secret from SecretStorage hidden), stopped and
// started again.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ServiceActionResult } from '../../../src/core/index';
import type { GoDeployApi } from '../../../src/extension';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { RunCommandResult } from '../../../src/vscode/commands/operations';
import type { TreeNode } from '../../../src/vscode/views/treeNodes';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 180_000;
const SECRET_NAME = 'GODEPLOY_VSCODE_OPS_SECRET';

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

async function servedPid(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/info`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { pid: number }).pid;
}

describe('Go Deploy view: Restart, Stop, Start and Run Command… on a host', function () {
  this.timeout(OP_MS + 30_000);
  const secret = `ops-${Math.random().toString(36).slice(2, 10)}-secret`;
  let scratch = '';
  let base = '';
  let moduleDir = '';
  let port = 0;
  let host: Extract<TreeNode, { kind: 'host' }> | undefined;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    scratch = mkdtempSync(path.join(tmpdir(), 'godeploy-vscode-ops-'));
    base = path.join(scratch, 'base');
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'opsapp');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      `app:\n  name: deployapp\n  port: ${port}\n  healthCheck:\n    timeout: 5s\n    interval: 250ms\nenvironments:\n  here:\n    type: local\n    path: ${base}\n    env:\n      GREETING: \${secret:${SECRET_NAME}}\n`,
    );
    await vscode.commands.executeCommand('godeploy.setSecret', { name: SECRET_NAME, value: secret });
    const r = await withTimeout(
      'godeploy.deploy',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'here' }),
      OP_MS,
    );
    assert.equal(r?.ok, true, `deploy failed: ${JSON.stringify(r?.hosts)}`);
    // The host node as the view has it.
    const tree = vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports.environments;
    const configFile = path.join(moduleDir, 'godeploy.yaml');
    const top = await tree.getChildren();
    const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile) ?? top.find((n) => n.kind === 'environment' && n.configFile === configFile);
    assert.ok(mod, JSON.stringify(top));
    const envs = mod.kind === 'module' ? await tree.getChildren(mod) : [mod];
    const env = envs.find((n) => n.kind === 'environment' && n.name === 'here')!;
    host = (await tree.getChildren(env)).find((n) => n.kind === 'host') as Extract<TreeNode, { kind: 'host' }>;
    assert.equal(host?.alias, 'local');
    assert.equal(tree.getTreeItem(host).contextValue, 'host.local');
  });

  after(async () => {
    // Whatever the tests left running: stopped through the command itself.
    if (host) await vscode.commands.executeCommand('godeploy.stopHost', host, { confirmed: true });
    await vscode.commands.executeCommand('godeploy.deleteSecret', { name: SECRET_NAME });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it('Restart: the service runs with a new pid and passes its health gate', async () => {
    const before = await servedPid(port);
    const r = await withTimeout('godeploy.restartHost', vscode.commands.executeCommand<ServiceActionResult>('godeploy.restartHost', host), OP_MS);
    assert.equal(r.ok, true, JSON.stringify(r.hosts));
    assert.deepEqual(
      r.hosts.map((h) => [h.host, h.health?.healthy]),
      [['local', true]],
    );
    assert.notEqual(await servedPid(port), before);
  });

  it('Run Command…: the output in a terminal of its own, then the exit code; the secret is hidden', async () => {
    const before = vscode.window.terminals.length;
    const r = await withTimeout(
      'godeploy.runCommand',
      vscode.commands.executeCommand<RunCommandResult>('godeploy.runCommand', host, './deployapp printenv GREETING'),
      OP_MS,
    );
    assert.deepEqual(r.argv, ['./deployapp', 'printenv', 'GREETING']);
    assert.equal(r.result.exitCode, 0);
    const current = readlinkSync(path.join(base, 'current'));
    assert.deepEqual(r.lines, ['$ ./deployapp printenv GREETING', 'GREETING=***', `cwd=${path.join(base, current)}`, '[exit code 0] press any key to close']);
    assert.ok(
      vscode.window.terminals.some((t) => t.name === r.terminal),
      `no terminal ${r.terminal}`,
    );
    assert.ok(vscode.window.terminals.length > before);
    const failing = await withTimeout(
      'godeploy.runCommand',
      vscode.commands.executeCommand<RunCommandResult>('godeploy.runCommand', host, 'echo out; ./deployapp exit 3'),
      OP_MS,
    );
    assert.deepEqual(failing.argv.slice(0, 2), ['sh', '-c']);
    assert.equal(failing.result.exitCode, 3);
    assert.deepEqual(failing.lines.slice(1), ['out', 'deployapp: exiting with 3', '[exit code 3] press any key to close']);
    const envFile = readFileSync(path.join(base, 'shared', 'deployapp.env'), 'utf8');
    assert.ok(envFile.includes(secret), 'the service has the secret');
    assert.ok(!r.lines.join('\n').includes(secret));
  });

  it('Stop, then Start: not running, then running and healthy again', async () => {
    const stopped = await withTimeout(
      'godeploy.stopHost',
      vscode.commands.executeCommand<ServiceActionResult>('godeploy.stopHost', host, { confirmed: true }),
      OP_MS,
    );
    assert.equal(stopped.ok, true, JSON.stringify(stopped.hosts));
    assert.equal(stopped.hosts[0].after?.running, false);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    const started = await withTimeout('godeploy.startHost', vscode.commands.executeCommand<ServiceActionResult>('godeploy.startHost', host), OP_MS);
    assert.equal(started.ok, true, JSON.stringify(started.hosts));
    assert.equal(started.hosts[0].health?.healthy, true);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });
});
