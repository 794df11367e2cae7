// The CLI reference in markdown (docs/cli.md, written by scripts/docs.mjs), made from the
// same command table as the parser and the --help texts. Loading this module runs nothing.
import { commands } from './commands';
import { globalOptions, type OptionSpec } from './spec';
import { exitCodesText, optionLabel, usageLines } from './usage';

/** Text for markdown: `<` and `>` (as in <base>/current) are not tags, `*` and `_` not emphasis. */
function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_\\])/g, '\\$1');
}

/** A code span for a cell: backticks inside are escaped by a longer fence. */
function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** Prose with its `code spans` kept and everything else escaped; in a table cell, `|` does not end the cell. */
function prose(text: string, cell = false): string {
  const md = text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : escape(part)))
    .join('');
  return cell ? md.replace(/\|/g, '\\|') : md;
}

function optionTable(options: readonly OptionSpec[]): string[] {
  return [
    '| Option | Description |',
    '| --- | --- |',
    ...options.map((o) => `| ${code(optionLabel(o)).replace(/\|/g, '\\|')}${o.multiple ? ' (repeatable)' : ''} | ${prose(o.description, true)} |`),
  ];
}

/** Every command of `godeploy`: its usage, what it does, every option it takes, examples; then the global options and the exit codes. */
export function renderCliReference(): string {
  const out: string[] = [
    '# godeploy CLI reference',
    '',
    '<!-- generated from the CLI command table (src/cli/commands) by npm run docs; do not edit -->',
    '',
    '`godeploy` deploys Go services from the same godeploy.yaml the Go Deploy editor extension uses.',
    '',
    '```text',
    'godeploy [-C DIR] [--config FILE] [--verbose] COMMAND [options]',
    '```',
    '',
    '| Command | What it does |',
    '| --- | --- |',
    ...commands.map((c) => `| [${c.name}](#godeploy-${c.name}) | ${prose(c.summary.replace(/\n/g, ' '), true)} |`),
    '',
    '## Global options',
    '',
    ...optionTable(globalOptions),
    '',
    '## Exit codes',
    '',
    prose(exitCodesText.replace(/^Exit codes: /, '').replace(/\n/g, ' ')),
  ];
  for (const c of commands) {
    out.push('', `## godeploy ${c.name}`, '', '```text', ...usageLines(c).map((l) => `godeploy ${l}`), '```', '', prose(c.help));
    if (c.options.length) out.push('', ...optionTable(c.options));
    if (c.examples.length) out.push('', 'Examples:', '', '```sh', ...c.examples.flatMap((e) => [`# ${e.comment}`, e.line]), '```');
  }
  return `${out.join('\n')}\n`;
}
