import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe('architecture rules', () => {
  it('no file under src/core imports vscode (static import, require or dynamic import)', () => {
    const files = sources(path.join(repoRoot, 'src', 'core'));
    assert.ok(files.length > 10, 'found the core sources');
    const offenders = files.filter((f) =>
      /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      offenders.map((f) => path.relative(repoRoot, f)),
      [],
    );
  });

  it('the rule check itself catches an offending file', () => {
    const pattern = /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;
    for (const bad of [`import * as vscode from 'vscode';`, `const v = require("vscode");`, `await import('vscode')`]) assert.match(bad, pattern);
    assert.doesNotMatch(`import { x } from './vscode-like';`, pattern);
  });

  it('src/cli does not import vscode either, and nothing in the extension uses console.log', () => {
    const cli = sources(path.join(repoRoot, 'src', 'cli')).filter((f) => /['"]vscode['"]/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(cli, []);
    const logs = [
      ...sources(path.join(repoRoot, 'src', 'vscode')),
      path.join(repoRoot, 'src', 'extension.ts'),
      ...sources(path.join(repoRoot, 'src', 'core')),
    ].filter((f) => /console\.(log|info|debug)\(/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(
      logs.map((f) => path.relative(repoRoot, f)),
      [],
    );
  });

  it('every command factory is contributed in package.json, and every contributed command has a factory', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { commands: { command: string; category: string }[] } };
    const contributed = pkg.contributes.commands.map((c) => c.command).sort();
    const factories = sources(path.join(repoRoot, 'src', 'vscode', 'commands'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*[A-Za-z0-9]+: '(godeploy\.[A-Za-z]+)',?$/gm)].map((m) => m[1]))
      .sort();
    assert.deepEqual(factories, contributed);
    assert.ok(pkg.contributes.commands.every((c) => c.category === 'Go Deploy'));
  });

  it('every user-facing string of package.json is in package.nls.json, and every string there is used', () => {
    const manifest = readFileSync(path.join(repoRoot, 'package.json'), 'utf8');
    const nls = JSON.parse(readFileSync(path.join(repoRoot, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const used = [...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
    assert.ok(used.length > 50, `only ${used.length} placeholders`);
    assert.deepEqual(
      used.filter((k) => typeof nls[k] !== 'string'),
      [],
      'placeholders without a string',
    );
    assert.deepEqual(
      Object.keys(nls).filter((k) => !used.includes(k)),
      [],
      'strings nobody uses',
    );
    const pkg = JSON.parse(manifest) as { contributes: { commands: { title: string }[] } };
    assert.ok(
      pkg.contributes.commands.every((c) => /^%command\.[A-Za-z]+%$/.test(c.title)),
      'every command title comes from package.nls.json',
    );
  });
});
