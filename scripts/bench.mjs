// npm run bench: every out/bench/*.bench.js, each printing ratios against a baseline
// measured in the same run. Exits 1 if a benchmark states a goal it did not meet.
import { readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const dir = resolve('out/bench');
if (!existsSync(join(resolve('dist'), 'extension.js')) || !existsSync(dir)) {
  console.error('bench: run `npm run build` first');
  process.exit(2);
}
const only = process.argv.slice(2);
let missed = 0;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n# ${file.replace(/\.bench\.js$/, '')}`);
  const { printResult } = require(join(dir, 'harness.js'));
  const results = await require(join(dir, file)).run();
  for (const r of results) {
    printResult(r);
    if (r.met === false) missed++;
  }
}
if (missed) console.log(`\n${missed} goal(s) not met`);
process.exit(missed ? 1 : 0);
