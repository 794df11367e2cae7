/**
 * Runs in a fresh Node process: loads an extension bundle against a stand-in `vscode`
 * module (there is no editor here; the stand-in accepts every call) and reports how
 * long require + activate() took and which modules were loaded by then.
 */
import Module from 'node:module';
import { performance } from 'node:perf_hooks';

const bundle = process.argv[2];
const anything: unknown = new Proxy(function () {}, {
  get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : anything),
  apply: () => anything,
  construct: () => anything as object,
  // Assignments (statusBarItem.name = …) are accepted and forgotten, as calls are.
  set: () => true,
});
const resolve = Module as unknown as { _resolveFilename: (r: string, ...rest: unknown[]) => string };
const original = resolve._resolveFilename;
resolve._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : original.call(this, request, ...rest);
};
// Named namespaces, since bundlers copy a module's own keys when they import it.
const names = [
  'window',
  'workspace',
  'commands',
  'languages',
  'env',
  'extensions',
  'tasks',
  'debug',
  'l10n',
  'Uri',
  'EventEmitter',
  'Disposable',
  'ThemeIcon',
  'ThemeColor',
  'TreeItem',
  'TreeItemCollapsibleState',
  'Range',
  'Position',
  'Diagnostic',
  'DiagnosticSeverity',
  'ProgressLocation',
  'StatusBarAlignment',
  'RelativePattern',
  'CancellationTokenSource',
  'MarkdownString',
];
const api = Object.fromEntries(names.map((n) => [n, anything]));
(require.cache as Record<string, unknown>).vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: api };

const before = new Set(Object.keys(require.cache));
const t0 = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ext = require(bundle) as { activate(ctx: unknown): unknown };
ext.activate({ subscriptions: [], extensionUri: anything, extensionPath: '/', globalState: anything, workspaceState: anything, secrets: anything });
const ms = performance.now() - t0;
const loaded = Object.keys(require.cache).filter((k) => !before.has(k) && k !== 'vscode');
process.stdout.write(JSON.stringify({ ms, loaded }));
process.exit(0);
