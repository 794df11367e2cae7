/** A place in a file, 1-based, as editors and compilers print it. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** Exit codes shared by the CLI and the documentation. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A web page about an error, with what its button says: { label: 'Download Go', url: 'https://go.dev/dl/' }. */
export interface ErrorLink {
  label: string;
  url: string;
}

/**
 * The one user-facing error type: what went wrong, where (when a file is to blame),
 * and a hint that says what to do about it. Anything else that escapes is a bug.
 */
export class GoDeployError extends Error {
  readonly hint?: string;
  readonly location?: SourceLocation;
  readonly exitCode: ExitCodeValue;
  /** A page that helps (its address is in the hint too); the editor offers it as a button. */
  readonly link?: ErrorLink;

  constructor(message: string, options: { hint?: string; location?: SourceLocation; exitCode?: ExitCodeValue; cause?: unknown; link?: ErrorLink } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GoDeployError';
    this.hint = options.hint;
    this.location = options.location;
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.link = options.link;
  }

  /** `FILE:LINE:COL: message` followed by the hint on its own line. */
  format(): string {
    const where = this.location ? `${this.location.file}:${this.location.line}:${this.location.col}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** Usage or configuration problems: exit 2. */
export function usageError(message: string, hint?: string, location?: SourceLocation): GoDeployError {
  return new GoDeployError(message, { hint, location, exitCode: ExitCode.usage });
}

export function isGoDeployError(e: unknown): e is GoDeployError {
  return e instanceof GoDeployError;
}
