// Mocha reporter for the test tiers: prints like "spec" and writes the tier's counts to
// $GODEPLOY_TIER_RESULT so scripts/test-all.mjs can tell "passed" from "ran nothing".
const Mocha = require('mocha');
const fs = require('node:fs');

class TierReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, pending: 0, failures: [] };
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => counts.passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
      counts.failed++;
      counts.failures.push(`${test.fullTitle()}: ${err && err.message}`);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => counts.pending++);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (process.env.GODEPLOY_TIER_RESULT) fs.writeFileSync(process.env.GODEPLOY_TIER_RESULT, JSON.stringify(counts));
    });
  }
}
module.exports = TierReporter;
