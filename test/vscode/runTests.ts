// Runs the extension suites (./suite) inside a real VS Code and writes the tier counts to
// $GODEPLOY_TIER_RESULT. The extension under test is the packaged .vsix (npm run package,
// without rebuilding), installed into a fresh extensions folder as a user installs it, so
// the suites prove the bundle works without node_modules or the checkout beside it. VS Code
// runs suites only for a development extension: that is test/vscode/harness, which
// contributes nothing. VS Code hands each extension its own \`vscode\` API object, chosen by
// the folder of the file that requires it; so that a suite shares the installed extension's
// (a suite may stand in for its password box), the compiled suites are copied into a folder
// inside the installed extension, beside links to the checkout's other top-level entries
// (fixtures, node_modules for mocha). The extension's own code never looks there. Default route: code-server (scripts/setup/code-server.sh) opened by
// headless Chromium. Desktop route: GODEPLOY_VSCODE_EXECUTABLE=/path/to/code runs the same
// suites through @vscode/test-electron.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInChromium, HeadlessBrowser } from '../support/browser';
import { CodeServer, copyFixtureWorkspace, REPO_ROOT, startCodeServer } from '../support/codeServer';
import { packagedArtifacts } from '../support/installedCli';
import type { SuiteResults } from './suite/index';

const TIMEOUT_MS = Number(process.env.GODEPLOY_VSCODE_TIMEOUT_MS || 12 * 60_000);
const extensionDevelopmentPath = join(REPO_ROOT, 'test', 'vscode', 'harness');

/** The suites' entry, copied (with out/) into the installed extension's folder under extensionsDir; see the top of this file. */
function suitesInside(extensionsDir: string): string {
  const installed = readdirSync(extensionsDir).find((name) => name.startsWith('godeploy.go-deploy-'));
  if (!installed) throw new Error(`the .vsix is not installed in ${extensionsDir}`);
  const root = join(extensionsDir, installed, '.test-suites');
  mkdirSync(root);
  cpSync(join(REPO_ROOT, 'out'), join(root, 'out'), { recursive: true });
  for (const entry of readdirSync(REPO_ROOT)) if (entry !== 'out' && entry !== '.git') symlinkSync(join(REPO_ROOT, entry), join(root, entry));
  return join(root, 'out', 'test', 'vscode', 'suite', 'index');
}

function readJson(file: string): SuiteResults | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
  } catch {
    return undefined;
  }
}

/** Prints the lines the suite appends to "<results>.log" as they arrive. */
function progressPrinter(resultsFile: string): () => void {
  let shown = 0;
  return () => {
    if (!existsSync(`${resultsFile}.log`)) return;
    const text = readFileSync(`${resultsFile}.log`, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length > shown) process.stdout.write(complete.slice(shown));
    shown = Math.max(shown, complete.length);
  };
}

async function viaCodeServer(vsix: string, workspace: string, resultsFile: string): Promise<{ results?: SuiteResults; problem?: string }> {
  let server: CodeServer | undefined;
  let browser: HeadlessBrowser | undefined;
  const printProgress = progressPrinter(resultsFile);
  try {
    server = await startCodeServer({ install: [vsix], env: { GODEPLOY_VSCODE_RESULTS: resultsFile, GODEPLOY_VSCODE_CHECKOUT: REPO_ROOT } });
    console.log(`code-server on ${server.baseUrl}, workspace ${workspace}; ${vsix} installed into ${server.extensionsDir}`);
    browser = await openInChromium(server.url(workspace, { extensionDevelopmentPath, extensionTestsPath: suitesInside(server.extensionsDir) }));
    const deadline = Date.now() + TIMEOUT_MS;
    let results: SuiteResults | undefined;
    let exitedAt: number | undefined;
    while (!(results = readJson(resultsFile)) && Date.now() < deadline) {
      printProgress();
      // In test mode the extension host exits when the suites end; without results that means a crash.
      if (exitedAt === undefined && /Extension Host Process exited/.test(readFileSync(server.logFile, 'utf8'))) exitedAt = Date.now();
      if (exitedAt !== undefined && Date.now() - exitedAt > 3000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    printProgress();
    const problem = results
      ? undefined
      : exitedAt !== undefined
        ? 'the extension host exited before the suites reported results (see the logs above)'
        : `no results after ${TIMEOUT_MS / 1000}s (the suites did not finish)`;
    if (problem || results!.failed > 0) {
      console.log(server.diagnostics());
      if (browser.errors.length) console.log(`--- browser errors ---\n${browser.errors.slice(-20).join('\n')}`);
    }
    return { results, problem };
  } catch (err) {
    if (server) console.log(server.diagnostics());
    return { problem: (err as Error).message };
  } finally {
    await browser?.close();
    await server?.stop();
  }
}

async function viaDesktop(executable: string, vsix: string, workspace: string, resultsFile: string): Promise<{ results?: SuiteResults; problem?: string }> {
  const { runTests, resolveCliArgsFromVSCodeExecutablePath } = await import('@vscode/test-electron');
  const profile = mkdtempSync(join(tmpdir(), 'godeploy-vscode-desktop-'));
  try {
    const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(executable);
    execFileSync(cli, [...cliArgs, '--extensions-dir', join(profile, 'extensions'), '--install-extension', vsix], { stdio: 'inherit' });
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath,
      extensionTestsPath: suitesInside(join(profile, 'extensions')),
      extensionTestsEnv: { GODEPLOY_VSCODE_RESULTS: resultsFile, GODEPLOY_VSCODE_CHECKOUT: REPO_ROOT },
      launchArgs: [
        workspace,
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        join(profile, 'user-data'),
        '--extensions-dir',
        join(profile, 'extensions'),
      ],
    });
  } catch (err) {
    const results = readJson(resultsFile);
    if (!results) return { problem: `VS Code run failed: ${(err as Error).message}` };
  } finally {
    progressPrinter(resultsFile)();
    rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  }
  const results = readJson(resultsFile);
  return results ? { results } : { problem: 'VS Code exited without writing results' };
}

async function main(): Promise<number> {
  const started = Date.now();
  const scratch = mkdtempSync(join(tmpdir(), 'godeploy-vscode-tier-'));
  const resultsFile = join(scratch, 'results.json');
  const workspace = copyFixtureWorkspace('single');
  const executable = process.env.GODEPLOY_VSCODE_EXECUTABLE;
  let outcome: { results?: SuiteResults; problem?: string };
  try {
    const { vsix } = packagedArtifacts();
    outcome = executable ? await viaDesktop(executable, vsix, workspace, resultsFile) : await viaCodeServer(vsix, workspace, resultsFile);
  } finally {
    rmSync(workspace, { recursive: true, force: true, maxRetries: 3 });
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
  const r = outcome.results ?? { passed: 0, failed: 0, pending: 0, failures: [], tests: [] };
  const failures = [...r.failures, ...(outcome.problem ? [`vscode tier: ${outcome.problem}`] : [])];
  if (outcome.problem && r.failed === 0) r.failed = 1;
  console.log('');
  for (const t of r.tests) console.log(`${t.state === 'passed' ? 'PASS' : t.state === 'failed' ? 'FAIL' : 'SKIP'} ${t.title} (${t.ms}ms)`);
  for (const f of failures) console.log(`  failure: ${f}`);
  console.log(`vscode: ${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  if (process.env.GODEPLOY_TIER_RESULT) {
    writeFileSync(process.env.GODEPLOY_TIER_RESULT, JSON.stringify({ passed: r.passed, failed: r.failed, pending: r.pending, failures }));
  }
  return r.failed > 0 || r.pending > 0 || r.passed === 0 || outcome.problem ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    if (process.env.GODEPLOY_TIER_RESULT) {
      writeFileSync(
        process.env.GODEPLOY_TIER_RESULT,
        JSON.stringify({ passed: 0, failed: 1, pending: 0, failures: [`vscode tier: ${(err as Error).message}`] }),
      );
    }
    process.exit(1);
  },
);
