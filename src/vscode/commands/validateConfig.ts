import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveModuleFolder } from '../modules';
import type { CommandFactory } from './registry';

/** Go Deploy: Validate Config: checks godeploy.yaml and reports in the Problems panel. */
export const validateConfigCommand: CommandFactory = {
  id: 'godeploy.validateConfig',
  title: 'Validate Config',
  runsCode: false,
  create:
    ({ ctx, diagnostics }) =>
    async (arg?: unknown) => {
      const active = vscode.window.activeTextEditor?.document.uri;
      const folder =
        arg === undefined && active && path.basename(active.fsPath) === 'godeploy.yaml'
          ? vscode.Uri.file(path.dirname(active.fsPath))
          : await resolveModuleFolder(arg);
      if (!folder) {
        void vscode.window.showWarningMessage('Go Deploy: no Go module (go.mod) found in this workspace.');
        return undefined;
      }
      const file = vscode.Uri.file(path.join(folder.fsPath, 'godeploy.yaml'));
      try {
        await vscode.workspace.fs.stat(file);
      } catch {
        void vscode.window
          .showWarningMessage(`Go Deploy: there is no godeploy.yaml in ${vscode.workspace.asRelativePath(folder)}.`, 'Initialize')
          .then((choice) => {
            if (choice) void vscode.commands.executeCommand('godeploy.initialize', folder);
          });
        return undefined;
      }
      const found = await diagnostics.validateUri(file);
      const errors = found.filter((d) => d.severity === 'error').length;
      const warnings = found.length - errors;
      const where = vscode.workspace.asRelativePath(file);
      ctx.log.info(`validated ${file.fsPath}: ${errors} error(s), ${warnings} warning(s)`);
      if (errors || warnings) {
        // Not awaited: the command settles with its result while the notification waits for the user.
        void (errors ? vscode.window.showErrorMessage : vscode.window.showWarningMessage)(
          `Go Deploy: ${where} has ${errors} error(s) and ${warnings} warning(s).`,
          'Show Problems',
        ).then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
        });
      } else {
        void vscode.window.showInformationMessage(`Go Deploy: ${where} is valid.`);
      }
      return { file: file.fsPath, diagnostics: found };
    },
};
