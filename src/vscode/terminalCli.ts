// The godeploy CLI bundled with the extension, on the PATH of the integrated terminals:
// a launcher `godeploy` (POSIX sh; `godeploy.cmd` on Windows) in the extension's global
// storage runs <extension>/dist/cli.js with the editor's own Node.js (ELECTRON_RUN_AS_NODE),
// so it works without Node installed; the extension's environment variable collection
// prepends that folder to PATH. The setting godeploy.terminal.addCliToPath says whether;
// the launcher is rewritten on each activation, because an update of the extension or of
// the editor moves the paths it holds.
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployContext } from './context';
import { loadEngine } from './engine';

export const ADD_CLI_SETTING = 'terminal.addCliToPath';

/** Where the launcher went, for the commands' callers and tests. */
export interface TerminalCli {
  /** The folder prepended to PATH. */
  dir: string;
  /** The launcher new terminals run as `godeploy`. */
  launcher: string;
  /** The bundled CLI it runs. */
  cli: string;
}

/** `value` as one POSIX shell word. */
const shQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** The POSIX sh launcher: runs `cli` with `node` (the editor's executable as Node), or says the extension moved. */
export function shLauncher(node: string, cli: string): string {
  return [
    '#!/bin/sh',
    '# Written by the Go Deploy extension (Go Deploy: Use the Bundled godeploy CLI in Terminals):',
    "# runs the godeploy CLI bundled with the extension with the editor's own Node.js.",
    `node=${shQuote(node)}`,
    `cli=${shQuote(cli)}`,
    'if [ ! -f "$cli" ] || [ ! -x "$node" ]; then',
    '  echo "godeploy: $cli or $node is gone (the extension or the editor was updated or removed); open a Go module in the editor to rewrite this launcher, or install the CLI: npm install --global go-deploy" >&2',
    '  exit 127',
    'fi',
    'ELECTRON_RUN_AS_NODE=1 exec "$node" "$cli" "$@"',
    '',
  ].join('\n');
}

/** The cmd.exe launcher for Windows terminals. */
export function cmdLauncher(node: string, cli: string): string {
  const q = (s: string) => `"${s.replace(/%/g, '%%')}"`;
  return ['@echo off', 'setlocal', 'set ELECTRON_RUN_AS_NODE=1', `${q(node)} ${q(cli)} %*`, ''].join('\r\n');
}

/** Writes `text` to `file` through a temporary file and a rename, so a terminal never runs half a launcher. */
async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** Writes the launchers and prepends their folder to PATH in new terminals. */
export async function addCliToTerminalPath(ctx: GoDeployContext): Promise<TerminalCli> {
  const ext = ctx.extension;
  const cli = path.join(ext.extensionPath, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    throw new (loadEngine().GoDeployError)(`this copy of Go Deploy has no bundled CLI (${cli} is missing)`, {
      hint: 'reinstall the extension, or install the CLI with npm install --global go-deploy',
    });
  }
  const dir = path.join(ext.globalStorageUri.fsPath, 'bin');
  await mkdir(dir, { recursive: true });
  const launcher = path.join(dir, process.platform === 'win32' ? 'godeploy.cmd' : 'godeploy');
  if (process.platform === 'win32') await writeAtomically(launcher, cmdLauncher(process.execPath, cli), 0o755);
  else await writeAtomically(launcher, shLauncher(process.execPath, cli), 0o755);
  const env = ext.environmentVariableCollection;
  env.description = `Puts \`godeploy\` (the CLI bundled with Go Deploy ${String((ext.extension.packageJSON as { version?: unknown }).version ?? '')}) on PATH: ${dir}`;
  env.prepend('PATH', dir + path.delimiter);
  ctx.log.info(`godeploy for the integrated terminals: ${launcher} runs ${cli}; new terminals have ${dir} first on PATH`);
  return { dir, launcher, cli };
}

/** Takes the launchers' folder off PATH in new terminals. */
export function removeCliFromTerminalPath(ctx: GoDeployContext): void {
  const env = ctx.extension.environmentVariableCollection;
  if (!env.get('PATH')) return;
  env.delete('PATH');
  ctx.log.info('godeploy for the integrated terminals: no longer on PATH in new terminals');
}

export function cliOnPathEnabled(): boolean {
  return vscode.workspace.getConfiguration('godeploy').get<boolean>(ADD_CLI_SETTING, false);
}

/**
 * Follows the setting: on activation (after it returns) and whenever the setting changes,
 * the launchers are written and PATH prepended, or PATH restored.
 */
export function trackTerminalCli(ctx: GoDeployContext): void {
  const apply = () => {
    const done = cliOnPathEnabled() ? addCliToTerminalPath(ctx) : Promise.resolve(removeCliFromTerminalPath(ctx));
    done.catch((e: unknown) => ctx.log.error(e instanceof Error ? e : String(e)));
  };
  setTimeout(apply, 0);
  ctx.own(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`godeploy.${ADD_CLI_SETTING}`)) apply();
    }),
  );
}
