import * as path from 'node:path';
import { locateConfigFile } from '../core/config/load';
import { usageError } from '../core/errors';
import type { CliIO } from './io';

/** Options every command understands. */
export interface GlobalOptions {
  /** -C DIR: run as if started in DIR. */
  dir: string;
  /** --config FILE */
  config?: string;
}

export async function resolveConfigPath(g: GlobalOptions): Promise<{ file: string; exists: boolean }> {
  if (g.config) {
    const file = path.resolve(g.dir, g.config);
    return { file, exists: true };
  }
  return locateConfigFile(g.dir);
}

export function resolveDir(io: CliIO, dir: string | undefined): string {
  return dir ? path.resolve(io.cwd, dir) : io.cwd;
}

export function requireNoExtraArgs(command: string, args: string[]): void {
  if (args.length) throw usageError(`${command}: unexpected argument ${JSON.stringify(args[0])}`, `see \`godeploy ${command} --help\``);
}
