import * as vscode from 'vscode';
import { allCommands } from './vscode/commands/index';
import { registerCommands } from './vscode/commands/registry';
import { GoDeployContext } from './vscode/context';
import { ConfigDiagnostics } from './vscode/diagnostics';
import { GeneratedPreviews } from './vscode/generatedPreviews';
import { trackModuleFolders } from './vscode/modules';
import { trackTerminalCli } from './vscode/terminalCli';
import { BuildTaskProvider, TASK_TYPE } from './vscode/tasks/buildTaskProvider';
import { LogTails } from './vscode/logs/logTails';
import { EnvironmentsTree } from './vscode/views/environmentsTree';
import { StatusBar } from './vscode/views/statusBar';
import { DashboardPanels } from './vscode/webview/dashboardPanel';
import { Rollouts } from './vscode/rollouts';

/**
 * Wires the adapters and returns quickly: the engine (dist/core.js) is loaded on first
 * use, and the initial validation of the workspace runs after activation has returned.
 */
/** What the extension offers other extensions and its tests: the environments view's data. */
export interface GoDeployApi {
  environments: Pick<EnvironmentsTree, 'getChildren' | 'getTreeItem' | 'refreshStatus'>;
  statusBar: Pick<StatusBar, 'active' | 'shown' | 'rolloutShown'>;
  /** The open dashboards: press() has one click a button of its page, as a user would. */
  dashboards: Pick<DashboardPanels, 'press'>;
}

export function activate(context: vscode.ExtensionContext): GoDeployApi {
  const ctx = new GoDeployContext(context);
  const diagnostics = ctx.own(new ConfigDiagnostics(ctx));
  const tails = ctx.own(new LogTails(ctx));
  const environments = ctx.own(new EnvironmentsTree(ctx, tails));
  const statusBar = ctx.own(new StatusBar(ctx));
  environments.setActive(statusBar.active);
  ctx.own(statusBar.onDidChangeActive((a) => environments.setActive(a)));
  // The active environment's canary rollout in the status bar: watched while it is active.
  const rollouts = ctx.own(new Rollouts(ctx));
  const showRollout = (): void => statusBar.showRollout(statusBar.active, statusBar.active && rollouts.get(statusBar.active));
  ctx.own(rollouts.onDidChange(showRollout));
  ctx.own(
    statusBar.onDidChangeActive((a) => {
      showRollout();
      rollouts.watch(a);
    }),
  );
  rollouts.watch(statusBar.active);
  environments.onRolloutState = (e, state) => rollouts.setFromHostState(e, state);
  const view = ctx.own(vscode.window.createTreeView('godeploy.environments', { treeDataProvider: environments, showCollapseAll: true }));
  // Hosts are polled only while the view is visible.
  environments.hosts.setVisible(view.visible);
  ctx.own(view.onDidChangeVisibility((e) => environments.hosts.setVisible(e.visible)));
  const previews = ctx.own(new GeneratedPreviews());
  const dashboards = ctx.own(new DashboardPanels(ctx, rollouts));
  registerCommands({ ctx, diagnostics, environments, previews, tails, statusBar, dashboards, rollouts }, allCommands);
  // Activation by tasks needs no activation event: VS Code derives onTaskType:godeploy from taskDefinitions.
  ctx.own(vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider(ctx)));
  trackModuleFolders(ctx);
  trackTerminalCli(ctx);
  setTimeout(() => {
    diagnostics.validateWorkspace().catch((e: unknown) => ctx.log.error(e instanceof Error ? e : String(e)));
  }, 0);
  return { environments, statusBar, dashboards };
}

export function deactivate(): void {
  // Everything is owned by the ExtensionContext's subscriptions and disposed with it.
}
