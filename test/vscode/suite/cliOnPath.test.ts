// Go Deploy: Use the Bundled godeploy CLI in Terminals: a new integrated terminal finds
// `godeploy` on PATH, and it runs the CLI of the installed extension with the editor's own
// Node.js (even with nothing but the launcher's folder on PATH); Stop Using … takes it off.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TerminalCli } from '../../../src/vscode/terminalCli';
import { EXTENSION_ID, waitFor } from '../../support/vscodeHelpers';

let scratch: string;

/** Runs `script` with /bin/sh in a new integrated terminal; returns what it wrote to its output file. */
async function inNewTerminal(name: string, script: string): Promise<string> {
  const out = path.join(scratch, `${name}.txt`);
  const terminal = vscode.window.createTerminal({
    name: `godeploy test: ${name}`,
    shellPath: '/bin/sh',
    shellArgs: ['-c', `{ ${script}; } >'${out}.tmp' 2>&1; mv '${out}.tmp' '${out}'`],
  });
  try {
    await waitFor(`the terminal "${name}" to write ${out}`, () => existsSync(out), 30_000);
    return readFileSync(out, 'utf8');
  } finally {
    terminal.dispose();
  }
}

describe('the bundled godeploy CLI in terminals', () => {
  const ext = () => {
    const e = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(e, `${EXTENSION_ID} is not loaded`);
    return e;
  };

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'godeploy-cli-on-path-'));
    await ext().activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('godeploy.removeCliFromTerminalPath');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('puts the installed extension’s godeploy first on PATH in a new terminal, runnable without Node on PATH', async () => {
    const version = (ext().packageJSON as { version: string }).version;
    const added = await vscode.commands.executeCommand<TerminalCli>('godeploy.addCliToTerminalPath');
    assert.ok(added, 'the command returned nothing (it failed: see the Go Deploy log)');
    assert.equal(added.cli, path.join(ext().extensionPath, 'dist', 'cli.js'), 'the launcher runs another copy of the CLI than the installed extension’s');
    assert.equal(statSync(added.launcher).mode & 0o777, 0o755, 'the launcher is not mode 0755');
    assert.equal(vscode.workspace.getConfiguration('godeploy').get('terminal.addCliToPath'), true, 'the setting was not turned on');

    const found = await inNewTerminal(
      'on-path',
      // Then with nothing but the launcher's folder on PATH: no node, no other programs.
      'command -v godeploy; echo "version: $(godeploy --version)"; bin=$(dirname "$(command -v godeploy)"); echo "alone: $(PATH="$bin" godeploy --version)"',
    );
    const [where] = found.split('\n');
    assert.equal(where, added.launcher, `a new terminal finds godeploy elsewhere:\n${found}`);
    assert.match(found, new RegExp(`^version: .*${version.replace(/\./g, '\\.')}`, 'm'), `godeploy --version in the terminal:\n${found}`);
    assert.match(found, new RegExp(`^alone: .*${version.replace(/\./g, '\\.')}`, 'm'), `godeploy --version with only the launcher on PATH:\n${found}`);
  });

  it('Stop Using … takes it off PATH in new terminals', async () => {
    const added = await vscode.commands.executeCommand<TerminalCli>('godeploy.addCliToTerminalPath');
    assert.ok(added);
    await vscode.commands.executeCommand('godeploy.removeCliFromTerminalPath');
    assert.equal(vscode.workspace.getConfiguration('godeploy').get('terminal.addCliToPath'), false, 'the setting was not turned off');
    const path_ = await inNewTerminal('off-path', 'echo "PATH=$PATH"; echo "godeploy: $(command -v godeploy)"');
    assert.ok(!path_.includes(added.dir), `a new terminal still has ${added.dir} on PATH:\n${path_}`);
  });
});
