// Go Deploy: Cross-Compile… builds the chosen targets into dist/ with checksums, returns
// what it built, and remembers the choice as the picker's preselection for next time.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BuildResult } from '../../../src/core/build/types';
import { COMMON_TARGETS, humanSize, initialSelection, orderTargets, pickerTargets } from '../../../src/vscode/tasks/targets';
import { cleanUp, configUri, EXTENSION_ID, exists, withTimeout, workspaceRoot, writeText, localized } from '../../support/vscodeHelpers';

const dist = () => vscode.Uri.joinPath(workspaceRoot(), 'dist');
const BUILD_MS = 240_000;

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('Go Deploy: Cross-Compile', function () {
  this.timeout(BUILD_MS + 30_000);
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });
  beforeEach(async () => {
    await cleanUp(dist(), configUri());
    await writeText(configUri(), 'app:\n  name: hello\n  port: 8081\nbuild:\n  targets: [linux/arm64]\n');
  });
  afterEach(async () => cleanUp(dist(), configUri()));

  it('with { targets }, builds both into dist/, lists them in SHA256SUMS and returns what is on disk', async () => {
    const r = await withTimeout(
      'godeploy.crossCompile',
      vscode.commands.executeCommand<BuildResult | undefined>('godeploy.crossCompile', { targets: ['linux/amd64', 'windows/amd64'] }),
      BUILD_MS,
    );
    assert.ok(r, 'the command returned no result (it failed: see the Go Deploy log)');
    assert.equal(path.resolve(r.outDir), dist().fsPath);
    assert.deepEqual(r.artifacts.map((a) => a.target).sort(), ['linux/amd64', 'windows/amd64']);
    const names = r.artifacts.map((a) => path.basename(a.path)).sort();
    assert.deepEqual(names, [`hello_${r.version}_linux_amd64`, `hello_${r.version}_windows_amd64.exe`]);

    const sums = readFileSync(path.join(dist().fsPath, 'SHA256SUMS'), 'utf8');
    for (const a of r.artifacts) {
      assert.equal(path.dirname(a.path), dist().fsPath, `${a.path} is not in dist/`);
      assert.ok(await exists(vscode.Uri.file(a.path)), `${a.path} is missing`);
      assert.equal(statSync(a.path).size, a.size, `size of ${a.file}`);
      assert.equal(sha256(a.path), a.sha256, `sha256 of ${a.file}`);
      assert.ok(a.size > 1024 * 1024, `${a.file} is suspiciously small (${humanSize(a.size)})`);
      assert.match(sums, new RegExp(`^${a.sha256} [ *]?${a.file.replace(/\./g, '\\.')}$`, 'm'), `SHA256SUMS has no line for ${a.file}:\n${sums}`);
    }
    assert.equal(sums.trim().split('\n').length, 2, `SHA256SUMS lists exactly the two binaries:\n${sums}`);
  });

  it('preselects the last choice in the picker: accepting it as is builds those targets again', async () => {
    const first = await withTimeout(
      'godeploy.crossCompile',
      vscode.commands.executeCommand<BuildResult | undefined>('godeploy.crossCompile', { targets: ['linux/amd64'] }),
      BUILD_MS,
    );
    assert.deepEqual(
      first?.artifacts.map((a) => a.target),
      ['linux/amd64'],
    );
    await cleanUp(dist());

    // No argument: the multi-select picker opens with the remembered targets checked
    // (not build.targets of godeploy.yaml); accept it as a user pressing Enter would.
    let settled = false;
    const running = vscode.commands.executeCommand<BuildResult | undefined>('godeploy.crossCompile').then((r) => {
      settled = true;
      return r;
    });
    const deadline = Date.now() + 30_000;
    while (!settled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      if (await exists(dist())) break;
    }
    const second = await withTimeout('godeploy.crossCompile from the picker', running, BUILD_MS);
    assert.deepEqual(
      second?.artifacts.map((a) => a.target),
      ['linux/amd64'],
      'the picker did not preselect the remembered choice',
    );
  });

  it('is contributed in the palette and in the explorer menu of Go modules', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { commands: { command: string; title: string; category: string }[]; menus: Record<string, { command?: string }[]> };
    };
    const cmd = pkg.contributes.commands.find((c) => c.command === 'godeploy.crossCompile');
    assert.equal(cmd?.category, 'Go Deploy');
    assert.equal(localized(cmd?.title), 'Cross-Compile…');
    assert.ok(pkg.contributes.menus['godeploy.explorer'].some((m) => m.command === 'godeploy.crossCompile'));
  });
});

describe('Cross-Compile target picker (pure helpers)', () => {
  const toolchain = ['windows/amd64', 'aix/ppc64', 'linux/amd64', 'linux/arm', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'linux/amd64'];

  it('lists the common targets first, then the rest of the toolchain sorted, each once', () => {
    const ordered = orderTargets(toolchain);
    assert.deepEqual(ordered.slice(0, COMMON_TARGETS.length), [...COMMON_TARGETS]);
    assert.deepEqual(ordered.slice(COMMON_TARGETS.length), ['aix/ppc64', 'linux/arm']);
  });

  it('preselects the remembered choice, else build.targets, else nothing', () => {
    const offered = orderTargets(toolchain);
    assert.deepEqual(initialSelection(offered, ['linux/arm64', 'windows/amd64'], ['linux/amd64']), ['linux/arm64', 'windows/amd64']);
    assert.deepEqual(initialSelection(offered, undefined, ['linux/amd64', 'darwin/arm64']), ['linux/amd64', 'darwin/arm64']);
    assert.deepEqual(initialSelection(offered, [], ['linux/amd64']), ['linux/amd64']);
    assert.deepEqual(initialSelection(offered, undefined, undefined), []);
  });

  it('drops targets the toolchain cannot build, but keeps variants of ones it can', () => {
    const offered = orderTargets(toolchain);
    assert.deepEqual(initialSelection(offered, ['plan9/arm', 'linux/arm/6'], undefined), ['linux/arm/6']);
    assert.deepEqual(initialSelection(offered, ['plan9/arm'], ['linux/amd64']), ['linux/amd64']);
    assert.deepEqual(pickerTargets(toolchain, ['linux/arm/6']).slice(-1), ['linux/arm/6']);
  });

  it('prints sizes in binary units', () => {
    assert.equal(humanSize(512), '512 B');
    assert.equal(humanSize(1536), '1.5 KiB');
    assert.equal(humanSize(7 * 1024 * 1024), '7.0 MiB');
  });
});
