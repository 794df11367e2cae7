import * as vscode from 'vscode';
import type { ReleaseSummary } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { hostRun, type HostRun } from '../deploy/hosts';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';

export interface ShowReleasesResult {
  environment: string;
  /** The hosts' base folder, or a docker environment's engine address. */
  base: string;
  /** Per host (or the engine): its releases, the live one marked. */
  hosts: HostRun<ReleaseSummary[]>[];
}

/** Go Deploy: Show Releases: the releases on every host of an environment (or its engine), newest first, in the Go Deploy log. */
async function showReleases(deps: CommandDeps, arg: unknown): Promise<ShowReleasesResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'listing releases', 'list the releases of');
  if (!t) return undefined;
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: reading the releases of ${t.environment}…`, cancellable: true },
    (_p, token) =>
      loadEngine().environmentReleases({
        configFile: { file: t.configFile, exists: true },
        environment: t.environment,
        access: { ...hostOptions(ctx, knownHostsFile(t), accept), token },
      }),
  );
  ctx.log.info(`releases of ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)}):`);
  ctx.log.block(report.lines('newest-first').join('\n'));
  ctx.log.show(true);
  const hosts = report.hosts.map(hostRun);
  const failed = hosts.filter((h) => !h.ok);
  if (failed.length) {
    void vscode.window
      .showWarningMessage(
        `Go Deploy: could not read the releases of ${failed.map((h) => h.host).join(', ')}: ${failed[0].ok ? '' : failed[0].error}`,
        'Show Log',
      )
      .then((c) => {
        if (c) ctx.log.show(false);
      });
  }
  return { environment: t.environment, base: report.base, hosts };
}

export const showReleasesCommand: CommandFactory = {
  id: 'godeploy.showReleases',
  title: 'Show Releases',
  runsCode: true,
  create: (deps) => (arg?: unknown) => showReleases(deps, arg),
};
