// What a deploy of several processes (app.processes) to hosts needs besides the one-process
// flow of deploy.ts: each host's processes (its roles) with their managers, each process's
// env file (secrets resolved here, on the deploying side), one build per distinct main and
// platform, each host's executables, and what the host's live release is compared with.
import type { BuildResult } from '../../build/types';
import { Redactor, type ReferenceSources } from '../../config/references';
import { strategyOf } from '../../config/model';
import type { DeployEnvironment } from '../../environment/load';
import { GoDeployError } from '../../errors';
import { renderEnvFile, resolveServiceEnvironment } from '../../release/envFile';
import type { HostDeployContext } from './hostDeploy';
import type { HostPlan, HostPlanInput } from './deployPlan';
import { planHostProcesses, processUnits, releaseSha256, type ExecutableArtifact, type ProcessUnit } from './processPlan';
import { hasSeveralProcessForm, rolesOfHost, serviceManagersFor } from './processServices';
import type { LiveCheck } from './unchanged';

export class SeveralProcesses {
  private built: Map<string, BuildResult> | undefined;

  private constructor(
    private readonly d: DeployEnvironment,
    private readonly units: Map<string, ProcessUnit[]>,
    /** Each process's env file text, by <service>.env ('' in a dry run). */
    readonly envFiles: Record<string, string>,
    readonly redactor: Redactor | undefined,
  ) {}

  /**
   * The several-process form's parts for hosts `aliases`, or undefined for the one-process
   * form. Without `sources` (a dry run) no env file is resolved.
   */
  static async of(
    d: DeployEnvironment,
    sources: ReferenceSources | undefined,
    argSources: ReferenceSources,
    argRedactor?: Redactor,
  ): Promise<SeveralProcesses | undefined> {
    if (!hasSeveralProcessForm(d.model)) return undefined;
    if (d.model.blueGreen)
      throw new GoDeployError(`environments.${d.name}.strategy: ${strategyOf(d.env)} deploys the one-process form only; this app has app.processes`, {
        hint: 'use strategy: restart (each process restarted and health-gated in order), or deploy the processes as separate apps',
        exitCode: 2,
      });
    const units = new Map<string, ProcessUnit[]>();
    for (const a of d.env.type === 'local' ? ['local'] : (d.env.hosts ?? []).map((h) => h.host)) {
      const u = processUnits(await serviceManagersFor(d, rolesOfHost(d, a), argSources, argRedactor));
      if (!u.length) throw new GoDeployError(`environments.${d.name}.hosts: ${a} runs no process (its roles name none of app.processes)`, { exitCode: 2 });
      units.set(a, u);
    }
    const envFiles: Record<string, string> = {};
    let redactor: Redactor | undefined;
    if (sources) {
      redactor = new Redactor();
      for (const p of d.model.processes) {
        const config = {
          ...d.config,
          app: {
            ...d.config.app,
            env: { ...(d.config.app.env ?? {}), ...(d.env.env ?? {}), ...(d.config.app.processes?.[p.name]?.env ?? {}) },
            portEnv: p.portEnv ?? undefined,
            portFlag: p.portFlag ?? undefined,
          },
        };
        const r = await resolveServiceEnvironment(config, d.name, { ...d.env, env: {} }, p.port, sources);
        redactor.addAll(r.redactor);
        envFiles[`${p.service}.env`] = renderEnvFile(r.values, `${p.service} ${d.name}: written by Go Deploy at each deploy; mode 0600`);
      }
    }
    return new SeveralProcesses(d, units, envFiles, redactor);
  }

  unitsOf(alias: string): ProcessUnit[] {
    return this.units.get(alias)!;
  }

  /** Each distinct main with its executable's name, over every host's processes. */
  get mains(): { executable: string; main: string }[] {
    const seen = new Map<string, string>();
    for (const us of this.units.values()) for (const u of us) if (!seen.has(u.executable)) seen.set(u.executable, u.model.app.main);
    return [...seen].map(([executable, main]) => ({ executable, main }));
  }

  /** The builds (buildEach's result): each host's executables come from them. */
  setBuilt(built: Map<string, BuildResult>): void {
    this.built = built;
  }

  /** The executables of host `alias` built for `target` (null before the build). */
  artifactsOf(alias: string, target: string | undefined): ExecutableArtifact[] | null {
    if (!this.built || !target) return null;
    return [...new Set(this.unitsOf(alias).map((u) => u.executable))].map((executable) => {
      const a = this.built!.get(executable)!.artifacts.find((x) => x.target === target)!;
      return { executable, sha256: a.sha256, size: a.size };
    });
  }

  /** The release's sha256 for host `alias` (what its live release must hold to be unchanged). */
  releaseShaOf(alias: string, target: string): string {
    return releaseSha256(this.artifactsOf(alias, target)!);
  }

  /** Each executable's file (or bytes, shared between hosts) for host `alias`. */
  executablesOf(
    alias: string,
    target: string,
    bytes: (a: BuildResult['artifacts'][number]) => string | (() => Promise<Buffer>),
  ): HostDeployContext['executables'] {
    const out = new Map<string, string | (() => Promise<Buffer>)>();
    for (const u of this.unitsOf(alias)) out.set(u.executable, bytes(this.built!.get(u.executable)!.artifacts.find((x) => x.target === target)!));
    return out;
  }

  /** The host's plan: every process of its roles. */
  plan(input: Omit<HostPlanInput, 'model' | 'manager' | 'artifact' | 'delta' | 'blueGreen' | 'gate'>, alias: string, target: string | undefined): HostPlan {
    return planHostProcesses(input, this.unitsOf(alias), this.artifactsOf(alias, target));
  }

  /**
   * What host `alias`'s live release is compared with: the release's sha256 (over every
   * executable) in place of the executable's, the first process's env file, and every other
   * env file and definition as installed files (and `extraFiles`: the release's app.files
   * manifest); healthy by the first process's gate.
   */
  liveCheck(alias: string, extraFiles: LiveCheck['files'] = []): LiveCheck {
    const [first, ...rest] = this.unitsOf(alias);
    return {
      base: this.d.base,
      name: this.d.model.app.name,
      executable: first.executable,
      envFileName: first.envFileName,
      envFileText: this.envFiles[first.envFileName] ?? '',
      files: [
        ...rest.map((u) => ({ path: `${this.d.base}/shared/${u.envFileName}`, content: this.envFiles[u.envFileName] ?? '' })),
        ...this.unitsOf(alias).flatMap((u) => (u.manager.definition ? [{ path: u.manager.definition.path, content: u.manager.definition.content }] : [])),
        ...extraFiles,
      ],
      healthPath: first.model.app.healthPath,
      port: first.model.app.port,
      gate: { spec: first.gate, manager: first.manager },
    };
  }
}
