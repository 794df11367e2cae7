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
  main: string | null;
  mainPackages: {
    path: string;
    binaryName: string;
    serve: { kind: string; evidence: { file: string; line: number }[] };
    port: { port: number | null; settings: { kind: string; name?: string }[] };
    health: { path: string | null };
  }[];
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

  it("shows each main's facts: how it serves, its port and how the port reaches it, its health path", async () => {
    const r = await withTimeout('godeploy.inspectModule', vscode.commands.executeCommand<Inspection | undefined>('godeploy.inspectModule'));
    assert.equal(r?.main, '.');
    const [m] = r?.mainPackages ?? [];
    assert.equal(m?.binaryName, 'hello');
    assert.equal(m?.serve.kind, 'http');
    assert.equal(m?.serve.evidence[0]?.file, 'main.go');
    assert.equal(m?.port.port, 8081);
    assert.deepEqual(m?.port.settings, [{ kind: 'env', name: 'PORT' }]);
    assert.equal(m?.health.path, '/healthz');
  });
});
