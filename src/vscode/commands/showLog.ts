import * as vscode from 'vscode';
import type { CommandFactory } from './registry';

export interface ShowLogResult {
  /** The lines written to the Go Deploy channel this session (redacted as written), "[level] text" each. */
  text: string;
  /** The channel's log file, when VS Code keeps one where extensions' log channels go. */
  file?: string;
}

/** Go Deploy: Show Log: reveals the output channel; returns what was written to it, for callers and tests. */
export const showLogCommand: CommandFactory = {
  id: 'godeploy.showLog',
  title: 'Show Log',
  runsCode: false,
  create:
    ({ ctx }) =>
    async (): Promise<ShowLogResult> => {
      ctx.log.show(true);
      const file = vscode.Uri.joinPath(ctx.extension.logUri, 'Go Deploy.log');
      const exists = await vscode.workspace.fs.stat(file).then(
        () => true,
        () => false,
      );
      return { text: ctx.log.text(), file: exists ? file.fsPath : undefined };
    },
};
