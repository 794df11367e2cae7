import * as vscode from 'vscode';
import type { ReleaseList } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { onEnvironmentHosts, type HostRun } from '../deploy/hosts';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';

export interface ShowReleasesResult {
  environment: string;
  base: string;
  hosts: HostRun<ReleaseList>[];
}

/** The releases on every host, as `godeploy releases ENV` prints them but newest first. */
export function formatReleases(base: string, runs: HostRun<ReleaseList>[]): string {
  return loadEngine().formatReleaseListing(base, runs.map((o) => ({ ...o, head: `${o.host} (${o.address})` })), 'newest-first').join('\n');
}

/** Go Deploy: Show Releases: the releases on every host of an environment, in the Go Deploy log. */
async function showReleases(deps: CommandDeps, arg: unknown): Promise<ShowReleasesResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'listing releases', 'list the releases of');
  if (!t) return undefined;
  const engine = loadEngine();
  const d = await engine.loadDeployEnvironment({ file: t.configFile, exists: true }, t.environment, 'releases');
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  const hosts = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: reading the releases of ${t.environment}…`, cancellable: true },
    (_p, token) => onEnvironmentHosts(d, hostOptions(ctx, knownHostsFile(t), accept), token, (h) => engine.listReleases(h.runner, d.base, d.model.app.name)),
  );
  ctx.log.info(`releases of ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)}):`);
  ctx.log.block(formatReleases(d.base, hosts));
  ctx.log.show(true);
  const failed = hosts.filter((h) => !h.ok);
  if (failed.length) {
    void vscode.window.showWarningMessage(`Go Deploy: could not read the releases of ${failed.map((h) => h.host).join(', ')}: ${failed[0].ok ? '' : failed[0].error}`, 'Show Log').then((c) => { if (c) ctx.log.show(false); });
  }
  return { environment: t.environment, base: d.base, hosts };
}

export const showReleasesCommand: CommandFactory = {
  id: 'godeploy.showReleases',
  title: 'Show Releases',
  runsCode: true,
  create: (deps) => (arg?: unknown) => showReleases(deps, arg),
};
