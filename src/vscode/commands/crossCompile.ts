import * as vscode from 'vscode';
import type { BuildResult, TargetProgress } from '../../core/build/types';
import type { GoDeployConfig } from '../../core/config/model';
import type { ModuleInspection } from '../../core/gomod/inspect';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { loadModuleConfig } from '../modules';
import { humanSize, initialSelection, isTargetList, LAST_TARGETS_KEY, orderTargets, pickerTargets } from '../tasks/targets';
import type { CommandDeps, CommandFactory } from './registry';

/** What a caller (a test, another extension) may pass instead of answering the picker. */
export interface CrossCompileArgs {
  targets: string[];
  /** The module folder; default as for the palette (the only module, or a pick). */
  module?: vscode.Uri | string;
}

function isArgs(arg: unknown): arg is CrossCompileArgs {
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) && isTargetList((arg as CrossCompileArgs).targets);
}

function moduleArg(arg: unknown): unknown {
  if (!isArgs(arg)) return arg;
  return typeof arg.module === 'string' ? vscode.Uri.file(arg.module) : arg.module;
}

/** The multi-select picker: common targets first, the last choice (or build.targets) checked. */
async function pickTargets(ctx: GoDeployContext, configured: string[] | undefined): Promise<string[] | undefined> {
  const engine = loadEngine();
  const remembered = ctx.extension.workspaceState.get<unknown>(LAST_TARGETS_KEY);
  const available = await engine.listGoTargets();
  const selected = initialSelection(orderTargets(available), isTargetList(remembered) ? remembered : undefined, configured);
  const all = pickerTargets(available, selected);
  const picked = await vscode.window.showQuickPick(
    all.map((t) => ({ label: t, picked: selected.includes(t), description: variantNote(t) })),
    {
      title: 'Go Deploy: cross-compile for which targets?',
      placeHolder: 'Check the targets to build (GOOS/GOARCH[/variant])',
      canPickMany: true,
      ignoreFocusOut: true,
      matchOnDescription: true,
    },
  );
  return picked?.map((p) => p.label);
}

function variantNote(target: string): string | undefined {
  const [os, arch, variant] = target.split('/');
  if (!variant) return undefined;
  return arch === 'arm' ? `GOARM=${variant}` : arch === 'amd64' ? `GOAMD64=${variant}` : `${os} ${arch} variant ${variant}`;
}

/** Per-target states, shown as one line in the progress notification. */
function progressLine(states: Map<string, TargetProgress['state']>): string {
  const done = [...states.values()].filter((s) => s === 'done').length;
  const busy = [...states.entries()].filter(([, s]) => s === 'building' || s === 'verifying').map(([t, s]) => `${t} ${s}`);
  const failed = [...states.entries()].filter(([, s]) => s === 'failed').map(([t]) => `${t} failed`);
  return [`${done}/${states.size} done`, ...busy, ...failed].join(' · ');
}

async function build(
  ctx: GoDeployContext,
  folder: vscode.Uri,
  { config, inspection }: { config: GoDeployConfig; inspection: ModuleInspection },
  targets: string[],
): Promise<BuildResult | undefined> {
  const engine = loadEngine();
  ctx.log.info(`cross-compiling ${vscode.workspace.asRelativePath(folder)} for ${targets.join(', ')}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Go Deploy: cross-compiling', cancellable: true },
    async (progress, token) => {
      const states = new Map<string, TargetProgress['state']>(targets.map((t) => [t, 'queued']));
      progress.report({ message: progressLine(states) });
      try {
        return await engine.runBuild({
          moduleDir: folder.fsPath,
          config,
          inspection,
          targets,
          token,
          onProgress: (p) => {
            const before = states.get(p.target);
            states.set(p.target, p.state);
            ctx.log.info(`${p.target}: ${p.state}${p.message ? ` (${p.message})` : ''}`);
            const finished = p.state === 'done' || p.state === 'failed' || p.state === 'cancelled';
            progress.report({ message: progressLine(states), increment: finished && before !== p.state ? 100 / targets.length : undefined });
          },
          onOutput: (target, text) =>
            ctx.log.block(
              text
                .replace(/\n$/, '')
                .split('\n')
                .map((l) => `[${target}] ${l}`)
                .join('\n'),
            ),
        });
      } catch (e) {
        if (token.isCancellationRequested) {
          ctx.log.info('cross-compile cancelled');
          void vscode.window.showInformationMessage('Go Deploy: cross-compile cancelled.');
          return undefined;
        }
        throw e;
      }
    },
  );
}

function report(ctx: GoDeployContext, result: BuildResult): void {
  ctx.log.info(`built ${result.artifacts.length} binar${result.artifacts.length === 1 ? 'y' : 'ies'} (version ${result.version}) into ${result.outDir}`);
  for (const a of result.artifacts) ctx.log.info(`  ${a.target.padEnd(16)} ${a.path}  ${humanSize(a.size)}  sha256 ${a.sha256}`);
  ctx.log.info(`  checksums: ${result.checksumsFile}`);
  const where = vscode.workspace.asRelativePath(result.outDir);
  // Not awaited: the command settles now; the notification waits for the user.
  void vscode.window
    .showInformationMessage(
      `Go Deploy: built ${result.artifacts.length} target(s) into ${where} (version ${result.version}).`,
      'Reveal in Explorer',
      'Show Log',
    )
    .then((choice) => {
      if (choice === 'Show Log') ctx.log.show(false);
      if (choice !== 'Reveal in Explorer') return;
      // A file inside dist/, so the explorer expands the folder and the OS file manager opens it.
      const sums = vscode.Uri.file(result.checksumsFile);
      const inWorkspace = vscode.workspace.getWorkspaceFolder(sums) !== undefined;
      // On the web (code-server) or remotely there is no local file manager to reveal in.
      const command = inWorkspace && (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName) ? 'revealInExplorer' : 'revealFileInOS';
      void vscode.commands.executeCommand(command, sums);
    });
}

/**
 * Go Deploy: Cross-Compile…: pick targets (or take `{ targets }`), build them in parallel
 * with per-target progress and cancellation, log every artifact with its checksum.
 * Returns the BuildResult, or undefined when cancelled.
 */
async function crossCompile(deps: CommandDeps, arg: unknown): Promise<BuildResult | undefined> {
  const { ctx } = deps;
  const loaded = await loadModuleConfig(moduleArg(arg), 'cross-compiling');
  if (!loaded) return undefined;
  const { folder, config, inspection } = loaded;
  const targets = isArgs(arg) ? arg.targets : await pickTargets(ctx, config.build?.targets);
  if (!targets?.length) return undefined;
  await ctx.extension.workspaceState.update(LAST_TARGETS_KEY, targets);
  const result = await build(ctx, folder, { config, inspection }, targets);
  if (result) report(ctx, result);
  return result;
}

export const crossCompileCommand: CommandFactory = {
  id: 'godeploy.crossCompile',
  title: 'Cross-Compile',
  runsCode: true,
  create: (deps) => (arg?: unknown) => crossCompile(deps, arg),
};
