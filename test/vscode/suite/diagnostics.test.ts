// Problems in godeploy.yaml show in the Problems panel (source "godeploy") on the lines
// they are on, and go away when the document is fixed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cleanUp, configUri, describeDiagnostics, EXTENSION_ID, godeployDiagnostics, waitFor, writeText } from '../../support/vscodeHelpers';

// Each problem sits on a line of its own; `line` is 1-based like the CLI's FILE:LINE:COL.
const broken = [
  'app:',
  '  name: hello',
  '  port: "eighty"', //             3: a string where an integer belongs
  'environments:',
  '  dev:',
  '    type: kubernetes', //         6: unknown environment type
  '  prod:', //                      7: an ssh environment without hosts
  '    type: ssh',
  '    path: /srv/hello',
  'build:',
  '  ldflags: -s: -w', //           11: YAML syntax error (nested mapping in a compact one)
  '  targets: [linux/amd64]',
  '',
].join('\n');

const expected = [
  { line: 3, what: 'wrong value type', col: 9 }, // the value "eighty"
  { line: 6, what: 'unknown environment type', col: 11 }, // the value kubernetes
  { line: 7, what: 'missing required key hosts' },
  { line: 11, what: 'YAML syntax error' },
];

const fixed = [
  'app:',
  '  name: hello',
  '  port: 8081',
  'environments:',
  '  dev:',
  '    type: local',
  '  prod:',
  '    type: ssh',
  '    hosts:',
  '      - host: 203.0.113.10',
  '        user: deploy',
  '    path: /srv/hello',
  'build:',
  '  ldflags: "-s -w"',
  '  targets: [linux/amd64]',
  '',
].join('\n');

describe('godeploy.yaml diagnostics', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  beforeEach(async () => cleanUp(configUri()));
  afterEach(async () => cleanUp(configUri()));

  it('reports each problem of a broken file as an Error on its line, then clears them once fixed', async () => {
    const uri = configUri();
    await writeText(uri, broken);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);

    const errorLines = () => new Set(godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error).map((d) => d.range.start.line + 1));
    await waitFor(`errors on lines ${expected.map((e) => e.line).join(', ')}`, () => expected.every((e) => errorLines().has(e.line))).catch((err: Error) => {
      throw new Error(`${err.message}; got ${describeDiagnostics(godeployDiagnostics(uri))}`);
    });

    const errors = godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error);
    for (const e of expected) {
      const here = errors.filter((d) => d.range.start.line === e.line - 1);
      assert.ok(here.length, `no error for the ${e.what} on line ${e.line}`);
      if (e.col !== undefined) {
        assert.ok(
          here.some((d) => d.range.start.character === e.col - 1),
          `the ${e.what} error on line ${e.line} does not start at column ${e.col}: ${describeDiagnostics(here)}`,
        );
      }
    }
    const unexpected = errors.filter((d) => !expected.some((e) => e.line === d.range.start.line + 1));
    assert.deepEqual(
      unexpected.map((d) => d.range.start.line + 1),
      [],
      `errors on unexpected lines: ${describeDiagnostics(unexpected)}`,
    );

    // Fix it in the editor (a change, not a save): the errors go away.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), fixed);
    assert.ok(await vscode.workspace.applyEdit(edit), 'the WorkspaceEdit was not applied');
    await waitFor('the errors to clear after the fix', () => godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error).length === 0).catch((err: Error) => {
      throw new Error(`${err.message}; still ${describeDiagnostics(godeployDiagnostics(uri))}`);
    });

    // Saving keeps it clean.
    assert.ok(await doc.save(), 'saving the fixed file failed');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error).length,
      0,
      `errors came back after saving: ${describeDiagnostics(godeployDiagnostics(uri))}`,
    );
  });

  it('updates diagnostics when a valid open file is broken by an edit', async () => {
    const uri = configUri();
    await writeText(uri, fixed);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error).length,
      0,
      `a valid file has errors: ${describeDiagnostics(godeployDiagnostics(uri))}`,
    );

    const portLine = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('  port:'));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, doc.lineAt(portLine).range, '  port: "eighty"');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const errors = await waitFor(`an error on line ${portLine + 1}`, () => {
      const found = godeployDiagnostics(uri, vscode.DiagnosticSeverity.Error);
      return found.some((d) => d.range.start.line === portLine) && found;
    });
    assert.equal(errors.length, 1, `expected only the port error: ${describeDiagnostics(errors)}`);
  });

  it('shows exactly the problems `godeploy validate` prints, at the same FILE:LINE:COL', async () => {
    const uri = configUri();
    await writeText(uri, broken);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath ?? '';
    let cliOutput = '';
    try {
      execFileSync(process.execPath, [path.join(extensionPath, 'dist', 'cli.js'), 'validate', '--json'], {
        cwd: path.dirname(uri.fsPath),
        encoding: 'utf8',
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
    } catch (e) {
      cliOutput = String((e as { stdout?: string }).stdout ?? '');
    }
    const cli = (JSON.parse(cliOutput) as { diagnostics: { line: number; col: number; message: string }[] }).diagnostics;
    assert.ok(cli.length >= expected.length, `the CLI found ${cli.length} problems`);
    const wanted = cli.map((d) => `${d.line}:${d.col} ${d.message}`).sort();
    const shown = () =>
      godeployDiagnostics(uri)
        .map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message.split('\n')[0]}`)
        .sort();
    await waitFor('the editor to show what the CLI printed', () => JSON.stringify(shown()) === JSON.stringify(wanted)).catch(() =>
      assert.deepEqual(shown(), wanted),
    );
  });
});
