import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

/**
 * Compares generated text with test/golden/<name>. A missing or different golden file
 * fails; `UPDATE_GOLDEN=1` rewrites them (review the diff before committing).
 */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(repoRoot, 'test', 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file test/golden/${name} is missing; run with UPDATE_GOLDEN=1 to create it, then review it`);
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    `output differs from test/golden/${name}; if the change is intended, run with UPDATE_GOLDEN=1 and review the diff`,
  );
}
