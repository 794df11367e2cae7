// The "Get started with Go Deploy" walkthrough: every step's button runs a command the
// extension registers, completes on that command, and has its page; the walkthrough opens.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, localized } from '../../support/vscodeHelpers';

interface Step {
  id: string;
  description: string;
  completionEvents: string[];
  media: { markdown: string };
}

describe('Get started with Go Deploy (walkthrough)', () => {
  it('has its six steps, each with a button for a registered command that completes the step, and a page', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const walkthrough = (ext.packageJSON as { contributes: { walkthroughs: { id: string; steps: Step[] }[] } }).contributes.walkthroughs.find(
      (w) => w.id === 'getStarted',
    );
    assert.ok(walkthrough, 'no walkthrough getStarted');
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['initialize', 'generate', 'crossCompile', 'deploy', 'sshHost', 'tailLogs'],
    );
    const registered = await vscode.commands.getCommands(true);
    for (const s of walkthrough.steps) {
      const button = /\(command:(godeploy\.[A-Za-z]+)\)/.exec(localized(s.description) ?? '')?.[1];
      assert.ok(button && registered.includes(button), `${s.id}: button ${button} is not a registered command`);
      assert.deepEqual(s.completionEvents, [`onCommand:${button}`], `${s.id} completes when its button's command runs`);
      assert.ok(existsSync(path.join(ext.extensionPath, s.media.markdown)), `${s.id}: ${s.media.markdown} is missing`);
    }
  });
});
