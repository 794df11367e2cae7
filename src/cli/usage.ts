// What the command table says, as text: the parser's option config, `godeploy --help`,
// `godeploy COMMAND --help`. Pure functions of the table (no I/O, nothing loaded).
import { globalOptions, type CommandSpec, type OptionSpec } from './spec';

/** Help lines are wrapped to this width. */
const WIDTH = 96;
/** Where a command's summary starts in `godeploy --help`. */
const SUMMARY_COLUMN = 44;

export const exitCodesText = `Exit codes: 0 done, 1 the operation failed, 2 usage or config error. With --json, a
failure is also one line on stdout: {"error":{"message","hint","location","exitCode"}}.`;

/** The option config for node:util's parseArgs: the global options and every command's (one name, one meaning). */
export function parserOptions(commands: readonly CommandSpec[]): Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> {
  const config: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  const declaredBy: Record<string, string> = {};
  const add = (o: OptionSpec, owner: string): void => {
    const entry = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    const seen = config[o.name];
    if (seen && (seen.type !== entry.type || seen.short !== entry.short || seen.multiple !== entry.multiple)) {
      // One parser reads every command line, so a name must mean one kind of option everywhere.
      throw new Error(`CLI table: --${o.name} of ${owner} differs from --${o.name} of ${declaredBy[o.name]} (type, short alias or repeatable)`);
    }
    config[o.name] = entry;
    declaredBy[o.name] ??= owner;
  };
  for (const o of globalOptions) add(o, 'the global options');
  for (const c of commands) for (const o of c.options) add(o, c.name);
  return config;
}

/** How an option is written in a usage line: `[--out DIR]`, `[-f]`, `[--host H]...`. */
function usageOf(o: OptionSpec): string {
  const flag = o.short ? `-${o.short}` : `--${o.name}`;
  return `[${flag}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}]${o.multiple ? '...' : ''}`;
}

/** The usage lines of a command, without the leading `godeploy `: one per form. */
export function usageLines(c: CommandSpec): string[] {
  // What follows a ` -- ` in the positionals (exec's command) goes after the options: nothing after `--` is one.
  const line = (positionals: string, options: readonly OptionSpec[]): string => {
    const [before, after] = positionals.split(/ -- (.*)/s);
    return [c.name, before, ...options.map(usageOf), after === undefined ? '' : `-- ${after}`].filter(Boolean).join(' ');
  };
  if (!c.forms) return [line(c.positionals, c.options)];
  return c.forms.map((f) =>
    line(
      f.positionals,
      c.options.filter((o) => f.options.includes(o.name)),
    ),
  );
}

/** How an option is named in an option list: `-f, --follow`, `--out DIR`, `-C DIR`. */
export function optionLabel(o: OptionSpec): string {
  const names = o.short === o.name ? `-${o.short}` : o.short ? `-${o.short}, --${o.name}` : `--${o.name}`;
  return `${names}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** An option list: the labels in a column, each description wrapped beside it. */
function optionList(options: readonly OptionSpec[]): string[] {
  const column = Math.max(18, ...options.map((o) => optionLabel(o).length + 4));
  return options.flatMap((o) => {
    const [first, ...rest] = wrap(o.description, WIDTH - column);
    return [`  ${optionLabel(o).padEnd(column - 2)}${first}`, ...rest.map((l) => `${' '.repeat(column)}${l}`)];
  });
}

/** `godeploy COMMAND --help` (and `godeploy help COMMAND`): the usage line(s), the long help, every option the command takes, the examples. */
export function commandHelp(c: CommandSpec): string {
  const lines = usageLines(c).map((l) => `godeploy ${l}`);
  lines.push(...c.help.split('\n').map((l) => (l ? `  ${l}` : l)));
  if (c.options.length) lines.push('Options:', ...optionList(c.options));
  if (c.examples.length) lines.push('Examples:', ...c.examples.flatMap((e) => [`  # ${e.comment}`, `  ${e.line}`]));
  return lines.join('\n');
}

/** `godeploy --help` (and `godeploy` alone): every command with its usage and summary, the global options, the exit codes. */
export function topLevelUsage(commands: readonly CommandSpec[]): string {
  const indent = ' '.repeat(SUMMARY_COLUMN);
  const commandLines = commands.flatMap((c) => {
    const [first, ...rest] = c.summary.split('\n');
    // lock's forms read as one line here: `lock status|release ENV [--force] ...`.
    const usage = usageLines({ ...c, forms: undefined })[0];
    const head = usage.length <= SUMMARY_COLUMN - 4 ? [`  ${usage.padEnd(SUMMARY_COLUMN - 2)}${first}`] : [`  ${usage}`, `${indent}${first}`];
    return [...head, ...rest.map((l) => `${indent}${l}`)];
  });
  return [
    'godeploy: deploy Go services from the same godeploy.yaml the Go Deploy editor extension uses',
    '',
    'Usage: godeploy [-C DIR] [--config FILE] [--verbose] COMMAND [options]',
    '',
    'Commands:',
    ...commandLines,
    '',
    'Global options:',
    ...optionList(globalOptions),
    '',
    exitCodesText,
    '',
    "`godeploy help COMMAND` (or `godeploy COMMAND --help`) shows a command's options and examples.",
  ].join('\n');
}
