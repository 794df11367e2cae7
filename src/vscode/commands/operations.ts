// Day-2 operations on a host or process node of the environments view (or, from the palette,
// a host and process picked): Restart, Stop, Start (the live release's service on that host,
// every process it runs or the node's one, health-gated after a restart or start) and Run
// Command… (a command line, asked for, run in the live release with the process's
// environment, its output streamed into a terminal of its own that ends with the exit code).
// All go through core/operations, as `godeploy restart|stop|start|exec ENV --host H
// [--process P]` do.
import * as vscode from 'vscode';
import type { ExecResult, ServiceAction, ServiceActionResult } from '../../core/index';
import { OperationProgress } from '../deploy/events';
import { hostOptions } from '../deploy/hostKeys';
import { loadEngine } from '../engine';
import { editorReferenceSources } from '../secrets';
import { isEnvironmentArgs, resolveEnvironment, type EnvironmentArgs } from '../deploy/target';
import { hostNodeOf, type HostNode, type ProcessNode } from '../views/treeNodes';
import type { CommandDeps, CommandFactory } from './registry';

const isHostNode = (arg: unknown): arg is HostNode => typeof arg === 'object' && arg !== null && (arg as HostNode).kind === 'host';
const isProcessNode = (arg: unknown): arg is ProcessNode => typeof arg === 'object' && arg !== null && (arg as ProcessNode).kind === 'process';

/** What a caller (a test, another extension) may pass instead of a node or the pickers: the environment, a host and a process. */
export interface OperationArgs extends EnvironmentArgs {
  host?: string;
  process?: string;
}

/** Where an operation acts: a host (as its node), and one process of it or all of them. */
interface OperationTarget {
  node: HostNode;
  process?: string;
}

/** "web1" or "web1/worker", for messages and the terminal's name. */
const targetLabel = (t: OperationTarget): string => `${t.node.alias}${t.process !== undefined ? `/${t.process}` : ''}`;

/**
 * The host (and process) a node names; from the palette (or with OperationArgs), the
 * environment, host and process asked with quick picks, each only when there is a choice.
 * `all` offers "every process" for the process (restart, stop, start); without it, the first
 * process is the default (Run Command: its env file).
 */
async function operationTarget(deps: CommandDeps, arg: unknown, what: string, all: boolean): Promise<OperationTarget | undefined> {
  if (isHostNode(arg)) return { node: arg };
  if (isProcessNode(arg))
    return {
      node: { kind: 'host', configFile: arg.configFile, environment: arg.environment, type: arg.type, alias: arg.host, ssh: arg.ssh },
      process: arg.name,
    };
  if (arg !== undefined && !isEnvironmentArgs(arg))
    throw new (loadEngine().GoDeployError)(`${what} works on a host or process of the Go Deploy view`, {
      hint: 'right-click a host (or the engine, or local) or one of its processes under an environment in the Go Deploy view',
    });
  const a: OperationArgs = arg ?? {};
  const t = await resolveEnvironment(deps.ctx, arg, `${what.toLowerCase()}`, what.toLowerCase());
  if (!t) return undefined;
  const engine = loadEngine();
  const hosts = engine.hostNamesOf(t.env);
  const alias =
    a.host ??
    (hosts.length === 1
      ? hosts[0]
      : await vscode.window.showQuickPick(hosts, { title: `Go Deploy: ${what} — on which host of ${t.environment}?`, ignoreFocusOut: true }));
  if (alias === undefined) return undefined;
  if (!hosts.includes(alias))
    throw new engine.GoDeployError(`${t.environment} has no host ${JSON.stringify(alias)}`, { hint: `its hosts: ${hosts.join(', ')}` });
  const roles = engine.hostsOf(t.env).find((h) => h.host === alias)?.roles;
  const processes = Object.keys(t.config.app?.processes ?? {}).filter((p) => !roles || roles.includes(p));
  let process = a.process;
  if (process === undefined && processes.length > 1) {
    const items = [
      ...(all ? [{ label: 'every process', description: processes.join(', '), process: undefined as string | undefined }] : []),
      ...processes.map((p) => ({ label: p, description: '', process: p as string | undefined })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Go Deploy: ${what} — which process on ${alias}?`, ignoreFocusOut: true });
    if (!picked) return undefined;
    process = picked.process;
  }
  const node: HostNode = hostNodeOf(t.configFile, t.environment, t.env.type, alias);
  return { node, process };
}

/** The known_hosts file of the node's environment (type local has none to use). */
async function knownHostsOf(node: HostNode): Promise<string> {
  const engine = loadEngine();
  const loaded = await engine.loadEnvironment({ file: node.configFile, exists: true }, node.environment, 'operations');
  return engine.knownHostsFileOf(loaded);
}

/** Restart, Stop or Start on the node's host, under a cancellable progress notification; the result is also in the log. */
async function runServiceAction(deps: CommandDeps, action: ServiceAction, arg: unknown, options?: unknown): Promise<ServiceActionResult | undefined> {
  const { ctx } = deps;
  const verb = { restart: 'Restart', stop: 'Stop', start: 'Start' }[action];
  const target = await operationTarget(deps, arg, verb, true);
  if (!target) return undefined;
  const { node, process } = target;
  const label = targetLabel(target);
  // Stopping takes the service down until it is started again: asked first (unless the caller already did).
  if (action === 'stop' && (options as { confirmed?: boolean } | undefined)?.confirmed !== true) {
    const ok = await vscode.window.showWarningMessage(
      `Stop ${process !== undefined ? `process ${process}` : 'the service'} of ${node.environment} on ${node.alias}? It stays stopped until Start (or a deploy).`,
      { modal: true },
      'Stop',
    );
    if (ok !== 'Stop') return undefined;
  }
  const hosts = hostOptions(ctx, await knownHostsOf(node));
  ctx.log.info(`${action} ${node.environment} on ${label} (${vscode.workspace.asRelativePath(node.configFile)})`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: ${action === 'stop' ? 'stopping' : `${action}ing`} ${label}`, cancellable: true },
    (progress, token) => {
      const steps = new OperationProgress(ctx, progress, token);
      return loadEngine().serviceAction({
        configFile: { file: node.configFile, exists: true },
        environment: node.environment,
        action,
        only: [node.alias],
        process,
        hosts,
        token,
        emit: steps.onEvent,
        onPlan: (plan) => (steps.expectedSteps = plan.steps.length),
        sources: editorReferenceSources(ctx, `${action} of ${node.environment}`, { ask: false }),
      });
    },
  );
  // One line per process the host runs (one for the one-process form), the failing one first.
  const lineOf = (h: ServiceActionResult['hosts'][number]): string => {
    const who = `${h.host}${h.process !== undefined ? `/${h.process}` : ''}`;
    const state = h.after ? `${h.after.state}${h.after.pid ? `, pid ${h.after.pid}` : ''}` : 'state unknown';
    return h.ok
      ? `${who}: ${action === 'stop' ? (h.unchanged ? 'was not running' : 'stopped') : h.unchanged ? 'already running' : `${action}ed`} (${state})${h.health ? `, ${h.health.healthy ? 'healthy' : 'NOT healthy'} (${h.health.answer})` : ''}`
      : `${who}: ${verb} failed: ${h.error ?? 'cancelled'}`;
  };
  const h = r.hosts.find((x) => !x.ok) ?? r.hosts[0];
  const text = r.hosts.length
    ? [...r.hosts]
        .sort((x, y) => Number(x.ok) - Number(y.ok))
        .map(lineOf)
        .join('; ')
    : `${label}: ${verb} failed: cancelled`;
  if (r.ok) {
    ctx.log.info(text);
    void vscode.window.showInformationMessage(`Go Deploy: ${text}`);
  } else {
    ctx.log.error(`${text}${h?.hint ? ` (${h.hint})` : ''}${h?.logs ? `\n${h.logs}` : ''}`);
    void vscode.window.showErrorMessage(`Go Deploy: ${text}`, 'Show Log').then((c) => {
      if (c) ctx.log.show(false);
    });
  }
  return r;
}

/** What Run Command returns (for tests): the command as run, the terminal's name, and the engine's result. */
export interface RunCommandResult {
  argv: string[];
  terminal: string;
  result: ExecResult;
  /** What the terminal showed, line by line (without colours). */
  lines: string[];
}

const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const crlf = (t: string): string => t.replace(/\r?\n/g, '\r\n');

/**
 * Run Command…: asks for a command line (or takes `commandLine`), then runs it on the node's
 * host in a terminal of its own (a Pseudoterminal: the output as it comes, stderr in red,
 * then the exit code). Closing the terminal cancels it.
 */
async function runCommand(deps: CommandDeps, arg: unknown, commandLine?: unknown): Promise<RunCommandResult | undefined> {
  const { ctx } = deps;
  const target = await operationTarget(deps, arg, 'Run Command', false);
  if (!target) return undefined;
  const { node, process } = target;
  const label = targetLabel(target);
  const line =
    typeof commandLine === 'string'
      ? commandLine
      : await vscode.window.showInputBox({
          title: `Go Deploy: run a command on ${label} (${node.environment})`,
          prompt: `Runs in the live release's folder with ${process !== undefined ? `process ${process}'s` : "the service's"} environment; a line with shell syntax runs with sh -c`,
          placeHolder: './myapp migrate',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim() ? undefined : 'enter a command (Escape cancels)'),
        });
  if (!line?.trim()) return undefined;
  const engine = loadEngine();
  const argv = engine.commandLineArgv(line);
  const hosts = hostOptions(ctx, await knownHostsOf(node));
  const name = `Go Deploy: ${label} (${node.environment})`;
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  const cancel = new vscode.CancellationTokenSource();
  const shown: string[] = [];
  let finished = false;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const say = (text: string, colour = ''): void => {
    shown.push(text);
    write.fire(`${colour}${crlf(text)}${colour ? RESET : ''}\r\n`);
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => opened(),
    close: () => cancel.cancel(),
    // Once the command has ended, any key closes the terminal.
    handleInput: () => {
      if (finished) close.fire();
    },
  };
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('terminal') });
  terminal.show();
  await Promise.race([open, new Promise((r) => setTimeout(r, 5000))]);
  ctx.log.info(`exec on ${label} (${node.environment}): ${line}`);
  say(`$ ${line}`, DIM);
  let result: ExecResult;
  try {
    result = await engine.execCommand({
      configFile: { file: node.configFile, exists: true },
      environment: node.environment,
      command: argv,
      only: [node.alias],
      process,
      hosts,
      token: cancel.token,
      sources: editorReferenceSources(ctx, `running a command in ${node.environment}`, { ask: false }),
      onOutput: (l) => say(l.text, l.stream === 'stderr' ? RED : ''),
    });
  } catch (e) {
    say(`Go Deploy: ${(e as Error).message}`, RED);
    finished = true;
    throw e;
  }
  const h = result.hosts[0];
  if (h?.error) say(`Go Deploy: ${h.error}${h.hint ? ` (${h.hint})` : ''}`, RED);
  say(`[exit code ${result.exitCode}${h?.signal ? `, ${h.signal}` : ''}] press any key to close`, result.exitCode === 0 ? DIM : RED);
  finished = true;
  ctx.log.info(`exec on ${label}: exit code ${result.exitCode}`);
  return { argv, terminal: name, result, lines: shown };
}

export const restartHostCommand: CommandFactory = {
  id: 'godeploy.restartHost',
  title: 'Restart',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => runServiceAction(deps, 'restart', arg),
};
export const stopHostCommand: CommandFactory = {
  id: 'godeploy.stopHost',
  title: 'Stop',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown, options?: unknown) => runServiceAction(deps, 'stop', arg, options),
};
export const startHostCommand: CommandFactory = {
  id: 'godeploy.startHost',
  title: 'Start',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => runServiceAction(deps, 'start', arg),
};
export const runCommandCommand: CommandFactory = {
  id: 'godeploy.runCommand',
  title: 'Run Command',
  runsCode: true,
  create: (deps) => (arg?: unknown, commandLine?: unknown) => runCommand(deps, arg, commandLine),
};
