import * as vscode from 'vscode';
import { loadEngine } from '../engine';
import type { ActiveEnvironment } from '../views/statusBar';
import type { CommandDeps, CommandFactory } from './registry';

/**
 * Go Deploy: Select Active Environment (the status bar's click): every environment of every
 * godeploy.yaml, with its type and host count; or `{ module, environment }` to set one.
 */
async function selectEnvironment(deps: CommandDeps, arg: unknown): Promise<ActiveEnvironment | undefined> {
  const files = await vscode.workspace.findFiles('**/godeploy.yaml', '**/{node_modules,vendor}/**', 50);
  const engine = loadEngine();
  const items: (vscode.QuickPickItem & { a: ActiveEnvironment })[] = [];
  for (const f of files.sort((x, y) => x.fsPath.localeCompare(y.fsPath))) {
    const { config } = engine.validateConfigText(f.fsPath, Buffer.from(await vscode.workspace.fs.readFile(f)).toString('utf8'));
    for (const [name, env] of Object.entries(config?.environments ?? (config ? engine.embeddedDefaultEnvironment : {}))) {
      const hosts = engine.hostsOf(env).length;
      items.push({
        label: name,
        description: loadEngine().environmentKindLabel(env),
        detail: files.length > 1 ? vscode.workspace.asRelativePath(f) : undefined,
        a: { configFile: f.fsPath, environment: name, type: env.type, hosts },
      });
    }
  }
  const wanted = arg as { module?: string; environment?: string } | undefined;
  let picked =
    wanted?.environment !== undefined
      ? items.find((i) => i.a.environment === wanted.environment && (!wanted.module || i.a.configFile.startsWith(wanted.module)))
      : undefined;
  if (!picked && wanted?.environment !== undefined)
    throw new engine.GoDeployError(`no environment "${wanted.environment}" in the workspace's godeploy.yaml files`);
  if (!picked) {
    if (!items.length) {
      void vscode.window.showInformationMessage('Go Deploy: no godeploy.yaml with environments in this workspace; run Go Deploy: Initialize.');
      return undefined;
    }
    const active = deps.statusBar.active;
    picked = await vscode.window.showQuickPick(
      items.map((i) => ({ ...i, picked: i.a.configFile === active?.configFile && i.a.environment === active.environment })),
      { title: 'Go Deploy: active environment', placeHolder: active ? `now: ${active.environment}` : 'the environment commands start from' },
    );
  }
  if (!picked) return undefined;
  await deps.statusBar.setActive(picked.a);
  return picked.a;
}

export const selectEnvironmentCommand: CommandFactory = {
  id: 'godeploy.selectEnvironment',
  title: 'Select Active Environment',
  runsCode: false,
  create: (deps) => (arg?: unknown) => selectEnvironment(deps, arg),
};
