// Builds the bundles (extension, lazily loaded engine, CLI, the dashboard page) with esbuild and
// compiles everything (src, test, bench) with tsc into out/ for the test runner.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

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
await Promise.all([
  // The extension entry stays small: the engine (yaml, ajv, core) is a separate bundle
  // that the extension requires on first use, so activation parses only the frame.
  build({ ...watchless, minify, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', './core.js', ...optionalNative] }),
  build({ ...watchless, minify, entryPoints: ['src/core/index.ts'], outfile: 'dist/core.js' }),
  build({
    ...watchless,
    minify,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    define: { GODEPLOY_VERSION: JSON.stringify(pkg.version) },
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
