// The nodes of the environments view, as data, and how each shows: a module (multi-root
// workspaces), an environment, a host or engine with its live release, and below the host
// its releases and its Logs leaf. contextValues name the node type so package.json can offer the right actions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostOutcome, HostStatus } from '../../core/index';

export interface ModuleNode {
  kind: 'module';
  configFile: string;
  name: string;
}
export interface EnvironmentNode {
  kind: 'environment';
  configFile: string;
  name: string;
  type: string;
  hosts: number;
  /** What is below it: the ssh hosts' aliases, else "engine" or "local". */ aliases: string[];
}
export interface HostNode {
  kind: 'host';
  configFile: string;
  environment: string;
  type: string;
  alias: string;
  /** Reached over ssh (an ssh environment's host), not this machine or a docker engine. */
  ssh: boolean;
}
export interface ReleaseNode {
  kind: 'release';
  configFile: string;
  environment: string;
  type: string;
  host: string;
  id: string;
  live: boolean;
}
export interface LogsNode {
  kind: 'logs';
  configFile: string;
  environment: string;
  /** The host (alias, "engine" or "local") whose logs it follows. */ host: string;
}
export type TreeNode = ModuleNode | EnvironmentNode | HostNode | ReleaseNode | LogsNode;

/** What the view knows of a host: nothing yet, being asked, or the last answer (and when). */
export type HostState =
  { phase: 'unknown' } | { phase: 'checking'; last?: HostOutcome<HostStatus>; at?: number } | { phase: 'known'; last: HostOutcome<HostStatus>; at: number };

const typeIcons: Record<string, string> = { local: 'vm', ssh: 'remote', docker: 'package' };

export function environmentItem(node: EnvironmentNode, o: { tailing: boolean; active: boolean; multiRoot: boolean }): vscode.TreeItem {
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `env:${node.configFile}:${node.name}`;
  item.description = [
    node.type === 'ssh' ? `ssh · ${node.hosts} host${node.hosts === 1 ? '' : 's'}` : node.type,
    o.multiRoot ? path.basename(path.dirname(node.configFile)) : '',
    o.active ? 'active' : '',
    o.tailing ? 'tailing logs' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  item.iconPath = new vscode.ThemeIcon(o.active ? 'star-full' : (typeIcons[node.type] ?? 'circle-outline'));
  item.contextValue = `environment.${node.type}${o.tailing ? '.tailing' : ''}`;
  item.tooltip = `${node.name} (${node.type}) in ${vscode.workspace.asRelativePath(node.configFile)}${o.active ? '\nthe active environment (status bar)' : ''}`;
  return item;
}

const ago = (iso: string): string => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90
    ? `${s} s ago`
    : s < 5400
      ? `${Math.round(s / 60)} min ago`
      : s < 172800
        ? `${Math.round(s / 3600)} h ago`
        : `${Math.round(s / 86400)} days ago`;
};
const duration = (s: number | null): string =>
  s === null
    ? 'unknown'
    : s < 120
      ? `${s} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} days`;

/** running and healthy, running but unhealthy, not running, or unknown (not reached / not asked yet). */
export function hostHealth(state: HostState): 'running' | 'unhealthy' | 'failed' | 'unknown' {
  const last = state.phase === 'unknown' ? undefined : state.last;
  if (!last?.ok) return 'unknown';
  if (!last.value.service.running) return 'failed';
  return last.value.health.healthy ? 'running' : 'unhealthy';
}

export function hostItem(node: HostNode, state: HostState): vscode.TreeItem {
  const item = new vscode.TreeItem(node.alias, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `host:${node.configFile}:${node.environment}:${node.alias}`;
  const last = state.phase === 'unknown' ? undefined : state.last;
  const health = hostHealth(state);
  const icons = {
    running: ['pass-filled', 'testing.iconPassed'],
    unhealthy: ['warning', 'list.warningForeground'],
    failed: ['error', 'testing.iconFailed'],
    unknown: ['question', undefined],
  } as const;
  const [icon, color] =
    state.phase === 'checking' && !last
      ? (['sync~spin', undefined] as const)
      : last && !last.ok
        ? (['debug-disconnect', 'list.errorForeground'] as const)
        : icons[health];
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.contextValue = `host.${node.type}`;
  if (!last) {
    item.description = state.phase === 'checking' ? 'checking…' : '';
    item.tooltip = `${node.alias}: not checked yet`;
    return item;
  }
  if (!last.ok) {
    item.description = last.stage === 'connect' ? 'unreachable' : 'error';
    item.tooltip = new vscode.MarkdownString(`**${node.alias}** (${last.address})\n\n${last.error}${last.hint ? `\n\n_${last.hint}_` : ''}`);
    return item;
  }
  const v = last.value;
  item.description = v.live ? `${v.live}${v.version ? ` · ${v.version}` : ''}` : 'nothing deployed';
  const deployed = [...(v.history ?? [])].reverse().find((h) => h.release === v.live);
  const lines = [
    `**${node.alias}** (${last.address})`,
    '',
    `- live: ${v.live ?? 'none'}${v.version ? ` (${v.version})` : ''}`,
    `- service: ${v.service.state}${v.service.running ? `, up ${duration(v.service.uptimeSeconds)}` : ''}`,
    `- health: ${v.health.healthy ? 'healthy' : 'NOT healthy'} (${v.health.answer})`,
    ...(v.image ? [`- image: ${v.image}`] : []),
    ...(deployed ? [`- deployed ${ago(deployed.finishedAt)} by ${deployed.by} (${deployed.result})`] : []),
    '',
    `_checked ${state.phase === 'known' ? ago(new Date(state.at).toISOString()) : 'just now'}_`,
  ];
  item.tooltip = new vscode.MarkdownString(lines.join('\n'));
  return item;
}

export function releaseItem(node: ReleaseNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
  item.id = `release:${node.configFile}:${node.environment}:${node.host}:${node.id}`;
  item.description = node.live ? 'live' : '';
  item.iconPath = new vscode.ThemeIcon(node.live ? 'circle-filled' : 'circle-outline', node.live ? new vscode.ThemeColor('testing.iconPassed') : undefined);
  item.contextValue = `release.${node.type}${node.live ? '.live' : ''}`;
  item.tooltip = node.live ? `${node.id}: live on ${node.host}` : `${node.id}: kept on ${node.host}; Switch to This Release makes it live`;
  return item;
}

/** A host's Logs leaf: tailing when that host's own tail runs; it says so when the environment's tail covers it. */
export function logsItem(node: LogsNode, o: { tailing: boolean; inEnvironmentTail: boolean }): vscode.TreeItem {
  const item = new vscode.TreeItem('Logs', vscode.TreeItemCollapsibleState.None);
  item.id = `logs:${node.configFile}:${node.environment}:${node.host}`;
  item.description = o.tailing ? 'tailing' : o.inEnvironmentTail ? `in ${node.environment}'s tail` : '';
  item.iconPath = new vscode.ThemeIcon(o.tailing ? 'pulse' : 'output');
  item.contextValue = `logs${o.tailing ? '.tailing' : ''}`;
  item.tooltip = o.tailing ? `Following ${node.host}; Stop Tailing ends it` : `Follow ${node.host}'s log in an output channel of its own`;
  item.command = { command: 'godeploy.tailLogs', title: 'Tail Logs', arguments: [node] };
  return item;
}

export function moduleItem(node: ModuleNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `module:${node.configFile}`;
  item.description = vscode.workspace.asRelativePath(path.dirname(node.configFile));
  item.iconPath = new vscode.ThemeIcon('go-to-file');
  item.contextValue = 'module';
  item.resourceUri = vscode.Uri.file(node.configFile);
  return item;
}
