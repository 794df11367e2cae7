import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

  describe('targets and the dispatcher', () => {
    const srcDir = path.join(repoRoot, 'src');
    const rel = (f: string) => path.relative(srcDir, f).split(path.sep).join('/');
    /** Every relative import of every source file (type-only ones too), as paths under src/. */
    function importGraph(): Map<string, string[]> {
      const graph = new Map<string, string[]>();
      for (const f of sources(srcDir).filter((x) => x.endsWith('.ts'))) {
        const text = readFileSync(f, 'utf8');
        const deps: string[] = [];
        for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
          const base = path.resolve(path.dirname(f), m[1] ?? m[2]);
          const target = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(c));
          if (target) deps.push(rel(target));
        }
        graph.set(rel(f), deps);
      }
      return graph;
    }
    /** The strongly connected components with more than one file (Tarjan). */
    function cycles(graph: Map<string, string[]>): string[][] {
      let next = 0;
      const index = new Map<string, number>();
      const low = new Map<string, number>();
      const stack: string[] = [];
      const onStack = new Set<string>();
      const found: string[][] = [];
      const visit = (v: string): void => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
          if (!index.has(w)) {
            visit(w);
            low.set(v, Math.min(low.get(v)!, low.get(w)!));
          } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        if (low.get(v) === index.get(v)) {
          const c: string[] = [];
          let w: string;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            c.push(w);
          } while (w !== v);
          if (c.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(c.sort());
        }
      };
      for (const v of graph.keys()) if (!index.has(v)) visit(v);
      return found;
    }

    it('no import cycles anywhere in src (type-only imports count too)', () => {
      const graph = importGraph();
      assert.ok(graph.size > 200, `read ${graph.size} files`);
      assert.deepEqual(cycles(graph), []);
    });

    it('the cycle check finds a cycle when there is one', () => {
      const g = new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', ['c.ts']],
        ['c.ts', ['a.ts']],
        ['d.ts', ['a.ts']],
      ]);
      assert.deepEqual(cycles(g), [['a.ts', 'b.ts', 'c.ts']]);
    });

    it('a target never imports another target, and nothing but core/operations imports a target', () => {
      const graph = importGraph();
      const kinds = readdirSync(path.join(srcDir, 'core', 'targets'), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
      assert.deepEqual(kinds.sort(), ['docker', 'hosts']);
      const offenders: string[] = [];
      for (const [file, deps] of graph) {
        const own = /^core\/targets\/([^/]+)\//.exec(file)?.[1];
        for (const d of deps) {
          const kind = /^core\/targets\/([^/]+)\//.exec(d)?.[1];
          if (!kind) continue;
          if (own ? own !== kind : !file.startsWith('core/operations/')) offenders.push(`${file} -> ${d}`);
        }
      }
      assert.deepEqual(offenders, []);
    });

    it('every target folder has an index.ts exporting a Target, and the dispatcher lists each one', () => {
      const dispatcher = readFileSync(path.join(srcDir, 'core', 'operations', 'index.ts'), 'utf8');
      for (const kind of ['docker', 'hosts']) {
        const index = readFileSync(path.join(srcDir, 'core', 'targets', kind, 'index.ts'), 'utf8');
        const name = /export const (\w+): Target = /.exec(index)?.[1];
        assert.ok(name, `targets/${kind}/index.ts exports a Target`);
        assert.match(dispatcher, new RegExp(`import \\{ ${name} \\} from '\\.\\./targets/${kind}'`));
        assert.match(dispatcher, new RegExp(`:\\s*${name},`), `the dispatcher's table names ${name}`);
      }
    });

    const typeTest = (kinds: string) => new RegExp(`\\.type\\s*[!=]==?\\s*['"](${kinds})['"]|case\\s+['"](${kinds})['"]`);
    it("only core/operations picks between targets: nothing else compares an environment's type with 'docker' (config validation and the environment model aside)", () => {
      const pattern = typeTest('docker');
      const allowed = /^core\/(operations|config|environment)\//;
      const offenders = sources(srcDir)
        .filter((f) => f.endsWith('.ts') && !allowed.test(rel(f)))
        .filter((f) => pattern.test(readFileSync(f, 'utf8')))
        .map(rel);
      assert.deepEqual(offenders, []);
      assert.match(`if (env.type === 'docker')`, pattern);
      assert.match(`case 'docker':`, pattern);
    });

    it("the CLI's and the editor's commands never branch on an environment's type: they call core/operations", () => {
      const pattern = typeTest('docker|ssh|local');
      const files = [
        ...sources(path.join(srcDir, 'cli')),
        ...sources(path.join(srcDir, 'vscode', 'commands')),
        ...sources(path.join(srcDir, 'vscode', 'deploy')),
      ].filter((f) => f.endsWith('.ts'));
      assert.ok(files.length > 30);
      assert.deepEqual(files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map(rel), []);
    });
  });
});
