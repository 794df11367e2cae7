import * as vscode from 'vscode';
import { Log } from './log';

/**
 * The one owner of lifetimes: everything the extension registers or starts is pushed
 * onto `subscriptions` (the ExtensionContext's list) and disposed with it.
 */
export class GoDeployContext {
  readonly log: Log;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(new Log());
  }

  own<T extends vscode.Disposable>(disposable: T): T {
    this.extension.subscriptions.push(disposable);
    return disposable;
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }
}
