// POSIX sh command lines built from argument vectors: the only way remote commands are
// formed, so no caller ever concatenates a raw command string.
import { quote } from 'shell-quote';
import { GoDeployError } from '../errors';

/**
 * Quotes each argument for a POSIX shell and joins them with spaces. `shell-quote`'s `quote`
 * does the quoting (checked against `sh -c` for spaces, quotes, `$`, backticks, `$(...)`, `!`,
 * globs, newlines, empty strings, leading `-`/`~`, `=` and backslashes); this wrapper adds what
 * it lacks: NUL bytes cannot be passed through a C string, so they are refused instead of being
 * silently truncated by the remote shell. Leading `-` is left as is: quoting cannot stop a
 * program from reading an argument as an option (use `--` where it matters).
 */
export function shellQuote(args: readonly string[]): string {
  if (args.length === 0) throw new GoDeployError('internal error: empty remote command');
  for (const a of args) {
    if (typeof a !== 'string') throw new GoDeployError(`internal error: remote command argument is a ${typeof a}, not a string`);
    if (a.includes('\0')) {
      throw new GoDeployError(`a remote command argument contains a NUL byte: ${JSON.stringify(a.slice(0, 60))}`, {
        hint: 'NUL cannot be passed to a remote command; remove it from the value (check godeploy.yaml and env values)',
      });
    }
  }
  return quote(args as string[]);
}

/** argv running one of these scripts: `sh -c SCRIPT sh ARGS…` ($1… are ARGS). */
export const shArgv = (script: string, ...args: string[]): string[] => ['sh', '-c', script, 'sh', ...args];
