import * as vscode from 'vscode';
import type { HostReport } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';

export interface DoctorResult {
  environment: string;
  hosts: HostReport[];
  failures: number;
  warnings: number;
}

/**
 * Go Deploy: Run Doctor: the preflight checks of `godeploy doctor` on every host of an
 * environment, in parallel; the report goes to the Go Deploy log.
 */
async function runDoctor(deps: CommandDeps, arg: unknown): Promise<DoctorResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'running the doctor', 'check');
  if (!t) return undefined;
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  const { hosts } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: checking ${t.environment}…`, cancellable: true },
    (_p, token) =>
      loadEngine().environmentDoctor({
        configFile: { file: t.configFile, exists: true },
        environment: t.environment,
        access: { ...hostOptions(ctx, knownHostsFile(t), accept), token },
      }),
  );
  return reportDoctor(deps, t.environment, t.configFile, hosts, hosts.every((h) => h.host === 'engine') ? 'engine' : 'host');
}

/** The reports to the log, a notification with the summary; the command's result. */
function reportDoctor({ ctx }: CommandDeps, environment: string, configFile: string, hosts: HostReport[], noun: 'host' | 'engine'): DoctorResult {
  const all = hosts.flatMap((h) => h.checks);
  const failures = all.filter((c) => c.status === 'fail').length;
  const warnings = all.filter((c) => c.status === 'warn').length;
  const summary = `doctor ${environment}: ${hosts.length} ${noun}${hosts.length === 1 ? '' : 's'}, ${failures} failed, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  ctx.log.info(`doctor ${environment} (${vscode.workspace.asRelativePath(configFile)}):`);
  ctx.log.block(loadEngine().formatDoctorReport(hosts));
  (failures ? ctx.log.warn.bind(ctx.log) : ctx.log.info.bind(ctx.log))(summary);
  ctx.log.show(true);
  const show = failures ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(`Go Deploy: ${summary}.`, 'Show Log').then((c) => {
    if (c) ctx.log.show(false);
  });
  return { environment, hosts, failures, warnings };
}

export const runDoctorCommand: CommandFactory = {
  id: 'godeploy.runDoctor',
  title: 'Run Doctor',
  runsCode: true,
  create: (deps) => (arg?: unknown) => runDoctor(deps, arg),
};
