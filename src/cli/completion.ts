// `godeploy completion bash|zsh|fish`: completion scripts made from the command table, so a
// command or option the parser knows is one the shell offers. The commands, their options and
// what each argument takes are written into the script; environment names are read when TAB
// is pressed, by `godeploy [-C DIR] [--config FILE] completion --list-environments` (the same
// config the command being typed would use). Pure functions of the table: nothing is loaded.
import { globalOptions, type CommandSpec, type Completion, type OptionSpec } from './spec';

export const shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof shells)[number];

const program = 'godeploy';

/** The option words of `o`: `--name` and `-s`, or `-C` alone for a one-letter name. */
function optionWords(o: OptionSpec): string[] {
  if (o.short === o.name) return [`-${o.short}`];
  return [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])];
}

/** Positional words named like this complete as they say; `a|b` completes a or b. */
const standard: Record<string, Completion> = { ENV: 'environment', DIR: 'directory', FILE: 'file', COMMAND: 'command' };

/** How each positional of `c` completes, in order (undefined: nothing to offer). */
export function argumentCompletions(c: CommandSpec): (Completion | undefined)[] {
  return c.positionals
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word.replace(/^\[|\]$/g, ''))
    .map((word) => c.choices?.[word] ?? standard[word] ?? (word.includes('|') ? word.split('|') : undefined));
}

/** Every option word that takes a value, with what its value completes (undefined: nothing). One parser: one meaning per word. */
function valueOptions(commands: readonly CommandSpec[]): Map<string, Completion | undefined> {
  const out = new Map<string, Completion | undefined>();
  for (const o of [...globalOptions, ...commands.flatMap((c) => c.options)]) {
    if (o.type === 'string') for (const w of optionWords(o)) out.set(w, o.completes);
  }
  return out;
}

/** A completion as one word for the scripts: environment, directory, file, command, or `words a b c`. */
function kindWord(c: Completion | undefined): string {
  return c === undefined ? 'none' : typeof c === 'string' ? c : `words ${c.join(' ')}`;
}

/** Single-quoted for sh/bash/zsh. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Single-quoted for fish (backslash and quote escaped). */
function fq(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The first line of a summary or description, for a shell's one-line descriptions. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** `case` arms grouping the keys that share a value: `  a|b) body ;;`. */
function caseArms(entries: [string, string][], body: (value: string) => string): string[] {
  const byValue = new Map<string, string[]>();
  for (const [key, value] of entries) byValue.set(value, [...(byValue.get(value) ?? []), key]);
  return [...byValue].map(([value, keys]) => `    ${keys.join('|')}) ${body(value)} ;;`);
}

/**
 * The part bash and zsh share: what an option's value and each argument complete, the scan
 * of the words before the cursor, and the environment names. Written for both shells
 * (`[[ ]]`, `case`, arrays appended with +=; no word splitting relied on).
 */
function sharedFunctions(commands: readonly CommandSpec[]): string[] {
  const values = [...valueOptions(commands)].map(([w, c]): [string, string] => [w, kindWord(c)]);
  const args = commands.flatMap((c) => argumentCompletions(c).map((a, i): [string, string] => [`${c.name}:${i}`, kindWord(a)]));
  return [
    '# What the value of option word $1 completes (empty: the option takes no value).',
    '_godeploy_value() {',
    '  case $1 in',
    ...caseArms(values, (v) => `_godeploy_reply=${sq(v)}`),
    '    *) _godeploy_reply= ;;',
    '  esac',
    '}',
    '',
    '# What argument number $2 (from 0) of command $1 completes.',
    '_godeploy_argument() {',
    '  case $1:$2 in',
    ...caseArms(
      args.filter(([, v]) => v !== 'none'),
      (v) => `_godeploy_reply=${sq(v)}`,
    ),
    '    *) _godeploy_reply=none ;;',
    '  esac',
    '}',
    '',
    '# Reads the words before the cursor ($@): the command, how many of its arguments are',
    '# typed, the option whose value is being typed, and -C/--config as given (for the',
    '# environment names, read from the config that command would use).',
    '_godeploy_scan() {',
    '  _godeploy_cmd= _godeploy_nargs=0 _godeploy_expect= _godeploy_pass=()',
    '  local w ended=',
    '  for w in "$@"; do',
    '    if [[ -n $_godeploy_expect ]]; then',
    '      [[ $w == "=" ]] && continue # bash splits --env=prod into --env, = and prod',
    '      [[ $w == "~/"* ]] && w=$HOME/${w#"~/"}',
    '      [[ $_godeploy_expect == -C || $_godeploy_expect == --config ]] && _godeploy_pass+=("$_godeploy_expect" "$w")',
    '      _godeploy_expect=',
    '      continue',
    '    fi',
    '    if [[ -z $ended && $w == -?* ]]; then',
    '      case $w in',
    '        --) ended=1 ;;',
    '        --config=*) _godeploy_pass+=("$w") ;;',
    '        --*=*) ;;',
    '        -C?*) _godeploy_pass+=("$w") ;;',
    '        *)',
    '          _godeploy_value "$w"',
    '          [[ -n $_godeploy_reply ]] && _godeploy_expect=$w',
    '          ;;',
    '      esac',
    '    elif [[ -z $_godeploy_cmd ]]; then',
    '      _godeploy_cmd=$w',
    '    else',
    '      _godeploy_nargs=$((_godeploy_nargs + 1))',
    '    fi',
    '  done',
    '}',
    '',
    '# What the word being typed ($1, after _godeploy_scan) is: _godeploy_reply is options, or what it',
    '# completes as a value or an argument; _godeploy_cur is the part to complete and _godeploy_head',
    '# what stands before it in the word (--env= of --env=pr).',
    '_godeploy_at() {',
    '  _godeploy_cur=$1 _godeploy_head=',
    '  if [[ -n $_godeploy_expect && $1 == "=" ]]; then',
    '    _godeploy_cur=',
    '  elif [[ -z $_godeploy_expect && $1 == --*=* ]]; then',
    '    _godeploy_value "${1%%=*}"',
    '    [[ -n $_godeploy_reply ]] && _godeploy_expect=${1%%=*} _godeploy_head=${1%%=*}= _godeploy_cur=${1#*=}',
    '  fi',
    '  if [[ -n $_godeploy_expect ]]; then',
    '    _godeploy_value "$_godeploy_expect"',
    '  elif [[ $_godeploy_cur == -* ]]; then',
    '    _godeploy_reply=options',
    '  elif [[ -z $_godeploy_cmd ]]; then',
    '    _godeploy_reply=command',
    '  else',
    '    _godeploy_argument "$_godeploy_cmd" "$_godeploy_nargs"',
    '  fi',
    '}',
    '',
    '# The environment names of the config, one per line; nothing when there is none (or it is broken).',
    '_godeploy_environments() {',
    `  command ${program} "\${_godeploy_pass[@]}" completion --list-environments 2>/dev/null`,
    '}',
  ];
}

/** The options of command `c` with the global ones (only those before a command is typed). */
function optionsOf(c: CommandSpec | undefined): OptionSpec[] {
  return [...globalOptions, ...(c ? c.options : [])];
}

function bashScript(commands: readonly CommandSpec[], version: string): string {
  const words = (os: OptionSpec[]) => os.flatMap(optionWords).join(' ');
  return [
    `# bash completion for ${program}, written by \`${program} completion bash\` (${program} ${version}).`,
    `# This shell:   source <(${program} completion bash)`,
    `# Every shell:  echo 'source <(${program} completion bash)' >> ~/.bashrc`,
    '',
    ...sharedFunctions(commands),
    '',
    `_godeploy_commands=${sq(commands.map((c) => c.name).join(' '))}`,
    '',
    '# The options command $1 takes, with the global ones.',
    '_godeploy_options() {',
    '  case $1 in',
    ...commands.map((c) => `    ${c.name}) _godeploy_reply=${sq(words(optionsOf(c)))} ;;`),
    `    *) _godeploy_reply=${sq(words(optionsOf(undefined)))} ;;`,
    '  esac',
    '}',
    '',
    '# COMPREPLY: what `compgen ${@:2}` offers for $1, each after $_godeploy_head.',
    '_godeploy_add() {',
    '  local line',
    '  while IFS= read -r line; do COMPREPLY+=("$_godeploy_head$line"); done < <(compgen "${@:2}" -- "$1")',
    '}',
    '',
    '_godeploy() {',
    '  local cur',
    '  COMPREPLY=()',
    '  _godeploy_scan "${COMP_WORDS[@]:1:COMP_CWORD-1}"',
    '  _godeploy_at "${COMP_WORDS[COMP_CWORD]}"',
    '  cur=$_godeploy_cur',
    '  case $_godeploy_reply in',
    '    options)',
    '      _godeploy_options "$_godeploy_cmd"',
    '      _godeploy_add "$cur" -W "$_godeploy_reply"',
    '      ;;',
    '    environment) _godeploy_add "$cur" -W "$(_godeploy_environments)" ;;',
    '    directory) compopt -o filenames 2>/dev/null; _godeploy_add "$cur" -d ;;',
    '    file) compopt -o filenames 2>/dev/null; _godeploy_add "$cur" -f ;;',
    '    command) _godeploy_add "$cur" -W "$_godeploy_commands" ;;',
    '    "words "*) _godeploy_add "$cur" -W "${_godeploy_reply#words }" ;;',
    '  esac',
    '  return 0',
    '}',
    '',
    `complete -F _godeploy ${program}`,
    '',
  ].join('\n');
}

function zshScript(commands: readonly CommandSpec[], version: string): string {
  // _describe's entries: `word:description` (a colon in the word escaped).
  const described = (os: OptionSpec[]) => os.flatMap((o) => optionWords(o).map((w) => sq(`${w.replace(/:/g, '\\:')}:${oneLine(o.description)}`))).join(' ');
  return [
    `#compdef ${program}`,
    `# zsh completion for ${program}, written by \`${program} completion zsh\` (${program} ${version}).`,
    `# Install: save it as _${program} in a folder of $fpath, before compinit runs, for example`,
    `#   mkdir -p ~/.zsh/completions && ${program} completion zsh > ~/.zsh/completions/_${program}`,
    `#   and in ~/.zshrc, above compinit: fpath=(~/.zsh/completions $fpath)`,
    `# Or load it in this shell (after compinit): source <(${program} completion zsh)`,
    '',
    ...sharedFunctions(commands),
    '',
    '# The options command $1 takes, with the global ones, as _describe entries.',
    '_godeploy_options() {',
    '  case $1 in',
    ...commands.map((c) => `    ${c.name}) _godeploy_described=(${described(optionsOf(c))}) ;;`),
    `    *) _godeploy_described=(${described(optionsOf(undefined))}) ;;`,
    '  esac',
    '}',
    '',
    `_godeploy_commands=(${commands.map((c) => sq(`${c.name}:${oneLine(c.summary)}`)).join(' ')})`,
    '',
    '_godeploy() {',
    '  local -a envs',
    '  _godeploy_scan "${(@)words[2,CURRENT-1]}"',
    '  _godeploy_at "${words[CURRENT]}"',
    "  [[ -n $_godeploy_head ]] && compset -P '*='",
    '  case $_godeploy_reply in',
    '    options)',
    '      _godeploy_options "$_godeploy_cmd"',
    "      _describe -t options 'option' _godeploy_described",
    '      ;;',
    '    environment)',
    '      envs=(${(f)"$(_godeploy_environments)"})',
    "      _wanted environments expl 'environment' compadd -a envs",
    '      ;;',
    '    directory) _files -/ ;;',
    '    file) _files ;;',
    `    command) _describe -t commands '${program} command' _godeploy_commands ;;`,
    "    'words '*) compadd -- ${=${_godeploy_reply#words }} ;;",
    '  esac',
    '}',
    '',
    '# Autoloaded from $fpath, this file is the function _godeploy; sourced, it registers it.',
    'if [[ ${funcstack[1]-} == _godeploy ]]; then',
    '  _godeploy "$@"',
    'else',
    `  compdef _godeploy ${program}`,
    'fi',
    '',
  ].join('\n');
}

function fishScript(commands: readonly CommandSpec[], version: string): string {
  const values = valueOptions(commands);
  const valueWords = [...values.keys()];
  /** `complete` flags for option `o`: its names, and for a value what the value completes. */
  const optionFlags = (o: OptionSpec): string => {
    const names = o.short === o.name ? [`-s ${o.short}`] : [`-l ${o.name}`, ...(o.short ? [`-s ${o.short}`] : [])];
    const value =
      o.type !== 'string'
        ? []
        : o.completes === 'environment'
          ? ['-x', "-a '(__godeploy_environments)'"]
          : o.completes === 'directory'
            ? ['-x', "-a '(__fish_complete_directories (commandline -ct))'"]
            : o.completes === 'file'
              ? ['-r', '-F']
              : o.completes === 'command'
                ? ['-x', `-a ${fq(commands.map((c) => c.name).join(' '))}`]
                : Array.isArray(o.completes)
                  ? ['-x', `-a ${fq(o.completes.join(' '))}`]
                  : ['-x'];
    return [...names, ...value, `-d ${fq(oneLine(o.description))}`].join(' ');
  };
  const argumentFlags = (a: Completion): string =>
    a === 'environment'
      ? "-a '(__godeploy_environments)'"
      : a === 'directory'
        ? "-a '(__fish_complete_directories (commandline -ct))'"
        : a === 'file'
          ? '-F'
          : a === 'command'
            ? `-a ${fq(commands.map((c) => c.name).join(' '))}`
            : `-a ${fq(a.join(' '))}`;
  return [
    `# fish completion for ${program}, written by \`${program} completion fish\` (${program} ${version}).`,
    `# Install: ${program} completion fish > ~/.config/fish/completions/${program}.fish`,
    '',
    `set -g __godeploy_value_options ${valueWords.map(fq).join(' ')}`,
    '',
    '# Reads the words before the cursor: the command, how many of its arguments are typed,',
    '# and -C/--config as given (for the environment names, read from the config that command would use).',
    'function __godeploy_scan',
    '    set -g __godeploy_cmd',
    '    set -g __godeploy_nargs 0',
    '    set -g __godeploy_pass',
    '    set -l expect',
    '    set -l ended',
    '    set -l tokens (commandline -opc)',
    '    set -e tokens[1]',
    '    for w in $tokens',
    '        if test -n "$expect"',
    '            if contains -- $expect -C --config',
    '                set -a __godeploy_pass $expect (string replace -r \'^~/\' "$HOME/" -- $w)',
    '            end',
    '            set expect',
    '            continue',
    '        end',
    '        if test -z "$ended"; and string match -qr \'^-.\' -- $w',
    '            switch $w',
    "                case '--'",
    '                    set ended 1',
    "                case '--config=*' '-C?*'",
    '                    set -a __godeploy_pass $w',
    "                case '--*=*'",
    "                case '*'",
    '                    contains -- $w $__godeploy_value_options; and set expect $w',
    '            end',
    '        else if test -z "$__godeploy_cmd"',
    '            set -g __godeploy_cmd $w',
    '        else',
    '            set -g __godeploy_nargs (math $__godeploy_nargs + 1)',
    '        end',
    '    end',
    'end',
    '',
    '# True when no command is typed yet.',
    'function __godeploy_needs_command',
    '    __godeploy_scan',
    '    test -z "$__godeploy_cmd"',
    'end',
    '',
    '# True when the command is $argv[1] (and, given $argv[2], that many of its arguments are typed).',
    'function __godeploy_using',
    '    __godeploy_scan',
    '    test "$__godeploy_cmd" = $argv[1]; or return 1',
    '    test (count $argv) -lt 2; or test "$__godeploy_nargs" = $argv[2]',
    'end',
    '',
    '# The environment names of the config, one per line; nothing when there is none (or it is broken).',
    'function __godeploy_environments',
    '    __godeploy_scan',
    `    command ${program} $__godeploy_pass completion --list-environments 2>/dev/null`,
    'end',
    '',
    `complete -c ${program} -f`,
    ...globalOptions.map((o) => `complete -c ${program} ${optionFlags(o)}`),
    ...commands.map((c) => `complete -c ${program} -n __godeploy_needs_command -a ${c.name} -d ${fq(oneLine(c.summary))}`),
    ...commands.flatMap((c) => [
      ...c.options.map((o) => `complete -c ${program} -n '__godeploy_using ${c.name}' ${optionFlags(o)}`),
      ...argumentCompletions(c).flatMap((a, i) => (a === undefined ? [] : [`complete -c ${program} -n '__godeploy_using ${c.name} ${i}' ${argumentFlags(a)}`])),
    ]),
    '',
  ].join('\n');
}

/** The completion script for `shell`, made from the command table. */
export function completionScript(shell: Shell, commands: readonly CommandSpec[], version: string): string {
  return shell === 'bash' ? bashScript(commands, version) : shell === 'zsh' ? zshScript(commands, version) : fishScript(commands, version);
}
