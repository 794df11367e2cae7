// Actions on the environments view's host, release and environment nodes: Check Health,
// Open SSH Terminal, Copy Host, Switch to This Release, Edit in godeploy.yaml, Refresh.
import * as vscode from 'vscode';
import type { HostOutcome, HostStatus } from '../../core/index';
import { isEnvironmentNode } from '../deploy/target';
import { loadEngine } from '../engine';
import type { EnvironmentNode, HostNode, ReleaseNode } from '../views/treeNodes';
import type { CommandDeps, CommandFactory } from './registry';

const isHostNode = (arg: unknown): arg is HostNode => typeof arg === 'object' && arg !== null && (arg as HostNode).kind === 'host';
const isReleaseNode = (arg: unknown): arg is ReleaseNode => typeof arg === 'object' && arg !== null && (arg as ReleaseNode).kind === 'release';

function needNode<T>(arg: unknown, is: (a: unknown) => a is T, what: string): T {
  if (!is(arg))
    throw new (loadEngine().GoDeployError)(`${what} works on a node of the Go Deploy view`, {
      hint: 'right-click a host (or release) under an environment in the Go Deploy view',
    });
  return arg;
}

/** The host's godeploy.yaml entry resolved as ssh would (ssh_config, identity files, ProxyJump). */
async function resolvedHost(node: HostNode) {
  const engine = loadEngine();
  const loaded = await engine.loadEnvironment({ file: node.configFile, exists: true }, node.environment, 'ssh');
  const entry = engine.hostsOf(loaded.env).find((h) => h.host === node.alias);
  if (!entry) throw new engine.GoDeployError(`${node.alias} is no longer a host of ${node.environment}`);
  const sshConfigFile = engine.sshConfigFileOf(loaded);
  const resolved = await engine.resolveHost(entry, { baseDir: loaded.moduleDir, configFile: sshConfigFile });
  return { resolved, sshConfigFile, knownHosts: engine.knownHostsFileOf(loaded) };
}

export interface CheckHealthResult {
  host: string;
  outcome: HostOutcome<HostStatus>;
}

/** Check Health: the host's status now (service, health, live release), in a message and the view. */
async function checkHealth(deps: CommandDeps, arg: unknown): Promise<CheckHealthResult> {
  const node = needNode(arg, isHostNode, 'Check Health');
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Go Deploy: checking ${node.alias}…` }, () =>
    loadEngine().environmentStatus({
      configFile: { file: node.configFile, exists: true },
      environment: node.environment,
      host: node.ssh ? node.alias : undefined,
      timeoutMs: 10_000,
    }),
  );
  deps.environments.refreshStatus();
  const outcome = report.hosts[0];
  if (!outcome) throw new (loadEngine().GoDeployError)(`${node.alias} is not a host of ${node.environment} any more`);
  if (!outcome.ok) {
    void vscode.window.showWarningMessage(`Go Deploy: ${node.alias} could not be checked: ${outcome.error}`);
  } else {
    const v = outcome.value;
    const text = `${node.alias}: ${v.health.healthy ? 'healthy' : 'NOT healthy'} (${v.health.answer}); ${v.service.state}; live ${v.live ?? 'none'}`;
    deps.ctx.log.info(text);
    void (v.health.healthy ? vscode.window.showInformationMessage(`Go Deploy: ${text}`) : vscode.window.showWarningMessage(`Go Deploy: ${text}`));
  }
  return { host: node.alias, outcome };
}

/** The OpenSSH client's argv for the host, with what Go Deploy connects with (port, user, keys, jump, known_hosts). */
export function sshArgv(
  r: { hostname: string; port: number; user: string; identityFiles: string[]; identitiesOnly: boolean; proxyJump?: string },
  o: { sshConfigFile?: string; knownHosts?: string },
): string[] {
  return [
    ...(o.sshConfigFile ? ['-F', o.sshConfigFile] : []),
    '-p',
    String(r.port),
    ...r.identityFiles.flatMap((f) => ['-i', f]),
    ...(r.identitiesOnly ? ['-o', 'IdentitiesOnly=yes'] : []),
    ...(r.proxyJump ? ['-J', r.proxyJump] : []),
    ...(o.knownHosts ? ['-o', `UserKnownHostsFile=${o.knownHosts}`] : []),
    `${r.user}@${r.hostname}`,
  ];
}

/** Open SSH Terminal: a terminal running the user's OpenSSH client to the host. */
async function openSshTerminal(_deps: CommandDeps, arg: unknown): Promise<{ name: string; args: string[] }> {
  const node = needNode(arg, isHostNode, 'Open SSH Terminal');
  if (!node.ssh) throw new (loadEngine().GoDeployError)(`${node.alias} is not an ssh host`);
  const { resolved, sshConfigFile, knownHosts } = await resolvedHost(node);
  const args = sshArgv(resolved, { sshConfigFile, knownHosts });
  const name = `ssh ${node.alias}`;
  const terminal = vscode.window.createTerminal({ name, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
  return { name, args };
}

/** Copy Host: user@hostname[:port] as Go Deploy connects. */
async function copyHost(_deps: CommandDeps, arg: unknown): Promise<string> {
  const node = needNode(arg, isHostNode, 'Copy Host');
  let text = node.alias;
  if (node.ssh) {
    const { resolved } = await resolvedHost(node);
    text = `${resolved.user}@${resolved.hostname}${resolved.port === 22 ? '' : `:${resolved.port}`}`;
  }
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage(`Go Deploy: copied ${text}`, 3000);
  return text;
}

/** Switch to This Release: a rollback to the release (on every host of the environment). */
async function switchRelease(_deps: CommandDeps, arg: unknown): Promise<unknown> {
  const node = needNode(arg, isReleaseNode, 'Switch to This Release');
  if (node.live) {
    void vscode.window.showInformationMessage(`Go Deploy: ${node.id} is already live on ${node.host}.`);
    return undefined;
  }
  return vscode.commands.executeCommand('godeploy.rollback', { module: node.configFile, environment: node.environment, to: node.id });
}

/** Edit in godeploy.yaml: opens the file with the environment's key selected. */
async function editEnvironment(_deps: CommandDeps, arg: unknown): Promise<{ line: number }> {
  const node = isEnvironmentNode(arg) ? arg : isHostNode(arg) ? ({ configFile: arg.configFile, name: arg.environment } as EnvironmentNode) : undefined;
  if (!node) throw new (loadEngine().GoDeployError)('Edit in godeploy.yaml works on an environment of the Go Deploy view');
  const doc = await vscode.workspace.openTextDocument(node.configFile);
  const at = loadEngine().locateInConfig(node.configFile, doc.getText(), ['environments', node.name, ...(isHostNode(arg) ? ['hosts'] : [])]);
  const pos = new vscode.Position(at.line - 1, at.col - 1);
  const line = doc.lineAt(pos.line);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, line.range.end) });
  return { line: at.line };
}

export const checkHealthCommand: CommandFactory = {
  id: 'godeploy.checkHealth',
  title: 'Check Health',
  runsCode: true,
  create: (deps) => (arg?: unknown) => checkHealth(deps, arg),
};
export const openSshTerminalCommand: CommandFactory = {
  id: 'godeploy.openSshTerminal',
  title: 'Open SSH Terminal',
  runsCode: true,
  create: (deps) => (arg?: unknown) => openSshTerminal(deps, arg),
};
export const copyHostCommand: CommandFactory = {
  id: 'godeploy.copyHost',
  title: 'Copy Host',
  runsCode: false,
  create: (deps) => (arg?: unknown) => copyHost(deps, arg),
};
export const switchReleaseCommand: CommandFactory = {
  id: 'godeploy.switchRelease',
  title: 'Switch to This Release',
  runsCode: true,
  create: (deps) => (arg?: unknown) => switchRelease(deps, arg),
};
export const editEnvironmentCommand: CommandFactory = {
  id: 'godeploy.editEnvironment',
  title: 'Edit in godeploy.yaml',
  runsCode: false,
  create: (deps) => (arg?: unknown) => editEnvironment(deps, arg),
};
export const refreshEnvironmentsCommand: CommandFactory = {
  id: 'godeploy.refreshEnvironments',
  title: 'Refresh',
  runsCode: false,
  create: (deps) => async () => {
    deps.environments.refresh();
    deps.environments.refreshStatus();
  },
};
