import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream, promises as fs } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import type { CancellationTokenLike } from '../cancellation';
import type { GoDeployConfig } from '../config/model';
import { GoDeployError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { fileError, makeFolder, withFileErrors } from '../fs/fileErrors';
import { resolveMain } from '../generate/model';
import type { ModuleInspection } from '../gomod/inspect';
import { appNameFor, mainImportPath } from '../gomod/names';
import { inspectBinary } from './binary/inspect';
import type { BinaryInfo } from './binary/types';
import { sourceFingerprint, STAGING_PREFIX } from './sourceFingerprint';
import { absoluteCompilerPaths, goBuild } from './goBuild';
import { runPool } from './pool';
import { artifactName, checkTargets, hostTarget, parseTarget, targetEnv } from './targets';
import { checkGoVersion, goLineLocation, goToolchain } from './toolchain';
import type { BuildResult, BuildTarget, BuiltArtifact, TargetProgress } from './types';
import { verifyArtifact } from './verify';
import { fillLdflags, versionInfo, type VersionInfo } from './version';

export interface BuildOptions {
  moduleDir: string;
  config: GoDeployConfig;
  inspection: ModuleInspection;
  /** "os/arch[/variant]" ids; default: build.targets, else this machine's platform. */
  targets?: string[];
  /** Output folder; default <moduleDir>/dist. */
  outDir?: string;
  /** Builds at once; default: the number of cores. */
  concurrency?: number;
  token?: CancellationTokenLike;
  onProgress?: (p: TargetProgress) => void;
  /** Compiler output, per target, as it arrives. */
  onOutput?: (target: string, text: string) => void;
  /** The go command; default "go" from PATH. */
  go?: string;
  /**
   * A folder kept between builds where go writes each binary first: when nothing changed,
   * go sees its output is up to date and skips the link (a deploy rebuilding the same
   * source saves most of its build time). Default: none, every binary is linked afresh.
   */
  linkDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Version, commit and date when the caller has them already (else read from git here). */
  versionInfo?: VersionInfo;
}

/**
 * Cross-compiles every target in parallel (sharing the Go build cache), verifies each
 * binary against its target, then moves the set into the output folder with SHA256SUMS and
 * build.json. Binaries are built in a staging folder beside the output folder: a failed or
 * cancelled build leaves the output folder exactly as it was (not even created), and a link
 * folder it had to create is removed again.
 */
export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const toolchain = await goToolchain(options.go ?? 'go');
  if (options.inspection.goVersion)
    checkGoVersion(toolchain, options.inspection.goVersion, env, {
      toolchainLine: options.inspection.toolchain,
      location: await goLineLocation(options.moduleDir),
    });
  const ids = options.targets?.length ? options.targets : (options.config.build?.targets ?? [hostTarget()]);
  const targets = [...new Map(ids.map((id) => [id, parseTarget(id)])).values()];
  checkTargets(targets, toolchain.targets, toolchain.minor, toolchain.version);
  const cgoEnv = cgoSettings(options, targets);

  const main = resolveMain(options.config, options.inspection);
  const name = options.config.app.name ?? appNameFor(mainImportPath(options.inspection.module, main));
  const info = options.versionInfo ?? (await versionInfo(options.moduleDir, env));
  const ldflags = fillLdflags(options.config.build?.ldflags ?? '-s -w', info);
  const tags = options.config.build?.tags ?? [];
  const outDir = options.outDir ?? path.join(options.moduleDir, 'dist');
  const staging = await stagingFolder(outDir);
  const linkDirMissing = options.linkDir ? await firstMissing(options.linkDir) : null;
  const report = (p: TargetProgress) => options.onProgress?.(p);
  for (const t of targets) report({ target: t.id, state: 'queued' });

  try {
    const built = await runPool(
      targets,
      options.concurrency ?? cpus().length,
      async (t, signal): Promise<BuiltArtifact> => {
        const file = artifactName(name, info.version, t);
        const staged = path.join(staging, file);
        const linked = options.linkDir ? path.join(options.linkDir, t.id.replace(/\//g, '_'), file) : staged;
        if (options.linkDir) await fs.mkdir(path.dirname(linked), { recursive: true });
        // -buildvcs=false: the stamped vcs.modified flag would change with untracked files
        // (dist/ itself), breaking reproducibility; version, commit and date come via ldflags.
        const args = ['build', '-trimpath', '-buildvcs=false', `-ldflags=${ldflags}`, ...(tags.length ? ['-tags', tags.join(',')] : []), '-o', linked, main];
        const started = Date.now();
        report({ target: t.id, state: 'building' });
        const buildEnv = { ...env, ...targetEnv(t), ...cgoEnv(t) };
        // With a link folder: the same sources, flags and toolchain as the binary there → no go command at all.
        const fingerprint = options.linkDir
          ? await sourceFingerprint({
              moduleDir: options.moduleDir,
              goVersion: toolchain.version,
              args,
              env: buildEnv,
              cgo: options.inspection.cgo,
              inWorkspace: options.inspection.work !== null,
              cacheFile: path.join(options.linkDir, '.source-hashes.json'),
            })
          : null;
        const reused = fingerprint ? await recordedArtifact(linked, fingerprint) : null;
        if (reused) {
          await fs.copyFile(linked, staged);
          verifyArtifact(t, reused.binary, options.inspection.cgo);
          report({ target: t.id, state: 'done', message: `${reused.size} bytes (sources unchanged)` });
          return {
            target: t.id,
            path: path.join(outDir, file),
            file,
            size: reused.size,
            sha256: reused.digest,
            durationMs: Date.now() - started,
            binary: reused.binary,
          };
        }
        const r = await goBuild(toolchain.go, args, options.moduleDir, buildEnv, signal, (s) => options.onOutput?.(t.id, s));
        if (r.stopped) {
          report({ target: t.id, state: 'cancelled' });
          throw signal.reason ?? new GoDeployError('cancelled');
        }
        if (r.code !== 0) {
          report({ target: t.id, state: 'failed', message: `go build exited with ${r.code}` });
          throw new GoDeployError(`building ${t.id} failed:\n${absoluteCompilerPaths(r.output, options.moduleDir).trim()}`, {
            hint: 'fix the error above; nothing was written to the output folder',
          });
        }
        report({ target: t.id, state: 'verifying' });
        const { binary, digest, size } =
          linked !== staged
            ? await linkedArtifact(linked, staged, fingerprint)
            : { binary: await inspectBinary(staged), digest: await sha256(staged), size: (await fs.stat(staged)).size };
        verifyArtifact(t, binary, options.inspection.cgo);
        report({ target: t.id, state: 'done', message: `${size} bytes` });
        return { target: t.id, path: path.join(outDir, file), file, size, sha256: digest, durationMs: Date.now() - started, binary };
      },
      options.token,
    );

    // Only now, with every binary built and verified, is the output folder made (if new) and changed.
    await withFileErrors('write', outDir, () => makeFolder(outDir));
    for (const a of built) await withFileErrors('write', a.path, () => moveInto(path.join(staging, a.file), a.path));
    const result: BuildResult = {
      outDir,
      version: info.version,
      commit: info.commit,
      date: info.date,
      goVersion: toolchain.version,
      artifacts: built,
      checksumsFile: path.join(outDir, 'SHA256SUMS'),
      manifestFile: path.join(outDir, 'build.json'),
    };
    await writeFileAtomic(
      result.checksumsFile,
      [...built]
        .sort((a, b) => a.file.localeCompare(b.file))
        .map((a) => `${a.sha256}  ${a.file}\n`)
        .join(''),
      { overwrite: true },
    );
    await writeFileAtomic(result.manifestFile, `${JSON.stringify(manifest(result, options, main, ldflags, tags), null, 2)}\n`, { overwrite: true });
    return result;
  } catch (e) {
    if (options.linkDir && linkDirMissing) await removeCreated(options.linkDir, linkDirMissing);
    if ((e as Error)?.message === 'cancelled') throw new GoDeployError('build cancelled; nothing was written to the output folder');
    throw e;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * A new folder for the set being built, beside the output folder (the same file system, so
 * the set moves in by rename) in the nearest folder that exists: the output folder is not
 * made, and nothing in it changes, until every target has built. Refused early when the
 * output folder cannot be one (a file is in the way) or cannot be written.
 */
async function stagingFolder(outDir: string): Promise<string> {
  let anchor = outDir;
  let st = await fs.stat(anchor).catch(() => null);
  while (!st && path.dirname(anchor) !== anchor) {
    anchor = path.dirname(anchor);
    st = await fs.stat(anchor).catch(() => null);
  }
  if (st && !st.isDirectory()) {
    if (anchor === outDir)
      throw new GoDeployError(`cannot write to ${outDir}: it is a file, not a folder`, {
        hint: 'remove or rename that file, or build somewhere else (--out DIR)',
      });
    throw fileError(Object.assign(new Error(`ENOTDIR: ${anchor}`), { code: 'ENOTDIR' }), 'write', outDir);
  }
  return withFileErrors('write', outDir, async () => {
    if (anchor === outDir) await fs.access(outDir, fsConstants.W_OK);
    return fs.mkdtemp(path.join(anchor === outDir ? path.dirname(outDir) : anchor, `${STAGING_PREFIX}${path.basename(outDir)}-`));
  });
}

/** Renames `from` to `to`; across file systems (an output folder that is a mount point), copies to a temporary name beside `to` and renames that. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const temp = path.join(path.dirname(to), `.${path.basename(to)}.${process.pid}.tmp`);
    try {
      await fs.copyFile(from, temp);
      await fs.rename(temp, to);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }
}

/** The topmost folder on the way to `dir` that does not exist yet; null when `dir` exists. */
async function firstMissing(dir: string): Promise<string | null> {
  if (
    await fs.stat(dir).then(
      () => true,
      () => false,
    )
  )
    return null;
  let top = dir;
  while (
    path.dirname(top) !== top &&
    !(await fs.stat(path.dirname(top)).then(
      () => true,
      () => false,
    ))
  )
    top = path.dirname(top);
  return top;
}

/** After a failed build: removes `dir`, which this build created, and its new parents up to `top` while they are empty. */
async function removeCreated(dir: string, top: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  for (let d = dir; d !== top && path.dirname(d) !== d;) {
    d = path.dirname(d);
    if (
      !(await fs.rmdir(d).then(
        () => true,
        () => false,
      ))
    )
      break;
  }
}

/** CGO_ENABLED per target: 0 unless the module needs cgo; then this machine's platform or a configured CC. */
function cgoSettings(options: BuildOptions, targets: readonly BuildTarget[]): (t: BuildTarget) => Record<string, string> {
  if (!options.inspection.cgo) return () => ({ CGO_ENABLED: '0' });
  const host = hostTarget();
  const cc = options.config.build?.cc ?? {};
  const missing = targets.filter((t) => `${t.goos}/${t.goarch}` !== host && !cc[t.id] && !cc[`${t.goos}/${t.goarch}`]);
  if (missing.length) {
    const why = options.inspection.cgoReasons.map((r) => `${r.file}:${r.line} ${r.reason}`).join('; ');
    throw new GoDeployError(
      `${options.inspection.module} needs cgo (${why}), so building ${missing.map((t) => t.id).join(', ')} needs a C cross compiler for each`,
      {
        hint: `set one per target in godeploy.yaml, for example:\n    build:\n      cc:\n        ${missing[0].id}: ${suggestCC(missing[0])}\n  (Debian/Ubuntu: apt install ${suggestPackage(missing[0])}), or build only ${host} (this machine)`,
        exitCode: 2,
      },
    );
  }
  return (t): Record<string, string> => {
    const compiler = cc[t.id] ?? cc[`${t.goos}/${t.goarch}`];
    return compiler ? { CGO_ENABLED: '1', CC: compiler } : { CGO_ENABLED: '1' };
  };
}

function suggestCC(t: BuildTarget): string {
  const triples: Record<string, string> = {
    'linux/arm64': 'aarch64-linux-gnu-gcc',
    'linux/arm': 'arm-linux-gnueabihf-gcc',
    'linux/amd64': 'x86_64-linux-gnu-gcc',
    'windows/amd64': 'x86_64-w64-mingw32-gcc',
    'linux/386': 'i686-linux-gnu-gcc',
  };
  return triples[`${t.goos}/${t.goarch}`] ?? `<a ${t.goos}/${t.goarch} C compiler>`;
}

function suggestPackage(t: BuildTarget): string {
  const pkgs: Record<string, string> = {
    'linux/arm64': 'gcc-aarch64-linux-gnu',
    'linux/arm': 'gcc-arm-linux-gnueabihf',
    'linux/amd64': 'gcc-x86-64-linux-gnu',
    'windows/amd64': 'gcc-mingw-w64-x86-64',
    'linux/386': 'gcc-i686-linux-gnu',
  };
  return pkgs[`${t.goos}/${t.goarch}`] ?? 'a cross compiler';
}

/**
 * Copies go's output from the link folder into the staging folder. When go left it
 * untouched (same inode, size and mtime as last time), the inspection and sha256 recorded
 * next to it are reused instead of reading the whole binary twice more.
 */
async function linkedArtifact(linked: string, staged: string, fingerprint: string | null): Promise<{ binary: BinaryInfo; digest: string; size: number }> {
  await fs.copyFile(linked, staged);
  const rec = await readRecord(linked);
  const st = await fs.stat(linked);
  if (rec) {
    // go left its output as it was: these sources build the recorded binary too.
    if (fingerprint && rec.fingerprint !== fingerprint)
      await fs
        .writeFile(
          `${linked}.godeploy.json`,
          JSON.stringify({ key: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }, digest: rec.digest, binary: rec.binary, fingerprint }),
        )
        .catch(() => undefined);
    return { binary: rec.binary, digest: rec.digest, size: rec.size };
  }
  const [binary, digest] = await Promise.all([inspectBinary(staged), sha256(staged)]);
  await fs
    .writeFile(`${linked}.godeploy.json`, JSON.stringify({ key: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }, digest, binary, fingerprint }))
    .catch(() => undefined);
  return { binary, digest, size: st.size };
}

interface LinkRecord {
  binary: BinaryInfo;
  digest: string;
  size: number;
  fingerprint: string | null;
}

/** What is recorded about go's output in the link folder, if the file is still the one recorded. */
async function readRecord(linked: string): Promise<LinkRecord | null> {
  try {
    const [st, text] = await Promise.all([fs.stat(linked), fs.readFile(`${linked}.godeploy.json`, 'utf8')]);
    const rec = JSON.parse(text) as { key: { ino: number; size: number; mtimeMs: number }; digest: string; binary: BinaryInfo; fingerprint?: string | null };
    if (rec.key.ino !== st.ino || rec.key.size !== st.size || rec.key.mtimeMs !== st.mtimeMs || !/^[0-9a-f]{64}$/.test(rec.digest)) return null;
    return { binary: rec.binary, digest: rec.digest, size: st.size, fingerprint: rec.fingerprint ?? null };
  } catch {
    return null;
  }
}

/** The recorded artifact when it was built from exactly these sources (same fingerprint). */
async function recordedArtifact(linked: string, fingerprint: string): Promise<LinkRecord | null> {
  const rec = await readRecord(linked);
  return rec && rec.fingerprint === fingerprint ? rec : null;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function manifest(r: BuildResult, options: BuildOptions, main: string, ldflags: string, tags: string[]): unknown {
  return {
    module: options.inspection.module,
    main,
    version: r.version,
    commit: r.commit,
    date: r.date,
    goVersion: r.goVersion,
    flags: { trimpath: true, buildvcs: false, ldflags, tags, cgo: options.inspection.cgo },
    artifacts: r.artifacts.map((a) => ({
      target: a.target,
      path: a.file,
      size: a.size,
      sha256: a.sha256,
      durationMs: a.durationMs,
      os: a.binary.os,
      arch: a.binary.arch,
      static: a.binary.static,
      goVersion: a.binary.goVersion,
    })),
  };
}

/** `go tool dist list` of the installed toolchain: every GOOS/GOARCH it can build. */
export async function listGoTargets(go = 'go'): Promise<string[]> {
  return (await goToolchain(go)).targets;
}
