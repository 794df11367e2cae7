import * as vscode from 'vscode';
import { loadEngine } from '../engine';
import { resolveModuleFolder } from '../modules';
import type { CommandFactory } from './registry';

/** Go Deploy: Initialize: writes godeploy.yaml from the module's inspection and opens it. Never overwrites. */
export const initializeCommand: CommandFactory = {
  id: 'godeploy.initialize',
  title: 'Initialize',
  runsCode: false,
  create:
    ({ ctx, diagnostics, environments }) =>
    async (arg?: unknown) => {
      const folder = await resolveModuleFolder(arg);
      if (!folder) {
        void vscode.window.showWarningMessage('Go Deploy: no Go module (go.mod) found in this workspace.');
        return undefined;
      }
      const { inspectModule, planInit, describePlan, executePlan, LocalRunner, servingMains, describeMain } = loadEngine();
      const inspection = await inspectModule(folder.fsPath);
      const serving = servingMains(inspection);
      let main: string | undefined;
      if (serving.length > 1) {
        // Several mains serve: which one is the service is the user's call; show what each does.
        const picked = await vscode.window.showQuickPick(
          serving.map((m) => ({ label: m.path, description: `binary ${m.binaryName}`, detail: describeMain(m).slice(m.path.length + 2), main: m.path })),
          {
            title: 'Go Deploy: Initialize',
            placeHolder: `${serving.length} main packages serve: which one does this godeploy.yaml deploy?`,
            matchOnDetail: true,
            ignoreFocusOut: true,
          },
        );
        if (!picked) return undefined;
        main = picked.main;
      }
      const plan = planInit(inspection, { main });
      const step = plan.steps[0];
      const target = vscode.Uri.file(step.kind === 'write-file' ? step.path : '');
      if (await exists(target)) {
        // Not awaited: a notification with a button stays until dismissed, and the command must settle.
        void vscode.window
          .showInformationMessage(`Go Deploy: ${vscode.workspace.asRelativePath(target)} already exists; it was left as it is.`, 'Open')
          .then((open) => {
            if (open) void vscode.window.showTextDocument(target);
          });
        return undefined;
      }
      ctx.log.block(describePlan(plan));
      await executePlan(plan, new LocalRunner());
      ctx.log.info(`wrote ${target.fsPath}`);
      await vscode.commands.executeCommand('setContext', 'godeploy.hasConfig', true);
      environments.refresh();
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
      // Validate what was written, not an editor buffer that may predate it.
      await diagnostics.validateText(target, step.kind === 'write-file' ? step.content : '');
      return target;
    },
};

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
