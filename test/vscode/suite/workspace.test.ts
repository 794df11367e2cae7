// Sanity checks of the harness itself: the suites run inside a real VS Code whose
// workspace is a fresh copy of test/fixtures/modules/single.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('test workspace', () => {
  it('is a single folder holding the fixture Go module', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'expected exactly one workspace folder');
    const gomods = await vscode.workspace.findFiles('**/go.mod');
    assert.equal(gomods.length, 1, `expected one go.mod, found ${gomods.map((u) => u.fsPath).join(', ')}`);
    const text = Buffer.from(await vscode.workspace.fs.readFile(gomods[0])).toString('utf8');
    assert.match(text, /^module example\.com\/hello$/m);
  });
});
