import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBuild } from '../src/core/build/build';
import { validateConfigText } from '../src/core/config/load';
import { inspectModule } from '../src/core/gomod/inspect';
import type { BenchResult } from './harness';

const root = path.resolve(__dirname, '../..');
const matrix = ['linux/amd64', 'linux/arm64', 'linux/arm/7', 'windows/amd64', 'darwin/arm64'];

function goEnv(cache: string): NodeJS.ProcessEnv {
  return { ...process.env, GOCACHE: cache, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

/** The baseline a person would write: the same five go build calls, one after another. */
function shellLoop(moduleDir: string, cache: string, out: string): number {
  const script = matrix
    .map((t) => {
      const [os, arch, v] = t.split('/');
      return `GOOS=${os} GOARCH=${arch}${v ? ` GOARM=${v}` : ''} go build -trimpath -buildvcs=false -ldflags="-s -w" -o ${out}/${os}_${arch}${v ?? ''} ./cmd/server`;
    })
    .join(' && ');
  const t0 = performance.now();
  execFileSync('bash', ['-c', script], { cwd: moduleDir, env: goEnv(cache), stdio: 'ignore' });
  return performance.now() - t0;
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'godeploy-bench-build-'));
  try {
    const moduleDir = path.join(work, 'release');
    cpSync(path.join(root, 'test', 'fixtures', 'modules', 'release'), moduleDir, { recursive: true });
    const inspection = await inspectModule(moduleDir);
    const { config } = validateConfigText('godeploy.yaml', 'app:\n  main: ./cmd/server\n', inspection);
    if (!config) throw new Error('bench config invalid');
    const ours = async (cache: string) => {
      const t0 = performance.now();
      await runBuild({ moduleDir, config, inspection, targets: matrix, env: goEnv(cache) });
      return performance.now() - t0;
    };
    const baselineCold = shellLoop(moduleDir, path.join(work, 'cache-shell'), work);
    const cold = await ours(path.join(work, 'cache-ours'));
    const warm = await ours(path.join(work, 'cache-ours'));
    const sums = readFileSync(path.join(moduleDir, 'dist', 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n').length;
    return [
      {
        name: 'build: 5-target matrix, cold cache',
        ratio: cold / baselineCold,
        value: cold / 1000,
        baseline: baselineCold / 1000,
        unit: 's vs a sequential shell loop of go build',
        goal: 'at most 1.0x',
        met: cold / baselineCold <= 1.0,
        notes: `${sums} artifacts verified and checksummed`,
      },
      {
        name: 'build: same matrix again, no source change',
        ratio: warm / cold,
        value: warm / 1000,
        baseline: cold / 1000,
        unit: 's vs the cold run',
        goal: 'under 2 s in total',
        met: warm < 2000,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
