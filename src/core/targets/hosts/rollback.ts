// `godeploy rollback ENV [--to RELEASE]`: every host switches to the release before the
// live one (or the named one) behind the same health gate and batches as a deploy; a host
// that fails its gate goes back to what was live, and so do the hosts already switched.
// strategy canary switches as blue-green does (the target was live before: no steps), nginx
// through the canary include in its one-server form; it refuses while a rollout is in progress.
import { rolloutOf } from '../../config/model';
import { userInfo } from 'node:os';
import { GoDeployError } from '../../errors';
import { openHosts } from '../../remote/openHosts';
import { planHost, plannedSteps } from './deployPlan';
import { blueGreenFor, hookList, serviceManagerFor } from './deploy';
import { HostDeployment } from './hostDeploy';
import { type DeployHost } from '../../remote/openHosts';
import { deployEnvironmentOf, type LoadedEnvironment } from '../../environment/load';
import { acquireLockRecorded } from './lock';
import { type LockOwner } from '../../environment/types';
import { listReleases } from './releases';
import { releaseLocks, switchover } from './switchover';
import { refuseRolloutInProgress } from './canaryDeploy';
import { type HostDeployResult } from '../../environment/types';
import { RollbackRequest, RollbackResult, type DeployPlan, type PlannedStep } from '../../environment/types';
import { bestEffortRedactor } from '../../release/envFile';
import { holderName, lockOwnerFor } from '../../release/lockOwner';
import { planHostProcesses, processUnits } from './processPlan';
import { hasSeveralProcessForm, rolesOfHost, serviceManagersFor } from './processServices';

/** A rollback on the hosts of an ssh or local environment (see the top of this file). */
export async function rollbackHosts(req: RollbackRequest, loaded: LoadedEnvironment, startedAt: number): Promise<RollbackResult> {
  const t0 = startedAt;
  const emit = req.emit ?? (() => undefined);
  const d = deployEnvironmentOf(loaded, 'rollback');
  const manager = await serviceManagerFor(d, req.sources);
  const blueGreen = await blueGreenFor(d);
  const user = req.user ?? userInfo().username;
  const redact = await bestEffortRedactor(d, req.sources);
  const opened = await openHosts(d, { ...req.hosts, token: req.token });
  const hosts = opened.filter((o) => o.ok).map((o) => (o as Extract<typeof o, { ok: true }>).host);
  const outcome = new Map<DeployHost, HostDeployResult>(hosts.map((h) => [h, { host: h.alias, address: h.address, result: 'unchanged', timings: {} }]));
  const targets: Record<string, string> = {};
  const done = (ok: boolean, cancelled = false): RollbackResult => ({
    environment: d.name,
    ok,
    cancelled,
    targets,
    hosts: [
      ...outcome.values(),
      ...opened.flatMap((o): HostDeployResult[] =>
        o.ok ? [] : [{ host: o.alias, address: o.address, result: 'failed', error: o.error.message, hint: o.error.hint, timings: {} }],
      ),
    ],
    durationMs: Date.now() - t0,
  });
  const owners = new Map<DeployHost, LockOwner>();
  try {
    if (hosts.length < opened.length) return done(false);
    const runs = new Map<DeployHost, HostDeployment>();
    const problems = await Promise.allSettled(
      hosts.map(async (h) => {
        // strategy canary: no rollback while a rollout is progressing or paused (the deploy driving it holds the lock: say so first).
        const refuseDuringRollout = (): Promise<void> =>
          d.model.canary ? refuseRolloutInProgress(h.runner, h.alias, d.base, d.name, 'rollback') : Promise.resolve();
        await refuseDuringRollout();
        const lockInfo = lockOwnerFor(user, req.to ?? 'previous', 'rollback');
        await acquireLockRecorded(owners, h, h.runner, d.base, lockInfo, {
          environment: d.name,
          onTakeOver: (what) => emit({ host: h.alias, step: 'lock', state: 'info', message: what }),
        });
        emit({ host: h.alias, step: 'lock', state: 'done', message: 'lock taken' });
        await refuseDuringRollout();
        // app.processes: every process this host runs goes back, restarted and gated in order.
        const units = hasSeveralProcessForm(d.model) ? processUnits(await serviceManagersFor(d, rolesOfHost(d, h.alias), req.sources)) : undefined;
        const list = await listReleases(h.runner, d.base, units ? units[0].executable : d.model.app.name);
        const live = list.releases.findIndex((r) => r.current);
        const usable = list.releases.filter((r) => r.binarySize !== null);
        let target: string | undefined;
        if (req.to) {
          if (!usable.some((r) => r.id === req.to))
            throw new GoDeployError(`${h.alias}: no release ${req.to} in ${d.base}/releases`, {
              hint: `releases there: ${usable.map((r) => r.id).join(', ') || 'none'}`,
              exitCode: 1,
            });
          if (list.releases[live]?.id === req.to) throw new GoDeployError(`${h.alias}: ${req.to} is already live`, { exitCode: 1 });
          target = req.to;
        } else {
          if (live < 0) throw new GoDeployError(`${h.alias}: no live release to roll back from (${d.base}/current is missing)`, { exitCode: 1 });
          // The newest older release that once went live (not one an interrupted deploy left).
          target = [...usable].reverse().find((r) => r.id < list.releases[live].id && r.wentLive)?.id;
          if (!target)
            throw new GoDeployError(`${h.alias}: no release before ${list.releases[live].id} ever went live; there is nothing to roll back to`, {
              hint: 'name one with --to (see `godeploy releases ENV`)',
              exitCode: 1,
            });
        }
        targets[h.alias] = target;
        const hooks = hookList(d);
        const local = d.env.type === 'local';
        const plan = units
          ? planHostProcesses({ base: d.base, releaseId: target, keepReleases: d.env.keepReleases ?? 5, hooks, local }, units, null)
          : planHost({
              model: d.model,
              base: d.base,
              releaseId: target,
              manager,
              keepReleases: d.env.keepReleases ?? 5,
              hooks,
              artifact: null,
              local,
              blueGreen,
              // strategy canary: blue-green's switch, nginx through the canary include in its one-server form (no steps).
              rollback: true,
            });
        runs.set(h, new HostDeployment(h, plan, { artifact: '', envFileText: '', emit, redact, token: req.token }));
      }),
    );
    problems.forEach((p, i) => {
      if (p.status === 'rejected') {
        const r = outcome.get(hosts[i])!;
        r.result = 'failed';
        r.error = (p.reason as Error).message;
        r.hint = p.reason instanceof GoDeployError ? p.reason.hint : undefined;
        emit({ host: hosts[i].alias, step: 'lock', state: 'fail', message: r.error });
      }
    });
    if (problems.some((p) => p.status === 'rejected')) return done(false);
    req.onPlan?.(rollbackPlan(d.model.app.name, d.name, hosts, runs));
    if (req.token?.isCancellationRequested) return done(false, true);
    const history = (run: HostDeployment, res: string): string =>
      JSON.stringify({
        release: run.plan.releaseId,
        result: res === 'live' ? 'rollback' : 'rollback-failed',
        by: holderName(user),
        startedAt: run.startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        previous: run.previous || null,
        steps: run.timings,
      });
    const rollout = rolloutOf(d.env);
    const sw = await switchover(hosts, runs, outcome, { batch: rollout.batch, parallel: rollout.parallel, token: req.token, emit, redact, history });
    if (sw.ok) {
      await Promise.all(
        hosts.map(async (h) => {
          outcome.get(h)!.result = 'live';
          const f0 = Date.now();
          await runs
            .get(h)!
            .writeHistory(history(runs.get(h)!, 'live'))
            .then(
              () => emit({ host: h.alias, step: 'finish', state: 'done', message: 'recorded in history.jsonl', ms: Date.now() - f0 }),
              (e: Error) => emit({ host: h.alias, step: 'finish', state: 'fail', message: redact(e.message), ms: Date.now() - f0 }),
            );
        }),
      );
    }
    for (const [h, run] of runs) Object.assign(outcome.get(h)!.timings, run.timings);
    return done(sw.ok, sw.cancelled);
  } finally {
    await releaseLocks(owners, d.base, emit);
    for (const o of opened) if (o.ok) o.close();
  }
}

/** The steps on each host, from the lock (taken by then) to its release; the text says where each goes. */
function rollbackPlan(app: string, environment: string, hosts: DeployHost[], runs: Map<DeployHost, HostDeployment>): DeployPlan {
  const steps: PlannedStep[] = [];
  const text = [`rollback ${app} in ${environment} (${hosts.length} host${hosts.length === 1 ? '' : 's'})`];
  for (const h of hosts) {
    const plan = runs.get(h)!.plan;
    const mine = plannedSteps(h.alias, plan).filter((s) => ['lock', 'switch', 'restart', 'health', 'nginx', 'retire', 'finish', 'unlock'].includes(s.id));
    // A rollback records itself (record), it does not run the deploy's finish script.
    for (const s of mine) if (s.id === 'finish') Object.assign(s, { title: `append to ${plan.base}/.godeploy/history.jsonl`, commands: [plan.argv.record] });
    steps.push(...mine);
    text.push(`${h.alias}: back to ${plan.releaseId} in ${plan.base}`, ...mine.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.title}`));
  }
  return { text: text.join('\n'), steps };
}
