import { loadProject } from '../../core/project';
import * as path from 'node:path';
import { CancellationSource } from '../../core/cancellation';
import { runBuild } from '../../core/build/build';
import type { TargetProgress } from '../../core/build/types';
import { usageError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const buildHelp = `godeploy build [--target OS/ARCH[/VARIANT]]... [--out DIR] [--json]
  Cross-compiles the main package for every target in parallel (default: build.targets in
  godeploy.yaml, else this machine), verifies each binary (OS, architecture, variant,
  static linking), and writes dist/<name>_<version>_<os>_<arch>[_<variant>][.exe],
  dist/SHA256SUMS (sha256sum -c format) and dist/build.json. Variants: GOARM (arm/5..7),
  GOAMD64 (amd64/v1..v4), GOARM64 (arm64/v8.0.., Go 1.23+). Reproducible: -trimpath, and
  {{.Version}}/{{.Commit}}/{{.Date}} in ldflags come from git (the date is the commit's).`;

export async function runBuildCommand(io: CliIO, g: GlobalOptions, args: string[], flags: { targets: string[]; out?: string; json: boolean }): Promise<number> {
  if (args.length) throw usageError(`build: unexpected argument ${JSON.stringify(args[0])}`, 'targets are given with --target OS/ARCH');
  const { moduleDir, inspection, config } = await loadProject(await resolveConfigPath(g));
  const cancel = new CancellationSource();
  const onSigint = () => cancel.cancel();
  process.once('SIGINT', onSigint);
  const states = new Map<string, TargetProgress>();
  try {
    const result = await runBuild({
      moduleDir,
      config,
      inspection,
      targets: flags.targets,
      outDir: flags.out ? path.resolve(g.dir, flags.out) : undefined,
      token: cancel.token,
      env: io.env,
      onProgress: (p) => {
        states.set(p.target, p);
        io.progress([...states.values()].map((s) => `${s.target} ${s.state}`).join('  '));
      },
    });
    io.progress('');
    if (flags.json) {
      io.json(result);
      return 0;
    }
    const rel = (p: string) => path.relative(io.cwd, p) || p;
    const width = Math.max(...result.artifacts.map((a) => a.target.length));
    const fileWidth = Math.max(...result.artifacts.map((a) => rel(a.path).length));
    for (const a of result.artifacts) {
      io.out(
        `${a.target.padEnd(width)}  ${rel(a.path).padEnd(fileWidth)}  ${formatBytes(a.size).padStart(8)}  ${a.binary.static ? 'static' : 'dynamic'}  sha256:${a.sha256.slice(0, 16)}  ${(a.durationMs / 1000).toFixed(1)}s`,
      );
    }
    io.out(`${result.version} (${result.goVersion}): ${rel(result.checksumsFile)}, ${rel(result.manifestFile)}`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
