// Helpers for the suites that run inside VS Code's extension host (test/vscode/suite).
import * as vscode from 'vscode';

export const EXTENSION_ID = 'godeploy.go-deploy';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test VS Code has no workspace folder open');
  return folder.uri;
}

export function configUri(): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), 'godeploy.yaml');
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fails clearly when a command never settles (for example while it awaits a notification). */
export async function withTimeout<T>(what: string, promise: Thenable<T>, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs / 1000}s`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Go Deploy diagnostics of a file, as the Problems panel shows them. */
export function godeployDiagnostics(uri: vscode.Uri, severity?: vscode.DiagnosticSeverity): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'godeploy' && (severity === undefined || d.severity === severity));
}

export function describeDiagnostics(diagnostics: readonly vscode.Diagnostic[]): string {
  if (!diagnostics.length) return '(none)';
  return diagnostics
    .map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} [${vscode.DiagnosticSeverity[d.severity]}] ${d.message.split('\n')[0]}`)
    .join('; ');
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function readText(uri: vscode.Uri): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
}

export async function writeText(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
}

/** Closes every editor without saving and deletes the files a test created. */
export async function cleanUp(...uris: vscode.Uri[]): Promise<void> {
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isDirty && uris.some((u) => u.toString() === doc.uri.toString())) await doc.save();
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  for (const uri of uris) {
    if (await exists(uri)) await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
  }
}

/** A contributed string as the user sees it: %key% placeholders from the extension's package.nls.json. */
export function localized(value: string | undefined): string | undefined {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext || value === undefined) return value;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nls = require(`${ext.extensionPath}/package.nls.json`) as Record<string, string>;
  return value.replace(/^%([^%]+)%$/, (m, k: string) => nls[k] ?? m);
}
