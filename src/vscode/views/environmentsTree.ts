// The Go Deploy sidebar: every godeploy.yaml in the workspace (one top node per module when
// there are several), its environments, their hosts (or engine) with the live release and
// the service's state, and below each host its processes (when the app has several, each with
// its state), its releases and a Logs leaf. Empty when there is no config,
// which lets the welcome view offer Initialize; a config with errors offers Show Problems.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import type { LogTails } from '../logs/logTails';
import type { RolloutState } from '../../core/release/canary/types';
import { canaryMark } from '../webview/rolloutText';
import { hostKey, HostStatusPoller } from './hostStatus';
import {
  environmentItem,
  hostItem,
  hostNodeOf,
  logsItem,
  rolloutInProgress,
  moduleItem,
  processesOf,
  processItem,
  releaseItem,
  type EnvironmentNode,
  type HostNode,
  type LogsNode,
  type ModuleNode,
  type ProcessNode,
  type ReleaseNode,
  type TreeNode,
} from './treeNodes';

export type { EnvironmentNode, HostNode, ProcessNode, ReleaseNode, TreeNode } from './treeNodes';

export class EnvironmentsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly hosts: HostStatusPoller;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** Host nodes as last handed out, so a status change refreshes just that node. */
  private readonly hostNodes = new Map<string, HostNode>();
  /** The environment the status bar shows as active: configFile + name. */
  private active: { configFile: string; environment: string } | undefined;
  /** Told the rollout state a host reported (the status bar's rollout learns from it). */
  onRolloutState?: (e: { configFile: string; environment: string }, state: RolloutState) => void;

  constructor(
    private readonly ctx: GoDeployContext,
    private readonly tails: LogTails,
  ) {
    this.hosts = new HostStatusPoller(ctx);
    this.disposables.push(
      this.hosts,
      tails.onDidChange(() => this.refresh()),
    );
    this.disposables.push(
      this.hosts.onDidChange((n) => {
        this.changed.fire(this.hostNodes.get(hostKey(n)) ?? undefined);
        const s = this.hosts.state(n);
        if (s.phase === 'known' && s.last.ok && s.last.value.rollout)
          this.onRolloutState?.({ configFile: n.configFile, environment: n.environment }, s.last.value.rollout);
      }),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/godeploy.yaml');
    const onConfig = (): void => {
      this.hosts.forgetAll();
      this.refresh();
      this.hosts.refresh();
    };
    this.disposables.push(watcher, watcher.onDidCreate(onConfig), watcher.onDidChange(onConfig), watcher.onDidDelete(onConfig));
  }

  /** Redraws the view (the hosts' states are kept). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  /** After an operation: every shown host is asked again. */
  refreshStatus(): void {
    this.hosts.refresh();
  }

  setActive(active: { configFile: string; environment: string } | undefined): void {
    this.active = active;
    this.refresh();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.topLevel();
    if (node.kind === 'module') return this.environmentsOf(node.configFile);
    if (node.kind === 'environment') {
      const hosts = this.hostsOf(node);
      this.hosts.show(hosts);
      return hosts;
    }
    if (node.kind === 'host') {
      const state = this.hosts.state(node);
      const last = state.phase === 'unknown' ? undefined : state.last;
      const list = last?.ok ? [...(last.value.releaseList ?? [])] : [];
      // The canary of a rollout in progress is marked (and listed, should the host not list it).
      const canary = last?.ok ? rolloutInProgress(last.value.rollout) : undefined;
      if (canary && !list.some((r) => r.id === canary.release)) list.push({ id: canary.release, live: false });
      // During a rollout the live release is the one it is compared with (the canary may already be `current`).
      const isLive = (r: { id: string; live: boolean }): boolean => (canary ? r.id === canary.previous : r.live);
      const logs: LogsNode = { kind: 'logs', configFile: node.configFile, environment: node.environment, host: node.alias };
      const processes = processesOf(state).map((p): ProcessNode => ({
        kind: 'process',
        configFile: node.configFile,
        environment: node.environment,
        type: node.type,
        host: node.alias,
        ssh: node.ssh,
        name: p.name,
      }));
      return [
        ...processes,
        ...[...list].reverse().map((r): ReleaseNode => ({
          kind: 'release',
          configFile: node.configFile,
          environment: node.environment,
          type: node.type,
          host: node.alias,
          id: r.id,
          live: isLive(r),
          ...(canary?.release === r.id ? { canary: canaryMark(canary.weight) } : {}),
        })),
        logs,
      ];
    }
    return [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'module':
        return moduleItem(node);
      case 'environment':
        return environmentItem(node, {
          tailing: this.tails.isTailing({ configFile: node.configFile, environment: node.name }),
          active: this.active?.configFile === node.configFile && this.active.environment === node.name,
          multiRoot: false,
        });
      case 'host':
        return hostItem(node, this.hosts.state(node));
      case 'process': {
        const state = this.hosts.state({ configFile: node.configFile, environment: node.environment, alias: node.host });
        return processItem(
          node,
          processesOf(state).find((p) => p.name === node.name),
          state.phase === 'checking',
        );
      }
      case 'release':
        return releaseItem(node);
      case 'logs':
        return logsItem(node, {
          tailing: this.tails.isTailing({ configFile: node.configFile, environment: node.environment, host: node.host }),
          inEnvironmentTail: this.tails.isTailing({ configFile: node.configFile, environment: node.environment }),
        });
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async configFiles(): Promise<vscode.Uri[]> {
    const files = await vscode.workspace.findFiles('**/godeploy.yaml', '**/{node_modules,vendor}/**', 50);
    await vscode.commands.executeCommand('setContext', 'godeploy.hasConfig', files.length > 0);
    return files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  private async topLevel(): Promise<TreeNode[]> {
    const files = await this.configFiles();
    if (files.length > 1) {
      return files.map((f): ModuleNode => ({ kind: 'module', configFile: f.fsPath, name: path.basename(path.dirname(f.fsPath)) }));
    }
    return files.length ? this.environmentsOf(files[0].fsPath) : [];
  }

  private async environmentsOf(configFile: string): Promise<EnvironmentNode[]> {
    const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(configFile))).toString('utf8');
    const { validateConfigText, embeddedDefaultEnvironment, hostNamesOf, hostsOf } = loadEngine();
    const { config, diagnostics } = validateConfigText(configFile, text);
    const broken = !config || diagnostics.some((d) => d.severity === 'error');
    await vscode.commands.executeCommand('setContext', 'godeploy.configHasErrors', broken);
    if (!config) return []; // the errors are in the Problems panel; the welcome view says so
    const nodes = Object.entries(config.environments ?? embeddedDefaultEnvironment).map(([name, env]): EnvironmentNode => ({
      kind: 'environment',
      configFile,
      name,
      type: env.type,
      hosts: hostsOf(env).length,
      aliases: hostNamesOf(env),
    }));
    this.ctx.log.trace(`environments view: ${nodes.length} environment(s) in ${vscode.workspace.asRelativePath(configFile)}`);
    return nodes;
  }

  /** The environment's hosts, from the config as read when the environment node was made. */
  private hostsOf(env: EnvironmentNode): HostNode[] {
    return env.aliases.map((alias) => {
      const n: HostNode = hostNodeOf(env.configFile, env.name, env.type, alias);
      this.hostNodes.set(hostKey(n), n);
      return n;
    });
  }
}
