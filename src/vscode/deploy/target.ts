import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentConfig } from '../../core/index';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { loadModuleConfig, type ModuleConfig } from '../modules';
import type { EnvironmentNode, HostNode, LogsNode, ProcessNode, ReleaseNode } from '../views/treeNodes';

/** What a caller (a test, another extension, a notification's action) may pass instead of answering the pickers. */
export interface EnvironmentArgs {
  /** The environment's name in godeploy.yaml. */
  environment?: string;
  /** The module folder (or its go.mod / godeploy.yaml); default as for the palette. */
  module?: vscode.Uri | string;
  /** Trust and record host keys seen for the first time without asking (the CLI's --accept-new-host-key). */
  acceptNewHostKey?: boolean;
}

export interface EnvironmentTarget extends ModuleConfig {
  environment: string;
  env: EnvironmentConfig;
}

/** workspaceState: godeploy.yaml path → the environment last deployed (or acted on) from this workspace. */
export const LAST_ENVIRONMENT_KEY = 'godeploy.lastEnvironment';

export function isEnvironmentNode(arg: unknown): arg is EnvironmentNode {
  const n = arg as EnvironmentNode;
  return typeof arg === 'object' && arg !== null && n.kind === 'environment' && typeof n.configFile === 'string' && typeof n.name === 'string';
}

/** Any node of the environments view below an environment (a host, a process, a release, the Logs leaf). */
export function isEnvironmentChildNode(arg: unknown): arg is HostNode | ProcessNode | ReleaseNode | LogsNode {
  const n = arg as HostNode;
  return (
    typeof arg === 'object' &&
    arg !== null &&
    ['host', 'process', 'release', 'logs'].includes(n.kind) &&
    typeof n.configFile === 'string' &&
    typeof n.environment === 'string'
  );
}

export function isEnvironmentArgs(arg: unknown): arg is EnvironmentArgs {
  if (typeof arg !== 'object' || arg === null || arg instanceof vscode.Uri || isEnvironmentNode(arg) || isEnvironmentChildNode(arg)) return false;
  const a = arg as EnvironmentArgs;
  return a.environment !== undefined || a.module !== undefined;
}

/** The module argument loadModuleConfig understands: a Uri, or undefined for "the only one, or pick". */
function moduleOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (isEnvironmentNode(arg) || isEnvironmentChildNode(arg)) return vscode.Uri.file(arg.configFile);
  if (isEnvironmentArgs(arg)) return typeof arg.module === 'string' ? vscode.Uri.file(arg.module) : arg.module;
  return undefined;
}

function remembered(ctx: GoDeployContext): Record<string, string> {
  const v = ctx.extension.workspaceState.get<unknown>(LAST_ENVIRONMENT_KEY);
  return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
}

export function lastEnvironment(ctx: GoDeployContext, configFile: string): string | undefined {
  return remembered(ctx)[configFile];
}

export async function rememberEnvironment(ctx: GoDeployContext, configFile: string, environment: string): Promise<void> {
  await ctx.extension.workspaceState.update(LAST_ENVIRONMENT_KEY, { ...remembered(ctx), [configFile]: environment });
}

/** The known_hosts file the engine checks host keys against (shown when asking to trust one). */
export function knownHostsFile(t: EnvironmentTarget): string {
  return loadEngine().knownHostsFileOf({ env: t.env, moduleDir: t.folder.fsPath });
}

/**
 * The module and environment a command acts on: from a tree node (its godeploy.yaml and
 * name), from `{ module, environment }`, from an explorer Uri (its module; the environment
 * picked), or from the palette (module picked when there are several, then the
 * environment, the one last used from this workspace first). Undefined when the user
 * cancels or something is missing (already told).
 */
export async function resolveEnvironment(
  ctx: GoDeployContext,
  arg: unknown,
  purpose: string,
  verb: string,
  types: readonly EnvironmentConfig['type'][] = ['local', 'ssh', 'docker'],
): Promise<EnvironmentTarget | undefined> {
  const loaded = await loadModuleConfig(moduleOf(arg), purpose);
  if (!loaded) return undefined;
  const environments = loaded.config.environments ?? loadEngine().embeddedDefaultEnvironment;
  const usable = Object.entries(environments).filter(([, e]) => types.includes(e.type));
  const where = vscode.workspace.asRelativePath(loaded.configFile);
  let name = isEnvironmentNode(arg) ? arg.name : isEnvironmentChildNode(arg) ? arg.environment : isEnvironmentArgs(arg) ? arg.environment : undefined;
  if (name === undefined) {
    if (!usable.length) {
      void vscode.window.showWarningMessage(`Go Deploy: ${where} has no ${types.join(', ')} environment to ${verb}.`);
      return undefined;
    }
    const last = lastEnvironment(ctx, loaded.configFile);
    const ordered = [...usable].sort(([a], [b]) => (a === last ? -1 : b === last ? 1 : 0));
    const picked = await vscode.window.showQuickPick(
      ordered.map(([n, e]) => ({ label: n, description: loadEngine().describeEnvironment(e), detail: n === last ? 'last used' : undefined, name: n })),
      {
        title: `Go Deploy: ${verb} ${loaded.config.app.name ?? path.basename(loaded.folder.fsPath)} — which environment?`,
        placeHolder: `environments of ${where}`,
        ignoreFocusOut: true,
        matchOnDescription: true,
      },
    );
    if (!picked) return undefined;
    name = picked.name;
  }
  const env = loadEngine().environmentNamed(loaded.config, name);
  if (!env) {
    throw new (loadEngine().GoDeployError)(`${where} has no environment "${name}"`, {
      hint: `environments: ${Object.keys(environments).join(', ') || '(none)'}`,
    });
  }
  await rememberEnvironment(ctx, loaded.configFile, name);
  return { ...loaded, environment: name, env };
}
