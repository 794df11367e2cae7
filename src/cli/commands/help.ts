import { usageError } from '../../core';
import { defineCommand, type CommandSpec } from '../spec';
import { commandHelp, topLevelUsage } from '../usage';

/** `godeploy help [COMMAND]`: the same texts as `godeploy --help` and `godeploy COMMAND --help`. Made with the table it describes. */
export function helpCommandOf(table: () => readonly CommandSpec[]): CommandSpec {
  return defineCommand({
    name: 'help',
    positionals: '[COMMAND]',
    summary: "a command's usage, options and examples",
    options: [],
    help: `Prints the usage of COMMAND, what it does, its options and examples (the same as
godeploy COMMAND --help); without COMMAND, every command (the same as godeploy --help).`,
    examples: [
      { line: 'godeploy help deploy', comment: "deploy's usage, options and examples" },
      { line: 'godeploy help', comment: 'every command, the global options and the exit codes' },
    ],
    run: async (io, _g, args) => {
      const commands = table();
      const [name, ...extra] = args;
      if (extra.length) throw usageError(`help: unexpected argument ${JSON.stringify(extra[0])}`, 'one command at a time: godeploy help COMMAND');
      if (name === undefined) {
        io.out(topLevelUsage(commands));
        return 0;
      }
      const command = commands.find((c) => c.name === name);
      if (!command) throw usageError(`help: unknown command "${name}"`, `commands: ${commands.map((c) => c.name).join(', ')}`);
      io.out(commandHelp(command));
      return 0;
    },
  });
}
