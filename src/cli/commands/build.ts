import { formatBytes, loadProject, runBuild, type TargetProgress, usageError } from '../../core';
import * as path from 'node:path';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { defineCommand, jsonOption } from '../spec';

export const buildCommand = defineCommand({
  name: 'build',
  positionals: '',
  summary: 'cross-compile in parallel, verify, checksum',
  options: [
    {
      name: 'target',
      type: 'string',
      multiple: true,
      value: 'OS/ARCH[/VARIANT]',
      description: 'build for this target (default: build.targets in godeploy.yaml, else this machine); repeat for several',
    },
    {
      name: 'out',
      type: 'string',
      value: 'DIR',
      completes: 'directory',
      description: 'write the binaries, SHA256SUMS and build.json into DIR instead of dist',
    },
    { ...jsonOption, description: 'print the build (every artifact with its checksum and verified platform) as JSON' },
  ],
  help: `Cross-compiles the main package for every target in parallel (default: build.targets in
godeploy.yaml, else this machine), verifies each binary (OS, architecture, variant,
static linking), and writes dist/<name>_<version>_<os>_<arch>[_<variant>][.exe],
dist/SHA256SUMS (sha256sum -c format) and dist/build.json. Variants: GOARM (arm/5..7),
GOAMD64 (amd64/v1..v4), GOARM64 (arm64/v8.0.., Go 1.23+). Reproducible: -trimpath, and
{{.Version}}/{{.Commit}}/{{.Date}} in ldflags come from git (the date is the commit's).`,
  examples: [
    { line: 'godeploy build', comment: 'build.targets of godeploy.yaml (else this machine) into dist/, with SHA256SUMS' },
    { line: 'godeploy build --target linux/amd64 --target linux/arm64', comment: 'these two platforms' },
    { line: 'godeploy build --target linux/arm/7 --out out/pi --json', comment: 'a 32-bit Raspberry Pi build into out/pi; the result as JSON' },
  ],
  run: (io, g, args, o) => runBuildCommand(io, g, args, { targets: o.target ?? [], out: o.out, json: o.json }),
});

export async function runBuildCommand(io: CliIO, g: GlobalOptions, args: string[], flags: { targets: string[]; out?: string; json: boolean }): Promise<number> {
  if (args.length) throw usageError(`build: unexpected argument ${JSON.stringify(args[0])}`, 'targets are given with --target OS/ARCH');
  const { moduleDir, inspection, config } = await loadProject(await resolveConfigPath(g));
  const states = new Map<string, TargetProgress>();
  // Ctrl-C stops the compilers; a second one ends the process (a build changes nothing).
  return withCancellation(io, { repeatEnds: true }, async (token) => {
    const result = await runBuild({
      moduleDir,
      config,
      inspection,
      targets: flags.targets,
      outDir: flags.out ? path.resolve(g.dir, flags.out) : undefined,
      token,
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
  });
}
