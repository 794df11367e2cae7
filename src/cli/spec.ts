// The shape of a CLI command, declared once per command (src/cli/commands/*.ts) and collected
// in the table (src/cli/commands/index.ts). The parser, `godeploy --help`, `godeploy COMMAND
// --help` and the markdown reference (docs/cli.md) are all produced from it, so an option the
// parser accepts is always one the help lists. Types only: this module loads nothing.
import type { GlobalOptions } from './context';
import type { CliIO } from './io';

/** One option: `--name` (and `-short`), a flag or one that takes a value. */
export interface OptionSpec {
  /** The long name, without dashes: `--dry-run` is 'dry-run'. */
  readonly name: string;
  readonly type: 'boolean' | 'string';
  /** One-letter alias: `-f` is 'f'. */
  readonly short?: string;
  /** May be given several times; the handler gets every value. */
  readonly multiple?: boolean;
  /** What the value is called in usage lines ('DIR', 'N'); string options only. */
  readonly value?: string;
  /** One sentence for the help and the reference (wrapped when printed). */
  readonly description: string;
  /** What a shell completes for the value (string options only; default: nothing). */
  readonly completes?: Completion;
}

/**
 * What a shell completes for a value: the environment names of godeploy.yaml, a folder, a
 * file, a command of the table, or one of a fixed list of words.
 */
export type Completion = 'environment' | 'directory' | 'file' | 'command' | readonly string[];

/** A command line that shows the command in use, with what it does. */
export interface CommandExample {
  /** As typed, starting with `godeploy`. */
  readonly line: string;
  /** What it does, in one line. */
  readonly comment: string;
}

/** What a handler gets for one option: a flag is true or false, a value is given or not (any of these for an option not known here). */
type ValueOf<O extends OptionSpec> = OptionSpec extends O
  ? boolean | string | string[] | undefined
  : O extends { type: 'boolean' }
    ? boolean
    : O extends { multiple: true }
      ? string[] | undefined
      : string | undefined;

/** The parsed options of a command, by long name. */
export type OptionValues<O extends readonly OptionSpec[]> = { [K in O[number] as K['name']]: ValueOf<K> };

/** A way to call the command when it has several (lock status / lock release): its positionals and which options it takes. */
export interface CommandForm<Name extends string = string> {
  readonly positionals: string;
  readonly options: readonly Name[];
}

export interface CommandSpec<O extends readonly OptionSpec[] = readonly OptionSpec[]> {
  /** As typed: `godeploy NAME`. */
  readonly name: string;
  /** The arguments after the name, as in the usage line: 'ENV', '[DIR]', 'KIND'; '' for none. */
  readonly positionals: string;
  /** Usage lines of their own for each form (default: one line, positionals then every option). */
  readonly forms?: readonly CommandForm<O[number]['name']>[];
  /** One line (or a few, split by \n) for `godeploy --help`. */
  readonly summary: string;
  /** Every option the command takes besides the global ones, in usage order. */
  readonly options: O;
  /** The long help, after the usage line(s); unindented, lines as they are to be printed. */
  readonly help: string;
  /** A few real command lines, each with what it does; printed by `COMMAND --help` and in docs/cli.md. */
  readonly examples: readonly CommandExample[];
  /**
   * The words a positional takes, by its name in `positionals` (KIND: dockerfile, systemd…), for
   * shell completion. ENV, DIR, FILE, COMMAND and `a|b` need none: they complete as they say.
   */
  readonly choices?: Readonly<Record<string, readonly string[]>>;
  /** Runs the command: `args` are the positionals after its name; exit code. */
  run(io: CliIO, g: GlobalOptions, args: string[], values: OptionValues<O>): Promise<number>;
}

/** A command with its options' types kept for its handler. */
export function defineCommand<const O extends readonly OptionSpec[]>(spec: CommandSpec<O>): CommandSpec {
  return spec as unknown as CommandSpec;
}

/** The options every command understands (before or after the command name). */
export const globalOptions: readonly OptionSpec[] = [
  { name: 'C', short: 'C', type: 'string', value: 'DIR', completes: 'directory', description: 'run as if started in DIR' },
  {
    name: 'config',
    type: 'string',
    value: 'FILE',
    completes: 'file',
    description: 'use this config (default: godeploy.yaml here or next to the nearest go.mod)',
  },
  { name: 'verbose', type: 'boolean', description: 'on an error, also print its stack (for bug reports)' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help (also: godeploy COMMAND --help)' },
  { name: 'version', type: 'boolean', description: 'print the version, the commit it was built from and the Node.js version (with --json: as JSON)' },
];

/** Options several commands share, declared once so that they read the same everywhere. */
export const jsonOption = {
  name: 'json',
  type: 'boolean',
  description: 'print the result as JSON on stdout; a failure is then also one JSON line there',
} as const satisfies OptionSpec;

export const acceptNewHostKeyOption = {
  name: 'accept-new-host-key',
  type: 'boolean',
  description: "an unknown ssh host key is recorded in the environment's knownHostsFile instead of refused",
} as const satisfies OptionSpec;
