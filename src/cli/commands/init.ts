import { inspectModule } from '../../core/gomod/inspect';
import { planInit } from '../../core/init/plan';
import { describePlan } from '../../core/plan/plan';
import { executePlan, LocalRunner } from '../../core/plan/runner';
import type { CliIO } from '../io';
import type { GlobalOptions } from '../context';

export const initHelp = `godeploy init [--force] [--main PKG] [--dry-run]
  Writes a commented godeploy.yaml next to go.mod from the module's inspection.
  Never replaces an existing file unless --force is given.`;

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
