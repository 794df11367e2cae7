import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../src/core/remote/quote';
import { GoDeployError } from '../../src/core/errors';
import { requireProgram } from '../support/programs';

/** Arguments that break naive quoting; each must come back byte-for-byte. */
const NASTY: string[] = [
  'plain',
  'with space',
  '',
  ' ',
  "it's",
  '"double"',
  'both \' and "',
  '$HOME',
  '${HOME}',
  '`id`',
  '$(id)',
  '$((1+1))',
  '!',
  '!!',
  'a!b',
  '*',
  '?',
  '[a-z]',
  '{a,b}',
  '~',
  '~root',
  '~/x',
  '-n',
  '-e',
  '--',
  'a\nb',
  '\n',
  '\t',
  'tab\there',
  'back\\slash',
  '\\',
  "'",
  "''",
  "\\'",
  'x=1',
  'a;b',
  'a|b',
  'a&b',
  'a>b',
  '<in',
  '#comment',
  'é ü 日本',
  '\r',
  '\x01\x7f',
  '\'$x\'"$(y)"`z`\\',
  '%s',
  'trailing\\',
];

function roundTrip(shell: string, args: string[]): string[] {
  const out = execFileSync(shell, ['-c', shellQuote(['printf', '%s\\0', ...args])]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves safe words readable and quotes the empty string', () => {
    assert.equal(shellQuote(['ls', '-la', '/var/lib/app']), 'ls -la /var/lib/app');
    assert.equal(shellQuote(['echo', '']), "echo ''");
    assert.equal(shellQuote(['echo', 'a b']), "echo 'a b'");
  });

  it('never leaves $, backticks, globs, ~ or = unquoted', () => {
    for (const a of ['$HOME', '`id`', '$(id)', '*', '~', 'x=1', '!x', '{a,b}']) {
      const q = shellQuote([a]);
      assert.notEqual(q, a, a);
    }
  });

  for (const shell of ['sh', 'dash', 'bash']) {
    it(`round-trips nasty arguments through ${shell} -c exactly`, () => {
      requireProgram(shell, 'a POSIX shell');
      assert.deepEqual(roundTrip(shell, NASTY), NASTY);
    });
  }

  it('keeps a leading x=1 a command argument, not an assignment', () => {
    assert.throws(() => execFileSync('sh', ['-c', shellQuote(['x=1'])], { stdio: 'pipe' }), /not found|No such/);
  });

  it('refuses NUL bytes with a GoDeployError', () => {
    assert.throws(
      () => shellQuote(['echo', 'a\0b']),
      (e: unknown) => e instanceof GoDeployError && /NUL/.test(e.message),
    );
  });

  it('refuses an empty argv', () => {
    assert.throws(() => shellQuote([]), GoDeployError);
  });
});
