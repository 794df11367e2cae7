// Inspection is the first thing a user waits for (Inspect, then Initialize). On node_exporter
// (193 Go files, a kingpin flag port, 22 cgo files for other OSes), against `go list -e -json -deps
// ./...` on the same module in the same run, the question Go itself answers (goal: under 3x:
// inspection asks go list once, then reads and parses each main's import graph), and the same
// inspection with go list not asked (the build constraints read from the files; goal: under 2x).
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { inspectModule } from '../src/core/gomod/inspect';
import { scratchCopyForGo119, unpackCorpus } from '../test/support/corpus';
import { median, type BenchResult } from './harness';

function goList(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'go',
      ['list', '-e', '-json', '-deps', './...'],
      { cwd: dir, env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod', GOWORK: 'off' }, maxBuffer: 64 * 1024 * 1024 },
      (err) => (err && !('code' in err) ? reject(err) : resolve()),
    );
  });
}

async function time(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function run(): Promise<BenchResult[]> {
  const dir = await scratchCopyForGo119(await unpackCorpus('node_exporter'));
  await inspectModule(dir); // warm-up: the parser's wasm loaded once per process, as in the editor
  const baseline = await time(() => goList(dir));
  const full = await time(() => inspectModule(dir));
  const files = await time(() => inspectModule(dir, { go: null }));
  return [
    { name: 'inspect node_exporter vs go list -deps ./...', ratio: full / baseline, value: full, baseline, unit: 'ms', goal: '< 3', met: full / baseline < 3 },
    {
      name: 'inspect node_exporter from the files vs go list -deps ./...',
      ratio: files / baseline,
      value: files,
      baseline,
      unit: 'ms',
      goal: '< 2',
      met: files / baseline < 2,
    },
  ];
}
