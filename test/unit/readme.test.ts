import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderConfigReference } from '../../src/core/config/reference';
import { renderExtensionReference } from '../../src/docs/extensionReference';
import { repoRoot } from '../support/paths';

describe('README', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

  it('has the configuration reference generated from the schema (run `npm run docs` if this fails)', () => {
    const start = readme.indexOf('<!-- config-reference:start');
    const end = readme.indexOf('<!-- config-reference:end -->');
    assert.ok(start >= 0 && end > start, 'markers present');
    const section = readme.slice(readme.indexOf('\n', start) + 1, end).trim();
    assert.equal(section, renderConfigReference());
  });

  it("has the extension's commands and settings generated from package.json (run `npm run docs` if this fails)", () => {
    const start = readme.indexOf('<!-- extension-reference:start');
    const end = readme.indexOf('<!-- extension-reference:end -->');
    assert.ok(start >= 0 && end > start, 'markers present');
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const nls = JSON.parse(readFileSync(path.join(repoRoot, 'package.nls.json'), 'utf8'));
    assert.equal(readme.slice(readme.indexOf('\n', start) + 1, end).trim(), renderExtensionReference(manifest, nls));
    for (const id of ['godeploy.deploy', 'godeploy.tailLogs', 'godeploy.logs.lines']) assert.ok(readme.includes(`\`${id}\``), id);
  });

  it('the reference names every key the validator knows, including nested ones', () => {
    const ref = renderConfigReference();
    for (const key of [
      'app.port',
      'app.healthCheck.path',
      'build.targets',
      'environments.<name>.type',
      'environments.<name>.hosts[].identityFile',
      'environments.<name>.docker.host',
    ]) {
      assert.ok(ref.includes(`\`${key}\``), key);
    }
  });

  it('the test command the README gives is the one CI runs', () => {
    assert.match(readme, /npm test/);
    assert.match(readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8'), /npm test/);
  });
});
