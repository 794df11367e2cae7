/** Benchmarks report ratios against a baseline measured in the same run: these machines are shared and noisy. */
export interface BenchResult {
  name: string;
  /** value / baseline, the figure that is compared across runs. */
  ratio: number;
  value: number;
  baseline: number;
  unit: string;
  goal?: string;
  met?: boolean;
  notes?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function printResult(r: BenchResult): void {
  const goal = r.goal ? `  goal ${r.goal}: ${r.met ? 'met' : 'NOT MET'}` : '';
  process.stdout.write(`${r.name.padEnd(44)} ratio ${r.ratio.toFixed(2).padStart(7)}  (${fmt(r.value)} vs baseline ${fmt(r.baseline)} ${r.unit})${goal}\n`);
  if (r.notes) process.stdout.write(`${' '.repeat(46)}${r.notes}\n`);
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}
