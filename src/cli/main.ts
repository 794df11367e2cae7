import { parseArgs } from 'node:util';
import { usageError } from '../core';
import { describeFailure, jsonFailureFromText, verboseFlag } from './failure';
import { runToExitCode } from './guard';
import { processIO, type CliIO } from './io';
import { requireFolder, resolveDir, type GlobalOptions } from './context';
import { commandNamed, commands } from './commands';
import { globalOptions } from './spec';
import { commandHelp, parserOptions, topLevelUsage } from './usage';

declare const GODEPLOY_VERSION: string | undefined;

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

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: optionSpec,
    });
  } catch (e) {
    throw usageError((e as Error).message.replace(/\. To specify .*$/s, ''), 'see `godeploy --help`');
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (values.version) {
    io.out(typeof GODEPLOY_VERSION === 'string' ? GODEPLOY_VERSION : 'dev');
    return 0;
  }
  if (!name) {
    io.out(topLevelUsage(commands));
    return values.help ? 0 : 2;
  }
  const command = commandNamed(name);
  if (!command) {
    throw usageError(`unknown command "${name}"`, `commands: ${commands.map((c) => c.name).join(', ')}; see \`godeploy --help\``);
  }
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  for (const option of Object.keys(values)) {
    if (!globalOptions.some((o) => o.name === option) && !command.options.some((o) => o.name === option)) {
      throw usageError(`${name} does not take --${option}`, `see \`godeploy ${name} --help\``);
    }
  }
  const C = values.C as string | undefined;
  const g: GlobalOptions = { dir: resolveDir(io, C), config: values.config as string | undefined };
  if (C !== undefined) await requireFolder(g.dir, '-C');
  // A flag not given is false; a value not given stays undefined.
  const own = Object.fromEntries(
    command.options.map((o) => [o.name, o.type === 'boolean' ? values[o.name] === true : (values[o.name] as string | string[] | undefined)]),
  );
  return command.run(io, g, args, own);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runToExitCode(
    () => main(argv),
    (t) => {
      process.stderr.write(`${t}\n`);
      if (wantsJsonErrors(argv)) process.stdout.write(`${JSON.stringify(jsonFailureFromText(t, 1))}\n`);
    },
  );
}
