import * as vscode from 'vscode';
import { loadEngine } from '../engine';
import { resolveModuleFolder } from '../modules';
import type { CommandFactory } from './registry';

/** Go Deploy: Inspect Module: what Go Deploy sees in the module, in the output channel. */
export const inspectModuleCommand: CommandFactory = {
  id: 'godeploy.inspectModule',
  title: 'Inspect Module',
  runsCode: false,
  create:
    ({ ctx }) =>
    async (arg?: unknown) => {
      const folder = await resolveModuleFolder(arg);
      if (!folder) {
        void vscode.window.showWarningMessage('Go Deploy: no Go module (go.mod) found in this workspace.');
        return undefined;
      }
      const engine = loadEngine();
      const r = await engine.inspectModule(folder.fsPath);
      ctx.log.block(`Inspection of ${r.module} (${r.dir})\n${engine.formatInspection(r)}`);
      ctx.log.show();
      return r;
    },
};
