import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployConfig, ModuleInspection } from '../core/index';
import type { GoDeployContext } from './context';
import { loadEngine } from './engine';

const moduleExcludes = '**/{vendor,node_modules,testdata,.git}/**';

/** Folders of the workspace's Go modules (those with a go.mod), sorted. */
export async function findModuleFolders(): Promise<vscode.Uri[]> {
  const mods = await vscode.workspace.findFiles('**/go.mod', moduleExcludes, 200);
  return mods.map((u) => vscode.Uri.file(path.dirname(u.fsPath))).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/**
 * The module a command acts on: the one given (a go.mod, a folder or a file inside a
 * module, as the explorer passes it), the workspace's only module, or one the user picks.
 */
export async function resolveModuleFolder(arg?: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && arg.scheme === 'file') {
    return vscode.Uri.file(path.basename(arg.fsPath) === 'go.mod' || path.basename(arg.fsPath) === 'godeploy.yaml' ? path.dirname(arg.fsPath) : arg.fsPath);
  }
  const folders = await findModuleFolders();
  if (folders.length <= 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: vscode.workspace.asRelativePath(f, true), description: f.fsPath, folder: f })),
    { title: 'Go Deploy: choose a Go module', placeHolder: 'The workspace has several Go modules' },
  );
  return picked?.folder;
}

/**
 * Keeps the context key `godeploy.moduleFolders` (paths of folders holding a go.mod) up to
 * date, so the explorer offers Go Deploy's menu on those folders.
 */
export function trackModuleFolders(ctx: GoDeployContext): void {
  const update = () => {
    void findModuleFolders().then((folders) =>
      vscode.commands.executeCommand(
        'setContext',
        'godeploy.moduleFolders',
        folders.map((f) => f.fsPath),
      ),
    );
  };
  const watcher = ctx.own(vscode.workspace.createFileSystemWatcher('**/go.mod', false, true, false));
  ctx.own(watcher.onDidCreate(update));
  ctx.own(watcher.onDidDelete(update));
  ctx.own(vscode.workspace.onDidChangeWorkspaceFolders(update));
  setTimeout(update, 0);
}

export interface ModuleConfig {
  folder: vscode.Uri;
  configFile: string;
  inspection: ModuleInspection;
  config: GoDeployConfig;
}

/**
 * What an operation on a module needs: its folder (from the argument, the only module or a
 * pick), its inspection and its validated config. Undefined after telling the user what is
 * missing (no module, or no godeploy.yaml, with an Initialize button that is not awaited);
 * a config with errors throws its ConfigError and opens the Problems panel.
 */
export async function loadModuleConfig(arg: unknown, purpose: string): Promise<ModuleConfig | undefined> {
  const folder = await resolveModuleFolder(arg);
  if (!folder) {
    void vscode.window.showWarningMessage('Go Deploy: no Go module (go.mod) found in this workspace.');
    return undefined;
  }
  const configFile = path.join(folder.fsPath, 'godeploy.yaml');
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(configFile));
  } catch {
    void vscode.window
      .showWarningMessage(`Go Deploy: ${purpose} needs a godeploy.yaml in ${vscode.workspace.asRelativePath(folder)}.`, 'Initialize')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('godeploy.initialize', folder);
      });
    return undefined;
  }
  const engine = loadEngine();
  try {
    const { inspection, config } = await engine.loadProject({ file: configFile, exists: true });
    return { folder, configFile, inspection, config };
  } catch (e) {
    if (e instanceof engine.ConfigError) void vscode.commands.executeCommand('workbench.actions.view.problems');
    throw e;
  }
}
