import * as path from 'node:path';
import { loadConfig } from './config/load';
import type { GoDeployConfig } from './config/model';
import { usageError } from './errors';
import { focusMain, inspectModule, type ModuleInspection } from './gomod/inspect';

/** A module with its validated godeploy.yaml: what every operation on it starts from. */
export interface Project {
  configFile: string;
  moduleDir: string;
  inspection: ModuleInspection;
  config: GoDeployConfig;
}

/** Inspects the module next to the config and loads the config against it; a missing config says how to make one. */
export async function loadProject(located: { file: string; exists: boolean }): Promise<Project> {
  if (!located.exists) throw usageError(`no godeploy.yaml at ${located.file}`, 'run `godeploy init` next to go.mod first');
  const moduleDir = path.dirname(located.file);
  const first = await inspectModule(moduleDir);
  const { config } = await loadConfig(located.file, first);
  // The facts that matter are the deployed main's, for the targets and tags it is built with.
  const targets = config.build?.targets?.map((t) => t.split('/').slice(0, 2).join('/'));
  const retarget = (targets && targets.join() !== first.targets.join()) || (config.build?.tags?.length ?? 0) > 0;
  const main = config.app.main ? config.app.main.replace(/\/+$/, '') || '.' : undefined;
  const inspection = retarget ? await inspectModule(moduleDir, { targets, tags: config.build?.tags, main }) : focusMain(first, main);
  return { configFile: located.file, moduleDir, inspection, config };
}
