import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigDiagnostic, ModuleInspection } from '../core/index';
import type { GoDeployContext } from './context';
import { loadEngine } from './engine';

const configGlob = '**/godeploy.yaml';

/**
 * Keeps the Problems panel in step with every godeploy.yaml in the workspace: open
 * documents are validated as they change, files on disk when they are created or saved.
 */
export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('godeploy');
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly inspections = new Map<string, Promise<ModuleInspection | undefined>>();
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(private readonly ctx: GoDeployContext) {
    const watcher = vscode.workspace.createFileSystemWatcher(configGlob);
    const goWatcher = vscode.workspace.createFileSystemWatcher('**/{go.mod,*.go}');
    const forget = () => this.inspections.clear();
    this.disposables.push(
      watcher,
      goWatcher,
      goWatcher.onDidCreate(forget),
      goWatcher.onDidChange(forget),
      goWatcher.onDidDelete(forget),
      watcher.onDidCreate((u) => this.validateUri(u)),
      watcher.onDidChange((u) => this.validateUri(u)),
      watcher.onDidDelete((u) => this.collection.delete(u)),
      vscode.workspace.onDidOpenTextDocument((d) => this.validateDocument(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidSaveTextDocument((d) => this.validateDocument(d)),
    );
  }

  /** Validates every godeploy.yaml in the workspace (at start-up and on demand). */
  async validateWorkspace(): Promise<void> {
    const files = await vscode.workspace.findFiles(configGlob, '**/{node_modules,vendor}/**', 200);
    await Promise.all(files.map((u) => this.validateUri(u)));
  }

  async validateUri(uri: vscode.Uri): Promise<ConfigDiagnostic[]> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.validateDocument(open);
    try {
      // The bytes: the engine reports where a file on disk is not UTF-8.
      return await this.publish(uri, await vscode.workspace.fs.readFile(uri));
    } catch {
      this.collection.delete(uri);
      return [];
    }
  }

  async validateDocument(document: vscode.TextDocument): Promise<ConfigDiagnostic[]> {
    if (!isConfig(document.uri)) return [];
    return this.publish(document.uri, document.getText());
  }

  /** Validates given text as the content of `uri` (for a file just written). */
  validateText(uri: vscode.Uri, text: string): Promise<ConfigDiagnostic[]> {
    return this.publish(uri, text);
  }

  private schedule(document: vscode.TextDocument): void {
    if (!isConfig(document.uri)) return;
    const key = document.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.validateDocument(document);
      }, 250),
    );
  }

  private async publish(uri: vscode.Uri, text: string | Uint8Array): Promise<ConfigDiagnostic[]> {
    const { validateConfigText } = loadEngine();
    const inspection = await this.inspect(path.dirname(uri.fsPath));
    const result = validateConfigText(uri.fsPath, text, inspection);
    this.collection.set(uri, result.diagnostics.map(toVscode));
    return result.diagnostics;
  }

  /** The module next to the config (cached until Go files change); none without go.mod. */
  private inspect(dir: string): Promise<ModuleInspection | undefined> {
    const p = this.inspections.get(dir);
    if (!p) {
      const { inspectModule } = loadEngine();
      const found = Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, 'go.mod')))).then(
        () =>
          inspectModule(dir).catch((e: unknown) => {
            this.ctx.log.warn(`inspecting ${dir}: ${(e as Error).message}`);
            return undefined;
          }),
        () => undefined,
      );
      this.inspections.set(dir, found);
      return found;
    }
    return p;
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

function isConfig(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && path.basename(uri.fsPath) === 'godeploy.yaml';
}

function toVscode(d: ConfigDiagnostic): vscode.Diagnostic {
  const start = new vscode.Position(d.line - 1, d.col - 1);
  let end = new vscode.Position(d.endLine - 1, d.endCol - 1);
  if (!end.isAfter(start)) end = start.translate(0, 1);
  const message = d.hint ? `${d.message}\n${d.hint}` : d.message;
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(start, end),
    message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = 'godeploy';
  if (d.path) diagnostic.code = d.path;
  return diagnostic;
}
