// `godeploy completion bash|zsh|fish` in the real shells, with the godeploy a user installs
// (the npm tarball in a temporary prefix, on PATH): each script passes the shell's syntax
// check, and a TAB offers the commands, the options of the command typed, and the
// environment names of the godeploy.yaml the command line would use. bash: the function the
// script registers (`complete -p godeploy`) is called with COMP_WORDS/COMP_CWORD as bash sets
// them. zsh: an interactive zsh on a pseudo-terminal (zpty) with the script installed in
// $fpath as its help says, TAB pressed, every match recorded. fish: the script where fish
// finds it (~/.config/fish/completions/godeploy.fish) and `complete -C`.
// zsh and fish are installed by scripts/setup/system.sh; a shell that is missing fails the test.
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands';
import { globalOptions } from '../../src/cli/spec';
import { installedCli } from '../support/installedCli';
import { tempDir } from './fixtures/util';

const work = tempDir('cli-completion');
after(() => work.remove());

const project = join(work.path, 'project');
const elsewhere = join(work.path, 'elsewhere');
const broken = join(work.path, 'broken');
const home = join(work.path, 'home');
const environments = ['staging', 'prod-eu', 'qa_2'];

let env: NodeJS.ProcessEnv;

before(function () {
  this.timeout(300_000);
  const { binDir } = installedCli();
  // The user's own shell setup stays out: a home of its own, the installed godeploy first on PATH.
  env = {
    PATH: `${binDir}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    TERM: 'dumb',
    LANG: 'C.UTF-8',
  };
  for (const dir of [project, join(project, 'cmd', 'api'), elsewhere, broken, home]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(project, 'go.mod'), 'module example.com/shop\n\ngo 1.21\n');
  writeFileSync(
    join(project, 'godeploy.yaml'),
    `app:\n  name: shop\nenvironments:\n${environments.map((e) => `  ${e}:\n    type: local\n    path: /tmp/${e}\n`).join('')}`,
  );
  writeFileSync(join(broken, 'go.mod'), 'module example.com/broken\n');
  writeFileSync(join(broken, 'godeploy.yaml'), 'app:\n  name: [broken\nenvironments: {\n');
});

/** A shell run; a shell that is not installed fails here, naming what installs it. */
function shell(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd: options.cwd ?? project, env, input: options.input, encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    assert.fail(`${cmd} is not installed: scripts/setup/system.sh installs it (Debian: apt-get install ${cmd})`);
  assert.ifError(r.error);
  return r;
}

function script(name: 'bash' | 'zsh' | 'fish'): string {
  const r = shell('godeploy', ['completion', name]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

const commandNames = commands.map((c) => c.name).sort();
/** The long option words `godeploy NAME --<TAB>` should offer: the global ones and the command's own. */
const longOptions = (name: string): string[] =>
  [...globalOptions, ...commands.find((c) => c.name === name)!.options]
    .filter((o) => o.short !== o.name)
    .map((o) => `--${o.name}`)
    .sort();

describe('bash completion (the installed godeploy, real bash)', () => {
  it('godeploy completion bash | bash -n: the script parses', () => {
    const r = shell('bash', ['-n'], { input: script('bash') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  /**
   * Loads the script as its help says (source <(godeploy completion bash)), finds the function
   * it registered for godeploy, and calls it with these words (the last one is being typed,
   * '' after a space), as bash does on TAB. COMPREPLY, one per line, and what went to stderr.
   */
  function tab(words: string[], cwd = project): { offered: string[]; stderr: string } {
    const driver = [
      'source <(godeploy completion bash)',
      'spec=$(complete -p godeploy) || exit 3',
      'fn=${spec#*-F }; fn=${fn%% *}',
      'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9; COMP_KEY=9',
      '"$fn" godeploy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = shell('bash', ['--norc', '--noprofile', '-c', driver, 'driver', ...words], { cwd });
    assert.equal(r.status, 0, r.stderr);
    return { offered: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
  }

  it('registers a function for godeploy', () => {
    const r = shell('bash', ['--norc', '--noprofile', '-c', 'source <(godeploy completion bash) && complete -p godeploy']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^complete -F _godeploy godeploy$/m);
  });

  it('offers every command, and the commands that start with what is typed', () => {
    assert.deepEqual(tab(['godeploy', '']).offered.sort(), commandNames);
    assert.deepEqual(tab(['godeploy', 'de']).offered, ['deploy']);
    assert.deepEqual(tab(['godeploy', 'help', 'ro']).offered, ['rollback', 'rollout']);
    assert.deepEqual(tab(['godeploy', 'help', 'rollb']).offered, ['rollback']);
  });

  it("offers deploy's own options and the global ones, and no other command's", () => {
    assert.deepEqual(tab(['godeploy', 'deploy', '--']).offered.sort(), longOptions('deploy'));
    assert.deepEqual(tab(['godeploy', 'deploy', 'prod-eu', '--d']).offered, ['--dry-run']);
    assert.deepEqual(tab(['godeploy', 'logs', 'staging', '--f']).offered, ['--follow']);
    assert.ok(!tab(['godeploy', 'status', '--']).offered.includes('--follow'));
  });

  it('offers the environment names of godeploy.yaml for ENV and --env, from the config the command line names', () => {
    for (const command of ['deploy', 'rollback', 'status', 'releases', 'doctor', 'logs']) {
      assert.deepEqual(tab(['godeploy', command, '']).offered, environments, command);
    }
    assert.deepEqual(tab(['godeploy', 'deploy', 'pr']).offered, ['prod-eu']);
    assert.deepEqual(tab(['godeploy', 'deploy', '--json', '']).offered, environments, 'after a flag');
    assert.deepEqual(tab(['godeploy', 'lock', '']).offered, ['status', 'release']);
    assert.deepEqual(tab(['godeploy', 'lock', 'release', '']).offered, environments);
    assert.deepEqual(tab(['godeploy', 'rollout', '']).offered, ['status', 'promote', 'abort', 'resume']);
    assert.deepEqual(tab(['godeploy', 'rollout', 'abort', '']).offered, environments);
    assert.deepEqual(tab(['godeploy', 'maintenance', '']).offered, ['on', 'off', 'status']);
    assert.deepEqual(tab(['godeploy', 'generate', 'systemd', '--env', '']).offered, environments);
    // bash splits --env=st at the = (COMP_WORDBREAKS): --env, =, st.
    assert.deepEqual(tab(['godeploy', 'generate', 'systemd', '--env', '=', 'st']).offered, ['staging']);
    // From a subfolder: the godeploy.yaml next to go.mod above.
    assert.deepEqual(tab(['godeploy', 'status', ''], join(project, 'cmd', 'api')).offered, environments);
    // Elsewhere: -C and --config as typed.
    assert.deepEqual(tab(['godeploy', 'status', ''], elsewhere).offered, []);
    assert.deepEqual(tab(['godeploy', '-C', project, 'status', ''], elsewhere).offered, environments);
    assert.deepEqual(tab(['godeploy', '--config', join(project, 'godeploy.yaml'), 'deploy', ''], elsewhere).offered, environments);
    assert.deepEqual(tab(['godeploy', '-C', '../project', 'deploy', 'q'], elsewhere).offered, ['qa_2']);
  });

  it('a broken godeploy.yaml, or none, offers no names and prints nothing on the terminal', () => {
    assert.deepEqual(tab(['godeploy', 'deploy', ''], broken), { offered: [], stderr: '' });
    assert.deepEqual(tab(['godeploy', '-C', join(work.path, 'no-such-folder'), 'deploy', ''], elsewhere), { offered: [], stderr: '' });
  });

  it('offers the words an argument takes, and folders for -C', () => {
    assert.deepEqual(tab(['godeploy', 'completion', '']).offered, ['bash', 'zsh', 'fish']);
    assert.ok(tab(['godeploy', 'generate', '']).offered.includes('dockerfile'));
    assert.deepEqual(tab(['godeploy', 'generate', 'dockerfile', '--runtime', 's']).offered, ['scratch']);
    assert.deepEqual(tab(['godeploy', '-C', 'c']).offered, ['cmd']);
  });
});

describe('zsh completion (the installed godeploy, real zsh)', () => {
  it('zsh -n: the script parses', () => {
    const file = join(work.path, 'zsh-syntax', '_godeploy');
    mkdirSync(join(work.path, 'zsh-syntax'), { recursive: true });
    writeFileSync(file, script('zsh'));
    const r = shell('zsh', ['-n', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  /**
   * Types `line` and TAB into an interactive zsh (zsh/zpty) that loads the script as its help
   * says: as _godeploy in a folder of $fpath before compinit, or sourced after it. Every match
   * zsh's completion adds (through compadd) is recorded in a file, until completion ends.
   */
  function tab(line: string, how: 'fpath' | 'source', cwd = project): string[] {
    const dir = join(work.path, `zsh-${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(dir, 'functions'), { recursive: true });
    const out = join(dir, 'matches');
    writeFileSync(join(dir, 'functions', '_godeploy'), script('zsh'));
    const setup =
      how === 'fpath'
        ? `fpath=(${dir}/functions \\$fpath); autoload -U compinit; compinit -u -d ${dir}/zcompdump`
        : `autoload -U compinit; compinit -u -d ${dir}/zcompdump; source <(godeploy completion zsh)`;
    const driver = `
zmodload zsh/zpty || exit 3
zpty shell zsh -f -i
zpty -w shell "PROMPT= RPROMPT=; ${setup}; cd ${cwd}"
zpty -w shell 'compadd() { local -a m; builtin compadd -O m "$@"; print -rl -- $m >> ${out}; builtin compadd "$@" }'
zpty -w shell '_recorded() { print -r -- "<end>" >> ${out} }; comppostfuncs=(_recorded)'
zpty -n -w shell ${JSON.stringify(line)}$'\\t'
for i in {1..200}; do
  [[ -f ${out} ]] && grep -q '^<end>$' ${out} && break
  sleep 0.05
done
zpty -d shell
`;
    const r = shell('zsh', ['-f', '-c', driver], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const recorded = readFileSync(out, 'utf8').split('\n');
    assert.ok(recorded.includes('<end>'), `zsh did not finish completing ${JSON.stringify(line)}:\n${recorded.join('\n')}`);
    return [...new Set(recorded.filter((l) => l && l !== '<end>'))];
  }

  it('installed in $fpath: TAB offers the commands, the options of deploy and the environment names', function () {
    this.timeout(60_000);
    assert.deepEqual(tab('godeploy ', 'fpath').sort(), commandNames);
    assert.deepEqual(tab('godeploy deploy --', 'fpath').sort(), longOptions('deploy'));
    assert.deepEqual(tab('godeploy deploy ', 'fpath').sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy lock release ', 'fpath').sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy generate systemd --env=st', 'fpath'), ['staging']);
    assert.deepEqual(tab(`godeploy -C ${project} status `, 'fpath', elsewhere).sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy deploy ', 'fpath', broken), []);
  });

  it('sourced after compinit: the same', function () {
    this.timeout(60_000);
    assert.deepEqual(tab('godeploy rollback ', 'source').sort(), [...environments].sort());
  });
});

describe('fish completion (the installed godeploy, real fish)', () => {
  it('fish -n: the script parses', () => {
    const file = join(work.path, 'godeploy-syntax.fish');
    writeFileSync(file, script('fish'));
    const r = shell('fish', ['-n', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  /** `complete -C LINE` in fish, with the script where its help puts it (~/.config/fish/completions, where fish loads it from); the candidates without descriptions. */
  function tab(line: string, cwd = project): string[] {
    const completions = join(home, '.config', 'fish', 'completions');
    mkdirSync(completions, { recursive: true });
    writeFileSync(join(completions, 'godeploy.fish'), script('fish'));
    const r = shell('fish', ['-c', `complete -C ${JSON.stringify(line)}`], { cwd });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);
  }

  it('offers the commands, the options of deploy and the environment names', () => {
    assert.deepEqual(tab('godeploy ').sort(), commandNames);
    assert.deepEqual(tab('godeploy deploy --').sort(), longOptions('deploy'));
    assert.deepEqual(tab('godeploy deploy ').sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy logs staging --f'), ['--follow']);
    assert.deepEqual(tab('godeploy lock ').sort(), ['release', 'status']);
    assert.deepEqual(tab('godeploy lock status ').sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy generate systemd --env ').sort(), [...environments].sort());
    assert.deepEqual(tab(`godeploy -C ${project} status `, elsewhere).sort(), [...environments].sort());
    assert.deepEqual(tab('godeploy deploy ', broken), []);
  });
});
