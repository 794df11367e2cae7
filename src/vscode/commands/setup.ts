// Go Deploy: Set Up Hosts: `godeploy setup ENV` from the editor (the environment node's menu
// and the palette). Each host's items are checked and made where missing (service user,
// folders, unit or program, nginx site, logrotate, journald); the plan and the result per
// item go to the Go Deploy log, with a summary notification.
import * as vscode from 'vscode';
import type { SetupResult } from '../../core/index';
import { hostOptions } from '../deploy/hostKeys';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment } from '../deploy/target';
import { loadEngine } from '../engine';
import { editorReferenceSources } from '../secrets';
import type { CommandDeps, CommandFactory } from './registry';

async function setUpHosts({ ctx }: CommandDeps, arg: unknown): Promise<SetupResult | undefined> {
  const t = await resolveEnvironment(ctx, arg, 'setting up its hosts', 'set up');
  if (!t) return undefined;
  const accept = isEnvironmentArgs(arg) ? arg.acceptNewHostKey : undefined;
  ctx.log.info(`setup ${t.environment} (${vscode.workspace.asRelativePath(t.configFile)})`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Go Deploy: setting up the hosts of ${t.environment}…`, cancellable: true },
    (progress, token) =>
      loadEngine().setupHosts({
        configFile: { file: t.configFile, exists: true },
        environment: t.environment,
        hosts: hostOptions(ctx, knownHostsFile(t), accept),
        token,
        sources: editorReferenceSources(ctx, `setting up ${t.environment}`),
        onPlan: (plan) => {
          ctx.log.block(plan.text);
          progress.report({ message: `${plan.steps.length} items` });
        },
      }),
  );
  for (const h of r.hosts) {
    ctx.log.info(`${h.host} (${h.address})${h.ok ? '' : `: FAILED: ${h.error ?? 'failed'}`}`);
    ctx.log.block(h.items.map((i) => `  ${i.outcome.padEnd(9)}  ${i.title}${i.detail ? `: ${i.detail}` : ''}`).join('\n'));
    if (h.hint) ctx.log.info(`  hint: ${h.hint}`);
  }
  const changed = r.hosts.flatMap((h) => h.items).filter((i) => i.outcome !== 'unchanged').length;
  const summary = r.ok
    ? `setup ${r.environment}: done, ${changed ? `${changed} item${changed === 1 ? '' : 's'} changed` : 'everything unchanged'}`
    : `setup ${r.environment}: FAILED on ${r.hosts
        .filter((h) => !h.ok)
        .map((h) => h.host)
        .join(', ')}`;
  (r.ok ? ctx.log.info.bind(ctx.log) : ctx.log.warn.bind(ctx.log))(summary);
  ctx.log.show(true);
  const show = r.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void show(`Go Deploy: ${summary}.`, 'Show Log').then((c) => {
    if (c) ctx.log.show(false);
  });
  return r;
}

export const setUpHostsCommand: CommandFactory = {
  id: 'godeploy.setUpHosts',
  title: 'Set Up Hosts',
  runsCode: true,
  create: (deps) => (arg?: unknown) => setUpHosts(deps, arg),
};
