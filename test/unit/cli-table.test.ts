// The CLI's command table is the one definition of every command: the parser, `godeploy
// --help`, `godeploy COMMAND --help` and the markdown reference all come from it. These tests
// hold them to each other: what the parser accepts for a command is what its help lists.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { commands } from '../../src/cli/commands';
import type { CliIO } from '../../src/cli/io';
import { renderCliReference } from '../../src/cli/reference';
import { withCancellation } from '../../src/cli/signals';
import { defineCommand, globalOptions } from '../../src/cli/spec';
import { parserOptions } from '../../src/cli/usage';
import { godeployInProcess } from '../support/cliInProcess';
import { cliPath } from '../support/paths';

const godeploy = godeployInProcess;

/** The long option names in a help text's "Options:" block (the lines after it that start with a dash). */
function listedOptions(help: string): string[] {
  const block = help.split('\nOptions:\n')[1] ?? '';
  return block
    .split('\n')
    .filter((l) => /^ {2}-/.test(l))
    .map((l) => {
      const label = l.trim().split(/\s{2,}/)[0];
      const long = /--([a-z][a-z-]*)/.exec(label);
      return long ? long[1] : label.replace(/^-/, '').split(' ')[0];
    });
}

describe('CLI command table', () => {
  let empty: string;
  before(() => {
    // No go.mod and no godeploy.yaml: every command that gets past its options fails at once, changing nothing.
    empty = mkdtempSync(path.join(tmpdir(), 'godeploy-cli-table-'));
  });
  after(() => rmSync(empty, { recursive: true, force: true }));

  it('godeploy --help lists every command of the table with its usage, and the global options', async () => {
    const r = await godeploy(['--help'], empty);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    for (const c of commands) {
      const line = lines.find((l) => l.startsWith(`  ${c.name} `) || l === `  ${c.name}`);
      assert.ok(line, `${c.name} is missing from godeploy --help`);
      if (c.positionals) assert.ok(line.startsWith(`  ${c.name} ${c.positionals.split(' -- ')[0]}`), line);
      for (const o of c.options) {
        const written = o.short ? `-${o.short}` : `--${o.name}`;
        assert.ok(
          line.split(/\s+/).some((w) => w.replace(/^\[/, '').split(/[\] ]/)[0] === written),
          `${c.name}: ${written} is missing from ${JSON.stringify(line)}`,
        );
      }
    }
    for (const o of globalOptions)
      assert.match(r.out, new RegExp(`^ {2}${o.short === o.name ? `-${o.name}` : o.short ? `-${o.short}, --${o.name}` : `--${o.name}`}\\b`, 'm'));
    assert.match(r.out, /^Exit codes: 0 done, 1 the operation failed, 2 usage or config error\./m);
    // godeploy alone prints the same, as a usage error.
    const bare = await godeploy([], empty);
    assert.equal(bare.code, 2);
    assert.equal(bare.out, r.out);
  });

  // Every option any command (or no command) declares, and one nobody does.
  const candidates = [...Object.keys(parserOptions(commands)), 'no-such-option'].filter((n) => !globalOptions.some((g) => g.name === n));
  const kinds = parserOptions(commands);

  for (const c of commands) {
    it(`godeploy ${c.name} --help lists exactly the options the parser accepts for ${c.name}`, async () => {
      const help = await godeploy([c.name, '--help'], empty);
      assert.equal(help.code, 0, help.err);
      const usage = help.out.split('\n').filter((l) => l.startsWith(`godeploy ${c.name}`));
      assert.ok(usage.length >= 1, help.out);

      // Ask the parser itself: which of all the options known anywhere does it let through for this command?
      const accepted: string[] = [];
      for (const name of candidates) {
        const value = kinds[name]?.type === 'string' ? ['x'] : [];
        const r = await godeploy(['-C', empty, c.name, `--${name}`, ...value], empty);
        const refused = /does not take --|Unknown option/.test(r.err);
        if (refused) assert.equal(r.code, 2, `${c.name} --${name}: ${r.err}`);
        else accepted.push(name);
      }
      assert.deepEqual(listedOptions(help.out).sort(), accepted.sort(), `${c.name}: the help's option list against what the parser accepts`);
      for (const name of accepted) {
        const o = c.options.find((x) => x.name === name)!;
        const written = o.short ? `-${o.short}` : `--${o.name}`;
        assert.ok(
          usage.some((l) => l.includes(`[${written}`)),
          `${c.name}: ${written} is in no usage line:\n${usage.join('\n')}`,
        );
      }
    });
  }

  it('an unknown option exits 2 naming it; an option of another command exits 2 naming both', async () => {
    const unknown = await godeploy(['deploy', 'prod', '--no-such-option'], empty);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^godeploy: Unknown option '--no-such-option'\n {2}hint: see `godeploy --help`$/m);
    const short = await godeploy(['status', 'prod', '-z'], empty);
    assert.equal(short.code, 2);
    assert.match(short.err, /Unknown option '-z'/);
    const other = await godeploy(['inspect', '--follow'], empty);
    assert.equal(other.code, 2);
    assert.match(other.err, /^godeploy: inspect does not take --follow\n {2}hint: see `godeploy inspect --help`$/m);
    // By its short alias too: -f is logs' --follow.
    assert.match((await godeploy(['status', 'prod', '-f'], empty)).err, /status does not take --follow/);
  });

  it('renderCliReference() has a section for every command with its usage and every option, and the global options', () => {
    const md = renderCliReference();
    const sections = md.split(/^## /m);
    for (const c of commands) {
      const section = sections.find((s) => s.startsWith(`godeploy ${c.name}\n`));
      assert.ok(section, `no section for ${c.name}`);
      assert.match(section, new RegExp(`^godeploy ${c.name}\\b`, 'm'));
      for (const o of c.options) assert.ok(section.includes(`--${o.name}`), `${c.name}: --${o.name} is missing from the reference`);
      assert.ok(md.includes(`](#godeploy-${c.name})`), `${c.name} is missing from the command list`);
    }
    const global = sections.find((s) => s.startsWith('Global options'));
    for (const o of globalOptions) assert.ok(global?.includes(o.name === o.short ? `-${o.name}` : `--${o.name}`), o.name);
    // Markdown, not HTML: <base> and <app> are text.
    assert.doesNotMatch(md.replace(/```text\n[\s\S]*?```/g, '').replace(/<!--.*?-->/g, ''), /<[a-z]/);
  });

  it('one option name means one kind of option across commands, or the table is refused', () => {
    const a = defineCommand({
      name: 'a',
      positionals: '',
      summary: '',
      help: '',
      examples: [],
      options: [{ name: 'out', type: 'string', description: '' }],
      run: async () => 0,
    });
    const b = defineCommand({
      name: 'b',
      positionals: '',
      summary: '',
      help: '',
      examples: [],
      options: [{ name: 'out', type: 'boolean', description: '' }],
      run: async () => 0,
    });
    assert.throws(() => parserOptions([a, b]), /--out of b differs from --out of a/);
    assert.doesNotThrow(() => parserOptions(commands));
  });

  it('the built CLI (dist/cli.js) is made from the table: its usage and helps come from it, an unknown option exits 2', function () {
    assert.ok(existsSync(cliPath), `${cliPath} is missing: npm run build makes it (the tiers run after the build)`);
    for (const args of [['--help'], ['generate', '--help'], ['lock', '--help']]) {
      const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: empty, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        args[0] === '--help' ? /^ {2}lock status\|release ENV \[--force\] \[--json\] \[--accept-new-host-key\]$/m : /^Options:$/m,
        args.join(' '),
      );
    }
    const bad = spawnSync(process.execPath, [cliPath, 'lock', 'status', 'prod', '--nope'], { cwd: empty, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Unknown option '--nope'/);
  });
});

describe('withCancellation: the one place a command wires termination signals', () => {
  const said: string[] = [];
  const io = { err: (t: string) => said.push(t) } as unknown as CliIO;
  beforeEach(() => (said.length = 0));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const listeners = () => Object.fromEntries(signals.map((s) => [s, process.listeners(s)]));
  /** Delivers `signal` to the listener withCancellation added (only: the test runner's own are left alone). */
  const deliver = (before: ReturnType<typeof listeners>, signal: (typeof signals)[number]) => {
    const added = process.listeners(signal).filter((l) => !before[signal].includes(l));
    assert.equal(added.length, 1, signal);
    (added[0] as (s: NodeJS.Signals) => void)(signal);
  };

  it('the first signal cancels the token and says so, a later one says it is still finishing; listening stops when the operation settles', async () => {
    const before = listeners();
    const result = await withCancellation(io, { first: 'stopping…' }, async (token) => {
      deliver(before, 'SIGTERM');
      assert.equal(token.isCancellationRequested, true);
      deliver(before, 'SIGINT');
      return 7;
    });
    assert.equal(result, 7);
    assert.equal(said[0], 'godeploy: received SIGTERM: stopping…');
    assert.match(said[1], /^godeploy: still finishing what cancelling started/);
    assert.deepEqual(listeners(), before);
  });

  it('quiet, with repeatEnds (logs, build): nothing is said; a second signal gets its default action', async () => {
    const before = listeners();
    const kill = process.kill;
    const killed: unknown[] = [];
    process.kill = ((pid: number, signal: string) => (killed.push([pid, signal]), true)) as typeof process.kill;
    try {
      await withCancellation(io, { repeatEnds: true }, async (token) => {
        deliver(before, 'SIGINT');
        assert.equal(token.isCancellationRequested, true);
        deliver(before, 'SIGINT');
      });
    } finally {
      process.kill = kill;
    }
    assert.deepEqual(said, []);
    assert.deepEqual(killed, [[process.pid, 'SIGINT']]);
    assert.deepEqual(listeners(), before);
  });
});
