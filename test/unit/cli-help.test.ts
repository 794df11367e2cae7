// The CLI's conventions a user meets first: `godeploy --version`, `godeploy help [COMMAND]`, the
// examples every command's help shows (each one a command line the parser accepts), and
// `godeploy completion`: the scripts made from the command table, and the environment names
// they ask for on TAB (never an error, whatever the config).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as shellParse } from 'shell-quote';
import { commands } from '../../src/cli/commands';
import { argumentCompletions, completionScript, shells } from '../../src/cli/completion';
import { parseCommandLine, requireOwnOptions } from '../../src/cli/main';
import { renderCliReference } from '../../src/cli/reference';
import { globalOptions } from '../../src/cli/spec';
import { commandHelp } from '../../src/cli/usage';
import { godeployInProcess } from '../support/cliInProcess';

const godeploy = godeployInProcess;

describe('godeploy --version and help', () => {
  let empty: string;
  before(() => (empty = mkdtempSync(path.join(tmpdir(), 'godeploy-cli-help-'))));
  after(() => rmSync(empty, { recursive: true, force: true }));

  it('--version names the version, the commit and the Node.js version (unbundled: dev, unknown); with --json as an object', async () => {
    const r = await godeploy(['--version'], empty);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `godeploy dev (commit unknown, node ${process.version})\n`);
    const j = await godeploy(['--version', '--json'], empty);
    assert.equal(j.code, 0, j.err);
    assert.deepEqual(JSON.parse(j.out), { version: 'dev', commit: 'unknown', node: process.version });
  });

  it('godeploy help is godeploy --help, exit 0, and says how to get one command’s help', async () => {
    const help = await godeploy(['help'], empty);
    const flag = await godeploy(['--help'], empty);
    assert.equal(help.code, 0, help.err);
    assert.equal(help.out, flag.out);
    assert.match(help.out, /^`godeploy help COMMAND` \(or `godeploy COMMAND --help`\) shows a command's options and examples\.$/m);
    assert.match(help.out, /^ {2}help \[COMMAND\] +a command's usage, options and examples$/m);
    assert.match(help.out, /^ {2}completion SHELL \[--list-environments\] +print a completion script for bash, zsh or fish$/m);
  });

  for (const c of commands) {
    it(`godeploy help ${c.name} is godeploy ${c.name} --help: usage, options and examples`, async () => {
      const help = await godeploy(['help', c.name], empty);
      const flag = await godeploy([c.name, '--help'], empty);
      assert.equal(help.code, 0, help.err);
      assert.equal(flag.code, 0, flag.err);
      assert.equal(help.out, flag.out);
      assert.equal(help.out, `${commandHelp(c)}\n`);
      const examples = help.out.split('\nExamples:\n')[1];
      assert.ok(examples, `${c.name}: no Examples section:\n${help.out}`);
      for (const e of c.examples) assert.ok(examples.includes(`  # ${e.comment}\n  ${e.line}\n`), `${c.name}: ${e.line}`);
    });
  }

  it('godeploy help with an unknown command, or two, is a usage error naming the commands', async () => {
    const r = await godeploy(['help', 'deploi'], empty);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^godeploy: help: unknown command "deploi"\n {2}hint: commands: init, inspect, .*deploy, .*completion, help\n$/);
    const two = await godeploy(['help', 'deploy', 'status'], empty);
    assert.equal(two.code, 2);
    assert.match(two.err, /help: unexpected argument "status"/);
  });
});

describe('every command has examples, and each one is a command line the parser accepts', () => {
  /** The least and most positionals a command takes, from its usage: [DIR] is optional. */
  const arity = (positionals: string): [number, number] => {
    const words = positionals.split(/\s+/).filter(Boolean);
    return [words.filter((w) => !w.startsWith('[')).length, words.length];
  };

  for (const c of commands) {
    it(`${c.name}: at least one example, each parsed as godeploy ${c.name} with options it takes`, () => {
      assert.ok(c.examples.length >= 1, `${c.name} has no examples`);
      for (const e of c.examples) {
        assert.ok(e.comment.trim() && !e.comment.includes('\n'), `${c.name}: ${e.line}: the comment is one line`);
        const words = shellParse(e.line);
        assert.ok(
          words.every((w): w is string => typeof w === 'string'),
          `${e.line}: plain words only (no shell operators)`,
        );
        assert.equal(words[0], 'godeploy', e.line);
        const parsed = parseCommandLine(words.slice(1));
        assert.equal(parsed.command?.name, c.name, `${e.line}: runs ${parsed.command?.name}, listed under ${c.name}`);
        assert.doesNotThrow(() => requireOwnOptions(parsed.command!, parsed.values), e.line);
        // One of the command's forms (its usage lines) takes these arguments and these options.
        const own = Object.keys(parsed.values).filter((name) => c.options.some((o) => o.name === name));
        const forms = c.forms ?? [{ positionals: c.positionals, options: c.options.map((o) => o.name) }];
        assert.ok(
          forms.some((f) => {
            const [least, most] = arity(f.positionals);
            return parsed.args.length >= least && parsed.args.length <= most && own.every((name) => f.options.includes(name));
          }),
          `${e.line}: no usage line of ${c.name} takes ${parsed.args.length} arguments with ${own.map((o) => `--${o}`).join(' ') || 'no option'}`,
        );
        for (const [i, completion] of argumentCompletions(c).entries()) {
          if (Array.isArray(completion) && parsed.args[i] !== undefined)
            assert.ok(completion.includes(parsed.args[i]), `${e.line}: ${parsed.args[i]} is not one of ${completion.join(', ')}`);
        }
      }
    });
  }

  it('an example naming an option its command does not take would be caught', () => {
    const parsed = parseCommandLine(['status', 'prod', '--dry-run']);
    assert.throws(() => requireOwnOptions(parsed.command!, parsed.values), /status does not take --dry-run/);
    assert.throws(() => parseCommandLine(['deploi', 'prod']), /unknown command "deploi"/);
  });

  it('docs/cli.md (renderCliReference) shows every example under its command', () => {
    const sections = renderCliReference().split(/^## /m);
    for (const c of commands) {
      const section = sections.find((s) => s.startsWith(`godeploy ${c.name}\n`))!;
      assert.ok(section, c.name);
      const block = section.split('Examples:\n\n```sh\n')[1];
      assert.ok(block, `${c.name}: no examples block`);
      for (const e of c.examples) assert.ok(block.includes(`# ${e.comment}\n${e.line}\n`), `${c.name}: ${e.line}`);
    }
  });
});

describe('godeploy completion', () => {
  let work: string;
  before(() => (work = mkdtempSync(path.join(tmpdir(), 'godeploy-completion-'))));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A folder with go.mod and this godeploy.yaml (none when `config` is undefined). */
  const project = (name: string, config: string | undefined): string => {
    const dir = path.join(work, name);
    mkdirSync(path.join(dir, 'cmd'), { recursive: true });
    writeFileSync(path.join(dir, 'go.mod'), 'module example.com/app\n\ngo 1.21\n');
    if (config !== undefined) writeFileSync(path.join(dir, 'godeploy.yaml'), config);
    return dir;
  };

  it('--list-environments prints the names of the config the command line would use: here, next to go.mod above, -C, --config', async () => {
    const dir = project('envs', 'app:\n  name: app\nenvironments:\n  staging:\n    type: local\n  prod-eu:\n    type: local\n');
    assert.deepEqual(await godeploy(['completion', '--list-environments'], dir), { code: 0, out: 'staging\nprod-eu\n', err: '' });
    assert.equal((await godeploy(['completion', '--list-environments'], path.join(dir, 'cmd'))).out, 'staging\nprod-eu\n');
    assert.equal((await godeploy(['-C', dir, 'completion', '--list-environments'], work)).out, 'staging\nprod-eu\n');
    const other = path.join(work, 'other.yaml');
    writeFileSync(other, 'app:\n  name: app\nenvironments:\n  qa:\n    type: local\n');
    assert.equal((await godeploy(['-C', dir, '--config', '../other.yaml', 'completion', '--list-environments'], work)).out, 'qa\n');
    // No environments: the one every config has, dev.
    const bare = project('bare', 'app:\n  name: app\n');
    assert.equal((await godeploy(['completion', '--list-environments'], bare)).out, 'dev\n');
  });

  it('--list-environments prints nothing and exits 0 for a missing, broken or invalid config: a TAB never shows an error', async () => {
    const cases = {
      missing: project('missing', undefined),
      yaml: project('yaml', 'app:\n  name: [app\nenvironments: {\n'),
      schema: project('schema', 'app:\n  name: app\nenvironments:\n  prod:\n    type: locall\n'),
      empty: project('empty', ''),
      binary: project('binary', '\u0000\u00ff\u00fe'),
    };
    for (const [what, dir] of Object.entries(cases)) {
      assert.deepEqual(await godeploy(['completion', '--list-environments'], dir), { code: 0, out: '', err: '' }, what);
    }
    assert.deepEqual(await godeploy(['--config', 'nope.yaml', 'completion', '--list-environments'], work), { code: 0, out: '', err: '' });
    assert.deepEqual(await godeploy(['--config', work, 'completion', '--list-environments'], work), { code: 0, out: '', err: '' }, 'a folder as --config');
  });

  it('an unknown or missing shell is a usage error naming the shells', async () => {
    const r = await godeploy(['completion', 'powershell'], work);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^godeploy: completion: unknown shell "powershell"\n {2}hint: shells: bash, zsh, fish\n$/);
    const none = await godeploy(['completion'], work);
    assert.equal(none.code, 2);
    assert.match(none.err, /completion: which shell\?\n {2}hint: godeploy completion bash\|zsh\|fish/);
  });

  it('its help says how to install each shell’s script', async () => {
    const r = await godeploy(['help', 'completion'], work);
    assert.match(r.out, /source <\(godeploy completion bash\)/);
    assert.match(r.out, /godeploy completion zsh > ~\/\.zsh\/completions\/_godeploy/);
    assert.match(r.out, /before compinit: fpath=\(~\/\.zsh\/completions \$fpath\)/);
    assert.match(r.out, /godeploy completion fish > ~\/\.config\/fish\/completions\/godeploy\.fish/);
  });

  it('each script is made from the command table: every command, and for each command exactly its options and the global ones', async () => {
    for (const shell of shells) {
      const r = await godeploy(['completion', shell], work);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `${completionScript(shell, commands, 'dev')}\n`);
    }
    const bash = completionScript('bash', commands, 'dev');
    const globalWords = globalOptions.flatMap((o) => (o.short === o.name ? [`-${o.name}`] : [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
    for (const c of commands) {
      const arm = new RegExp(`^ {4}${c.name}\\) _godeploy_reply='([^']*)' ;;$`, 'm').exec(bash);
      assert.ok(arm, `bash: no options for ${c.name}`);
      const own = c.options.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);
      assert.deepEqual(arm[1].split(' ').sort(), [...globalWords, ...own].sort(), c.name);
    }
    assert.match(bash, new RegExp(`^_godeploy_commands='${commands.map((c) => c.name).join(' ')}'$`, 'm'));
    const fish = completionScript('fish', commands, 'dev');
    for (const c of commands) {
      assert.match(fish, new RegExp(`^complete -c godeploy -n __godeploy_needs_command -a ${c.name} -d `, 'm'));
      for (const o of c.options)
        assert.match(fish, new RegExp(`^complete -c godeploy -n '__godeploy_using ${c.name}' -l ${o.name}\\b`, 'm'), `${c.name} --${o.name}`);
    }
  });

  it('the arguments that are environments complete as such: deploy, rollback, status, releases, doctor, logs, lock, exec, restart …', () => {
    const envCommands = commands.filter((c) => argumentCompletions(c).includes('environment')).map((c) => c.name);
    assert.deepEqual(envCommands.sort(), [
      'deploy',
      'doctor',
      'exec',
      'lock',
      'logs',
      'maintenance',
      'releases',
      'restart',
      'rollback',
      'rollout',
      'setup',
      'start',
      'status',
      'stop',
    ]);
    assert.deepEqual(argumentCompletions(commands.find((c) => c.name === 'lock')!), [['status', 'release'], 'environment']);
    assert.deepEqual(argumentCompletions(commands.find((c) => c.name === 'rollout')!), [['status', 'promote', 'abort', 'resume'], 'environment']);
    assert.deepEqual(argumentCompletions(commands.find((c) => c.name === 'maintenance')!), [['on', 'off', 'status'], 'environment']);
  });
});
