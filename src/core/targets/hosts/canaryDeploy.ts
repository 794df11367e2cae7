// strategy canary on ssh hosts, the part of a deploy that changes what serves (deploy.ts runs
// it where blue-green's switchover goes): the new release starts on the idle instance of
// every host and passes its gate there (rollout.batch and rollout.parallel apply, and no
// host's nginx changes before every canary has passed: a failure anywhere stops every canary
// and points current back, as blue-green's failed gate does); then each host's nginx site is
// installed with its canary include still sending everything to the live instance, and the
// rollout's driver (release/canary/driver.ts) steps the weights on every host while the
// deploy lock stays held. A host where nothing was live takes the new release at once (a
// first deploy has no steps).
import { inProgress, inProgressText, rolloutCommandsHint } from '../../release/canary/describe';
import type { CancellationTokenLike } from '../../cancellation';
import type { DeployEnvironment } from '../../environment/load';
import type { DeployEvent, DeployResult, HostDeployResult } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { batchesOf, mapLimit } from '../../release/batches';
import { hostCanarySite, installCanarySite, readRolloutState } from '../../release/canary/hostSite';
import { startRollout } from '../../release/canary/driver';
import { formatFigures } from '../../release/canary/analysis';
import type { CanarySite, RolloutEvent, RolloutOutcome, RolloutState } from '../../release/canary/types';
import type { HostRunner } from '../../remote/hostRunner';
import type { DeployHost } from '../../remote/openHosts';
import type { BlueGreenPlan } from './blueGreen';
import { rolloutStateFile } from './canaryPlan';
import { canaryHostActions, goLiveAlone, startCanaryInstance, stopCanaryInstance, type CanaryHostActions, type CanaryStart } from './canarySwitch';
import type { HostDeployment } from './hostDeploy';
import { stopAllInstances } from './blueGreenSwitch';

export interface CanaryPhaseInput {
  d: DeployEnvironment;
  hosts: DeployHost[];
  runs: Map<DeployHost, HostDeployment>;
  outcome: Map<DeployHost, HostDeployResult>;
  blueGreen: BlueGreenPlan;
  batch?: number;
  parallel?: number;
  token?: CancellationTokenLike;
  emit(e: DeployEvent): void;
  redact(t: string): string;
  /** The history line for a host's run with this result. */
  history(run: HostDeployment, result: string): string;
  /** "user@machine": who drives the rollout (its state's `by`). */
  who: string;
  onRolloutEvent?(e: RolloutEvent): void;
}

export interface CanaryPhaseResult {
  /** Every host serves the new release alone (promoted, or nothing was live). */
  ok: boolean;
  cancelled: boolean;
  /** The new release stays where it is (a rollout left, or stopped by an error): not to be discarded. */
  keep: boolean;
  rollout?: DeployResult['rollout'];
}

/** Runs `fn` on the host's connection; when it was lost, once more on a fresh one. */
async function again<T>(h: DeployHost, fn: (r: HostRunner) => Promise<T>): Promise<T> {
  try {
    return await fn(h.runner);
  } catch (e) {
    if (!h.reconnect) throw e;
    h.runner = await h.reconnect();
    return fn(h.runner);
  }
}

/** The host's runner as a rollout uses it for minutes: each command once more on a fresh connection when the link dropped. */
export function reconnectingRunner(h: DeployHost): HostRunner {
  return {
    get describe() {
      return h.runner.describe;
    },
    local: h.runner.local,
    exec: (argv, opts) => again(h, (r) => r.exec(argv, opts)),
    spawn: (argv) => again(h, (r) => r.spawn(argv)),
    interactive: (argv, t) => h.runner.interactive(argv, t),
    upload: (source, path, opts) => again(h, (r) => r.upload(source, path, opts)),
    mkdir: (path, mode) => again(h, (r) => r.mkdir(path, mode)),
    reach: (port) => again(h, (r) => r.reach(port)),
  };
}

/** A command of a rollout's end that must succeed (its output's last line in the error). */
async function mustRun(runner: HostRunner, alias: string, argv: string[], what: string): Promise<void> {
  const r = await runner.exec(argv);
  if (r.code !== 0) throw new GoDeployError(`${alias}: ${what} failed (exit ${r.code ?? 'signal'}): ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
}

/** hostCanarySite's hooks from the host's commands; `record` (outside a deploy) appends the history line of the outcome too. */
export function canaryHooks(
  alias: string,
  runner: HostRunner,
  actions: CanaryHostActions,
  record?: (state: RolloutState, result: 'live' | 'rolled-back') => Promise<void>,
): { stopInstance(port: number): Promise<void>; promoted(state: RolloutState): Promise<void>; aborted(state: RolloutState): Promise<void> } {
  return {
    stopInstance: (port) => mustRun(runner, alias, actions.stopInstance(port), `stopping the instance on port ${port}`),
    promoted: async (state) => {
      for (const argv of actions.promoted(state.canaryPort)) await mustRun(runner, alias, argv, `recording port ${state.canaryPort} as the live instance`);
      await record?.(state, 'live');
    },
    aborted: async (state) => {
      await mustRun(runner, alias, actions.aborted(state.previous), `pointing current back at ${state.previous}`);
      await record?.(state, 'rolled-back');
    },
  };
}

/** The rollout's place on one host (release/canary/hostSite.ts) with this target's instances. */
export function hostSiteOf(
  d: Pick<DeployEnvironment, 'base' | 'model'>,
  alias: string,
  runner: HostRunner,
  actions: CanaryHostActions,
  record?: (state: RolloutState, result: 'live' | 'rolled-back') => Promise<void>,
): CanarySite {
  return hostCanarySite({
    name: alias,
    runner,
    stateFile: rolloutStateFile(d.base),
    includePath: d.model.nginx.canaryInclude!,
    accessLog: d.model.nginx.accessLog!,
    model: d.model,
    hooks: canaryHooks(alias, runner, actions, record),
  });
}

/** The canary phase of a deploy (see the top of this file). */
export async function canaryPhase(i: CanaryPhaseInput): Promise<CanaryPhaseResult> {
  const { d, hosts, runs, outcome, emit, redact } = i;
  const started = new Map<DeployHost, CanaryStart>();
  const recordBack = (h: DeployHost, extra: Record<string, unknown> = {}): Promise<void> => {
    const run = runs.get(h)!;
    const line = JSON.stringify({ ...(JSON.parse(i.history(run, 'rolled-back')) as object), ...extra });
    return run.writeHistory(line).catch(() => undefined);
  };

  // 1. Every host: the new release on its idle instance, gated; nothing else changes.
  let failedGate = false;
  for (const batch of batchesOf(hosts, i.batch)) {
    const gates = await mapLimit(batch, i.parallel ?? hosts.length, async (h) => {
      const run = runs.get(h)!;
      run.switched = true;
      const c = await startCanaryInstance(run.instances(true), run.plan).catch((e: Error): CanaryStart => ({
        ok: false,
        error: e.message,
        restored: false,
        was: '',
        stablePort: null,
        canaryPort: 0,
      }));
      run.previous = c.was;
      run.since = c.since ?? run.since;
      const r = outcome.get(h)!;
      r.previous = c.was || null;
      if (c.ok) {
        started.set(h, c);
        return true;
      }
      run.switched = !c.restored;
      r.result = c.restored ? 'rolled-back' : 'failed';
      r.error = redact(c.error ?? 'health gate failed');
      r.logs = c.logs;
      if (c.logs) emit({ host: h.alias, step: 'logs', state: 'info', message: `last log lines of ${run.plan.releaseId}:\n${c.logs}` });
      await recordBack(h);
      return false;
    });
    if (gates.some((ok) => !ok)) {
      failedGate = true;
      break;
    }
    if (i.token?.isCancellationRequested) break;
  }
  const takeBack = async (why: string, which: DeployHost[] = [...started.keys()]): Promise<void> => {
    await Promise.all(
      which.map(async (h) => {
        const run = runs.get(h)!;
        const c = started.get(h)!;
        const t0 = Date.now();
        emit({ host: h.alias, step: 'rollback', state: 'start', message: `${why}: stopping ${run.plan.blueGreen!.instances.name(c.canaryPort)}` });
        const back = await stopCanaryInstance(run.instances(false), run.plan, c);
        if (back.ok) run.switched = false;
        emit({
          host: h.alias,
          step: 'rollback',
          state: back.ok ? 'done' : 'fail',
          message: back.ok ? `${c.was ? `${c.was} serves alone, as it did` : 'stopped; no current release'}` : redact(back.error ?? 'failed'),
          ms: Date.now() - t0,
        });
        const r = outcome.get(h)!;
        r.result = back.ok ? 'rolled-back' : 'failed';
        r.error ??= back.error ? `${why}; ${redact(back.error)}` : why;
        await recordBack(h);
      }),
    );
  };
  const cancelledNow = (): boolean => i.token?.isCancellationRequested ?? false;
  if (failedGate || cancelledNow()) {
    await takeBack(failedGate ? 'another host failed its health gate' : 'cancelled');
    return { ok: false, cancelled: !failedGate, keep: false };
  }

  // 2. The hosts that had a live release canary it; the others take the new release at once.
  const canaryHosts = hosts.filter((h) => started.get(h)!.stablePort !== null);
  const alone = hosts.filter((h) => started.get(h)!.stablePort === null);
  const first = canaryHosts[0] && started.get(canaryHosts[0])!;
  const unlike = canaryHosts.filter((h) => {
    const c = started.get(h)!;
    return c.stablePort !== first.stablePort || c.was !== first.was;
  });
  if (first && unlike.length) {
    const say = (h: DeployHost): string => `${h.alias} ${started.get(h)!.was} on port ${started.get(h)!.stablePort}`;
    const why = `the hosts do not run the same live release on the same instance (${canaryHosts.map(say).join(', ')}): a canary compares one release with one other`;
    await takeBack('not started');
    for (const h of hosts) outcome.get(h)!.error = why;
    throw new GoDeployError(why, {
      hint: `deploy once with strategy: blue-green (every host then runs one release on one port), then go back to canary`,
      exitCode: 1,
    });
  }
  const { site } = i.blueGreen;
  const include = d.model.nginx.canaryInclude!;
  const sticky = d.model.canary!.sticky;
  const install = (h: DeployHost, stable: { port: number; release: string }) => (): Promise<void> =>
    installCanarySite(reconnectingRunner(h), { site, includePath: include, include: { app: d.model.app.name, stable, weight: 0, sticky }, name: h.alias }).then(
      () => undefined,
    );
  // The canary hosts' sites first: their include still sends everything to the live instance.
  const installed = await Promise.all(
    canaryHosts.map(async (h) => {
      const c = started.get(h)!;
      const t0 = Date.now();
      emit({ host: h.alias, step: 'nginx', state: 'start', message: `install ${site.path} with ${include}` });
      try {
        await install(h, { port: c.stablePort!, release: c.was })();
        emit({
          host: h.alias,
          step: 'nginx',
          state: 'done',
          message: `nginx site with the canary include installed; every request still to 127.0.0.1:${c.stablePort}`,
          ms: Date.now() - t0,
        });
        return true;
      } catch (e) {
        const r = outcome.get(h)!;
        r.error = redact((e as Error).message);
        r.hint = e instanceof GoDeployError ? e.hint : undefined;
        emit({ host: h.alias, step: 'nginx', state: 'fail', message: redact((e as Error).message), ms: Date.now() - t0 });
        return false;
      }
    }),
  );
  if (installed.some((ok) => !ok)) {
    await takeBack('the nginx site could not be installed');
    return { ok: false, cancelled: false, keep: false };
  }
  const wentAlone: DeployHost[] = [];
  const aloneErrors = await Promise.all(
    alone.map(async (h) => {
      const run = runs.get(h)!;
      const c = started.get(h)!;
      try {
        await goLiveAlone(run.instances(true), run.plan, c, install(h, { port: c.canaryPort, release: run.plan.releaseId }));
        wentAlone.push(h);
        return null;
      } catch (e) {
        return { h, e: e as Error };
      }
    }),
  );
  const aloneFailed = aloneErrors.filter((x) => x !== null);
  if (aloneFailed.length) {
    for (const x of aloneFailed) {
      outcome.get(x.h)!.error = redact(x.e.message);
      outcome.get(x.h)!.hint = x.e instanceof GoDeployError ? x.e.hint : undefined;
    }
    // Nothing was live on these: they go back to nothing; the canary hosts to their live release.
    await Promise.all(
      wentAlone.map(async (h) => {
        const run = runs.get(h)!;
        await stopAllInstances(run.instances(false), run.plan).catch(() => undefined);
        run.switched = false;
        outcome.get(h)!.result = 'rolled-back';
        await recordBack(h);
      }),
    );
    await takeBack(
      'another host failed',
      hosts.filter((h) => !wentAlone.includes(h)),
    );
    return { ok: false, cancelled: false, keep: false };
  }
  if (!first) return { ok: true, cancelled: false, keep: false };

  // 3. The rollout's steps over every canary host (the primary first), the deploy lock held.
  const sites = canaryHosts.map((h) => {
    const run = runs.get(h)!;
    const actions = canaryHostActions({
      base: d.base,
      instances: run.plan.blueGreen!.instances,
      envFileName: run.plan.envFileName,
      envFileOwner: run.plan.manager.envFileOwner,
    });
    return hostSiteOf(d, h.alias, reconnectingRunner(h), actions);
  });
  const releaseId = runs.get(hosts[0])!.plan.releaseId;
  let out: RolloutOutcome;
  try {
    out = await startRollout(
      { sites, token: i.token, emit: i.onRolloutEvent, who: i.who },
      {
        app: d.model.app.name,
        environment: d.name,
        release: releaseId,
        previous: first.was,
        stablePort: first.stablePort!,
        canaryPort: first.canaryPort,
        policy: d.model.canary!,
      },
    );
  } catch (e) {
    // Nothing of this rollout on the primary (it could not start): the canaries stop, as after a failed gate.
    const there = await sites[0].readState().catch(() => undefined);
    if (there !== undefined && there?.release !== releaseId) {
      const why = redact((e as Error).message);
      await takeBack(why);
      for (const h of canaryHosts) outcome.get(h)!.hint ??= e instanceof GoDeployError ? e.hint : undefined;
      return { ok: false, cancelled: false, keep: false };
    }
    // The rollout's state stays on the hosts as the driver left it: resume or abort it by hand.
    const why = `the canary rollout stopped: ${redact((e as Error).message)}`;
    for (const h of canaryHosts) {
      const r = outcome.get(h)!;
      r.result = 'failed';
      r.error = why;
      r.hint = `see \`godeploy rollout status ${d.name}\`; then \`godeploy rollout resume ${d.name}\` or \`godeploy rollout abort ${d.name}\``;
    }
    return { ok: false, cancelled: false, keep: true };
  }
  const rollout: DeployResult['rollout'] = {
    outcome: out.kind,
    state: out.state,
    ...(out.kind === 'aborted' ? { reason: out.reason, figures: out.figures } : {}),
  };
  if (out.kind === 'promoted') return { ok: true, cancelled: false, keep: false, rollout };
  if (out.kind === 'aborted') {
    // The reason names the step ("… at step 1 (10%)", or "aborted by user@machine").
    const why = `canary aborted: ${out.reason}${out.figures ? ` [${formatFigures(out.figures)}]` : ''}`;
    await Promise.all(
      canaryHosts.map(async (h) => {
        const r = outcome.get(h)!;
        runs.get(h)!.switched = false;
        r.result = 'rolled-back';
        r.error = why;
        await recordBack(h, { rollout: { outcome: 'aborted', reason: out.reason, by: out.state.by } });
      }),
    );
    return { ok: false, cancelled: false, keep: false, rollout };
  }
  // Left (cancelled): the canary keeps its share; `godeploy rollout …` goes on from here.
  await Promise.all(
    canaryHosts.map(async (h) => {
      const run = runs.get(h)!;
      const r = outcome.get(h)!;
      r.result = 'live';
      r.hint = `the rollout is paused at ${out.state.weight}%: \`godeploy rollout resume|promote|abort ${d.name}\``;
      const line = JSON.stringify({
        ...(JSON.parse(i.history(run, 'canary-paused')) as object),
        rollout: { outcome: 'left', weight: out.state.weight, by: out.state.by },
      });
      await run.writeHistory(line).catch(() => undefined);
    }),
  );
  return { ok: false, cancelled: true, keep: true, rollout };
}

/** A host's rollout state (<base>/.godeploy/rollout.json), or null when none was ever written there. */
export const readHostRollout = (runner: HostRunner, base: string): Promise<RolloutState | null> => readRolloutState(runner, rolloutStateFile(base));

/**
 * Preflight: a deploy waits for the host's rollout in progress (or paused) to be promoted or
 * aborted; a rollback is refused too (`rollout abort` is the way back during a rollout).
 */
export async function refuseRolloutInProgress(
  runner: HostRunner,
  alias: string,
  base: string,
  environment: string,
  operation: 'deploy' | 'rollback' = 'deploy',
): Promise<void> {
  const s = inProgress(await readHostRollout(runner, base));
  if (!s) return;
  const where = inProgressText(s, alias);
  if (operation === 'rollback')
    throw new GoDeployError(`no rollback during a rollout: ${where}`, {
      hint: `godeploy rollout abort ${environment} is the way back during a rollout: every request goes back to ${s.previous} and the canary stops; once the rollout has ended, godeploy rollback ${environment} works as usual`,
      exitCode: 1,
    });
  throw new GoDeployError(where, { hint: rolloutCommandsHint(s, environment), exitCode: 1 });
}
