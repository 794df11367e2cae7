// Go Deploy: Initialize writes a valid godeploy.yaml next to go.mod, opens it, and never overwrites.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  cleanUp,
  configUri,
  describeDiagnostics,
  EXTENSION_ID,
  exists,
  godeployDiagnostics,
  readText,
  waitFor,
  withTimeout,
  writeText,
} from '../../support/vscodeHelpers';

describe('godeploy.initialize', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  beforeEach(async () => cleanUp(configUri()));
  afterEach(async () => cleanUp(configUri()));

  it('writes a valid godeploy.yaml at the workspace root, opens it, and reports no errors', async () => {
    const target = configUri();
    assert.equal(await exists(target), false, 'godeploy.yaml exists before the test');

    const written = await withTimeout('godeploy.initialize', vscode.commands.executeCommand<vscode.Uri | undefined>('godeploy.initialize'));
    assert.ok(written instanceof vscode.Uri, `godeploy.initialize returned ${String(written)}, not a Uri`);
    assert.equal(written.fsPath, target.fsPath);
    assert.ok(await exists(target), 'godeploy.yaml was not written');

    const text = await readText(target);
    assert.match(text, /^app:$/m);
    assert.match(text, /^\s+name: hello\b/m);
    assert.match(text, /^\s+port: 8081\b/m);

    await waitFor('godeploy.yaml in a visible editor', () => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === target.fsPath));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, target.fsPath, 'godeploy.yaml is not the active editor');

    // The editor shows what is on disk, and Problems has no Go Deploy error for it. (Polled:
    // right after a delete and re-create VS Code may briefly hand out the old document text.)
    await waitFor(
      'the editor to show the written file with no godeploy errors',
      () => vscode.window.activeTextEditor?.document.getText() === text && godeployDiagnostics(target, vscode.DiagnosticSeverity.Error).length === 0,
      5_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; Problems: ${describeDiagnostics(godeployDiagnostics(target))}`);
    });
    const validated = await withTimeout(
      'godeploy.validateConfig',
      vscode.commands.executeCommand<{ file: string; diagnostics: { severity: string; message: string }[] }>('godeploy.validateConfig'),
    );
    assert.equal(validated?.file, target.fsPath);
    assert.deepEqual(
      validated.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
      [],
      'validateConfig found errors in the generated file',
    );
  });

  it('leaves an existing godeploy.yaml untouched and returns undefined', async () => {
    const target = configUri();
    const first = await withTimeout('first godeploy.initialize', vscode.commands.executeCommand<vscode.Uri | undefined>('godeploy.initialize'));
    assert.ok(first, 'the first run wrote nothing');
    const before = { text: await readText(target), mtime: (await vscode.workspace.fs.stat(target)).mtime };

    // Mark the file so an overwrite (even with identical text) would show.
    const marked = `${before.text}# kept by the test\n`;
    await writeText(target, marked);
    const markedMtime = (await vscode.workspace.fs.stat(target)).mtime;
    await new Promise((r) => setTimeout(r, 50)); // so a rewrite would get a later mtime

    const second = await withTimeout('second godeploy.initialize', vscode.commands.executeCommand<vscode.Uri | undefined>('godeploy.initialize'));
    assert.equal(second, undefined, 'the second run returned a value: it should write nothing');
    assert.equal(await readText(target), marked, 'the second run changed godeploy.yaml');
    assert.equal((await vscode.workspace.fs.stat(target)).mtime, markedMtime, 'the second run rewrote godeploy.yaml');
  });
});
