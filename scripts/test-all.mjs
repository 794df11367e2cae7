// Runs the test tiers (all four by default) and fails if any tier fails, is skipped,
// or runs no test. Each tier writes its counts to a file named by GODEPLOY_TIER_RESULT.
// Usage: node scripts/test-all.mjs [unit|integration|vscode|e2e]...
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mocha = (dir, extra = []) => [
  process.execPath,
  ['node_modules/mocha/bin/mocha.js', '--reporter', 'scripts/mocha-tier-reporter.cjs', '--recursive', '--extension', 'test.js', ...extra, `out/test/${dir}`],
];
const tiers = {
  unit: mocha('unit', ['--timeout', '20000']),
  integration: mocha('integration', ['--timeout', '600000', '--bail=false']),
  vscode: [process.execPath, ['out/test/vscode/runTests.js']],
  e2e: mocha('e2e', ['--timeout', '600000']),
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(tiers);
for (const t of wanted)
  if (!tiers[t]) {
    console.error(`unknown tier ${t}; tiers: ${Object.keys(tiers).join(', ')}`);
    process.exit(2);
  }
if (!existsSync('out/test')) {
  console.error('out/test is missing: run `npm run build` first');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'godeploy-tiers-'));
const summary = [];
for (const tier of wanted) {
  const resultFile = join(dir, `${tier}.json`);
  console.log(`\n=== tier: ${tier} ===`);
  const started = Date.now();
  const [cmd, args] = tiers[tier];
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, GODEPLOY_TIER_RESULT: resultFile } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let counts;
  try {
    counts = JSON.parse(readFileSync(resultFile, 'utf8'));
  } catch {
    counts = undefined;
  }
  let problem;
  if (!counts) problem = `could not run (exit ${r.status ?? r.signal}); see its output above`;
  else if (counts.passed + counts.failed === 0) problem = 'ran no test';
  else if (counts.pending > 0) problem = `${counts.pending} test(s) skipped: a tier never passes by skipping`;
  else if (counts.failed > 0 || r.status !== 0) problem = `${counts.failed} failed${r.status !== 0 ? ` (exit ${r.status})` : ''}`;
  summary.push({ tier, counts, problem, seconds });
}
rmSync(dir, { recursive: true, force: true });

console.log('\n=== summary ===');
let passed = 0,
  failed = 0;
for (const s of summary) {
  passed += s.counts?.passed ?? 0;
  failed += s.counts?.failed ?? 0;
  console.log(
    `${s.tier.padEnd(12)} ${s.counts ? `${s.counts.passed} passed, ${s.counts.failed} failed` : 'not run'}  (${s.seconds}s)${s.problem ? `  FAIL: ${s.problem}` : ''}`,
  );
  for (const f of s.counts?.failures ?? []) console.log(`    - ${f}`);
}
const bad = summary.filter((s) => s.problem);
if (bad.length) failed = Math.max(failed, 1);
console.log(`${passed} passed, ${failed} failed`);
process.exit(bad.length ? 1 : 0);
