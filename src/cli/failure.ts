import { GoDeployError } from '../core/errors';

/** The global flag that shows stacks; read from argv directly, so a usage error can honour it too. */
export const verboseFlag = '--verbose';

/**
 * What the CLI prints for an error that ended a command, and its exit code: a GoDeployError
 * as its one-line message and hint; anything else is a bug, one line too. Stacks (and the
 * error a GoDeployError wraps) only with --verbose.
 */
export function describeFailure(e: unknown, verbose: boolean): { text: string; exitCode: number } {
  if (e instanceof GoDeployError) {
    return { text: `godeploy: ${e.format()}${verbose ? `\n${stacks(e)}` : ''}`, exitCode: e.exitCode };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const firstLine = message.split('\n')[0];
  return {
    text: verbose ? `godeploy: internal error: ${stacks(e)}` : `godeploy: internal error: ${firstLine}\n  hint: this is a bug in Go Deploy; run again with ${verboseFlag} for the stack, and please report it`,
    exitCode: 1,
  };
}

/** The stack of `e` and of each error it wraps (`cause`). */
function stacks(e: unknown): string {
  const out: string[] = [];
  for (let x: unknown = e, depth = 0; x !== undefined && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    out.push(`${depth ? 'caused by: ' : ''}${x instanceof Error ? x.stack ?? x.message : String(x)}`);
  }
  return out.join('\n');
}
