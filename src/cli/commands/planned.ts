// The output every planned operation (setup, restart/stop/start, maintenance, exec) shares:
// the plan printed for --dry-run, and --json's document with its plan only for a dry run.
import type { CliIO } from '../io';

/** An onPlan that prints the plan's text for --dry-run (not with --json, whose document holds it). */
export const printPlanWhenDry =
  (io: CliIO, flags: { dryRun?: boolean; json?: boolean }) =>
  (plan: { text: string }): void => {
    if (flags.dryRun && !flags.json) io.out(plan.text);
  };

/** --json: the result as a document (its plan only for a dry run); the exit code. */
export function printJsonResult(io: CliIO, r: { dryRun: boolean; ok: boolean; plan?: unknown }): number {
  io.json(r.dryRun ? r : { ...r, plan: undefined });
  return r.ok ? 0 : 1;
}
