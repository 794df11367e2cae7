// Go Deploy: Use the Bundled godeploy CLI in Terminals / Stop Using …: turn the setting
// godeploy.terminal.addCliToPath on or off (for every workspace) and apply it at once.
import * as vscode from 'vscode';
import { ADD_CLI_SETTING, addCliToTerminalPath, removeCliFromTerminalPath, type TerminalCli } from '../terminalCli';
import type { CommandFactory } from './registry';

const setSetting = (on: boolean) => vscode.workspace.getConfiguration('godeploy').update(ADD_CLI_SETTING, on, vscode.ConfigurationTarget.Global);

export const addCliToTerminalPathCommand: CommandFactory = {
  id: 'godeploy.addCliToTerminalPath',
  title: 'Use the Bundled godeploy CLI in Terminals',
  runsCode: false,
  create:
    ({ ctx }) =>
    async (): Promise<TerminalCli> => {
      await setSetting(true);
      const added = await addCliToTerminalPath(ctx);
      void vscode.window.showInformationMessage(
        `Go Deploy: new terminals run the bundled CLI as \`godeploy\` (${added.dir} first on PATH). Terminals already open get it when relaunched.`,
      );
      return added;
    },
};

export const removeCliFromTerminalPathCommand: CommandFactory = {
  id: 'godeploy.removeCliFromTerminalPath',
  title: 'Stop Using the Bundled godeploy CLI in Terminals',
  runsCode: false,
  create:
    ({ ctx }) =>
    async (): Promise<void> => {
      await setSetting(false);
      removeCliFromTerminalPath(ctx);
      void vscode.window.showInformationMessage('Go Deploy: new terminals no longer have the bundled `godeploy` on PATH.');
    },
};
