// A 5 MB godeploy.yaml (52,000 keys) validates to a short, correct report. Its speed is
// measured by `npm run bench` (bench/validate.bench.ts), never asserted here.
import { strict as assert } from 'node:assert';
import { validateConfigText } from '../../src/core/config/load';
import { maxDiagnosticsPerFile } from '../../src/core/config/diagnostic';
import { bigConfig } from '../support/bigConfig';

describe('config validation of a large file', function () {
  this.timeout(120_000);

  it('52,000 unknown keys: the first 200 located one per key, then one "… and 51,800 more" error', () => {
    const text = bigConfig(52_000, 'unknown-keys');
    assert.ok(text.length > 4_900_000, 'a 5 MB file');
    const { config, diagnostics } = validateConfigText('godeploy.yaml', text);
    assert.equal(config, undefined);
    assert.equal(diagnostics.length, maxDiagnosticsPerFile + 1);
    diagnostics.slice(0, maxDiagnosticsPerFile).forEach((d, i) => {
      const n = String(i).padStart(6, '0');
      assert.equal(`${d.line}:${d.col} ${d.message}`, `${7 + i}:1 the file: unknown key "unknown_key_${n}"`);
    });
    const more = diagnostics[maxDiagnosticsPerFile];
    assert.equal(more.severity, 'error');
    assert.equal(more.line, 7 + maxDiagnosticsPerFile);
    assert.match(more.message, /^… and 51800 more problems \(51800 errors\) from line 207 on, not listed$/);
  });

  it('52,000 environments that are not mappings (checked in slices): the first 200 located, then the count of the rest', () => {
    const { diagnostics } = validateConfigText('godeploy.yaml', bigConfig(52_000, 'bad-environments'));
    assert.equal(diagnostics.length, maxDiagnosticsPerFile + 1);
    diagnostics.slice(0, maxDiagnosticsPerFile).forEach((d, i) => {
      const n = String(i).padStart(6, '0');
      assert.equal(`${d.line}:${d.col} ${d.message}`, `${7 + i}:15 environments.env_${n}: expected a mapping, got the string "${'x'.repeat(72)}"`);
    });
    assert.match(diagnostics[maxDiagnosticsPerFile].message, /^… and 51800 more problems \(51800 errors\) from line 207 on, not listed$/);
  });

  it('52,000 valid entries (app.env) of the same size: valid, nothing reported', () => {
    const { config, diagnostics } = validateConfigText('godeploy.yaml', bigConfig(52_000, 'env-entries'));
    assert.deepEqual(diagnostics, []);
    assert.equal(Object.keys(config?.app.env ?? {}).length, 52_000);
  });

  it("duplicate keys are still found, in every mapping, without the parser's quadratic check", () => {
    const text = 'app:\n  name: x\n  env:\n    A: "1"\n    B: "2"\n    A: "3"\n  name: y\nenvironments:\n  dev: {type: local, type: ssh}\n';
    const dups = validateConfigText('godeploy.yaml', text)
      .diagnostics.filter((d) => /unique/.test(d.message))
      .map((d) => `${d.line}:${d.col}`);
    assert.deepEqual(dups, ['6:5', '7:3', '9:22']);
  });
});
