import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { findModuleFolders } from '../modules';
import { isTargetList } from './targets';

export const TASK_TYPE = 'godeploy';
/** Contributed in package.json (problemMatchers): `FILE.go:LINE:COL: message`, absolute paths. */
export const PROBLEM_MATCHER = '$godeploy-go';

/** A `"type": "godeploy"` task as written in tasks.json (schema: package.json taskDefinitions). */
export interface GoDeployTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  task: 'build';
  /** "os/arch[/variant]"; default: build.targets of godeploy.yaml (as `godeploy build`). */
  targets?: string[];
  /** The module folder relative to the workspace folder; default: the workspace folder. */
  module?: string;
}

function isDefinition(d: vscode.TaskDefinition): d is GoDeployTaskDefinition {
  return (
    d.type === TASK_TYPE &&
    d.task === 'build' &&
    (d.targets === undefined || isTargetList(d.targets)) &&
    (d.module === undefined || typeof d.module === 'string')
  );
}

/** `node dist/cli.js build --target …` in the module folder: the same engine as the CLI. */
export function buildExecution(extensionPath: string, moduleDir: string, targets: readonly string[] = []): vscode.ProcessExecution {
  const args = [path.join(extensionPath, 'dist', 'cli.js'), 'build', ...targets.flatMap((t) => ['--target', t])];
  // On desktop VS Code execPath is Electron: ELECTRON_RUN_AS_NODE makes it a plain Node.
  return new vscode.ProcessExecution(process.execPath, args, { cwd: moduleDir, env: { ELECTRON_RUN_AS_NODE: '1' } });
}

function folderOf(scope: vscode.Task['scope']): vscode.WorkspaceFolder | undefined {
  if (typeof scope === 'object') return scope;
  return vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : undefined;
}

/**
 * Tasks of type "godeploy": one "build" task per Go module with a godeploy.yaml, and the
 * execution for build tasks written in tasks.json. Compiler errors reach the Problems panel
 * through the `$godeploy-go` matcher.
 */
export class BuildTaskProvider implements vscode.TaskProvider {
  constructor(private readonly ctx: GoDeployContext) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const dir of await findModuleFolders()) {
      const folder = vscode.workspace.getWorkspaceFolder(dir);
      if (!folder) continue;
      try {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(dir, 'godeploy.yaml'));
      } catch {
        continue;
      }
      const rel = path.relative(folder.uri.fsPath, dir.fsPath).split(path.sep).join('/');
      const definition: GoDeployTaskDefinition = rel ? { type: TASK_TYPE, task: 'build', module: rel } : { type: TASK_TYPE, task: 'build' };
      tasks.push(this.create(definition, folder));
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition;
    if (!isDefinition(definition)) return undefined;
    const folder = folderOf(task.scope);
    if (!folder) {
      this.ctx.log.warn(`godeploy task "${task.name}": no workspace folder to run in`);
      return undefined;
    }
    // The same definition object: VS Code matches the resolved task to tasks.json by it.
    return this.create(definition, folder, task.name);
  }

  private create(definition: GoDeployTaskDefinition, folder: vscode.WorkspaceFolder, name?: string): vscode.Task {
    const moduleDir = definition.module ? path.resolve(folder.uri.fsPath, definition.module) : folder.uri.fsPath;
    const label = name ?? (definition.module ? `build ${definition.module}` : 'build');
    const task = new vscode.Task(definition, folder, label, TASK_TYPE, buildExecution(this.ctx.extension.extensionPath, moduleDir, definition.targets), [
      PROBLEM_MATCHER,
    ]);
    task.group = vscode.TaskGroup.Build;
    task.detail = `godeploy build${definition.targets?.length ? ` ${definition.targets.map((t) => `--target ${t}`).join(' ')}` : ''} in ${definition.module ?? '.'}`;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}
