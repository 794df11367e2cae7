import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileError, locateConfigFile, usageError } from '../core';
import type { CliIO } from './io';

/** Options every command understands. */
export interface GlobalOptions {
  /** -C DIR: run as if started in DIR. */
  dir: string;
  /** --config FILE */
  config?: string;
  /** How many of the command's arguments came before a `--`; undefined when there was none (`exec ENV -- CMD…` needs one). */
  argsBeforeDashes?: number;
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

/**
 * `dir` (given as `what`: "-C", "inspect DIR") must be a folder that exists: said as such,
 * exit 2, before anything looks for go.mod or godeploy.yaml in it.
 */
export async function requireFolder(dir: string, what: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await fs.stat(dir)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw usageError(`${what} ${dir}: no such folder`, 'check the path: it must be an existing folder (a Go module, or a folder inside one)');
    if (code === 'ENOTDIR') throw usageError(`${what} ${dir}: no such folder (a part of that path is a file)`, 'check the path: it must be an existing folder');
    throw fileError(e, 'read', dir, 'config');
  }
  if (!isFolder) throw usageError(`${what} ${dir} is a file, not a folder`, `give the folder that holds it: ${what} ${path.dirname(dir)}`);
}
