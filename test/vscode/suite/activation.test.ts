// The extension activates by itself on a workspace holding a go.mod and contributes its commands.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from '../../support/vscodeHelpers';

describe('activation', () => {
  it(`activates ${EXTENSION_ID} on a workspace with go.mod (workspaceContains:**/go.mod)`, async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(
      ext,
      `extension ${EXTENSION_ID} is not loaded; loaded: ${vscode.extensions.all
        .map((e) => e.id)
        .filter((id) => !id.startsWith('vscode.'))
        .join(', ')}`,
    );
    // Nobody calls activate(): the activation event alone must do it.
    await waitFor(`${EXTENSION_ID} to become active`, () => ext.isActive, 20_000);
  });

  it('runs as installed from the .vsix: from the extensions folder, not the checkout, with no node_modules beside it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const checkout = process.env.GODEPLOY_VSCODE_CHECKOUT;
    assert.ok(checkout, 'the launcher did not say where the checkout is (GODEPLOY_VSCODE_CHECKOUT)');
    console.log(`${EXTENSION_ID} runs from ${ext.extensionPath} (checkout: ${checkout})`);
    assert.ok(relative(checkout, ext.extensionPath).startsWith('..'), `the extension runs from ${ext.extensionPath}, inside the checkout ${checkout}`);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    assert.ok(!existsSync(join(ext.extensionPath, 'node_modules')), 'the installed extension has a node_modules folder');
    assert.ok(!existsSync(join(ext.extensionPath, 'src')), 'the installed extension has its sources');
    for (const f of ['dist/extension.js', 'dist/core.js', 'dist/cli.js', 'dist/webview/dashboard.js', 'media/icon.png']) {
      assert.ok(existsSync(join(ext.extensionPath, f)), `the installed extension lacks ${f}`);
    }
  });

  it('registers godeploy.initialize, godeploy.inspectModule and godeploy.validateConfig', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    await ext?.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['godeploy.initialize', 'godeploy.inspectModule', 'godeploy.validateConfig']) {
      assert.ok(commands.includes(id), `${id} is not registered`);
    }
  });

  it('contributes the environments view in the godeploy container', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes?: { views?: Record<string, { id: string }[]>; viewsContainers?: { activitybar?: { id: string }[] } };
    };
    assert.ok(
      pkg.contributes?.viewsContainers?.activitybar?.some((c) => c.id === 'godeploy'),
      'no activity-bar container godeploy',
    );
    assert.ok(
      pkg.contributes?.views?.godeploy?.some((v) => v.id === 'godeploy.environments'),
      'no view godeploy.environments',
    );
  });
});
