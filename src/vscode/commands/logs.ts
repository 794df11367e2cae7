import * as vscode from 'vscode';
import { hostOptions } from '../deploy/hostKeys';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment, type EnvironmentArgs } from '../deploy/target';
import { loadEngine } from '../engine';
import { tailLabel, type TailState, type TailTarget } from '../logs/logTails';
import type { CommandDeps, CommandFactory } from './registry';

/** What a caller may pass besides the environment: the CLI's -n, --since and --grep. */
export interface TailLogsArgs extends EnvironmentArgs {
  lines?: number;
  since?: string;
  grep?: string;
  /** One host only (an ssh alias, "engine" or "local"): the CLI's --host. */
  host?: string;
  /** One process only (app.processes): the CLI's --process. */
  process?: string;
}

/** The host a node or the arguments name: a host node, a process node, a host's Logs leaf, or `host`. */
function hostOf(arg: unknown): string | undefined {
  const n = arg as { kind?: string; alias?: string; host?: string } | undefined;
  if (n?.kind === 'host') return n.alias;
  if (n?.kind === 'logs' || n?.kind === 'process') return n.host;
  return isEnvironmentArgs(arg) ? (arg as TailLogsArgs).host : undefined;
}

/** The process a process node or the arguments name. */
function processOf(arg: unknown): string | undefined {
  const n = arg as { kind?: string; name?: string } | undefined;
  if (n?.kind === 'process') return n.name;
  return isEnvironmentArgs(arg) ? (arg as TailLogsArgs).process : undefined;
}

/**
 * From the palette or an environment or host node of an app with several processes: which
 * process to follow (every one, or one), asked with a quick pick; null when dismissed.
 */
async function pickProcess(arg: unknown, processes: string[], where: string): Promise<string | undefined | null> {
  const n = arg as { kind?: string } | undefined;
  if (processes.length < 2 || isEnvironmentArgs(arg) || n?.kind === 'process' || n?.kind === 'logs') return processOf(arg);
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'every process', description: processes.join(', '), process: undefined as string | undefined },
      ...processes.map((p) => ({ label: p, description: '', process: p as string | undefined })),
    ],
    { title: `Go Deploy: Tail Logs of ${where} — which process?`, ignoreFocusOut: true },
  );
  return picked ? picked.process : null;
}

/**
 * Go Deploy: Tail Logs: follows every host of the environment (or, from a host or its Logs
 * leaf, that host) into an output channel of its own until Stop Tailing. Invoked again while
 * tailing, it shows the channel and returns the tail's state (the last lines), which is how
 * tests read what arrived.
 */
async function tailLogs(deps: CommandDeps, arg: unknown): Promise<TailState | undefined> {
  const { ctx, tails } = deps;
  const t = await resolveEnvironment(ctx, arg, 'tailing logs', 'tail the logs of');
  if (!t) return undefined;
  const host = hostOf(arg);
  const roles =
    host !== undefined
      ? loadEngine()
          .hostsOf(t.env)
          .find((h) => h.host === host)?.roles
      : undefined;
  const processes = Object.keys(t.config.app?.processes ?? {}).filter((p) => !roles || roles.includes(p));
  const process = await pickProcess(arg, processes, host ?? t.environment);
  if (process === null) return undefined;
  const target: TailTarget = { configFile: t.configFile, environment: t.environment, host, ...(process !== undefined ? { process } : {}) };
  if (tails.isTailing(target)) return tails.start(target, { lines: 0, hosts: {} });
  const a: TailLogsArgs = isEnvironmentArgs(arg) ? arg : {};
  const settings = vscode.workspace.getConfiguration('godeploy.logs', t.folder);
  const engine = loadEngine();
  const lines = a.lines ?? settings.get<number>('lines', 50);
  const sinceText = a.since ?? settings.get<string>('since', '');
  const since = sinceText ? engine.parseSince(sinceText) : undefined;
  if (sinceText && since === undefined)
    throw new engine.GoDeployError(`"${sinceText}" is neither a duration nor a date`, {
      hint: 'write 90s, 10m, 2h, 1d, or a date such as 2026-11-21T08:00:00Z (setting godeploy.logs.since)',
    });
  let grep: RegExp | undefined;
  try {
    grep = a.grep ? new RegExp(a.grep) : undefined;
  } catch (e) {
    throw new engine.GoDeployError(`the filter ${JSON.stringify(a.grep)} is not a regular expression: ${(e as Error).message}`);
  }
  return tails.start(target, { lines, since, grep, hosts: hostOptions(ctx, knownHostsFile(t), a.acceptNewHostKey) });
}

/** The running tail a node or arguments name: an environment node, a host node or Logs leaf, or { name | environment, configFile?, host? }. */
function namedTail(arg: unknown, running: TailTarget[]): TailTarget | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const n = arg as { kind?: string; name?: string; environment?: string; configFile?: string };
  const environment = n.kind === 'environment' ? n.name : (n.environment ?? n.name);
  const host = hostOf(arg);
  const process = processOf(arg);
  return running.find(
    (r) => r.environment === environment && r.host === host && r.process === process && (n.configFile === undefined || n.configFile === r.configFile),
  );
}

/** Go Deploy: Stop Tailing: the tail its node or arguments name, else the only one running, or one picked. */
async function stopTailing(deps: CommandDeps, arg: unknown): Promise<boolean> {
  const { tails } = deps;
  const running = tails.running();
  let target = namedTail(arg, running);
  if (!target && arg === undefined) {
    if (!running.length) {
      void vscode.window.showInformationMessage("Go Deploy: no environment's logs are being tailed.");
      return false;
    }
    target =
      running.length === 1
        ? running[0]
        : (
            await vscode.window.showQuickPick(
              running.map((r) => ({ label: tailLabel(r), description: vscode.workspace.asRelativePath(r.configFile), r })),
              { title: 'Go Deploy: stop tailing which logs?' },
            )
          )?.r;
  }
  if (!target) return false;
  return tails.stop(target);
}

export const tailLogsCommand: CommandFactory = {
  id: 'godeploy.tailLogs',
  title: 'Tail Logs',
  runsCode: true,
  create: (deps) => (arg?: unknown) => tailLogs(deps, arg),
};

export const stopTailingCommand: CommandFactory = {
  id: 'godeploy.stopTailing',
  title: 'Stop Tailing',
  runsCode: false,
  create: (deps) => (arg?: unknown) => stopTailing(deps, arg),
};
