import * as vscode from 'vscode';
import { allCommands } from './vscode/commands/index';
import { registerCommands } from './vscode/commands/registry';
import { GoDeployContext } from './vscode/context';
import { ConfigDiagnostics } from './vscode/diagnostics';
import { GeneratedPreviews } from './vscode/generatedPreviews';
import { trackModuleFolders } from './vscode/modules';
import { BuildTaskProvider, TASK_TYPE } from './vscode/tasks/buildTaskProvider';
import { LogTails } from './vscode/logs/logTails';
import { EnvironmentsTree } from './vscode/views/environmentsTree';

/**
 * Wires the adapters and returns quickly: the engine (dist/core.js) is loaded on first
 * use, and the initial validation of the workspace runs after activation has returned.
 */
export function activate(context: vscode.ExtensionContext): void {
  const ctx = new GoDeployContext(context);
  const diagnostics = ctx.own(new ConfigDiagnostics(ctx));
  const tails = ctx.own(new LogTails(ctx));
  const environments = ctx.own(new EnvironmentsTree(ctx, tails));
  ctx.own(vscode.window.registerTreeDataProvider('godeploy.environments', environments));
  const previews = ctx.own(new GeneratedPreviews());
  registerCommands({ ctx, diagnostics, environments, previews, tails }, allCommands);
  // Activation by tasks needs no activation event: VS Code derives onTaskType:godeploy from taskDefinitions.
  ctx.own(vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider(ctx)));
  trackModuleFolders(ctx);
  setTimeout(() => {
    diagnostics.validateWorkspace().catch((e: unknown) => ctx.log.error(e instanceof Error ? e : String(e)));
  }, 0);
}

export function deactivate(): void {
  // Everything is owned by the ExtensionContext's subscriptions and disposed with it.
}
