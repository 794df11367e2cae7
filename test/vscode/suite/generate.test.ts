// Go Deploy: Generate … writes new files at once, and shows a diff (never a silent
// overwrite) for files that exist and differ, writing only when the user accepts.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cleanUp, configUri, EXTENSION_ID, exists, readText, waitFor, withTimeout, workspaceRoot, writeText } from '../../support/vscodeHelpers';

interface GenerateResult {
  written: string[];
  unchanged: string[];
  pending: string[];
}

const dockerfile = () => vscode.Uri.joinPath(workspaceRoot(), 'Dockerfile');
const goMod = () => vscode.Uri.joinPath(workspaceRoot(), 'go.mod');

/** What the CLI generates for the same workspace: the editor must write exactly this. */
function cliOutput(kind: string): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  return execFileSync(process.execPath, [path.join(ext?.extensionPath ?? '', 'dist', 'cli.js'), 'generate', kind, '--stdout'], {
    cwd: workspaceRoot().fsPath,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  }).replace(/\n$/, '');
}

function activeDiff(): vscode.TabInputTextDiff | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputTextDiff ? input : undefined;
}

describe('Go Deploy: Generate', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });
  beforeEach(async () => {
    await cleanUp(dockerfile(), configUri());
    await writeText(configUri(), 'app:\n  name: hello\n  port: 8081\n');
  });
  afterEach(async () => cleanUp(dockerfile(), configUri(), vscode.Uri.joinPath(workspaceRoot(), 'deploy')));

  it('from the palette, writes a new Dockerfile (the same text as the CLI) and opens it', async () => {
    const r = await withTimeout('godeploy.generateDockerfile', vscode.commands.executeCommand<GenerateResult>('godeploy.generateDockerfile'));
    assert.deepEqual(r.written, [dockerfile().fsPath]);
    assert.deepEqual(r.pending, []);
    assert.equal((await readText(dockerfile())).replace(/\n$/, ''), cliOutput('dockerfile'));
    await waitFor('the Dockerfile in an editor', () => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === dockerfile().fsPath));
  });

  it('from the explorer menu on go.mod, shows a diff for a changed file and writes only on Write', async () => {
    await writeText(dockerfile(), 'FROM scratch\n# hand-edited\n');
    const r = await withTimeout('godeploy.generateDockerfile', vscode.commands.executeCommand<GenerateResult>('godeploy.generateDockerfile', goMod()));
    assert.deepEqual(r.written, []);
    assert.equal(r.pending.length, 1);
    assert.equal(await readText(dockerfile()), 'FROM scratch\n# hand-edited\n', 'the file changed before the user accepted');
    const diff = await waitFor('a diff editor with the generated text', () => activeDiff());
    assert.equal(diff.original.fsPath, dockerfile().fsPath);
    assert.equal(diff.modified.scheme, 'godeploy-generated');

    const written = await withTimeout('godeploy.acceptGenerated', vscode.commands.executeCommand<string>('godeploy.acceptGenerated'));
    assert.equal(written, dockerfile().fsPath);
    assert.equal((await readText(dockerfile())).replace(/\n$/, ''), cliOutput('dockerfile'));
    assert.ok(
      !vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'godeploy-generated'),
      'the diff is still open',
    );
  });

  it('Discard closes the diff and leaves the file as it was', async () => {
    await writeText(dockerfile(), 'FROM scratch\n# keep me\n');
    const r = await vscode.commands.executeCommand<GenerateResult>('godeploy.generateDockerfile');
    await vscode.commands.executeCommand('godeploy.discardGenerated', vscode.Uri.parse(r.pending[0]));
    assert.equal(await readText(dockerfile()), 'FROM scratch\n# keep me\n');
    assert.equal(activeDiff()?.modified.scheme === 'godeploy-generated', false);
  });

  it('refuses to write over a file that was edited after the diff was shown', async () => {
    await writeText(dockerfile(), 'FROM scratch\n# v1\n');
    const r = await vscode.commands.executeCommand<GenerateResult>('godeploy.generateDockerfile');
    await writeText(dockerfile(), 'FROM scratch\n# v2, edited meanwhile\n');
    const written = await withTimeout(
      'godeploy.acceptGenerated',
      vscode.commands.executeCommand<string | undefined>('godeploy.acceptGenerated', vscode.Uri.parse(r.pending[0])),
    );
    assert.equal(written, undefined);
    assert.equal(await readText(dockerfile()), 'FROM scratch\n# v2, edited meanwhile\n');
  });

  it('All writes every kind into the module, each matching the CLI', async () => {
    const r = await withTimeout('godeploy.generateAll', vscode.commands.executeCommand<GenerateResult>('godeploy.generateAll'));
    const rel = r.written.map((f) => path.relative(workspaceRoot().fsPath, f)).sort();
    assert.deepEqual(rel, [
      '.dockerignore',
      'Dockerfile',
      'deploy/k8s/hello.yaml',
      'deploy/nginx/hello.conf',
      'deploy/supervisor/hello.conf',
      'deploy/systemd/hello.service',
    ]);
    assert.equal((await readText(vscode.Uri.joinPath(workspaceRoot(), 'deploy/systemd/hello.service'))).replace(/\n$/, ''), cliOutput('systemd'));
    await cleanUp(vscode.Uri.joinPath(workspaceRoot(), '.dockerignore'));
  });

  it('Generate… offers the CI pipelines after the deployment files: GitHub Actions writes .github/workflows/godeploy.yml, as the CLI does', async () => {
    const workflow = vscode.Uri.joinPath(workspaceRoot(), '.github', 'workflows', 'godeploy.yml');
    await cleanUp(workflow);
    let settled = false;
    const running = vscode.commands.executeCommand<GenerateResult | undefined>('godeploy.generate').then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(settled, false, 'Generate… wrote something without asking what');
    // The pick lists Dockerfile, .dockerignore, systemd, nginx, supervisor, Kubernetes, All, then GitHub Actions, GitLab CI.
    for (let i = 0; i < 7; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const r = await withTimeout('godeploy.generate after the pick', running, 30_000);
    assert.deepEqual(r?.written, [workflow.fsPath]);
    assert.equal((await readText(workflow)).replace(/\n$/, ''), cliOutput('github-actions'));
    await cleanUp(vscode.Uri.joinPath(workspaceRoot(), '.github'));
  });

  it('is offered in the explorer context menu of go.mod and of module folders', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { menus: Record<string, { command?: string; submenu?: string; when?: string }[]> };
    };
    const entry = pkg.contributes.menus['explorer/context'].find((m) => m.submenu === 'godeploy.explorer');
    assert.match(entry?.when ?? '', /resourceFilename == go\.mod/);
    assert.match(entry?.when ?? '', /resourcePath in godeploy\.moduleFolders/);
    const inSubmenu = pkg.contributes.menus['godeploy.explorer'].map((m) => m.command);
    for (const id of [
      'godeploy.generateDockerfile',
      'godeploy.generateSystemd',
      'godeploy.generateNginx',
      'godeploy.generateSupervisor',
      'godeploy.generateKubernetes',
      'godeploy.generateAll',
    ])
      assert.ok(inSubmenu.includes(id), id);
  });

  it('without godeploy.yaml, says so instead of failing obscurely', async () => {
    await cleanUp(configUri());
    assert.equal(await exists(configUri()), false);
    const r = await withTimeout('godeploy.generateSystemd', vscode.commands.executeCommand<GenerateResult | undefined>('godeploy.generateSystemd'));
    assert.equal(r, undefined);
  });
});
