// A canary rollout in the editor, on a real systemd host with nginx in front of two systemd
// instances (test/integration/fixtures/systemdHost.ts, in a network namespace of its own):
// the CLI (the .vsix's own dist/cli.js) deploys a first release, then a second one with
// strategy canary and long pauses, which sits at step 1 (25%) while a steady load runs
// through nginx. The dashboard shows the rollout's step, weight and per-version figures
// (what its page reports rendering), the status bar shows `canary 25%`, the Environments
// view marks the canary release under its host; the page's Abort button (clicked through
// the page, the modal answered) aborts it: the deploy exits 1 and the live release answers
// every request again, none failed. Then Maintenance On… and Off from the editor: 503 with
// the message (the health path 200), then 200.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployApi } from '../../../src/extension';
import type { MaintenanceResult } from '../../../src/core/environment/operations';
import type { TreeNode } from '../../../src/vscode/views/treeNodes';
import type { DashboardSnapshot } from '../../../src/vscode/webview/dashboardPanel';
import { CanaryLoad, getOnce } from '../../integration/fixtures/canaryLoad';
import { copyDeployapp, setDeployappBuild } from '../../integration/fixtures/deployApp';
import { goEnv } from '../../integration/fixtures/go';
import { startSystemdHost, type SystemdHost } from '../../integration/fixtures/systemdHost';
import { EXTENSION_ID, waitFor, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 240_000;
const ENV = 'canary';

type WarningBox = (message: string, ...rest: unknown[]) => Thenable<unknown>;

describe('Go Deploy: a canary rollout in the dashboard, the status bar and the view (a real systemd host with nginx)', function () {
  this.timeout(OP_MS + 120_000);
  let host: SystemdHost | undefined;
  let moduleDir = '';
  let configFile = '';
  let firstBuild = '';
  let load: CanaryLoad | undefined;
  let deploy: { out: () => string; done: Promise<number> } | undefined;
  const args = () => ({ module: moduleDir, environment: ENV });
  const api = (): GoDeployApi => vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports;

  /** The installed extension's CLI, as a process of its own (the editor's Node.js runs it). */
  const cli = (cliArgs: string[]): { out: () => string; done: Promise<number> } => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    let out = '';
    const child = spawn(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), '-C', moduleDir, ...cliArgs], {
      env: { ...goEnv(), ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { out: () => out, done: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))) };
  };
  const serving = async (): Promise<string | null> => (await getOnce(host!.address, 80, '/', false)).build;
  const writeConfig = (): void =>
    writeFileSync(
      configFile,
      [
        'app:',
        '  name: deployapp',
        '  port: 8080',
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 5s',
        '    interval: 200ms',
        'environments:',
        `  ${ENV}:`,
        '    type: ssh',
        '    hosts:',
        `      - host: ${host!.host}\n        port: ${host!.port}\n        user: root\n        identityFile: ${host!.identityFile}`,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    strategy: canary',
        '    blueGreen:',
        '      ports: [8081, 8082]',
        '    nginx:',
        '      listen: 80',
        '    rollout:',
        '      canary:',
        // Long pauses: the rollout sits at step 1 (25%) until the dashboard's Abort.
        '        steps: [{weight: 25, pause: 15m}, {weight: 50, pause: 15m}, {weight: 100}]',
        '        analysis: {window: 3s, maxErrorRate: 1%, minRequests: 20}',
        '        sticky: none',
        '',
      ].join('\n'),
    );

  before(async function () {
    this.timeout(420_000);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    host = await startSystemdHost({ network: 'private' });
    moduleDir = path.join(workspaceRoot().fsPath, 'deployapp-canary');
    configFile = path.join(moduleDir, 'godeploy.yaml');
    copyDeployapp(moduleDir, [host]);
    writeConfig();
    // The first release (nothing live: no steps), from the CLI.
    firstBuild = 'canary-first';
    setDeployappBuild(moduleDir, firstBuild);
    const first = cli(['deploy', ENV]);
    assert.equal(await withTimeout('the first deploy (CLI)', first.done, OP_MS), 0, first.out());
    assert.equal(await serving(), firstBuild);
  });

  after(async function () {
    this.timeout(120_000);
    await load?.stop();
    // A rollout left behind (a failed test) is aborted so the deploy process ends.
    if (deploy) {
      const code = await Promise.race([deploy.done, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
      if (code === null) await cli(['rollout', 'abort', ENV]).done;
      await Promise.race([deploy.done, new Promise((r) => setTimeout(r, 30_000))]);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await host?.stop();
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('a canary deploy from the CLI sits at step 1 (25%): the dashboard shows its step, weight and each version’s figures; the status bar says canary 25%; the view marks the canary release', async () => {
    setDeployappBuild(moduleDir, 'canary-second');
    load = new CanaryLoad(host!.address, 80, { rate: 60, connections: 3 });
    deploy = cli(['deploy', ENV]);
    let last: DashboardSnapshot | undefined;
    const open = (): Thenable<DashboardSnapshot> => vscode.commands.executeCommand<DashboardSnapshot>('godeploy.openDashboard', args());
    // Read every 2 s while in progress: figures with canary requests come once traffic has flowed.
    const shown = await waitFor(
      'the dashboard to render the rollout at step 1 (25%) with canary requests',
      async () => {
        const s = (last = await open());
        const r = s.rendered?.rollout;
        return r && r.step === 'step 1/3' && r.weight === '25%' && /^canary \S+: [1-9]\d* requests/m.test(r.figures.join('\n')) && s;
      },
      OP_MS,
    ).catch(async (e: Error) => {
      const log = (await vscode.commands.executeCommand<{ text: string }>('godeploy.showLog')).text.split('\n').slice(-30).join('\n');
      throw new Error(
        `${e.message}\nthe dashboard: ${JSON.stringify({ ...last, state: { ...last?.state, history: undefined } })}\nthe Go Deploy log:\n${log}\nthe deploy said:\n${deploy!.out().split('\n').slice(0, 20).join('\n')}`,
      );
    });
    const panel = shown.state!.rollout!;
    const rendered = shown.rendered!.rollout!;
    console.log(`      the page shows: ${rendered.step}, ${rendered.weight}, ${rendered.status}\n        ${rendered.figures.join('\n        ')}`);
    assert.equal(panel.status, 'progressing');
    assert.equal(panel.active, true);
    assert.equal(panel.driven, true, 'the CLI deploy drives it');
    assert.deepEqual([panel.step, panel.steps, panel.weight], [1, 3, 25]);
    assert.ok(panel.pauseLeftMs > 10 * 60_000, `pause left ${panel.pauseLeftMs} ms`);
    assert.match(panel.release, /^\d{8}T\d+/);
    assert.notEqual(panel.release, panel.previous);
    assert.deepEqual(
      panel.chart.map((c) => `${c.weight}:${c.phase}`),
      ['25:current', '50:next', '100:next'],
    );
    assert.ok(panel.figures!.stable.requests > 0 && panel.figures!.canary.requests > 0, JSON.stringify(panel.figures));
    assert.equal(panel.figures!.canary.errors, 0);
    assert.deepEqual(rendered.buttons, ['Promote', 'Abort']);
    assert.equal(rendered.chartSteps, 3);
    assert.equal(rendered.figures.length, 2);
    assert.match(rendered.figures[0], new RegExp(`^live ${panel.previous}: [1-9]\\d* requests, 0 5xx \\(0\\.0%\\), p50 \\d+ ms, p95 \\d+ ms$`));
    assert.deepEqual(shown.cspViolations, []);

    // The status bar, once this environment is the active one.
    await vscode.commands.executeCommand('godeploy.selectEnvironment', args());
    const bar = await waitFor('canary 25% in the status bar', () => {
      const s = api().statusBar.rolloutShown;
      return s && /canary 25%$/.test(s.text) && s;
    });
    assert.match(bar.tooltip, new RegExp(`canary rollout on ${ENV}: ${panel.release} takes 25% .*${panel.previous} is live`));

    // The view: the host says canary 25%, and the canary release under it is marked.
    const tree = api().environments;
    const top = await tree.getChildren();
    const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile);
    const envs = mod ? await tree.getChildren(mod) : top;
    const env = envs.find((n) => n.kind === 'environment' && n.name === ENV && n.configFile === configFile)!;
    assert.ok(env, JSON.stringify(envs));
    const [hostNode] = (await tree.getChildren(env)) as Extract<TreeNode, { kind: 'host' }>[];
    await waitFor(
      'the host to show the canary',
      async () => {
        tree.refreshStatus();
        await new Promise((r) => setTimeout(r, 1000));
        return /canary 25%/.test(String(tree.getTreeItem(hostNode).description ?? ''));
      },
      60_000,
    );
    const releases = (await tree.getChildren(hostNode)).filter((n): n is Extract<TreeNode, { kind: 'release' }> => n.kind === 'release');
    const canary = releases.find((r) => r.id === panel.release);
    assert.ok(canary, releases.map((r) => r.id).join(', '));
    const item = tree.getTreeItem(canary);
    assert.equal(item.description, 'canary 25%');
    assert.equal(item.contextValue, 'release.ssh.canary');
    const live = releases.find((r) => r.id === panel.previous);
    assert.equal(live && tree.getTreeItem(live).description, 'live', 'the release it is compared with is the live one');
    assert.match(String(tree.getTreeItem(hostNode).description), new RegExp(`^${panel.previous} · canary 25% ${panel.release}$`));
  });

  it('the dashboard’s Abort (asked in a modal) aborts the rollout: the deploy exits 1, the live release answers every request, none failed; the status bar item goes', async () => {
    assert.ok(deploy, 'needs the rollout above');
    const win = vscode.window as unknown as { showWarningMessage: WarningBox };
    const original = win.showWarningMessage;
    const asked: { message: string; options: unknown }[] = [];
    win.showWarningMessage = (message: string, ...rest: unknown[]) => {
      if (!/^Abort the canary rollout/.test(message)) return original.call(vscode.window, message, ...rest);
      asked.push({ message, options: rest[0] });
      return Promise.resolve('Abort Rollout');
    };
    let reply: { ok: boolean; message: string };
    try {
      reply = await withTimeout('Abort on the dashboard', api().dashboards.press({ configFile, environment: ENV }, 'abort'), OP_MS);
    } finally {
      win.showWarningMessage = original;
    }
    assert.equal(asked.length, 1, 'the modal was asked once');
    assert.equal((asked[0].options as { modal?: boolean }).modal, true);
    assert.match((asked[0].options as { detail: string }).detail, /All traffic goes back to \S+, and \S+ \(at 25%, step 1\/3\) is stopped/);
    const abortedAt = Date.now();
    assert.ok(reply.ok, reply.message);
    assert.match(reply.message, /abort/i);
    const code = await withTimeout('the CLI deploy to end', deploy.done, 60_000);
    assert.equal(code, 1, deploy.out());
    await new Promise((r) => setTimeout(r, 2000));
    await load!.stop();
    // Traffic is back: the live release answers everything once the abort has returned.
    const after = load!.samples.filter((s) => s.at > abortedAt + 500);
    const builds = new Set(after.map((s) => s.build));
    console.log(
      `      after the abort: ${after.length} answers, builds ${[...builds].join(', ')}; ${load!.samples.length} requests in all, ${load!.failures.length} failed, ${load!.retried} retried`,
    );
    assert.deepEqual([...builds], [firstBuild]);
    assert.ok(after.length > 20, `only ${after.length} answers after the abort`);
    assert.deepEqual(load!.failures, [], JSON.stringify(load!.failures.slice(0, 5)));
    for (let i = 0; i < 10; i++) assert.equal(await serving(), firstBuild);

    const snap = await waitFor(
      'the dashboard to show the aborted rollout',
      async () => {
        const s = await vscode.commands.executeCommand<DashboardSnapshot>('godeploy.openDashboard', args());
        return s.state?.rollout?.status === 'aborted' && s.rendered?.rollout?.status === 'aborted' && s;
      },
      60_000,
    );
    assert.deepEqual(snap.rendered!.rollout!.buttons, [], 'no Promote or Abort once it has ended');
    assert.deepEqual(snap.replies.at(-1), { action: 'abort', ok: true, message: reply.message });
    await waitFor('the status bar item to go', () => api().statusBar.rolloutShown === undefined, 30_000);
  });

  it('Maintenance On… (a message) makes nginx answer 503 with it while the health path answers 200; the view says maintenance; Maintenance Off: 200 again', async () => {
    const on = await withTimeout(
      'godeploy.maintenanceOn',
      vscode.commands.executeCommand<MaintenanceResult | undefined>('godeploy.maintenanceOn', { ...args(), message: 'Back after the upgrade' }),
      OP_MS,
    );
    assert.ok(on?.ok, JSON.stringify(on));
    const page = await fetch(`http://${host!.address}/orders/42`);
    assert.equal(page.status, 503);
    assert.match(await page.text(), /Back after the upgrade/);
    assert.ok(page.headers.get('retry-after'), 'Retry-After');
    assert.equal((await fetch(`http://${host!.address}/healthz`)).status, 200);
    const tree = api().environments;
    const top = await tree.getChildren();
    const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile);
    const env = (mod ? await tree.getChildren(mod) : top).find((n) => n.kind === 'environment' && n.name === ENV && n.configFile === configFile)!;
    const [hostNode] = await tree.getChildren(env);
    await waitFor('the host to show maintenance', () => /^maintenance · /.test(String(tree.getTreeItem(hostNode).description ?? '')), 60_000);

    const off = await withTimeout(
      'godeploy.maintenanceOff',
      vscode.commands.executeCommand<MaintenanceResult | undefined>('godeploy.maintenanceOff', args()),
      OP_MS,
    );
    assert.ok(off?.ok, JSON.stringify(off));
    assert.equal((await fetch(`http://${host!.address}/`)).status, 200);
    await waitFor('the host to stop showing maintenance', () => !/maintenance/.test(String(tree.getTreeItem(hostNode).description ?? '')), 60_000);
  });
});
