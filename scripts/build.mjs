// Builds the bundles (extension, lazily loaded engine, CLI, the dashboard page) with esbuild and
// compiles everything (src, test, bench) with tsc into out/ for the test runner. The engine is
// one bundle, dist/core.js: the extension and the CLI both load it from beside themselves, so
// the .vsix and the npm package carry one copy of it.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** The checkout's short commit (with "+dirty" when files differ from it), or "unknown" outside git. */
function commitOfCheckout() {
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}
// What `godeploy --version` and the generated files name; defined in every bundle (undeclared in out/).
const define = { GODEPLOY_VERSION: JSON.stringify(pkg.version), GODEPLOY_COMMIT: JSON.stringify(commitOfCheckout()) };

/**
 * The CLI's imports of the engine (src/core/index.ts) become `require('./core.js')`: one engine, not two.
 * Required on first use, not at start: the CLI imports a module whose exports are getters (one per
 * name dist/core.js exports, read from the built engine), so `godeploy --version`, `help` and
 * `completion`, which use none of them, never load the engine.
 */
const engineBesideCli = (engineBuilt) => ({
  name: 'engine-beside-cli',
  setup(b) {
    const engineEntry = path.resolve('src/core/index.ts');
    b.onResolve({ filter: /core(\/index)?$/ }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      return target === path.dirname(engineEntry) || `${target}.ts` === engineEntry ? { path: 'engine', namespace: 'lazy-engine' } : undefined;
    });
    b.onResolve({ filter: /^\.\/core\.js$/, namespace: 'lazy-engine' }, () => ({ path: './core.js', external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-engine' }, async () => {
      await engineBuilt;
      const file = path.resolve('dist/core.js');
      const load = createRequire(import.meta.url);
      delete load.cache[file];
      const engine = load(file);
      // Plain data (the command table's choices, exit codes) is copied in; functions and classes load the engine.
      const primitive = (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      const plain = (v) =>
        primitive(v) || (Array.isArray(v) && v.every(primitive)) || (Object.getPrototypeOf(v ?? 0) === Object.prototype && Object.values(v).every(primitive));
      const names = Object.keys(engine).filter((n) => n !== '__esModule');
      const data = Object.fromEntries(names.filter((n) => plain(engine[n])).map((n) => [n, engine[n]]));
      return {
        loader: 'js',
        contents: [
          "let engine; const core = () => engine || (engine = require('./core.js'));",
          "Object.defineProperty(exports, '__esModule', { value: true });",
          `Object.assign(exports, ${JSON.stringify(data)});`,
          `for (const name of ${JSON.stringify(names.filter((n) => !(n in data)))}) Object.defineProperty(exports, name, { enumerable: true, get: () => core()[name] });`,
        ].join('\n'),
      };
    });
  },
});

/**
 * fdir (under tinyglobby) as CommonJS: its ES module build, which an `import` would pick, calls
 * createRequire(import.meta.url) on load, and import.meta is empty in a CommonJS bundle.
 */
const fdirAsCommonJs = {
  name: 'fdir-as-commonjs',
  setup(b) {
    b.onResolve({ filter: /^fdir$/ }, () => ({ path: createRequire(import.meta.url).resolve('fdir') }));
  },
};

// ssh2's optional native speed-ups (cpu-features, sshcrypto.node) are required inside
// try/catch and are not built here; leaving them external keeps the pure-JS fallback.
const optionalNative = ['cpu-features', '*.node'];
const watchless = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning', external: optionalNative };
const production = process.argv.includes('--production');
const minify = production || !process.argv.includes('--dev');

// The config's TypeScript types are generated from its JSON schema (scripts/config-types.mjs):
// written here when the schema changed; in CI a committed file that differs fails the build.
try {
  execFileSync(process.execPath, ['scripts/config-types.mjs', ...(process.env.CI ? ['--check'] : [])], { stdio: 'inherit' });
} catch {
  process.exit(1);
}
rmSync('dist', { recursive: true, force: true });
const engineBuilt = build({ ...watchless, minify, define, entryPoints: ['src/core/index.ts'], outfile: 'dist/core.js', plugins: [fdirAsCommonJs] });
await Promise.all([
  // The extension entry stays small: the engine (yaml, ajv, core) is a separate bundle
  // that the extension requires on first use, so activation parses only the frame.
  build({
    ...watchless,
    minify,
    define,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', './core.js', ...optionalNative],
  }),
  engineBuilt,
  build({
    ...watchless,
    minify,
    define,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    plugins: [engineBesideCli(engineBuilt)],
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The dashboard page: a browser bundle of its own, loaded by the webview from dist/webview.
  build({
    bundle: true,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    minify,
    sourcemap: 'linked',
    logLevel: 'warning',
    entryPoints: ['webview-ui/src/main.ts'],
    outfile: 'dist/webview/dashboard.js',
  }),
]);
chmodSync('dist/cli.js', 0o755);
// The Go parser (web-tree-sitter's runtime and the tree-sitter-go grammar) is WebAssembly the
// bundles load at run time from beside themselves (src/core/gomod/syntax.ts wasmFile).
const require = createRequire(import.meta.url);
copyFileSync(path.join(path.dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm'), 'dist/tree-sitter.wasm');
copyFileSync(require.resolve('tree-sitter-go/tree-sitter-go.wasm'), 'dist/tree-sitter-go.wasm');
if (!process.argv.includes('--no-tsc')) {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { stdio: 'inherit' });
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'webview-ui'], { stdio: 'inherit' });
  } catch {
    console.error('build: type errors (above)');
    process.exit(1);
  }
}
