import * as vscode from 'vscode';
import type { ErrorLink } from '../core/index';
import type { GoDeployContext } from './context';
import { loadEngine } from './engine';

/**
 * Shows an error to the user: a GoDeployError with its hint (and a button for its link,
 * such as "Download Go"), anything else as an internal error. Details and stacks go to the
 * log, reached through "Show Log".
 */
export function showError(ctx: GoDeployContext, title: string, e: unknown): void {
  const { isGoDeployError } = loadEngine();
  let message: string;
  let link: ErrorLink | undefined;
  if (isGoDeployError(e)) {
    ctx.log.error(`${title}: ${e.format()}`);
    message = `${title}: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
    link = e.link;
  } else {
    ctx.log.error(e instanceof Error ? e : String(e));
    message = `${title}: internal error: ${e instanceof Error ? e.message : String(e)}`;
  }
  // Not awaited: the failed command settles at once; the notification waits for the user.
  void vscode.window.showErrorMessage(message, ...(link ? [link.label] : []), 'Show Log').then((choice) => {
    if (choice === 'Show Log') ctx.log.show(false);
    else if (link && choice === link.label) void vscode.env.openExternal(vscode.Uri.parse(link.url));
  });
}
