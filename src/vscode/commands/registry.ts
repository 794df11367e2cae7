import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import type { ConfigDiagnostics } from '../diagnostics';
import type { GeneratedPreviews } from '../generatedPreviews';
import { showError } from '../errors';
import type { LogTails } from '../logs/logTails';
import type { StatusBar } from '../views/statusBar';
import type { DashboardPanels } from '../webview/dashboardPanel';
import type { EnvironmentsTree } from '../views/environmentsTree';
import type { Rollouts } from '../rollouts';

/** What a command can reach: the lifetime owner and the extension's long-lived parts. */
export interface CommandDeps {
  ctx: GoDeployContext;
  diagnostics: ConfigDiagnostics;
  environments: EnvironmentsTree;
  previews: GeneratedPreviews;
  tails: LogTails;
  statusBar: StatusBar;
  dashboards: DashboardPanels;
  /** What the editor knows of each environment's canary rollout. */
  rollouts: Rollouts;
}

/**
 * A command as a factory: given the extension's parts it returns the handler. A handler
 * invoked from a tree node or the explorer gets that node or Uri as its argument; from
 * the palette it gets none and asks with a quick pick.
 */
export interface CommandFactory {
  id: string;
  /** A short title for error messages ("Initialize failed: ..."). */
  title: string;
  /** Runs programs, builds or deploys: unavailable in untrusted workspaces. */
  runsCode: boolean;
  /** Changes what runs on the hosts (deploy, rollback): the view asks the hosts again afterwards. */
  changesHosts?: boolean;
  create(deps: CommandDeps): (...args: unknown[]) => Promise<unknown>;
}

/** Registers every command in one place, each wrapped so its errors reach the user with a hint. */
export function registerCommands(deps: CommandDeps, factories: readonly CommandFactory[]): void {
  for (const f of factories) {
    const handler = f.create(deps);
    deps.ctx.own(
      vscode.commands.registerCommand(f.id, async (...args: unknown[]) => {
        if (f.runsCode && !vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage(`Go Deploy: ${f.title} runs programs and is unavailable until you trust this workspace.`);
          return undefined;
        }
        try {
          return await handler(...args);
        } catch (e) {
          showError(deps.ctx, `${f.title} failed`, e);
          return undefined;
        } finally {
          if (f.changesHosts) {
            deps.environments.refreshStatus();
            deps.dashboards.refreshAll();
          }
        }
      }),
    );
  }
}
