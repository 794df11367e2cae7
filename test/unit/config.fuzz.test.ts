import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hasErrors, validateConfigText } from '../../src/core/index';
import { repoRoot } from '../support/paths';
import { prng } from '../support/prng';

const corpus = [
  readFileSync(path.join(repoRoot, 'test', 'fixtures', 'configs', 'full.yaml'), 'utf8'),
  'app:\n  name: hello\n  port: 8081\nenvironments:\n  dev:\n    type: local\n',
];
const tokens = [
  ':',
  ': ',
  '-',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '!!str ',
  '#',
  '"',
  "'",
  '|',
  '>',
  '?',
  '\t',
  '\n',
  '  ',
  '${secret:X}',
  '${',
  'null',
  '~',
  '0x1F',
  '1e9',
  '-1',
  'true',
  '<<: *a',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '\u00e9',
  '\uFEFF',
  '\r\n',
];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  let lines = text.split('\n');
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * lines.length);
    switch (Math.floor(rnd() * 8)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[Math.floor(rnd() * lines.length)] ?? '');
        break;
      case 2: {
        const j = Math.floor(rnd() * lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 3: {
        const l = lines[i] ?? '';
        const at = Math.floor(rnd() * (l.length + 1));
        lines[i] = l.slice(0, at) + pick(tokens) + l.slice(at);
        break;
      }
      case 4:
        lines[i] = (rnd() < 0.5 ? ' ' : '') + (lines[i] ?? '').replace(/^ /, rnd() < 0.5 ? '' : ' ');
        break;
      case 5:
        lines[i] = (lines[i] ?? '').replace(/: .*$/, `: ${pick(['', '[]', '{}', '70000', '"x"', 'yes', '*a', '&a x', '${env:}', '- a'])}`);
        break;
      case 6:
        lines = lines
          .join('\n')
          .slice(0, Math.floor(rnd() * text.length))
          .split('\n');
        break;
      default:
        lines[i] = (lines[i] ?? '').split('').reverse().join('');
        break;
    }
  }
  return lines.join('\n');
}

describe('config fuzzing', () => {
  it('1,000 seeded mutations of godeploy.yaml: no crash, no hang, every error located', function () {
    this.timeout(60_000);
    const rnd = prng(20261121);
    let invalid = 0;
    for (let c = 0; c < 1000; c++) {
      const text = mutate(corpus[c % corpus.length], rnd);
      const lineCount = text.split('\n').length;
      const r = validateConfigText('godeploy.yaml', text);
      for (const d of r.diagnostics) {
        const where = `case ${c}: ${JSON.stringify(d)}\n---\n${text}`;
        assert.ok(d.line >= 1 && d.line <= lineCount, where);
        assert.ok(d.col >= 1 && d.endLine >= d.line, where);
        assert.ok(d.message.length > 0 && d.file === 'godeploy.yaml', where);
      }
      assert.equal(r.config === undefined, hasErrors(r.diagnostics), `case ${c}: a config is returned exactly when there is no error`);
      if (!r.config) invalid++;
    }
    // The mutations must actually exercise the error paths, not just reformat valid files.
    assert.ok(invalid > 300, `only ${invalid} of 1000 mutated files were invalid`);
  });

  it('an alias bomb is refused with a located error rather than expanded', () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\napp: {}\n';
    const r = validateConfigText('godeploy.yaml', bomb);
    assert.equal(r.config, undefined);
    assert.match(r.diagnostics[0].message, /cannot read the file: .*alias/i);
  });
});
