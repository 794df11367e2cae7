import { embeddedDefaultEnvironment, readConfigFile, usageError, validateConfigText } from '../../core';
import { completionScript, shells, type Shell } from '../completion';
import { resolveConfigPath, type GlobalOptions } from '../context';
import type { CliIO } from '../io';
import { defineCommand, type CommandSpec } from '../spec';
import { versionReport } from '../version';

/** `godeploy completion bash|zsh|fish`: a completion script for the commands of `table`. */
export function completionCommandOf(table: () => readonly CommandSpec[]): CommandSpec {
  return defineCommand({
    name: 'completion',
    positionals: 'SHELL',
    choices: { SHELL: shells },
    forms: [
      { positionals: 'SHELL', options: [] },
      { positionals: '', options: ['list-environments'] },
    ],
    summary: 'print a completion script for bash, zsh or fish',
    options: [
      {
        name: 'list-environments',
        type: 'boolean',
        description:
          'print the environment names of the config (-C and --config apply), one per line, as the scripts do on TAB; nothing, and exit 0, when there is no valid config',
      },
    ],
    help: `Prints a script that completes godeploy's commands, each command's options, and the
environment names of godeploy.yaml (read when TAB is pressed, from the config the command
line would use: -C DIR and --config FILE as typed) for deploy, rollback, status, releases,
doctor, logs, lock and --env.
bash:  source <(godeploy completion bash)   (add that line to ~/.bashrc to keep it)
zsh:   mkdir -p ~/.zsh/completions && godeploy completion zsh > ~/.zsh/completions/_godeploy
       and in ~/.zshrc, before compinit: fpath=(~/.zsh/completions $fpath)
       (or, after compinit: source <(godeploy completion zsh))
fish:  godeploy completion fish > ~/.config/fish/completions/godeploy.fish
Print the script again after an update of godeploy: its commands and options are written into it.`,
    examples: [
      { line: 'godeploy completion bash', comment: 'the bash script; `source <(godeploy completion bash)` loads it' },
      { line: 'godeploy completion zsh', comment: 'the zsh script, to save as _godeploy in a folder of $fpath' },
      { line: 'godeploy completion fish', comment: 'the fish script, for ~/.config/fish/completions/godeploy.fish' },
      { line: 'godeploy -C services/api completion --list-environments', comment: 'the environment names a TAB offers there' },
    ],
    run: (io, g, args, o) => runCompletion(io, g, args, o['list-environments'], table()),
  });
}

async function runCompletion(io: CliIO, g: GlobalOptions, args: string[], listEnvironments: boolean, commands: readonly CommandSpec[]): Promise<number> {
  if (listEnvironments) {
    for (const name of await environmentNames(g)) io.out(name);
    return 0;
  }
  const [shell, ...extra] = args;
  if (!shell) throw usageError('completion: which shell?', `godeploy completion ${shells.join('|')}`);
  if (!(shells as readonly string[]).includes(shell)) throw usageError(`completion: unknown shell "${shell}"`, `shells: ${shells.join(', ')}`);
  if (extra.length) throw usageError(`completion: unexpected argument ${JSON.stringify(extra[0])}`, 'one shell at a time');
  io.out(completionScript(shell as Shell, commands, versionReport().version));
  return 0;
}

/** The environment names of a valid config (the embedded `dev` when it names none); none for a missing or broken one: a TAB must never print an error. */
async function environmentNames(g: GlobalOptions): Promise<string[]> {
  try {
    const { file, exists } = await resolveConfigPath(g);
    if (!exists) return [];
    const { config } = validateConfigText(file, await readConfigFile(file));
    return config ? Object.keys(config.environments ?? embeddedDefaultEnvironment) : [];
  } catch {
    return [];
  }
}
