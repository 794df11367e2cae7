import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import type { LogTails } from '../logs/logTails';

/** A node of the environments view: an environment of one module's godeploy.yaml. */
export interface EnvironmentNode {
  kind: 'environment';
  configFile: string;
  name: string;
  type: string;
  hosts: number;
}

const typeIcons: Record<string, string> = { local: 'vm', ssh: 'remote', docker: 'package' };

/**
 * The Go Deploy sidebar: environments from every godeploy.yaml in the workspace.
 * Empty when there is none, which lets the welcome view offer Initialize.
 */
export class EnvironmentsTree implements vscode.TreeDataProvider<EnvironmentNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EnvironmentNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly ctx: GoDeployContext, private readonly tails: LogTails) {
    this.disposables.push(tails.onDidChange(() => this.refresh()));
    const watcher = vscode.workspace.createFileSystemWatcher('**/godeploy.yaml');
    this.disposables.push(watcher, watcher.onDidCreate(() => this.refresh()), watcher.onDidChange(() => this.refresh()), watcher.onDidDelete(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: EnvironmentNode): Promise<EnvironmentNode[]> {
    if (node) return [];
    const files = await vscode.workspace.findFiles('**/godeploy.yaml', '**/{node_modules,vendor}/**', 50);
    await vscode.commands.executeCommand('setContext', 'godeploy.hasConfig', files.length > 0);
    const { validateConfigText, embeddedDefaultEnvironment } = loadEngine();
    const nodes: EnvironmentNode[] = [];
    for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      const { config } = validateConfigText(uri.fsPath, text);
      if (!config) continue; // errors are in the Problems panel
      for (const [name, env] of Object.entries(config.environments ?? embeddedDefaultEnvironment)) {
        nodes.push({ kind: 'environment', configFile: uri.fsPath, name, type: env.type, hosts: env.hosts?.length ?? 0 });
      }
    }
    this.ctx.log.trace(`environments view: ${nodes.length} environment(s) from ${files.length} config file(s)`);
    return nodes;
  }

  getTreeItem(node: EnvironmentNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const tailing = this.tails.isTailing(node.configFile, node.name);
    item.description = `${node.type}${node.type === 'ssh' ? ` · ${node.hosts} host${node.hosts === 1 ? '' : 's'}` : ''}${multiRoot ? ` · ${path.basename(path.dirname(node.configFile))}` : ''}${tailing ? ' · tailing logs' : ''}`;
    item.iconPath = new vscode.ThemeIcon(typeIcons[node.type] ?? 'circle-outline');
    item.contextValue = `environment.${node.type}${tailing ? '.tailing' : ''}`;
    item.tooltip = `${node.name} (${node.type}) in ${vscode.workspace.asRelativePath(node.configFile)}`;
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
