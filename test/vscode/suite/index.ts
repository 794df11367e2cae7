// Entry point VS Code calls (extensionTestsPath) inside the extension host: runs every
// *.test.js next to this file with mocha and writes the results to the file named by
// GODEPLOY_VSCODE_RESULTS (the launcher in ../runTests.ts reads it), appending one line
// per finished test to "<that file>.log" so the launcher can show progress live.
import { appendFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  failures: string[];
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; ms: number; error?: string }[];
}

export function run(): Promise<void> {
  const resultsFile = process.env.GODEPLOY_VSCODE_RESULTS;
  const progress = (line: string) => {
    if (resultsFile) appendFileSync(`${resultsFile}.log`, `${line}\n`);
  };
  const results: SuiteResults = { passed: 0, failed: 0, pending: 0, failures: [], tests: [] };
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', forbidOnly: true, forbidPending: true });
  // GODEPLOY_VSCODE_SUITES=a,b runs only those suite files (for a developer's quick run; CI runs all).
  const only = process.env.GODEPLOY_VSCODE_SUITES?.split(',').filter(Boolean);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && (!only || only.some((o) => f.startsWith(`${o}.`))))
    .sort();
  for (const f of files) mocha.addFile(join(__dirname, f));
  const installedAt = vscode.extensions.getExtension('godeploy.go-deploy')?.extensionPath ?? '(not installed)';
  progress(`running ${files.length} suite file(s) in VS Code ${vscode.version}; Go Deploy runs from ${installedAt}`);

  return new Promise((resolve, reject) => {
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failures) => {
        if (resultsFile) {
          writeFileSync(`${resultsFile}.tmp`, JSON.stringify(results, null, 2));
          renameSync(`${resultsFile}.tmp`, resultsFile);
        }
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      const message = `loading the suites failed: ${(err as Error).stack ?? err}`;
      results.failed++;
      results.failures.push(message);
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify(results, null, 2));
      reject(err);
      return;
    }
    const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
    runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration ?? 0 });
      progress(`  ✓ ${t.fullTitle()} (${t.duration ?? 0}ms)`);
    });
    runner.on(EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) => {
      results.failed++;
      results.failures.push(`${t.fullTitle()}: ${err?.message}`);
      results.tests.push({ title: t.fullTitle(), state: 'failed', ms: t.duration ?? 0, error: err?.stack ?? String(err) });
      progress(`  ✗ ${t.fullTitle()}\n${indent(err?.stack ?? String(err))}`);
    });
    runner.on(EVENT_TEST_PENDING, (t: Mocha.Test) => {
      results.pending++;
      results.tests.push({ title: t.fullTitle(), state: 'pending', ms: 0 });
      progress(`  - ${t.fullTitle()} (pending: not allowed)`);
    });
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}
