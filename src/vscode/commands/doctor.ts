import * as vscode from 'vscode';
import type { CheckReport, HostReport } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { onEnvironmentHosts } from '../deploy/hosts';
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
  const engine = loadEngine();
  if (t.env.type === 'docker') {
    const loaded = await engine.loadEnvironment({ file: t.configFile, exists: true }, t.environment, 'doctor');
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Go Deploy: checking the Docker engine of ${t.environment}…` },
      () => engine.doctorDockerEnvironment(loaded, hostOptions(ctx, knownHostsFile(t), isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined)),
    );
    return reportDoctor(deps, t.environment, t.configFile, [report], 'engine');
  }
  const d = await engine.loadDeployEnvironment({ file: t.configFile, exists: true }, t.environment, 'doctor');
  const checks = engine.doctorChecks({
    port: d.model.app.port,
    basePath: d.base,
    processManager: d.env.processManager ?? (d.env.type === 'ssh' ? 'systemd' : 'none'),
    targets: d.config.build?.targets ?? [],
    limitNOFILE: d.model.systemd.limitNOFILE,
    appName: d.model.app.name,
  });
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  const runs = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: checking the hosts of ${t.environment}…`, cancellable: true },
    (_p, token) => onEnvironmentHosts(d, hostOptions(ctx, knownHostsFile(t), accept), token, (h) => engine.runChecks(h.runner, checks)),
  );
  const hosts: HostReport[] = runs.map((r) => {
    if (!r.ok) return { host: r.host, address: r.address, checks: [{ id: 'reachable', title: 'reachable', status: 'fail', detail: r.error, hint: r.hint }] };
    const reachable: CheckReport = {
      id: 'reachable',
      title: 'reachable',
      status: 'ok',
      detail:
        d.env.type === 'local' ? 'this machine (type local)' : r.newHostKey ? `new host key ${r.newHostKey} recorded` : 'host key verified, authenticated',
    };
    return { host: r.host, address: r.address, checks: [reachable, ...r.value] };
  });
  return reportDoctor(deps, t.environment, t.configFile, hosts, 'host');
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
