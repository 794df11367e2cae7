// Go Deploy: Inspect Module, run through the real command API on the fixture module.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, withTimeout } from '../../support/vscodeHelpers';

interface Inspection {
  module: string;
  goVersion?: string;
  mains: string[];
  cgo: boolean;
  port?: number;
  embed: boolean;
}

describe('godeploy.inspectModule', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('returns the inspection of example.com/hello: one main at ".", port 8081, no cgo', async () => {
    const r = await withTimeout('godeploy.inspectModule', vscode.commands.executeCommand<Inspection | undefined>('godeploy.inspectModule'));
    assert.ok(r, 'godeploy.inspectModule returned nothing');
    assert.equal(r.module, 'example.com/hello');
    assert.deepEqual(r.mains, ['.']);
    assert.equal(r.port, 8081);
    assert.equal(r.goVersion, '1.19');
    assert.equal(r.cgo, false);
    assert.equal(r.embed, false);
  });
});
