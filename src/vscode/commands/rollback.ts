import * as vscode from 'vscode';
import type { RollbackResult } from '../../core/index';
import type { GoDeployContext } from '../context';
import { hostSummary, OperationProgress } from '../deploy/events';
import { hostOptions } from '../deploy/hostKeys';
import { lockedHost } from '../deploy/lockFailure';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment, type EnvironmentArgs, type EnvironmentTarget } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';
import { showLockedFailure } from './releaseLock';
import { editorReferenceSources } from '../secrets';
import { logNotifications } from './deploy';

/** `to`: a release id, or 'previous' (the one before the live release on each host); absent: pick it. */
export interface RollbackArgs extends EnvironmentArgs {
  to?: string;
}

export interface RollbackCommandResult extends RollbackResult {
  module: string;
  configFile: string;
}

const PREVIOUS = 'previous';

/** The releases of every host, for the picker; hosts that cannot be read are logged and left out. */
async function readReleases(
  ctx: GoDeployContext,
  t: EnvironmentTarget,
  acceptNewHostKey: boolean | undefined,
): Promise<Map<string, { hosts: number; live: number }> | undefined> {
  const title = `Go Deploy: reading the releases of ${t.environment}…`;
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) =>
    loadEngine().environmentReleases({
      configFile: { file: t.configFile, exists: true },
      environment: t.environment,
      access: { ...hostOptions(ctx, knownHostsFile(t), acceptNewHostKey), token },
    }),
  );
  const ids = new Map<string, { hosts: number; live: number }>();
  for (const r of report.hosts) {
    if (!r.ok) {
      ctx.log.warn(`${r.alias} (${r.address}): cannot read the releases: ${r.error}`);
      continue;
    }
    for (const rel of r.value.filter((x) => x.complete)) {
      const e = ids.get(rel.id) ?? { hosts: 0, live: 0 };
      e.hosts++;
      if (rel.live) e.live++;
      ids.set(rel.id, e);
    }
  }
  return report.hosts.some((r) => r.ok) ? ids : undefined;
}

/** "Previous release" first, then every release not live anywhere, newest first. Undefined when cancelled. */
async function pickTarget(ctx: GoDeployContext, t: EnvironmentTarget, acceptNewHostKey: boolean | undefined): Promise<string | undefined> {
  const releases = await readReleases(ctx, t, acceptNewHostKey);
  const live = [...(releases ?? new Map()).entries()].filter(([, e]) => e.live > 0).map(([id]) => id);
  const items: (vscode.QuickPickItem & { to: string })[] = [
    {
      label: '$(history) Previous release',
      description: live.length ? `the release before ${live.join(', ')}` : 'the release before the live one, on each host',
      to: PREVIOUS,
    },
  ];
  const candidates = [...(releases ?? new Map<string, { hosts: number; live: number }>()).entries()]
    .filter(([, e]) => e.live === 0)
    .sort(([a], [b]) => (a < b ? 1 : -1));
  for (const [id, e] of candidates) items.push({ label: id, description: e.hosts > 1 ? `on ${e.hosts} hosts` : undefined, to: id });
  const picked = await vscode.window.showQuickPick(items, {
    title: `Go Deploy: roll ${t.environment} back to which release?`,
    placeHolder: releases ? 'the previous release, or a named one' : 'the releases could not be read (see the log): roll back to the previous release?',
    ignoreFocusOut: true,
  });
  return picked?.to;
}

/**
 * Go Deploy: Rollback…: every host of the environment switches to the previous release
 * (or the one picked or passed as `to`) behind the health gate, under a cancellable
 * progress notification. Returns the engine's RollbackResult, or undefined when nothing ran.
 */
async function runRollback(deps: CommandDeps, arg: unknown): Promise<RollbackCommandResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'rolling back', 'roll back');
  if (!t) return undefined;
  const args: RollbackArgs = isEnvironmentArgs(arg) ? arg : {};
  const picked = args.to ?? (await pickTarget(ctx, t, args.acceptNewHostKey));
  if (!picked) return undefined;
  const to = picked === PREVIOUS ? undefined : picked;
  const engine = loadEngine();
  ctx.log.info(`rollback ${t.environment} to ${to ?? 'the previous release'} (${vscode.workspace.asRelativePath(t.configFile)})`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: rolling ${t.environment} back`, cancellable: true },
    async (progress, token) => {
      const steps = new OperationProgress(ctx, progress, token);
      const status = deps.statusBar.begin(t.environment, 'rolling back');
      steps.onStep = status.step;
      try {
        return await engine.rollback({
          configFile: { file: t.configFile, exists: true },
          environment: t.environment,
          to,
          hosts: hostOptions(ctx, knownHostsFile(t), args.acceptNewHostKey),
          token,
          emit: steps.onEvent,
          onPlan: (plan) => (steps.expectedSteps = plan.steps.length),
          // Webhook URLs (notify:) and the redaction of secret values in the log.
          sources: editorReferenceSources(ctx, `rolling back ${t.environment}`),
          onNotifications: (n) => logNotifications(ctx, n),
        });
      } finally {
        status.end();
      }
    },
  );
  await deps.statusBar.use(t.configFile, t.environment);
  for (const h of result.hosts) ctx.log.block(hostSummary(h, result.targets[h.host] ?? 'its release'));
  const seconds = (result.durationMs / 1000).toFixed(1);
  const targets = [...new Set(Object.values(result.targets))].join(', ') || 'the previous release';
  if (result.ok) {
    ctx.log.info(`rollback ${result.environment}: done in ${seconds} s`);
    void vscode.window.showInformationMessage(`Go Deploy: ${result.environment} is back on ${targets} (${seconds} s).`, 'Show Log').then((c) => {
      if (c) ctx.log.show(false);
    });
  } else {
    ctx.log.error(`rollback ${result.environment}: ${result.cancelled ? 'cancelled' : 'FAILED'} after ${seconds} s`);
    const failed = result.hosts.find((h) => h.result !== 'live' && h.error);
    const message = result.cancelled
      ? `Go Deploy: rollback of ${result.environment} cancelled; every host serves what it served before.`
      : `Go Deploy: rollback of ${result.environment} failed${failed ? `: ${failed.host}: ${failed.error}` : ''}`;
    if (lockedHost(result)) showLockedFailure(ctx, message, { module: t.folder.fsPath, environment: result.environment }, 'rollback');
    else
      void (result.cancelled ? vscode.window.showInformationMessage(message, 'Show Log') : vscode.window.showErrorMessage(message, 'Show Log')).then((c) => {
        if (c) ctx.log.show(false);
      });
  }
  return { ...result, module: t.folder.fsPath, configFile: t.configFile };
}

export const rollbackCommand: CommandFactory = {
  id: 'godeploy.rollback',
  changesHosts: true,
  title: 'Rollback',
  runsCode: true,
  create: (deps) => (arg?: unknown) => runRollback(deps, arg),
};
