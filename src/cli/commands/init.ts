import { describePlan, executePlan, inspectModule, LocalRunner, planInit } from '../../core';
import type { CliIO } from '../io';
import { requireNoExtraArgs, type GlobalOptions } from '../context';
import { defineCommand } from '../spec';

export const initCommand = defineCommand({
  name: 'init',
  positionals: '',
  summary: 'write a commented godeploy.yaml from the module',
  options: [
    { name: 'force', type: 'boolean', description: 'replace an existing godeploy.yaml' },
    { name: 'main', type: 'string', value: 'PKG', description: 'the main package to deploy (default: the one that serves)' },
    { name: 'dry-run', type: 'boolean', description: 'print what would be written, and write nothing' },
  ],
  help: `Writes a commented godeploy.yaml next to go.mod from the module's inspection.
Never replaces an existing file unless --force is given.`,
  run: (io, g, args, o) => {
    requireNoExtraArgs('init', args);
    return runInit(io, g, { force: o.force, main: o.main, dryRun: o['dry-run'] });
  },
});

export async function runInit(io: CliIO, g: GlobalOptions, opts: { force: boolean; main?: string; dryRun: boolean }): Promise<number> {
  const inspection = await inspectModule(g.dir);
  const plan = planInit(inspection, { force: opts.force, main: opts.main });
  if (opts.dryRun) {
    io.out(describePlan(plan));
    return 0;
  }
  await executePlan(plan, new LocalRunner());
  const step = plan.steps[0];
  io.out(`wrote ${step.kind === 'write-file' ? step.path : ''}`);
  return 0;
}
