// Canary rollouts and maintenance mode from the editor (the environment node's menu, the
// palette, the dashboard's Promote and Abort): Promote Rollout (the next step now, or 100%),
// Abort Rollout (after a modal naming the releases: traffic back on the live release, the
// canary stopped), Maintenance On (an optional message for the page) and Maintenance Off.
// All go through core/operations, as `godeploy rollout promote|abort ENV [--full]` and
// `godeploy maintenance on|off ENV [--message TEXT]` do; the result is logged and told in a
// notification, and the editor's view of the rollout (status bar, dashboards) is updated.
import * as vscode from 'vscode';
import type { MaintenanceResult, RolloutResult } from '../../core/environment/operations';
import { hostOptions } from '../deploy/hostKeys';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment, type EnvironmentArgs, type EnvironmentTarget } from '../deploy/target';
import { loadEngine } from '../engine';
import { editorReferenceSources } from '../secrets';
import { figuresLine } from '../webview/rolloutText';
import type { CommandDeps, CommandFactory } from './registry';

/** What a caller (the dashboard, a test, another extension) may pass instead of answering the pickers. */
export interface RolloutCommandArgs extends EnvironmentArgs {
  /** Promote: straight to 100% (true) or the next step (false); asked when absent. */
  full?: boolean;
  /** Abort: the caller has asked already (no modal). */
  confirmed?: boolean;
}

export interface MaintenanceCommandArgs extends EnvironmentArgs {
  /** Maintenance On: the page's message ("" for none); asked when absent. */
  message?: string;
  /** Maintenance On: Retry-After in seconds (default 300). */
  retryAfterSeconds?: number;
}

const ABORT = 'Abort Rollout';

function rolloutRequest(deps: CommandDeps, t: EnvironmentTarget, arg: unknown, token: vscode.CancellationToken) {
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  return {
    configFile: { file: t.configFile, exists: true },
    environment: t.environment,
    hosts: hostOptions(deps.ctx, knownHostsFile(t), accept),
    token,
    sources: editorReferenceSources(deps.ctx, `the rollout of ${t.environment}`, { ask: false }),
  };
}

/** The result logged (with the figures) and told; the status bar and dashboards learn the new state. */
function report(deps: CommandDeps, t: EnvironmentTarget, r: RolloutResult): void {
  const { ctx } = deps;
  const f = r.view.figures;
  const lines = [
    `rollout ${r.action} ${t.environment}: ${r.ok ? '' : 'FAILED: '}${r.message}`,
    ...(f && r.view.state
      ? [`  ${figuresLine(`live ${r.view.state.previous}`, f.stable)}`, `  ${figuresLine(`canary ${r.view.state.release}`, f.canary)}`]
      : []),
    ...(r.view.hosts ?? []).filter((h) => h.error).map((h) => `  ${h.host}: ${h.error}`),
  ];
  (r.ok ? ctx.log.info.bind(ctx.log) : ctx.log.error.bind(ctx.log))(lines.join('\n'));
  deps.rollouts.setFromView({ configFile: t.configFile, environment: t.environment }, r.view);
  const show = r.ok ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
  void show(`Go Deploy: ${t.environment}: ${r.message}`, 'Show Log').then((c) => {
    if (c) ctx.log.show(false);
  });
}

async function promoteRollout(deps: CommandDeps, arg: unknown): Promise<RolloutResult | undefined> {
  const t = await resolveEnvironment(deps.ctx, arg, 'promoting its rollout', 'promote the canary rollout of');
  if (!t) return undefined;
  const args: RolloutCommandArgs = isEnvironmentArgs(arg) ? arg : {};
  let full = args.full;
  if (full === undefined) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: 'Next step', description: 'the canary takes the next step’s share now', full: false },
        { label: 'Straight to 100%', description: 'the canary becomes the live release; the old one drains and stops', full: true },
      ],
      { title: `Go Deploy: promote the canary rollout of ${t.environment}`, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    full = picked.full;
  }
  deps.ctx.log.info(`rollout promote ${t.environment}${full ? ' --full' : ''} (${vscode.workspace.asRelativePath(t.configFile)})`);
  const r = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Go Deploy: promoting the rollout of ${t.environment}${full ? ' to 100%' : ''}…`,
      cancellable: true,
    },
    (_p, token) => loadEngine().rollout({ ...rolloutRequest(deps, t, arg, token), action: 'promote', full }),
  );
  report(deps, t, r);
  return r;
}

async function abortRollout(deps: CommandDeps, arg: unknown): Promise<RolloutResult | undefined> {
  const t = await resolveEnvironment(deps.ctx, arg, 'aborting its rollout', 'abort the canary rollout of');
  if (!t) return undefined;
  const args: RolloutCommandArgs = isEnvironmentArgs(arg) ? arg : {};
  if (args.confirmed !== true) {
    const known = deps.rollouts.get({ configFile: t.configFile, environment: t.environment });
    const what = known?.active ? `${known.release} (at ${known.weight}%, step ${known.step}/${known.steps})` : 'the canary';
    const choice = await vscode.window.showWarningMessage(
      `Abort the canary rollout of ${t.environment}?`,
      {
        modal: true,
        detail: `All traffic goes back to ${known?.active ? known.previous : 'the live release'}, and ${what} is stopped. Deploy again to try a new release.`,
      },
      ABORT,
    );
    if (choice !== ABORT) return undefined;
  }
  deps.ctx.log.info(`rollout abort ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)})`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: aborting the rollout of ${t.environment}…`, cancellable: true },
    (_p, token) => loadEngine().rollout({ ...rolloutRequest(deps, t, arg, token), action: 'abort' }),
  );
  report(deps, t, r);
  return r;
}

async function setMaintenance(deps: CommandDeps, on: boolean, arg: unknown): Promise<MaintenanceResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, `turning maintenance mode ${on ? 'on' : 'off'}`, `turn maintenance mode ${on ? 'on' : 'off'} for`);
  if (!t) return undefined;
  const args: MaintenanceCommandArgs = isEnvironmentArgs(arg) ? arg : {};
  let message = args.message;
  if (on && message === undefined) {
    message = await vscode.window.showInputBox({
      title: `Go Deploy: maintenance mode for ${t.environment}`,
      prompt:
        'nginx answers 503 with a page for every path but the health check and /.well-known/; the service keeps running. A message for the page (optional):',
      placeHolder: 'We are upgrading the database; back in a few minutes.',
      ignoreFocusOut: true,
    });
    if (message === undefined) return undefined;
  }
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  ctx.log.info(`maintenance ${on ? 'on' : 'off'} ${t.environment}${message ? ` --message ${JSON.stringify(message)}` : ''}`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: maintenance mode ${on ? 'on' : 'off'} for ${t.environment}…`, cancellable: true },
    (_p, token) =>
      loadEngine().maintenance({
        configFile: { file: t.configFile, exists: true },
        environment: t.environment,
        action: on ? 'on' : 'off',
        ...(on && message ? { message } : {}),
        ...(on && args.retryAfterSeconds !== undefined ? { retryAfterSeconds: args.retryAfterSeconds } : {}),
        hosts: hostOptions(ctx, knownHostsFile(t), accept),
        token,
        sources: editorReferenceSources(ctx, `maintenance mode of ${t.environment}`, { ask: false }),
        onPlan: (plan) => ctx.log.block(plan.text),
      }),
  );
  const lines = r.hosts.map(
    (h) =>
      `  ${h.host}: ${h.ok ? `${h.on ? 'on' : 'off'}${h.unchanged ? ' (already)' : ''}${h.message ? ` — ${h.message}` : ''}` : `FAILED: ${h.error ?? 'failed'}${h.hint ? ` (${h.hint})` : ''}`}`,
  );
  const summary = r.ok
    ? `maintenance mode is ${on ? 'on' : 'off'} for ${t.environment}${on ? ': nginx answers 503 (the health check still passes)' : ''}`
    : `maintenance ${on ? 'on' : 'off'} for ${t.environment} FAILED on ${r.hosts
        .filter((h) => !h.ok)
        .map((h) => h.host)
        .join(', ')}`;
  (r.ok ? ctx.log.info.bind(ctx.log) : ctx.log.error.bind(ctx.log))([summary, ...lines].join('\n'));
  const show = r.ok ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
  void show(`Go Deploy: ${summary}.`, 'Show Log').then((c) => {
    if (c) ctx.log.show(false);
  });
  return r;
}

export const promoteRolloutCommand: CommandFactory = {
  id: 'godeploy.promoteRollout',
  title: 'Promote Rollout',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => promoteRollout(deps, arg),
};
export const abortRolloutCommand: CommandFactory = {
  id: 'godeploy.abortRollout',
  title: 'Abort Rollout',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => abortRollout(deps, arg),
};
export const maintenanceOnCommand: CommandFactory = {
  id: 'godeploy.maintenanceOn',
  title: 'Maintenance On',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => setMaintenance(deps, true, arg),
};
export const maintenanceOffCommand: CommandFactory = {
  id: 'godeploy.maintenanceOff',
  title: 'Maintenance Off',
  runsCode: true,
  changesHosts: true,
  create: (deps) => (arg?: unknown) => setMaintenance(deps, false, arg),
};
