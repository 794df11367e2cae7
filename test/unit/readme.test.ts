import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderConfigReference } from '../../src/core/config/reference';
import { renderExtensionReference } from '../../src/docs/extensionReference';
import { repoRoot } from '../support/paths';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** The text between `<!-- NAME:start … -->` and `<!-- NAME:end -->` in `text`. */
function generatedPart(text: string, name: string): string {
  const start = text.indexOf(`<!-- ${name}:start`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  assert.ok(start >= 0 && end > start, `markers of ${name} present`);
  return text.slice(text.indexOf('\n', start) + 1, end).trim();
}

describe('README and docs', () => {
  const readme = read('README.md');

  it('docs/configuration.md has the configuration reference generated from the schema (run `npm run docs` if this fails)', () => {
    assert.equal(generatedPart(read('docs/configuration.md'), 'config-reference'), renderConfigReference());
  });

  it("docs/editor.md has the extension's commands and settings generated from package.json (run `npm run docs` if this fails)", () => {
    const editor = read('docs/editor.md');
    const manifest = JSON.parse(read('package.json'));
    const nls = JSON.parse(read('package.nls.json'));
    assert.equal(generatedPart(editor, 'extension-reference'), renderExtensionReference(manifest, nls));
    for (const id of ['godeploy.deploy', 'godeploy.tailLogs', 'godeploy.logs.lines']) assert.ok(editor.includes(`\`${id}\``), id);
  });

  it('docs/cli.md has the place for the generated CLI reference, and every generated part is up to date (scripts/docs.mjs --check)', () => {
    generatedPart(read('docs/cli.md'), 'cli-reference');
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'docs.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, `docs.mjs --check: ${r.stderr}${r.stdout}`);
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

  it('the test command the README and CONTRIBUTING.md give is the one CI runs', () => {
    assert.match(readme, /npm test/);
    assert.match(read('CONTRIBUTING.md'), /npm ci && npm run build && npm test/);
    assert.match(read(path.join('.ci', 'run')), /npm test/);
  });

  it("the README's first screen says how to install the .vsix and the CLI, where Go comes from, and the quickstart on the user's own module", () => {
    assert.ok(readme.split('\n').length <= 100, `README.md has ${readme.split('\n').length} lines; the details belong in docs/`);
    // What a Marketplace visitor sees before scrolling: the first 50 lines.
    const firstScreen = readme.split('\n').slice(0, 50).join('\n');
    for (const step of [
      'code --install-extension go-deploy-',
      'Install from VSIX',
      'npm install --global ./go-deploy-',
      'https://go.dev/dl/',
      'npm run package',
      'Go Deploy: Initialize',
      'Go Deploy: Deploy',
      'godeploy init',
      'godeploy deploy dev',
      '(docs/install.md)',
    ])
      assert.ok(firstScreen.includes(step), step);
    for (const step of ['-C examples/hello deploy dev', '(docs/configuration.md)', '(docs/getting-started.md)']) assert.ok(readme.includes(step), step);
    // The README references no image the Marketplace could not show (relative images are
    // rewritten to the repository by vsce; none is needed on the first screen).
    assert.doesNotMatch(readme, /!\[[^\]]*\]\((?!https:)/);
    const example = read(path.join('examples', 'hello', 'godeploy.yaml'));
    assert.match(example, /^ {2}dev:\n {4}type: local/m, 'the example deploys to dev, this machine');
    assert.match(example, /port: 8080/, 'the README says the example needs port 8080');
  });
});
