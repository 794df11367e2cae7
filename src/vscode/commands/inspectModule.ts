import * as vscode from 'vscode';
import { loadEngine } from '../engine';
import { resolveModuleFolder } from '../modules';
import type { CommandFactory } from './registry';

/** Go Deploy: Inspect Module: what Go Deploy sees in the module, in the output channel. */
export const inspectModuleCommand: CommandFactory = {
  id: 'godeploy.inspectModule',
  title: 'Inspect Module',
  runsCode: false,
  create: ({ ctx }) => async (arg?: unknown) => {
    const folder = await resolveModuleFolder(arg);
    if (!folder) {
      void vscode.window.showWarningMessage('Go Deploy: no Go module (go.mod) found in this workspace.');
      return undefined;
    }
    const r = await loadEngine().inspectModule(folder.fsPath);
    ctx.log.block([
      `Inspection of ${r.module} (${r.dir})`,
      `  go ${r.goVersion ?? '(not set)'}${r.toolchain ? `, toolchain ${r.toolchain}` : ''}`,
      `  main packages: ${r.mains.join(', ') || '(none)'}`,
      `  cgo: ${r.cgo ? r.cgoReasons.map((c) => `${c.file}:${c.line} ${c.reason}`).join('; ') : 'no'}`,
      `  port: ${r.port ?? 'unknown'}${r.portSource ? ` (${r.portSource.file}:${r.portSource.line}, ${r.portSource.reason})` : ''}`,
      `  embed: ${r.embed ? r.embedFiles.join(', ') : 'no'}`,
      `  health path: ${r.healthPath ?? 'none found'}`,
      ...(r.work ? [`  go.work (${r.work.file}): ${r.work.use.join(', ')}`] : []),
    ].join('\n'));
    ctx.log.show();
    return r;
  },
};
