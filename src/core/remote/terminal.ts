// What an interactive session (`godeploy exec --tty`) needs of the user's terminal.

/**
 * The terminal of an interactive session (`exec --tty`): the user's own. The session's
 * pseudo-terminal takes its size and follows its resizes. On this machine the command gets
 * the process's own terminal.
 */
export interface InteractiveTerminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  rows: number;
  columns: number;
  /** TERM for the session (xterm-256color, …). */
  term: string;
  onResize?(listener: (size: { rows: number; columns: number }) => void): { dispose(): void };
  /**
   * Raw input on (true) while a session over ssh or the Engine API reads `input`, off (false)
   * after: every key, Ctrl-C included, goes to the session. Not called on this machine, where
   * the command reads the terminal itself.
   */
  raw?(on: boolean): void;
}
