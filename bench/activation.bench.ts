import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { median, printResult, type BenchResult } from './harness';

const root = path.resolve(__dirname, '../..');
const probe = path.join(__dirname, 'activation-probe.js');
const samples = Number(process.env.BENCH_SAMPLES ?? 15);

function activation(bundle: string): { ms: number; loaded: string[] } {
  try {
    return JSON.parse(execFileSync(process.execPath, [probe, bundle], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as {
      ms: number;
      loaded: string[];
    };
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '');
    throw new Error(
      `activating ${bundle} failed: ${stderr
        .split('\n')
        .filter((l) => /Error|^\s+at /.test(l))
        .slice(0, 6)
        .join('\n')}`,
      { cause: e },
    );
  }
}

export function run(): BenchResult[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'godeploy-bench-'));
  // Baseline: the smallest extension that registers one command, loaded the same way.
  const empty = path.join(dir, 'empty-extension.js');
  writeFileSync(
    empty,
    "const vscode = require('vscode');\nexports.activate = (ctx) => { ctx.subscriptions.push(vscode.commands.registerCommand('x', () => {})); };\n",
  );
  const extension = path.join(root, 'dist', 'extension.js');
  const base: number[] = [];
  const ours: number[] = [];
  let loaded: string[] = [];
  activation(extension); // warm the file cache for both
  activation(empty);
  for (let i = 0; i < samples; i++) {
    base.push(activation(empty).ms);
    const r = activation(extension);
    ours.push(r.ms);
    loaded = r.loaded;
  }
  rmSync(dir, { recursive: true, force: true });
  const value = median(ours);
  const baseline = median(base);
  const heavy = loaded.filter((m) => /core\.js$|node_modules[\\/](ssh2|dockerode|yaml|ajv)[\\/]/.test(m));
  const size = (f: string) => statSync(path.join(root, 'dist', f)).size / 1024;
  return [
    {
      name: 'activation: require + activate()',
      ratio: value / baseline,
      value,
      baseline,
      unit: 'ms (median)',
      goal: 'under 25 ms, engine not loaded',
      met: value < 25 && heavy.length === 0,
      notes: `modules loaded at activation: ${loaded.map((m) => path.relative(root, m)).join(', ')}${heavy.length ? `; HEAVY: ${heavy.join(', ')}` : ''}`,
    },
    {
      name: 'bundle size: dist/extension.js',
      ratio: size('extension.js') / 300,
      value: size('extension.js'),
      baseline: 300,
      unit: 'KB (baseline = 300 KB budget)',
      goal: 'under 300 KB',
      met: size('extension.js') < 300,
    },
    {
      name: 'bundle size: dist/core.js (loaded on first use)',
      ratio: size('core.js') / size('extension.js'),
      value: size('core.js'),
      baseline: size('extension.js'),
      unit: 'KB vs extension.js',
    },
  ];
}

if (require.main === module) for (const r of run()) printResult(r);
