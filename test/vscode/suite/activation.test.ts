// The extension activates by itself on a workspace holding a go.mod and contributes its commands.
import * as assert from 'node:assert/strict';
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
