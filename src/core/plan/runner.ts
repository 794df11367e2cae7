import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { neverCancelled, noProgress, type CancellationTokenLike, type ProgressLike } from '../cancellation';
import { GoDeployError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { makeFolder, withFileErrors } from '../fs/fileErrors';
import type { ExecStep, Plan, Step } from './plan';

export interface RunContext {
  token?: CancellationTokenLike;
  progress?: ProgressLike;
  /** Values for ExecStep.envNames, supplied at run time. */
  env?: Record<string, string>;
  onOutput?: (chunk: string) => void;
}

/** Executes steps of a plan somewhere: this machine, an SSH host, a Docker engine. */
export interface Runner {
  run(step: Step, ctx: RunContext): Promise<void>;
}

export async function executePlan(plan: Plan, runner: Runner, ctx: RunContext = {}): Promise<void> {
  const token = ctx.token ?? neverCancelled;
  const progress = ctx.progress ?? noProgress;
  for (const [i, step] of plan.steps.entries()) {
    if (token.isCancellationRequested) throw new GoDeployError(`cancelled before step ${i + 1} of ${plan.steps.length}: ${step.description}`);
    progress.report({ message: step.description, increment: 100 / plan.steps.length });
    await runner.run(step, { ...ctx, token, progress });
  }
}

/** Runs steps on this machine: atomic file writes and processes without a shell. */
export class LocalRunner implements Runner {
  async run(step: Step, ctx: RunContext): Promise<void> {
    if (step.kind === 'write-file') {
      await withFileErrors('write', step.path, () => makeFolder(path.dirname(step.path)));
      await writeFileAtomic(step.path, step.content, { mode: step.mode, overwrite: step.overwrite });
      return;
    }
    await runProcess(step, ctx);
  }
}

function runProcess(step: ExecStep, ctx: RunContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of step.envNames ?? []) {
      const value = ctx.env?.[name];
      if (value === undefined) return reject(new GoDeployError(`${step.description}: no value for environment variable ${name}`));
      env[name] = value;
    }
    const child = spawn(step.argv[0], step.argv.slice(1), { cwd: step.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (b: Buffer) => {
      const s = b.toString();
      ctx.onOutput?.(s);
      tail.push(s);
      if (tail.length > 50) tail.shift();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const sub = ctx.token?.onCancellationRequested(() => child.kill('SIGTERM'));
    child.on('error', (e) => {
      sub?.dispose();
      reject(new GoDeployError(`${step.description}: cannot run ${step.argv[0]}: ${e.message}`, { hint: `is ${step.argv[0]} installed and on PATH?` }));
    });
    child.on('close', (code, signal) => {
      sub?.dispose();
      if (code === 0) resolve();
      else
        reject(
          new GoDeployError(`${step.description}: ${step.argv[0]} ${signal ? `was stopped by ${signal}` : `exited with ${code}`}`, {
            hint: tail.join('').trim().split('\n').slice(-10).join('\n') || undefined,
          }),
        );
    });
  });
}
