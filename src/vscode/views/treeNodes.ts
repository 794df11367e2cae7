// The nodes of the environments view, as data, and how each shows: a module (multi-root
// workspaces), an environment, a host or engine with its live release, and below the host
// its processes (when the app has several), its releases and its Logs leaf. contextValues name
// the node type so package.json can offer the right actions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostOutcome, HostStatus, ProcessStatus } from '../../core/index';
import type { RolloutState } from '../../core/release/canary/types';
import { canaryMark } from '../webview/rolloutText';

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
/** The node of host `alias` of an environment (of type `type`), as the tree makes it. */
export function hostNodeOf(configFile: string, environment: string, type: string, alias: string): HostNode {
  return { kind: 'host', configFile, environment, type, alias, ssh: type === 'ssh' };
}

export interface ReleaseNode {
  kind: 'release';
  configFile: string;
  environment: string;
  type: string;
  host: string;
  id: string;
  live: boolean;
  /** The canary of a rollout in progress on that host: "canary 25%". */
  canary?: string;
}
export interface LogsNode {
  kind: 'logs';
  configFile: string;
  environment: string;
  /** The host (alias, "engine" or "local") whose logs it follows. */ host: string;
}
/** One process of the app on a host (app.processes; shown when the app has several). */
export interface ProcessNode {
  kind: 'process';
  configFile: string;
  environment: string;
  type: string;
  /** The host it runs on: an ssh alias, "local" or "engine". */
  host: string;
  ssh: boolean;
  /** Its name in app.processes. */
  name: string;
}
export type TreeNode = ModuleNode | EnvironmentNode | HostNode | ProcessNode | ReleaseNode | LogsNode;

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
  const canary = rolloutInProgress(v.rollout);
  item.description = [
    v.maintenance ? 'maintenance' : '',
    // During a rollout: the release it is compared with, then the canary and its share.
    canary ? canary.previous : v.live ? `${v.live}${v.version ? ` · ${v.version}` : ''}` : 'nothing deployed',
    canary ? `${canaryMark(canary.weight)} ${canary.release}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const deployed = [...(v.history ?? [])].reverse().find((h) => h.release === v.live);
  const lines = [
    `**${node.alias}** (${last.address})`,
    '',
    canary ? `- live: ${canary.previous} (${100 - canary.weight}% of requests)` : `- live: ${v.live ?? 'none'}${v.version ? ` (${v.version})` : ''}`,
    `- service: ${v.service.state}${v.service.running ? `, up ${duration(v.service.uptimeSeconds)}` : ''}`,
    `- health: ${v.health.healthy ? 'healthy' : 'NOT healthy'} (${v.health.answer})`,
    ...(v.image ? [`- image: ${v.image}`] : []),
    ...(v.maintenance ? ['- maintenance mode: on (nginx answers 503 but for the health check; Maintenance Off ends it)'] : []),
    ...(canary
      ? [
          `- canary: ${canary.release} takes ${canary.weight}% of requests (step ${canary.step + 1}/${canary.policy.steps.length}, ${canary.status}); ${canary.previous} is live`,
        ]
      : []),
    ...(deployed ? [`- deployed ${ago(deployed.finishedAt)} by ${deployed.by} (${deployed.result})`] : []),
    '',
    `_checked ${state.phase === 'known' ? ago(new Date(state.at).toISOString()) : 'just now'}_`,
  ];
  item.tooltip = new vscode.MarkdownString(lines.join('\n'));
  return item;
}

/** A host's rollout state when a rollout is in progress or paused there (else undefined). */
export function rolloutInProgress(state: RolloutState | undefined): RolloutState | undefined {
  return state && (state.status === 'progressing' || state.status === 'paused') ? state : undefined;
}

/** The processes a host status lists, when the app has several (the one-process form is its host). */
export function processesOf(state: HostState): ProcessStatus[] {
  const last = state.phase === 'unknown' ? undefined : state.last;
  const list = last?.ok ? (last.value.processes ?? []) : [];
  return list.length > 1 || list.some((p) => p.service !== p.name) ? list : [];
}

/** running (and healthy), running but unhealthy, stopped, failed (exited with an error, or its manager says so), or unknown. */
export function processState(p: ProcessStatus | undefined): 'running' | 'unhealthy' | 'stopped' | 'failed' | 'unknown' {
  if (!p) return 'unknown';
  if (p.running) return p.health && !p.health.healthy ? 'unhealthy' : 'running';
  return /fail|fatal|backoff|exited|error|dead/i.test(p.state) && !/^(inactive|stopped)\b/i.test(p.state) ? 'failed' : 'stopped';
}

export function processItem(node: ProcessNode, p: ProcessStatus | undefined, checking: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
  item.id = `process:${node.configFile}:${node.environment}:${node.host}:${node.name}`;
  const state = processState(p);
  const icons = {
    running: ['pass-filled', 'testing.iconPassed'],
    unhealthy: ['warning', 'list.warningForeground'],
    stopped: ['debug-stop', undefined],
    failed: ['error', 'testing.iconFailed'],
    unknown: [checking ? 'sync~spin' : 'question', undefined],
  } as const;
  const [icon, color] = icons[state];
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.contextValue = `process.${node.type}`;
  item.description = p
    ? [
        state === 'unhealthy' ? 'running, unhealthy' : state,
        p.pid ? `pid ${p.pid}` : '',
        p.running && p.uptimeSeconds !== null ? `up ${duration(p.uptimeSeconds)}` : '',
      ]
        .filter(Boolean)
        .join(' · ')
    : checking
      ? 'checking…'
      : '';
  item.tooltip = p
    ? new vscode.MarkdownString(
        [
          `**${node.name}** on ${node.host}: ${p.service}`,
          '',
          `- state: ${p.state}${p.pid ? ` (pid ${p.pid})` : ''}${p.running ? `, up ${duration(p.uptimeSeconds)}` : ''}`,
          `- health: ${p.health ? `${p.health.healthy ? 'healthy' : 'NOT healthy'} (${p.health.answer})` : 'not checked'}`,
          `- port: ${p.port ?? 'none'}`,
        ].join('\n'),
      )
    : `${node.name} on ${node.host}: not checked yet`;
  return item;
}

export function releaseItem(node: ReleaseNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
  item.id = `release:${node.configFile}:${node.environment}:${node.host}:${node.id}`;
  item.description = node.live ? 'live' : '';
  item.iconPath = new vscode.ThemeIcon(node.live ? 'circle-filled' : 'circle-outline', node.live ? new vscode.ThemeColor('testing.iconPassed') : undefined);
  item.contextValue = `release.${node.type}${node.live ? '.live' : ''}`;
  item.tooltip = node.live ? `${node.id}: live on ${node.host}` : `${node.id}: kept on ${node.host}; Switch to This Release makes it live`;
  if (node.canary) {
    // The canary of a rollout in progress: promoted or aborted, not switched to.
    item.description = node.live ? `live · ${node.canary}` : node.canary;
    item.iconPath = new vscode.ThemeIcon('git-compare', new vscode.ThemeColor('charts.orange'));
    item.contextValue = `release.${node.type}.canary`;
    item.tooltip = `${node.id}: the canary on ${node.host} (${node.canary} of requests); Promote Rollout or Abort Rollout on the environment`;
  }
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
