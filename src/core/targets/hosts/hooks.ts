// Where each hook of an ssh or local environment runs (hooks.preDeploy / hooks.postDeploy):
// - on: all (the default): on every host, in its new release (hostDeploy.ts, as always);
// - on: primary: once per deploy, on the primary — the first host of the environment's list —
//   with every host's deploy lock held: preDeploy once every host holds the complete release
//   and before any switch (a failure removes the new release everywhere and switches
//   nothing), postDeploy once every host went live (a failure is a warning). Like on: all, in
//   releases/<id> with that release's env file (the first process's with app.processes);
// - local: true: on this machine (release/localHooks.ts), whatever `on` says.
import { hooksOf, type EnvironmentConfig, type Hook } from '../../config/model';
import type { DeployEvent } from '../../environment/types';
import { GoDeployError } from '../../errors';
import type { HookPhase, IndexedHook } from '../../release/localHooks';
import { shArgv as sh } from '../../remote/quote';
import type { HostPlan, HostStep } from './deployPlan';
import type { HostDeployment } from './hostDeploy';
import * as scripts from './releaseScripts';

type ByPhase<T> = Record<HookPhase, T>;

/** An environment's hooks by where they run. */
export interface DeployHooks {
  /** on: all, as commands (every host's plan runs them). */
  all: ByPhase<string[]>;
  primary: ByPhase<IndexedHook[]>;
  local: ByPhase<IndexedHook[]>;
}

export function deployHooks(env: EnvironmentConfig): DeployHooks {
  const hooks = hooksOf(env);
  const pick = (phase: HookPhase, keep: (h: Hook) => boolean): IndexedHook[] => hooks[phase].flatMap((h, index) => (keep(h) ? [{ index, run: h.run }] : []));
  const both = <T>(f: (phase: HookPhase) => T): ByPhase<T> => ({ preDeploy: f('preDeploy'), postDeploy: f('postDeploy') });
  return {
    all: both((p) => pick(p, (h) => !h.local && h.on === 'all').map((h) => h.run)),
    primary: both((p) => pick(p, (h) => !h.local && h.on === 'primary')),
    local: both((p) => pick(p, (h) => h.local)),
  };
}

/** The step ids of the hooks on: primary, on the primary host. */
export const primaryStep = { preDeploy: 'pre-deploy-primary', postDeploy: 'post-deploy-primary' } as const;

/**
 * The primary host's plan: `plan` with the steps of the hooks on: primary — preDeploy before
 * the switch, postDeploy before the on: all postDeploy hooks and the finish.
 */
export function withPrimaryHooks(plan: HostPlan, primary: ByPhase<IndexedHook[]>): HostPlan {
  const argv = (h: IndexedHook): string[] => sh(scripts.HOOK, plan.base, plan.releaseId, plan.releaseEnvFile, h.run);
  const steps = [...plan.steps];
  const insertBefore = (ids: string[], step: HostStep): void => {
    const at = steps.findIndex((s) => ids.includes(s.id));
    steps.splice(at < 0 ? steps.length : at, 0, step);
  };
  if (primary.preDeploy.length)
    insertBefore(['switch'], {
      id: primaryStep.preDeploy,
      title: `once per deploy, on this host (the primary), when every host holds the complete release and before any switch: hooks.preDeploy on: primary (${indexes('preDeploy', primary.preDeploy)}) in releases/${plan.releaseId}`,
      commands: primary.preDeploy.map(argv),
      note: 'under the deploy lock, with the env file of the new release; a failure removes the new release from every host, switches nothing and releases the locks',
    });
  if (primary.postDeploy.length)
    insertBefore(['post-deploy', 'finish'], {
      id: primaryStep.postDeploy,
      title: `once per deploy, on this host (the primary), when every host went live: hooks.postDeploy on: primary (${indexes('postDeploy', primary.postDeploy)}) in releases/${plan.releaseId}`,
      commands: primary.postDeploy.map(argv),
      note: 'under the deploy lock; a failure is a warning: the new release stays live',
    });
  return { ...plan, steps };
}

const indexes = (phase: HookPhase, hooks: IndexedHook[]): string => hooks.map((h) => `hooks.${phase}[${h.index}]`).join(', ');

/**
 * Runs the hooks on: primary of `phase` on the primary host (the commands of its plan's step),
 * in order, each once (no retry on a fresh connection: a migration must not run twice). Their
 * output is reported as info (redacted); the first failure is returned, not thrown.
 */
export async function runPrimaryHooks(
  run: HostDeployment,
  phase: HookPhase,
  hooks: IndexedHook[],
  o: { emit: (e: DeployEvent) => void; redact: (t: string) => string },
): Promise<GoDeployError | null> {
  const id = primaryStep[phase];
  const step = run.plan.steps.find((s) => s.id === id);
  if (!step || !hooks.length) return null;
  const alias = run.host.alias;
  const t0 = Date.now();
  o.emit({ host: alias, step: id, state: 'start', message: `hooks.${phase} on: primary` });
  let failure: GoDeployError | null = null;
  for (const [i, argv] of step.commands.entries()) {
    const h = hooks[i];
    const r = await run.host.runner.exec(argv).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
    const output = o.redact(`${r.stdout}${r.stderr}`.trim());
    if (output) o.emit({ host: alias, step: id, state: 'info', message: output });
    if (r.code !== 0) {
      const after = phase === 'preDeploy' ? 'the new release is removed from every host and nothing was switched' : 'the new release stays live';
      failure = new GoDeployError(`${alias}: hooks.${phase}[${h.index}] (${o.redact(h.run)}) on: primary failed with exit ${r.code ?? 'signal'}; ${after}`, {
        exitCode: 1,
      });
      break;
    }
  }
  run.timings[id] = Date.now() - t0;
  o.emit({
    host: alias,
    step: id,
    state: failure ? 'fail' : 'done',
    message: failure ? failure.message : `hooks.${phase} on: primary`,
    ms: Date.now() - t0,
  });
  return failure;
}
