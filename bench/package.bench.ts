// What users install: the .vsix against its 5 MB budget, the CLI bundle against the engine
// (one engine: dist/cli.js must not carry a copy of dist/core.js), and the start of the CLI
// installed from its npm tarball (`godeploy --version`, which loads the engine) against
// `node -e 0` started the same way in the same run.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { installedCli, packagedArtifacts } from '../test/support/installedCli';
import { repoRoot } from '../test/support/paths';
import { median, type BenchResult } from './harness';

function timeRuns(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(cmd, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

export function run(): BenchResult[] {
  const { vsixBytes } = packagedArtifacts();
  const { bin } = installedCli();
  const kb = (f: string) => statSync(path.join(repoRoot, 'dist', f)).size / 1024;
  const budget = 5 * 1024;
  const runs = 15;
  // Interleave nothing: each command's runs are back to back; both warm the page cache first.
  timeRuns(process.execPath, ['-e', '0'], 2);
  timeRuns(bin, ['--version'], 2);
  const node = timeRuns(process.execPath, ['-e', '0'], runs);
  const cli = timeRuns(bin, ['--version'], runs);
  return [
    {
      name: 'package size: go-deploy .vsix',
      ratio: vsixBytes / 1024 / budget,
      value: vsixBytes / 1024,
      baseline: budget,
      unit: 'KB (baseline = 5 MB budget)',
      goal: 'under 5 MB',
      met: vsixBytes / 1024 < budget,
    },
    {
      name: 'one engine: dist/cli.js vs dist/core.js',
      ratio: kb('cli.js') / kb('core.js'),
      value: kb('cli.js'),
      baseline: kb('core.js'),
      unit: 'KB vs core.js',
      goal: 'under 0.1 (the CLI loads core.js, not a copy)',
      met: kb('cli.js') / kb('core.js') < 0.1,
    },
    {
      name: 'installed godeploy --version vs node -e 0',
      ratio: cli / node,
      value: cli,
      baseline: node,
      unit: `ms (median of ${runs})`,
      goal: 'under 5x a bare Node.js start',
      met: cli / node < 5,
    },
  ];
}
