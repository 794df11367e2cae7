import * as vscode from 'vscode';
import type { DeployPlan, DeployRequest, DeployResult, NotificationOutcome } from '../../core/index';
import type { GoDeployContext } from '../context';
import { hostSummary, OperationProgress } from '../deploy/events';
import { hostOptions } from '../deploy/hostKeys';
import { lockedHost } from '../deploy/lockFailure';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment, type EnvironmentArgs, type EnvironmentTarget } from '../deploy/target';
import { loadEngine } from '../engine';
import { editorReferenceSources } from '../secrets';
import type { CommandDeps, CommandFactory } from './registry';
import { showLockedFailure } from './releaseLock';

/** `{ environment, module }` instead of the pickers; `dryRun` logs the plan and touches nothing. */
export interface DeployArgs extends EnvironmentArgs {
  dryRun?: boolean;
}

/** The engine's DeployResult, plus where the module and its config are (for callers and tests). */
export interface DeployCommandResult extends DeployResult {
  module: string;
  configFile: string;
}

/** A Log line per webhook of notify: told how the deploy or rollback ended (never its URL); a failed one is a warning. */
export function logNotifications(ctx: GoDeployContext, notifications: NotificationOutcome[]): void {
  const engine = loadEngine();
  for (const n of notifications) (n.ok ? ctx.log.info : ctx.log.warn).call(ctx.log, engine.describeNotification(n));
}

function announce(ctx: GoDeployContext, r: DeployResult, t: EnvironmentTarget): void {
  const module = t.folder;
  // strategy canary: aborted (traffic is back on the previous release already) or left at a step.
  const rollout = r.rollout;
  if (rollout && rollout.outcome !== 'promoted') {
    const where = { module: module.fsPath, environment: r.environment };
    const s = rollout.state;
    const text =
      rollout.outcome === 'aborted'
        ? `Go Deploy: the canary ${s.release} on ${r.environment} was aborted${rollout.reason ? `: ${rollout.reason}` : ''}; every request goes to ${s.previous} again.`
        : `Go Deploy: the canary rollout of ${s.release} on ${r.environment} is left at step ${s.step + 1} (${s.weight}%): promote or abort it.`;
    const actions = rollout.outcome === 'aborted' ? ['Show Log'] : ['Open Dashboard', 'Abort Rollout…', 'Show Log'];
    void (rollout.outcome === 'aborted' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage)(text, ...actions).then((choice) => {
      if (choice === 'Show Log') ctx.log.show(false);
      if (choice === 'Open Dashboard') void vscode.commands.executeCommand('godeploy.openDashboard', where);
      if (choice === 'Abort Rollout…') void vscode.commands.executeCommand('godeploy.abortRollout', where);
    });
    return;
  }
  if (r.ok) {
    const warn = r.warnings.length ? ` with ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : '';
    void vscode.window
      .showInformationMessage(
        `Go Deploy: ${r.releaseId} is live on ${r.environment} (${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}, ${(r.durationMs / 1000).toFixed(1)} s)${warn}.`,
        'Show Log',
      )
      .then((choice) => {
        if (choice) ctx.log.show(false);
      });
    return;
  }
  if (r.cancelled) {
    const back = r.hosts.some((h) => h.result === 'rolled-back');
    void vscode.window
      .showInformationMessage(
        `Go Deploy: deploy to ${r.environment} cancelled; ${back ? 'the switched hosts were rolled back' : 'nothing live changed'}.`,
        'Show Log',
      )
      .then((choice) => {
        if (choice) ctx.log.show(false);
      });
    return;
  }
  const failed = r.hosts.find((h) => h.result !== 'live' && h.error) ?? r.hosts.find((h) => h.result !== 'live');
  const back = r.hosts.some((h) => h.result === 'rolled-back');
  const why = failed ? `${failed.host}: ${failed.error ?? failed.result}` : 'see the log';
  const message = `Go Deploy: deploying ${r.releaseId} to ${r.environment} failed${back ? ' (switched hosts were rolled back)' : ''}: ${why}`;
  // A host's lock is held: nothing changed; Release Lock… instead of Rollback.
  if (lockedHost(r)) return showLockedFailure(ctx, message, { module: module.fsPath, environment: r.environment }, 'deploy');
  // Not awaited: the command settles now; the notification waits for the user.
  void vscode.window.showErrorMessage(message, 'Show Log', 'Rollback').then((choice) => {
    if (choice === 'Show Log') ctx.log.show(false);
    if (choice === 'Rollback') void vscode.commands.executeCommand('godeploy.rollback', { module, environment: r.environment });
  });
}

/**
 * Go Deploy: Deploy…: the module (argument, only one, or picked) and environment (tree
 * node, argument, or picked; the last one first), secrets from SecretStorage (asked when
 * missing), the plan logged, then the engine's deploy under a cancellable progress
 * notification. Returns the DeployResult (ok false when a host failed its gate or the
 * user cancelled), or undefined when nothing ran.
 */
async function runDeploy(deps: CommandDeps, arg: unknown): Promise<DeployCommandResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'deploying', 'deploy');
  if (!t) return undefined;
  const args: DeployArgs = isEnvironmentArgs(arg) ? arg : {};
  const engine = loadEngine();
  const name = t.config.app.name ?? 'the app';
  const request: DeployRequest = {
    configFile: { file: t.configFile, exists: true },
    environment: t.environment,
    sources: editorReferenceSources(ctx, `deploying ${name} to ${t.environment}`),
    hosts: hostOptions(ctx, knownHostsFile(t), args.acceptNewHostKey),
    onNotifications: (n) => logNotifications(ctx, n),
  };
  const where = { module: t.folder.fsPath, configFile: t.configFile };
  ctx.log.info(`deploy ${name} to ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)})`);
  // The plan is logged first (no secret values in it): what will run, host by host.
  const logPlan = (plan: DeployPlan): void =>
    ctx.log.block(
      plan.text
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  if (args.dryRun) {
    const planned = await engine.deploy({ ...request, dryRun: true, onPlan: logPlan });
    ctx.log.show(true);
    return { ...planned, ...where };
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: deploying ${name} to ${t.environment}`, cancellable: true },
    async (progress, token) => {
      const steps = new OperationProgress(ctx, progress, token);
      const status = deps.statusBar.begin(t.environment, 'deploying');
      steps.onStep = status.step;
      progress.report({ message: 'starting…' });
      try {
        return await engine.deploy({
          ...request,
          token,
          emit: steps.onEvent,
          // strategy canary: each step and judged window in the log, the step in the notification and the status bar.
          onRolloutEvent: (e) => {
            ctx.log.info(`canary: ${e.message}`);
            if (e.kind === 'step') {
              status.step(`canary ${e.weight}%`);
              progress.report({ message: e.message });
            }
          },
          onPlan: (plan) => {
            logPlan(plan);
            steps.expectedSteps = plan.steps.length;
          },
          onBuildOutput: (target, text) =>
            ctx.log.block(
              text
                .replace(/\n$/, '')
                .split('\n')
                .map((l) => `[build ${target}] ${l}`)
                .join('\n'),
            ),
        });
      } catch (e) {
        if (!token.isCancellationRequested) throw e;
        ctx.log.info(`deploy to ${t.environment} cancelled (${e instanceof Error ? e.message : String(e)}); nothing live changed`);
        return undefined;
      } finally {
        status.end();
      }
    },
  );
  await deps.statusBar.use(t.configFile, t.environment);
  if (!result) {
    void vscode.window.showInformationMessage(`Go Deploy: deploy to ${t.environment} cancelled; nothing live changed.`);
    return undefined;
  }
  for (const h of result.hosts) ctx.log.block(hostSummary(h, result.releaseId));
  for (const w of result.warnings) ctx.log.warn(`warning: ${w}`);
  const outcome = result.ok ? 'done' : result.cancelled ? 'cancelled' : 'FAILED';
  const line = `deploy ${result.releaseId} to ${result.environment}: ${outcome} after ${(result.durationMs / 1000).toFixed(1)} s`;
  if (result.ok) ctx.log.info(line);
  else if (result.cancelled) ctx.log.warn(line);
  else ctx.log.error(line);
  announce(ctx, result, t);
  return { ...result, ...where };
}

export const deployCommand: CommandFactory = {
  id: 'godeploy.deploy',
  changesHosts: true,
  title: 'Deploy',
  runsCode: true,
  create: (deps) => (arg?: unknown) => runDeploy(deps, arg),
};
