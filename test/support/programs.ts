import { execFileSync } from 'node:child_process';

/** Fails loudly when a program a test needs is missing: a test never passes by skipping. */
export function requireProgram(name: string, what: string): void {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} (${what}) is not installed; run \`npm run setup:test\` as root`);
  }
}
