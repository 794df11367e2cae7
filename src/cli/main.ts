import { parseArgs } from 'node:util';
import { usageError } from '../core';
import { describeFailure, jsonFailureFromText, verboseFlag } from './failure';
import { runToExitCode } from './guard';
import { processIO, type CliIO } from './io';
import { requireFolder, resolveDir, type GlobalOptions } from './context';
import { commandNamed, commands } from './commands';
import { globalOptions, type CommandSpec } from './spec';
import { commandHelp, parserOptions, topLevelUsage } from './usage';
import { versionLine, versionReport } from './version';

/** Every option of every command, for one parser; which command takes which is in the table. */
const optionSpec = parserOptions(commands);

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    const failure = describeFailure(e, argv.includes(verboseFlag));
    io.err(failure.text);
    if (wantsJsonErrors(argv)) io.out(JSON.stringify(failure.json));
    return failure.exitCode;
  }
}

/**
 * --json was given to a command that takes it (or before any command could be read): a
 * failure is then also printed on stdout as one line of JSON, for scripts.
 */
export function wantsJsonErrors(argv: string[]): boolean {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: optionSpec });
    const command = positionals[0] === undefined ? undefined : commandNamed(positionals[0]);
    return values.json === true && !(command && !command.options.some((o) => o.name === 'json'));
  } catch {
    return argv.includes('--json');
  }
}

/** A command line as the parser reads it: every option by long name, the command (if one is named) and its arguments. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  command: CommandSpec | undefined;
  args: string[];
  /** How many of `args` came before a `--` (undefined when there was none): `exec ENV -- CMD…`. */
  argsBeforeDashes?: number;
}

/** Reads `argv` with the one parser: an unknown option or command is a usage error (exit 2). */
export function parseCommandLine(argv: string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: optionSpec,
      tokens: true,
    });
  } catch (e) {
    throw usageError((e as Error).message.replace(/\. To specify .*$/s, ''), 'see `godeploy --help`');
  }
  const { values, positionals, tokens } = parsed;
  const [name, ...args] = positionals;
  const dashes = tokens.findIndex((t) => t.kind === 'option-terminator');
  const argsBeforeDashes = dashes < 0 ? undefined : tokens.slice(0, dashes).filter((t) => t.kind === 'positional').length - 1;
  const command = name === undefined ? undefined : commandNamed(name);
  if (name !== undefined && !command) {
    throw usageError(`unknown command "${name}"`, `commands: ${commands.map((c) => c.name).join(', ')}; see \`godeploy --help\``);
  }
  return { values, command, args, ...(argsBeforeDashes === undefined ? {} : { argsBeforeDashes: Math.max(0, argsBeforeDashes) }) };
}

/** Every option given is a global one or one of `command`'s, else a usage error naming it. */
export function requireOwnOptions(command: CommandSpec, values: ParsedCommandLine['values']): void {
  for (const option of Object.keys(values)) {
    if (!globalOptions.some((o) => o.name === option) && !command.options.some((o) => o.name === option)) {
      throw usageError(`${command.name} does not take --${option}`, `see \`godeploy ${command.name} --help\``);
    }
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const { values, command, args, argsBeforeDashes } = parseCommandLine(argv);
  if (values.version) {
    const v = versionReport();
    if (values.json) io.json(v);
    else io.out(versionLine(v));
    return 0;
  }
  if (!command) {
    io.out(topLevelUsage(commands));
    return values.help ? 0 : 2;
  }
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  requireOwnOptions(command, values);
  const C = values.C as string | undefined;
  const g: GlobalOptions = { dir: resolveDir(io, C), config: values.config as string | undefined, argsBeforeDashes };
  if (C !== undefined) await requireFolder(g.dir, '-C');
  // A flag not given is false; a value not given stays undefined.
  const own = Object.fromEntries(
    command.options.map((o) => [o.name, o.type === 'boolean' ? values[o.name] === true : (values[o.name] as string | string[] | undefined)]),
  );
  return command.run(io, g, args, own);
}

if (require.main === module) {
  // Set by the editor's launcher and build task to run this file with its own Electron as
  // Node; the programs godeploy starts (go, ssh, hooks) must not inherit it.
  delete process.env.ELECTRON_RUN_AS_NODE;
  const argv = process.argv.slice(2);
  runToExitCode(
    () => main(argv),
    (t) => {
      process.stderr.write(`${t}\n`);
      if (wantsJsonErrors(argv)) process.stdout.write(`${JSON.stringify(jsonFailureFromText(t, 1))}\n`);
    },
  );
}
