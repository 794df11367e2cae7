import { type ConfigDiagnostic, ConfigError, GoDeployError, type SourceLocation } from '../core';

/** The global flag that shows stacks; read from argv directly, so a usage error can honour it too. */
export const verboseFlag = '--verbose';

/**
 * What a command prints on stdout, with --json, when it fails: one line holding this
 * object. The same message and hint as on stderr; location is the file to blame, if any.
 */
export interface JsonFailure {
  error: {
    message: string;
    hint: string | null;
    location: SourceLocation | null;
    exitCode: number;
    /** A config with problems: every one, as `validate --json` lists them. */
    diagnostics?: ConfigDiagnostic[];
  };
}

const bugHint = `this is a bug in Go Deploy; run again with ${verboseFlag} for the stack, and please report it`;

/**
 * What the CLI prints for an error that ended a command, and its exit code: a GoDeployError
 * as its one-line message and hint; anything else is a bug, one line too. Stacks (and the
 * error a GoDeployError wraps) only with --verbose. `json` is the same for --json's stdout.
 */
export function describeFailure(e: unknown, verbose: boolean): { text: string; exitCode: number; json: JsonFailure } {
  if (e instanceof GoDeployError) {
    return { text: `godeploy: ${e.format()}${verbose ? `\n${stacks(e)}` : ''}`, exitCode: e.exitCode, json: jsonFailure(e) };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const firstLine = message.split('\n')[0];
  return {
    text: verbose ? `godeploy: internal error: ${stacks(e)}` : `godeploy: internal error: ${firstLine}\n  hint: ${bugHint}`,
    exitCode: 1,
    json: { error: { message: `internal error: ${firstLine}`, hint: bugHint, location: null, exitCode: 1 } },
  };
}

function jsonFailure(e: GoDeployError): JsonFailure {
  const at = (l: SourceLocation | undefined): SourceLocation | null => (l ? { file: l.file, line: l.line, col: l.col } : null);
  if (e instanceof ConfigError) {
    // As on stderr: the first error (its message, hint and place) leads; every diagnostic follows.
    const first = e.diagnostics.find((d) => d.severity === 'error');
    if (first) return { error: { message: first.message, hint: first.hint ?? null, location: at(first), exitCode: e.exitCode, diagnostics: e.diagnostics } };
  }
  return { error: { message: e.message, hint: e.hint ?? null, location: at(e.location), exitCode: e.exitCode } };
}

/** The JSON failure for a message already written for people ("godeploy: MESSAGE\n  hint: HINT"). */
export function jsonFailureFromText(text: string, exitCode: number): JsonFailure {
  const [first, ...rest] = text.split('\n');
  const hint = rest.find((l) => l.startsWith('  hint: '));
  return { error: { message: first.replace(/^godeploy: /, ''), hint: hint ? hint.slice('  hint: '.length) : null, location: null, exitCode } };
}

/** The stack of `e` and of each error it wraps (`cause`). */
function stacks(e: unknown): string {
  const out: string[] = [];
  for (let x: unknown = e, depth = 0; x !== undefined && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    out.push(`${depth ? 'caused by: ' : ''}${x instanceof Error ? (x.stack ?? x.message) : String(x)}`);
  }
  return out.join('\n');
}
