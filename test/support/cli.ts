import { spawnSync } from 'node:child_process';
import { cliPath } from './paths';

/** Runs the built `godeploy` (dist/cli.js) as a user would, in `cwd`. */
export function godeploy(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
