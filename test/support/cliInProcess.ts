import type { CliIO } from '../../src/cli/io';
import { main } from '../../src/cli/main';

/** Runs the CLI's main() in this process as if started in `cwd`, collecting what it prints (a JSON value on one line). */
export async function godeployInProcess(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    json: (v) => (out += `${JSON.stringify(v)}\n`),
    progress: () => undefined,
    cwd,
    env: { ...process.env },
  };
  const code = await main(args, io);
  return { code, out, err };
}
