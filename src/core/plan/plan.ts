/**
 * Plan-then-execute: an operation first produces a Plan (plain data that says what each
 * step will do), which `--dry-run` prints and tests inspect; a Runner executes it.
 */
export type Step = WriteFileStep | ExecStep;

/** Writes a whole file atomically, creating its folder if needed. */
export interface WriteFileStep {
  kind: 'write-file';
  description: string;
  path: string;
  content: string;
  mode: number;
  overwrite: boolean;
}

export interface ExecStep {
  kind: 'exec';
  description: string;
  /** Program and arguments; never a shell string. */
  argv: string[];
  cwd?: string;
  /** Names of environment variables set for the step (values are not part of the plan, so secrets stay out of it). */
  envNames?: string[];
}

export interface Plan {
  title: string;
  steps: Step[];
}

/** Human-readable plan, as `--dry-run` prints it. */
export function describePlan(plan: Plan): string {
  const lines = [`Plan: ${plan.title}`];
  plan.steps.forEach((step, i) => {
    lines.push(`  ${i + 1}. ${step.description}`);
    if (step.kind === 'write-file') {
      lines.push(
        `     write ${step.path} (${Buffer.byteLength(step.content)} bytes, mode ${step.mode.toString(8).padStart(4, '0')}${step.overwrite ? ', replacing any existing file' : ', refusing to replace an existing file'})`,
      );
    } else {
      lines.push(`     run ${step.argv.map(displayArg).join(' ')}${step.cwd ? ` in ${step.cwd}` : ''}`);
    }
  });
  return lines.join('\n');
}

function displayArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
