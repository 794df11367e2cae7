// Go Deploy as users install it, for the tests that must prove the packages work: the CLI
// from its npm tarball installed into a temporary global prefix, and the .vsix. Both are
// made from the built checkout (dist/) by scripts/package.mjs, once per test process.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot as REPO_ROOT } from './paths';

export interface Packages {
  vsix: string;
  vsixFiles: string[];
  vsixBytes: number;
  tarball: string;
  npmFiles: string[];
}

export interface InstalledCli {
  /** The installed `godeploy` command (a symlink in binDir, as npm makes it). */
  bin: string;
  /** The prefix's bin folder, for PATH. */
  binDir: string;
  prefix: string;
  tarball: string;
}

let packages: Packages | undefined;
let installed: InstalledCli | undefined;
const scratch: string[] = [];

process.once('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** `npm run package` on the built checkout (without rebuilding): the .vsix and the npm tarball, with their file lists. */
export function packagedArtifacts(): Packages {
  if (packages) return packages;
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` before the tests');
  const out = mkdtempSync(join(tmpdir(), 'godeploy-packages-'));
  scratch.push(out);
  const printed = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs'), '--no-build', '--json', '--out', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  packages = JSON.parse(printed.trim().split('\n').pop()!) as Packages;
  return packages;
}

/** The npm tarball installed with `npm install --global --prefix <temp>`, as a user installs the CLI. */
export function installedCli(): InstalledCli {
  if (installed) return installed;
  const { tarball } = packagedArtifacts();
  const prefix = mkdtempSync(join(tmpdir(), 'godeploy-prefix-'));
  scratch.push(prefix);
  execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', tarball], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const binDir = join(prefix, 'bin');
  installed = { bin: join(binDir, 'godeploy'), binDir, prefix, tarball };
  return installed;
}
