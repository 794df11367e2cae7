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

/** Diagnostics reported per file at most: past that, more messages help nobody and slow the editor. */
export const maxDiagnosticsPerFile = 200;

/** The first `max` of sorted diagnostics, then one "… and N more" in place of the rest (an error if any of them is). */
export function capDiagnostics(sorted: ConfigDiagnostic[], max = maxDiagnosticsPerFile): ConfigDiagnostic[] {
  if (sorted.length <= max) return sorted;
  const rest = sorted.slice(max);
  const errors = rest.filter((d) => d.severity === 'error').length;
  const more = `… and ${rest.length} more problem${rest.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}) from line ${rest[0].line} on, not listed`;
  return [
    ...sorted.slice(0, max),
    { ...rest[0], severity: errors ? 'error' : 'warning', path: '', message: more, hint: 'fix the problems above and validate again' },
  ];
}
