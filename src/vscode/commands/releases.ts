import * as vscode from 'vscode';
import type { DockerRelease, ReleaseList } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { onEnvironmentHosts, type HostRun } from '../deploy/hosts';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';

export interface ShowReleasesResult {
  environment: string;
  /** The hosts' base folder, or a docker environment's engine address. */
  base: string;
  hosts: HostRun<ReleaseList>[];
  /** A docker environment: the release containers on its engine (hosts is then empty). */
  containers?: HostRun<DockerRelease[]>;
}

/** The releases on every host, as `godeploy releases ENV` prints them but newest first. */
export function formatReleases(base: string, runs: HostRun<ReleaseList>[]): string {
  return loadEngine()
    .formatReleaseListing(
      base,
      runs.map((o) => ({ ...o, head: `${o.host} (${o.address})` })),
      'newest-first',
    )
    .join('\n');
}

/** Go Deploy: Show Releases: the releases on every host of an environment, in the Go Deploy log. */
async function showReleases(deps: CommandDeps, arg: unknown): Promise<ShowReleasesResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'listing releases', 'list the releases of');
  if (!t) return undefined;
  const engine = loadEngine();
  const loaded = await engine.loadEnvironment({ file: t.configFile, exists: true }, t.environment, 'releases');
  if (loaded.env.type === 'docker') {
    const { address, outcome } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Go Deploy: reading the releases of ${t.environment}…` },
      () => engine.dockerReleases(loaded, hostOptions(ctx, knownHostsFile(t), isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined)),
    );
    ctx.log.info(`releases of ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)}):`);
    ctx.log.block(engine.formatDockerReleases(loaded, outcome).join('\n'));
    ctx.log.show(true);
    if (!outcome.ok)
      void vscode.window.showWarningMessage(`Go Deploy: could not read the releases of ${t.environment}: ${outcome.error}`, 'Show Log').then((c) => {
        if (c) ctx.log.show(false);
      });
    const run: HostRun<DockerRelease[]> = outcome.ok
      ? { host: outcome.alias, address, ok: true, value: outcome.value }
      : { host: outcome.alias, address, ok: false, error: outcome.error };
    return { environment: t.environment, base: address, hosts: [], containers: run };
  }
  const d = engine.deployEnvironmentOf(loaded, 'releases');
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
    void vscode.window
      .showWarningMessage(
        `Go Deploy: could not read the releases of ${failed.map((h) => h.host).join(', ')}: ${failed[0].ok ? '' : failed[0].error}`,
        'Show Log',
      )
      .then((c) => {
        if (c) ctx.log.show(false);
      });
  }
  return { environment: t.environment, base: d.base, hosts };
}

export const showReleasesCommand: CommandFactory = {
  id: 'godeploy.showReleases',
  title: 'Show Releases',
  runsCode: true,
  create: (deps) => (arg?: unknown) => showReleases(deps, arg),
};
