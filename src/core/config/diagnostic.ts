import type { SourceLocation } from '../errors';

export type Severity = 'error' | 'warning';

/** One located problem in a config file. Lines and columns are 1-based. */
export interface ConfigDiagnostic extends SourceLocation {
  endLine: number;
  endCol: number;
  severity: Severity;
  /** Dotted path of the offending key (`environments.staging.type`), empty for syntax errors. */
  path: string;
  message: string;
  hint?: string;
}

/** `FILE:LINE:COL: error: message` (and the hint indented below), the format compilers use. */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

export function compareDiagnostics(a: ConfigDiagnostic, b: ConfigDiagnostic): number {
  return a.line - b.line || a.col - b.col || a.message.localeCompare(b.message);
}

export function hasErrors(diagnostics: readonly ConfigDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
