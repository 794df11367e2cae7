// The CLI's command table: every command, in the order `godeploy --help` lists them. Each is
// declared once, in its own file (name, arguments, options, help, handler); the parser, the
// usage texts and the reference (docs/cli.md) are made from this list.
import type { CommandSpec } from '../spec';
import { buildCommand } from './build';
import { deployCommand } from './deploy';
import { doctorCommand } from './doctor';
import { generateCommand } from './generate';
import { initCommand } from './init';
import { inspectCommand } from './inspect';
import { inspectBinaryCommand } from './inspectBinary';
import { lockCommand } from './lock';
import { logsCommand } from './logs';
import { releasesCommand } from './releases';
import { rollbackCommand } from './rollback';
import { statusCommand } from './status';
import { validateCommand } from './validate';

export const commands: readonly CommandSpec[] = [
  initCommand,
  inspectCommand,
  validateCommand,
  generateCommand,
  buildCommand,
  inspectBinaryCommand,
  doctorCommand,
  lockCommand,
  releasesCommand,
  deployCommand,
  rollbackCommand,
  statusCommand,
  logsCommand,
];

/** The command called `name`, if there is one. */
export function commandNamed(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
