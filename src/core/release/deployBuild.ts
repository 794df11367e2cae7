// The build a deploy needs: one per distinct host platform, into dist/deploy/<env>. When the
// platforms are known before connecting (type local, a single build.targets entry, or the
// ones this environment's last deploy built), the build starts at once, alongside the
// connections and the preflight checks; if the hosts turn out to need others, those are built.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runBuild } from '../build/build';
import { hostTarget } from '../build/targets';
import { goToolchain } from '../build/toolchain';
import type { BuildResult } from '../build/types';
import type { VersionInfo } from '../build/version';
import type { CancellationTokenLike } from '../cancellation';
import type { DeployEvent } from '../environment/types';
import type { LoadedEnvironment } from '../environment/load';

/** What a build needs of an environment (any type). */
export type BuildEnvironment = Pick<LoadedEnvironment, 'name' | 'env' | 'config' | 'inspection' | 'moduleDir'>;

export interface DeployBuildOptions {
  token?: CancellationTokenLike;
  onOutput?: (target: string, text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The deploy's version, commit and date (read from git once). */
  versionInfo?: VersionInfo;
  emit(e: DeployEvent): void;
}

/** A deploy that builds with Go calls this before it connects or locks anything: without Go it stops here (goNotFoundError), changing nothing. */
export async function requireGo(): Promise<void> {
  await goToolchain('go');
}

/** The targets the hosts will most likely need, without asking them. */
export function expectedTargets(d: BuildEnvironment): string[] | undefined {
  if (d.env.type === 'local') return [hostTarget()];
  const configured = d.config.build?.targets ?? [];
  if (configured.length === 1) return configured;
  try {
    const last = JSON.parse(readFileSync(path.join(outDirOf(d), 'build.json'), 'utf8')) as { artifacts?: { target?: unknown }[] };
    const targets = (last.artifacts ?? []).map((a) => a.target).filter((t): t is string => typeof t === 'string');
    return targets.length ? targets : undefined;
  } catch {
    return undefined;
  }
}

const outDirOf = (d: BuildEnvironment): string => path.join(d.moduleDir, 'dist', 'deploy', d.name);

/** Where the chunk indexes of this environment's builds are kept (delta uploads). */
export const chunkIndexDir = (d: BuildEnvironment): string => path.join(outDirOf(d), '.chunks');

export class DeployBuilds {
  private readonly builds = new Map<string, Promise<BuildResult>>();

  constructor(
    private readonly d: BuildEnvironment,
    private readonly o: DeployBuildOptions,
  ) {}

  /** Builds `targets` (once per set; an early build of the same set is reused). */
  build(targets: string[]): Promise<BuildResult> {
    const key = [...targets].sort().join(',');
    let p = this.builds.get(key);
    if (!p) {
      // One build at a time: they share the output and link folders.
      const before = Promise.allSettled([...this.builds.values()]);
      p = before.then(() => this.run(targets));
      p.catch(() => undefined);
      this.builds.set(key, p);
    }
    return p;
  }

  /**
   * Several processes (app.processes): each distinct main built for `targets` (one build per
   * executable, each into <out>/<executable>), by executable name. The one-process form
   * never comes here.
   */
  buildEach(targets: string[], mains: { executable: string; main: string }[]): Promise<Map<string, BuildResult>> {
    const key = `${[...targets].sort().join(',')} ${mains.map((m) => `${m.executable}=${m.main}`).join(',')}`;
    let p = this.eachBuilds.get(key);
    if (!p) {
      const before = Promise.allSettled([...this.builds.values(), ...this.eachBuilds.values()]);
      p = before.then(async () => {
        const out = new Map<string, BuildResult>();
        for (const m of mains) out.set(m.executable, await this.run(targets, m));
        return out;
      });
      p.catch(() => undefined);
      this.eachBuilds.set(key, p);
    }
    return p;
  }

  private readonly eachBuilds = new Map<string, Promise<Map<string, BuildResult>>>();

  private async run(targets: string[], one?: { executable: string; main: string }): Promise<BuildResult> {
    const { o } = this;
    // One executable of several: the app's config with that main, named after the executable, in its own folder.
    const d: BuildEnvironment = one ? { ...this.d, config: { ...this.d.config, app: { ...this.d.config.app, main: one.main, name: one.executable } } } : this.d;
    const outDir = one ? path.join(outDirOf(d), one.executable) : outDirOf(d);
    o.emit({ host: '*', step: 'build', state: 'start', message: `go build ${one ? `${one.executable} (${one.main}) ` : ''}${targets.join(', ')}` });
    const b0 = Date.now();
    try {
      const built = await runBuild({
        moduleDir: d.moduleDir,
        config: d.config,
        inspection: d.inspection,
        targets,
        outDir,
        linkDir: path.join(outDir, '.link'),
        token: o.token,
        onOutput: o.onOutput,
        env: o.env,
        versionInfo: o.versionInfo,
      });
      o.emit({ host: '*', step: 'build', state: 'done', message: built.artifacts.map((a) => `${a.target} ${a.file}`).join(', '), ms: Date.now() - b0 });
      return built;
    } catch (e) {
      o.emit({ host: '*', step: 'build', state: 'fail', message: (e as Error).message });
      throw e;
    }
  }
}
