/**
 * Arguments every process manager's syntax must carry untouched: spaces, both quotes, `$`
 * (literal, never expanded), `%` (systemd and supervisor specifiers), a backslash, an empty
 * argument, `;` and `#` after a space (supervisor's inline comments), a lone `;` (systemd's
 * command separator) and non-ASCII letters. `argv` is what the program must receive.
 */
export const TRICKY_ARGV: readonly string[] = [
  'serve',
  'two words',
  'say "hi"',
  "it's",
  '$HOME and ${USER}',
  '100%',
  '%n %i',
  'back\\slash',
  '',
  'a ;b #c',
  ';',
  'ünïcode',
];

/** The port flag the tests use: the program (fixtures/modules/argv) listens on the flag's address. */
export const LISTEN_FLAG = '--listen=127.0.0.1:{port}';

/** A YAML flow list of `argv` as godeploy.yaml spells it: `$` is written `$$` (JSON strings are YAML double-quoted scalars). */
export function yamlArgs(argv: readonly string[]): string {
  return `[${argv.map((a) => JSON.stringify(a.replace(/\$/g, '$$$$'))).join(', ')}]`;
}
