// Processes in the environments view, with the real engine: the shop fixture (api with a port,
// worker without) deployed to a `type: local` environment by Go Deploy: Deploy…, then under
// the `local` host node a node per process with its state (running, its pid), Restart from
// the worker's node restarting only the worker (its pid changes, the api's does not), and Run
// Command… from the worker's node streaming its output (the worker's own env file) into a
// terminal named after the host and process, ending with the exit code.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

const OP_MS = 240_000;

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

type HostNode = Extract<TreeNode, { kind: 'host' }>;
type ProcessNode = Extract<TreeNode, { kind: 'process' }>;

describe('Go Deploy view: processes under a host (api + worker)', function () {
  this.timeout(OP_MS + 60_000);
  let scratch = '';
  let base = '';
  let moduleDir = '';
  let port = 0;
  let host: HostNode | undefined;
  const tree = () => vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports.environments;

  /** The pid of each executable of the release running now (api, worker), from /proc. */
  const pids = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const n of readdirSync('/proc')) {
      if (!/^\d+$/.test(n)) continue;
      try {
        const exe = readlinkSync(`/proc/${n}/exe`);
        if (exe.startsWith(`${base}/releases/`)) out[path.basename(exe)] = Number(n);
      } catch {
        /* gone, or not ours */
      }
    }
    return out;
  };
  const apiPid = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { pid: number }).pid;

  /** The host's process nodes once the view has the host's status (asked again first). */
  async function processNodes(): Promise<ProcessNode[]> {
    tree().refreshStatus();
    const deadline = Date.now() + 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const children = await tree().getChildren(host);
      const nodes = children.filter((n): n is ProcessNode => n.kind === 'process');
      if (nodes.length) return nodes;
      assert.ok(Date.now() < deadline, `no process nodes under the host: ${JSON.stringify(children)} (${String(tree().getTreeItem(host!).description)})`);
    }
  }

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    scratch = mkdtempSync(path.join(tmpdir(), 'godeploy-vscode-processes-'));
    base = path.join(scratch, 'base');
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'shopapp');
    cpSync(path.join(fixtureModules, 'shop'), moduleDir, { recursive: true });
    const config = {
      app: {
        name: 'shop',
        processes: {
          api: { main: './cmd/api', port, healthCheck: { path: '/healthz' } },
          worker: { main: './cmd/worker', args: ['--queue', 'mail'], env: { QUEUE: 'mail' }, healthCheck: { for: '2s' } },
        },
      },
      environments: { here: { type: 'local', path: base, healthCheck: { timeout: '15s', interval: '250ms' } } },
    };
    writeFileSync(path.join(moduleDir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
    const r = await withTimeout(
      'godeploy.deploy',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'here' }),
      OP_MS,
    );
    assert.equal(r?.ok, true, `deploy failed: ${JSON.stringify(r?.hosts)}`);
    const configFile = path.join(moduleDir, 'godeploy.yaml');
    const top = await tree().getChildren();
    const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile) ?? top.find((n) => n.kind === 'environment' && n.configFile === configFile);
    assert.ok(mod, JSON.stringify(top));
    const envs = mod.kind === 'module' ? await tree().getChildren(mod) : [mod];
    const env = envs.find((n) => n.kind === 'environment' && n.name === 'here')!;
    host = (await tree().getChildren(env)).find((n): n is HostNode => n.kind === 'host');
    assert.equal(host?.alias, 'local');
  });

  after(async () => {
    if (host) await vscode.commands.executeCommand('godeploy.stopHost', host, { confirmed: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it('a node per process under the host, each running with its pid, before the releases and the Logs leaf', async () => {
    const nodes = await processNodes();
    assert.deepEqual(
      nodes.map((n) => n.name),
      ['api', 'worker'],
    );
    const running = pids();
    for (const n of nodes) {
      const item = tree().getTreeItem(n);
      assert.equal(item.contextValue, 'process.local');
      assert.equal(item.label, n.name);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled', `${n.name}: ${String(item.description)}`);
      assert.match(String(item.description), new RegExp(`^running · pid ${running[n.name]}\\b`));
    }
    const children = await tree().getChildren(host);
    assert.deepEqual(children.slice(0, 2), nodes);
    assert.equal(children[children.length - 1].kind, 'logs');
  });

  it("Restart on the worker's node restarts the worker only: its pid changes, the api's does not", async () => {
    const [, worker] = await processNodes();
    const before = pids();
    const api = await apiPid();
    const r = await withTimeout('godeploy.restartHost', vscode.commands.executeCommand<ServiceActionResult>('godeploy.restartHost', worker), OP_MS);
    assert.equal(r.ok, true, JSON.stringify(r.hosts));
    assert.deepEqual(
      r.hosts.map((h) => [h.host, h.process, h.health?.healthy]),
      [['local', 'worker', true]],
    );
    const after = pids();
    assert.notEqual(after.worker, before.worker);
    assert.equal(after.api, before.api);
    assert.equal(await apiPid(), api);
    // The view shows the worker's new pid once it has asked again.
    const nodes = await processNodes();
    const deadline = Date.now() + 30_000;
    while (!String(tree().getTreeItem(nodes[1]).description).includes(`pid ${after.worker}`)) {
      assert.ok(Date.now() < deadline, String(tree().getTreeItem(nodes[1]).description));
      await new Promise((r2) => setTimeout(r2, 500));
      await processNodes();
    }
  });

  it("Run Command… on the worker's node: the output in a terminal named after it, with the worker's env file, then the exit code", async () => {
    const [, worker] = await processNodes();
    const r = await withTimeout(
      'godeploy.runCommand',
      vscode.commands.executeCommand<RunCommandResult>('godeploy.runCommand', worker, 'echo "queue=$QUEUE"; exit 4'),
      OP_MS,
    );
    assert.deepEqual(r.argv.slice(0, 2), ['sh', '-c']);
    assert.equal(r.terminal, 'Go Deploy: local/worker (here)');
    assert.ok(
      vscode.window.terminals.some((t) => t.name === r.terminal),
      `no terminal ${r.terminal}`,
    );
    assert.equal(r.result.exitCode, 4);
    assert.deepEqual(r.lines.slice(1), ['queue=mail', '[exit code 4] press any key to close']);
  });
});
