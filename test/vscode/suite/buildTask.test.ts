// Tasks of type "godeploy": the provider offers a build task per module with a
// godeploy.yaml; tasks.json tasks are resolved; compiler errors land in the Problems
// panel on the right file and line through the $godeploy-go problem matcher, also for a
// module in a subfolder of the workspace.
import * as assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fixtureModules } from '../../support/paths';
import {
  cleanUp,
  configUri,
  describeDiagnostics,
  EXTENSION_ID,
  exists,
  godeployDiagnostics,
  readText,
  waitFor,
  withTimeout,
  workspaceRoot,
  writeText,
} from '../../support/vscodeHelpers';

const BUILD_MS = 240_000;
const dist = () => vscode.Uri.joinPath(workspaceRoot(), 'dist');
const sub = () => vscode.Uri.joinPath(workspaceRoot(), 'sub');
const tasksJson = () => vscode.Uri.joinPath(workspaceRoot(), '.vscode');
const brokenMain = () => vscode.Uri.joinPath(workspaceRoot(), 'sub', 'broken', 'main.go');

interface Definition extends vscode.TaskDefinition {
  task?: string;
  module?: string;
  targets?: string[];
}

/** Runs a task and resolves with its process's exit code. */
async function run(task: vscode.Task): Promise<number | undefined> {
  const ended: vscode.TaskProcessEndEvent[] = [];
  const listener = vscode.tasks.onDidEndTaskProcess((e) => ended.push(e));
  try {
    const execution = await vscode.tasks.executeTask(task);
    const end = await waitFor(
      `the end of the task "${task.name}"`,
      () => ended.find((e) => e.execution === execution || e.execution.task.name === task.name),
      BUILD_MS,
    );
    return end.exitCode;
  } finally {
    listener.dispose();
  }
}

async function godeployTasks(): Promise<vscode.Task[]> {
  return withTimeout('fetchTasks({ type: godeploy })', vscode.tasks.fetchTasks({ type: 'godeploy' }));
}

describe('Go Deploy build tasks', function () {
  this.timeout(BUILD_MS + 60_000);
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });
  beforeEach(async () => {
    await cleanUp(dist(), configUri(), sub(), tasksJson());
    await writeText(configUri(), 'app:\n  name: hello\n  port: 8081\nbuild:\n  targets: [linux/amd64]\n');
  });
  afterEach(async () => {
    for (const t of vscode.window.terminals) t.dispose();
    await cleanUp(dist(), configUri(), sub(), tasksJson());
  });

  it('offers "build" for the workspace module, in the Build group, running the CLI; it exits 0 and leaves the binaries', async () => {
    const tasks = await godeployTasks();
    const task = tasks.find((t) => (t.definition as Definition).task === 'build' && !(t.definition as Definition).module);
    assert.ok(task, `no godeploy build task among ${tasks.map((t) => t.name).join(', ') || '(none)'}`);
    assert.equal(task.group?.id, vscode.TaskGroup.Build.id);
    assert.ok(task.execution instanceof vscode.ProcessExecution, 'not a ProcessExecution');
    assert.equal(task.execution.process, process.execPath);
    assert.deepEqual(task.execution.args.slice(1), ['build']);
    assert.equal(path.basename(task.execution.args[0]), 'cli.js');
    assert.equal(task.execution.options?.cwd, workspaceRoot().fsPath);
    assert.equal(task.execution.options?.env?.ELECTRON_RUN_AS_NODE, '1');
    assert.deepEqual(task.problemMatchers, ['$godeploy-go']);

    // The matcher's owner is not the config diagnostics' collection: a build leaves them alone.
    await writeText(configUri(), 'app:\n  name: hello\n  port: 8081\n  healthCheck:\n    timeout: 1s\n    interval: 10s\nbuild:\n  targets: [linux/amd64]\n');
    await vscode.workspace.openTextDocument(configUri());
    await waitFor('the godeploy.yaml warning', () => godeployDiagnostics(configUri(), vscode.DiagnosticSeverity.Warning).length > 0);

    assert.equal(await run(task), 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(godeployDiagnostics(configUri(), vscode.DiagnosticSeverity.Warning).length, 1, 'the build task cleared the godeploy.yaml diagnostics');
    const sums = await readText(vscode.Uri.joinPath(dist(), 'SHA256SUMS'));
    assert.match(sums, /^[0-9a-f]{64} [ *]?hello_.+_linux_amd64$/m, `SHA256SUMS:\n${sums}`);
    const files = (await vscode.workspace.fs.readDirectory(dist())).map(([name]) => name);
    assert.ok(
      files.some((f) => /^hello_.+_linux_amd64$/.test(f)),
      `dist/ holds ${files.join(', ')}`,
    );
  });

  it('offers a task per module: a module in a subfolder gets one with "module"', async () => {
    cpSync(path.join(fixtureModules, 'broken'), path.join(sub().fsPath, 'broken'), { recursive: true });
    const task = await waitFor('a build task for sub/broken', async () =>
      (await godeployTasks()).find((t) => (t.definition as Definition).module === 'sub/broken'),
    );
    assert.ok(task.execution instanceof vscode.ProcessExecution);
    assert.equal(task.execution.options?.cwd, path.join(workspaceRoot().fsPath, 'sub', 'broken'));
  });

  it('a tasks.json task for a broken module in a subfolder exits 1 and puts the compile error on its main.go line 12', async () => {
    cpSync(path.join(fixtureModules, 'broken'), path.join(sub().fsPath, 'broken'), { recursive: true });
    const label = 'build the broken module';
    const definition = { type: 'godeploy', task: 'build', module: 'sub/broken', targets: ['linux/amd64'] };
    await writeText(
      vscode.Uri.joinPath(tasksJson(), 'tasks.json'),
      JSON.stringify({ version: '2.0.0', tasks: [{ ...definition, label, problemMatcher: ['$godeploy-go'] }] }, null, 2),
    );
    // resolveTask fills the execution of the task written in tasks.json.
    const task = await waitFor(
      'the tasks.json task, resolved',
      async () => (await godeployTasks()).find((t) => t.name === label && t.execution instanceof vscode.ProcessExecution),
      20_000,
    );
    const execution = task.execution as vscode.ProcessExecution;
    assert.deepEqual(execution.args.slice(1), ['build', '--target', 'linux/amd64']);
    assert.equal(execution.options?.cwd, path.join(workspaceRoot().fsPath, 'sub', 'broken'));

    assert.equal(await run(task), 1);
    const diagnostics = await waitFor(
      'the compile error in the Problems panel',
      () => {
        const found = vscode.languages.getDiagnostics(brokenMain()).filter((d) => d.source === 'godeploy');
        return found.length ? found : undefined;
      },
      20_000,
    ).catch((e: Error) => {
      const all = vscode.languages
        .getDiagnostics()
        .filter(([, ds]) => ds.length)
        .map(([u, ds]) => `${u.fsPath}: ${describeDiagnostics(ds)}`);
      throw new Error(`${e.message}; diagnostics now: ${all.join(' | ') || '(none)'}`);
    });
    const d = diagnostics[0];
    assert.equal(d.range.start.line + 1, 12, describeDiagnostics(diagnostics));
    assert.equal(d.range.start.character + 1, 14, describeDiagnostics(diagnostics));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /greeting/);
    assert.equal(await exists(vscode.Uri.joinPath(workspaceRoot(), 'main.go')), true);
    assert.equal(
      vscode.languages.getDiagnostics(vscode.Uri.joinPath(workspaceRoot(), 'main.go')).filter((x) => x.source === 'godeploy').length,
      0,
      "the error landed on the root module's main.go",
    );
  });
});
