// The CLI's command table: every command, in the order `godeploy --help` lists them. Each is
// declared once, in its own file (name, arguments, options, help, handler); the parser, the
// usage texts, the reference (docs/cli.md) and the completion scripts are made from this list.
import type { CommandSpec } from '../spec';
import { buildCommand } from './build';
import { completionCommandOf } from './completion';
import { deployCommand } from './deploy';
import { doctorCommand } from './doctor';
import { execCommandSpec } from './exec';
import { generateCommand } from './generate';
import { helpCommandOf } from './help';
import { initCommand } from './init';
import { inspectCommand } from './inspect';
import { inspectBinaryCommand } from './inspectBinary';
import { lockCommand } from './lock';
import { logsCommand } from './logs';
import { maintenanceCommand } from './maintenance';
import { releasesCommand } from './releases';
import { restartCommand } from './restart';
import { rollbackCommand } from './rollback';
import { rolloutCommand } from './rollout';
import { setupCommand } from './setup';
import { startCommand } from './start';
import { statusCommand } from './status';
import { stopCommand } from './stop';
import { validateCommand } from './validate';

export const commands: readonly CommandSpec[] = [
  initCommand,
  inspectCommand,
  validateCommand,
  generateCommand,
  buildCommand,
  inspectBinaryCommand,
  doctorCommand,
  setupCommand,
  lockCommand,
  releasesCommand,
  deployCommand,
  rollbackCommand,
  rolloutCommand,
  statusCommand,
  logsCommand,
  execCommandSpec,
  restartCommand,
  stopCommand,
  startCommand,
  maintenanceCommand,
  // These two describe the table itself: they get it when they run.
  completionCommandOf(() => commands),
  helpCommandOf(() => commands),
];

/** The command called `name`, if there is one. */
export function commandNamed(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
