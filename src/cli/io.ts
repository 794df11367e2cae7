/** Output for the CLI: plain text for people, stable JSON for scripts, progress only on a terminal. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  json(value: unknown): void;
  /** Progress lines go to stderr, and only when it is a terminal. */
  progress(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  const tty = process.stderr.isTTY === true;
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    json: (v) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`),
    progress: (t) => {
      if (tty) process.stderr.write(`\r\x1b[2K${t}`);
    },
    cwd: process.cwd(),
    env: process.env,
  };
}
