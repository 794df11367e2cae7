// `godeploy rollout` and `godeploy maintenance`: what they do through a target's nginx hosts
// (Target.nginxHosts: each ssh host that runs the web process, or a docker engine's host). The
// rollout engine (release/canary/control.ts, driver.ts) and maintenance mode
// (release/maintenance.ts) work on those hosts the same way for every target; index.ts picks
// the target and calls these.
import type { LoadedEnvironment } from '../environment/load';
import type {
  MaintenanceHostResult,
  MaintenanceRequest,
  MaintenanceResult,
  OperationPlan,
  RolloutRequest,
  RolloutResult,
  RolloutView,
} from '../environment/operations';
import type { HostAccess, LockInfo, LockOwner } from '../environment/types';
import { GoDeployError, usageError } from '../errors';
import { abortRollout, promoteRollout, rolloutView } from '../release/canary/control';
import { driveRollout, type RolloutRun } from '../release/canary/driver';
import { notInProgress } from '../release/canary/states';
import type { CanarySite, RolloutOutcome } from '../release/canary/types';
import { holderName, lockOwnerFor } from '../release/lockOwner';
import {
  DEFAULT_MAINTENANCE_MESSAGE,
  DEFAULT_RETRY_AFTER_SECONDS,
  maintenanceIncludeLine,
  maintenanceOff,
  maintenanceOn,
  maintenanceStatus,
} from '../release/maintenance';
import type { NginxHost, NginxHosts, Target } from '../targets/target';

const access = (req: { hosts?: Omit<HostAccess, 'token'>; token?: RolloutRequest['token'] }): HostAccess => ({ ...req.hosts, token: req.token });

/** Connects to the environment's nginx hosts, runs `fn`, disconnects. */
async function onNginxHosts<T>(target: Target, e: LoadedEnvironment, a: HostAccess, fn: (n: NginxHosts) => Promise<T>): Promise<T> {
  const n = await target.nginxHosts(e, a);
  try {
    return await fn(n);
  } finally {
    await n.close().catch(() => undefined);
  }
}

/** Every host must answer to move a rollout: a step applied on some hosts only would split the traffic unevenly. */
function requireAllReachable(n: NginxHosts, e: LoadedEnvironment, what: string): void {
  const down = n.unreachable[0];
  if (down)
    throw new GoDeployError(`rollout ${what} ${e.name}: ${down.name} (${down.address}) could not be reached: ${down.error}`, {
      hint: down.hint ?? `a rollout moves on every host at once: make ${down.name} reachable, then run godeploy rollout ${what} ${e.name} again`,
    });
}

/** The canary sites, primary first; a refusal when the environment does not use strategy canary. */
function canarySites(n: NginxHosts, e: LoadedEnvironment, what: string): CanarySite[] {
  const sites = n.hosts.map((h) => h.canary).filter((s): s is CanarySite => s !== null);
  if (!e.model.canary || (!sites.length && n.hosts.length))
    throw usageError(
      `rollout ${what}: environment ${e.name} does not use strategy canary`,
      `set strategy: canary (and rollout.canary) on ${e.name} in godeploy.yaml; see docs/canary.md`,
    );
  return sites;
}

/** The view with the hosts that could not be reached added, each with why. */
function withUnreachable(view: RolloutView, n: NginxHosts): RolloutView {
  if (!n.unreachable.length) return view;
  return { ...view, hosts: [...(view.hosts ?? []), ...n.unreachable.map((u) => ({ host: u.name, weight: null, error: u.error }))] };
}

/** `godeploy rollout status|promote|abort|resume ENV` on `target`. */
export async function rolloutWith(
  target: Target,
  e: LoadedEnvironment,
  req: RolloutRequest,
  /** resume's clock and tick (the unit tests' virtual clock); default the real ones. */
  engine: Pick<RolloutRun, 'clock' | 'tickMs'> = {},
): Promise<RolloutResult> {
  const startedAt = Date.now();
  const who = holderName(req.user);
  const done = (r: Omit<RolloutResult, 'environment' | 'action' | 'durationMs'>): RolloutResult => ({
    environment: e.name,
    action: req.action,
    ...r,
    durationMs: Date.now() - startedAt,
  });
  if (!e.model.canary) canarySites({ hosts: [], unreachable: [], close: async () => undefined }, e, req.action);
  return onNginxHosts(target, e, access(req), async (n) => {
    const sites = canarySites(n, e, req.action);
    if (req.action === 'status') {
      const view = withUnreachable(await rolloutView(sites, e.name), n);
      return done({ ok: true, view, message: '' });
    }
    requireAllReachable(n, e, req.action);
    const control = { who, environment: e.name };
    if (req.action === 'promote') {
      const r = await promoteRollout(sites, { ...control, full: req.full === true });
      return done({ ok: true, view: await rolloutView(sites, e.name), message: r.message });
    }
    if (req.action === 'abort') {
      const r = await abortRollout(sites, control);
      return done({ ok: true, view: await rolloutView(sites, e.name), message: r.message });
    }
    const outcome = await resume(target, e, req, sites, who, engine);
    // After Ctrl-C the hosts may no longer answer: the outcome's state is then the view.
    const read = await rolloutView(sites, e.name).catch(() => undefined);
    const view: RolloutView = read?.state ? read : { environment: e.name, none: false, state: outcome.state };
    const message =
      outcome.kind === 'promoted'
        ? `promoted: ${outcome.state.release} is live`
        : outcome.kind === 'aborted'
          ? `aborted: ${outcome.reason}`
          : `left at step ${outcome.state.step + 1} (${outcome.state.weight}%)`;
    return done({ ok: outcome.kind === 'promoted', view, outcome: outcome.kind, message });
  });
}

/** resume: the primary's state, driven to its end under the deploy lock of every host (or of the engine). */
async function resume(
  target: Target,
  e: LoadedEnvironment,
  req: RolloutRequest,
  sites: CanarySite[],
  who: string,
  engine: Pick<RolloutRun, 'clock' | 'tickMs'>,
): Promise<RolloutOutcome> {
  const state = await sites[0].readState();
  if (!state || state.status === 'promoted' || state.status === 'aborted') throw notInProgress(e.name, state);
  const info = (m: string) => req.onRolloutEvent?.({ kind: 'info', message: m });
  return withDeployLocks(target, e, req, lockOwnerFor(req.user, state.release, 'rollout resume'), info, () =>
    driveRollout({ ...engine, sites, token: req.token, emit: req.onRolloutEvent, who }, state),
  );
}

/**
 * Takes the deploy lock of every host (or of the engine) for `info`, runs `fn`, releases them
 * (as their owner only). A lock that could not be taken releases those taken and refuses,
 * naming its holder. The release does not use the request's token: after Ctrl-C the locks
 * must still be given back.
 */
async function withDeployLocks<T>(
  target: Target,
  e: LoadedEnvironment,
  req: RolloutRequest,
  info: LockInfo,
  onTakeOver: (description: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const command = 'rollout resume';
  const taken = await target.locks(e, command, access(req), (lock) => lock.acquire(info, { onTakeOver }));
  const owners = new Map<string, LockOwner>();
  for (const o of taken.outcomes) if (o.ok) owners.set(o.alias, o.value);
  const release = async (): Promise<void> => {
    if (!owners.size) return;
    await target.locks(e, command, { ...req.hosts }, async (lock) => {
      const owner = owners.get(lock.alias);
      if (owner) await lock.release(owner);
    });
  };
  const refused = taken.outcomes.find((o) => !o.ok);
  if (refused && !refused.ok) {
    await release();
    throw new GoDeployError(`rollout resume ${e.name}: ${refused.alias}: ${refused.error}`, { hint: refused.hint, cause: refused.cause });
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** `godeploy maintenance on|off|status ENV` on `target`: every nginx host, one failing without stopping the others. */
export async function maintenanceWith(target: Target, e: LoadedEnvironment, req: MaintenanceRequest): Promise<MaintenanceResult> {
  const startedAt = Date.now();
  const plan = maintenancePlan(e, req);
  req.onPlan?.(plan);
  const result = (hosts: MaintenanceHostResult[], dryRun: boolean): MaintenanceResult => ({
    environment: e.name,
    action: req.action,
    ok: hosts.every((h) => h.ok),
    dryRun,
    plan,
    hosts,
    durationMs: Date.now() - startedAt,
  });
  if (req.dryRun) return result([], true);
  return onNginxHosts(target, e, access(req), async (n) => {
    if (!n.hosts.length && !n.unreachable.length)
      throw usageError(
        `maintenance ${req.action}: no host of ${e.name} has nginx in front of the app`,
        'maintenance mode needs an nginx key on the environment (or the file)',
      );
    const who = holderName(undefined);
    const one = async (h: NginxHost): Promise<MaintenanceHostResult> => {
      try {
        return { host: h.name, ...(await maintenanceOnHost(h, e, req, who)) };
      } catch (err) {
        return {
          host: h.name,
          ok: false,
          on: false,
          error: err instanceof Error ? err.message : String(err),
          hint: err instanceof GoDeployError ? err.hint : undefined,
        };
      }
    };
    const reached = await Promise.all(n.hosts.map(one));
    const down = n.unreachable.map((u): MaintenanceHostResult => ({
      host: u.name,
      ok: false,
      on: false,
      error: `could not be reached: ${u.error}`,
      hint: u.hint,
    }));
    return result([...reached, ...down], false);
  });
}

/** One host's maintenance action through release/maintenance.ts. */
async function maintenanceOnHost(h: NginxHost, e: LoadedEnvironment, req: MaintenanceRequest, who: string): Promise<Omit<MaintenanceHostResult, 'host'>> {
  const host = h.name;
  if (req.action === 'status') {
    const s = await maintenanceStatus(h.runner, e.model, { host });
    return { ok: true, on: s.on, ...(s.message === undefined ? {} : { message: s.message }) };
  }
  if (req.action === 'off') return { ok: true, on: false, unchanged: !(await maintenanceOff(h.runner, e.model, { host })).changed };
  const r = await maintenanceOn(h.runner, e.model, { host, message: req.message, retryAfterSeconds: req.retryAfterSeconds, by: who });
  return { ok: true, on: true, message: req.message ?? DEFAULT_MAINTENANCE_MESSAGE, unchanged: !r.changed };
}

/** What --dry-run prints: the files written or removed, and the commands, on each nginx host. */
export function maintenancePlan(e: LoadedEnvironment, req: Pick<MaintenanceRequest, 'action' | 'message' | 'retryAfterSeconds'>): OperationPlan {
  const { maintenanceInclude: conf, maintenancePage: page } = e.model.nginx;
  const where = 'on each host where nginx fronts the app (the hosts that run the web process; a docker environment: the engine host)';
  const lines =
    req.action === 'on'
      ? [
          `maintenance on ${e.name}: ${where}:`,
          `  check that the installed nginx site has the line ${maintenanceIncludeLine(e.model)} (else: run godeploy setup ${e.name} or deploy once)`,
          `  write ${page} (503 page: ${e.model.app.name}, "${req.message ?? DEFAULT_MAINTENANCE_MESSAGE}")`,
          `  write ${conf} (503 for every path but the health check and /.well-known/, Retry-After ${req.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS})`,
          '  nginx -t (on failure the files are removed again), then reload nginx',
        ]
      : req.action === 'off'
        ? [`maintenance off ${e.name}: ${where}:`, `  remove ${conf} and ${page}`, '  nginx -t, then reload nginx']
        : [`maintenance status ${e.name}: ${where}: read ${conf}`];
  return { text: lines.join('\n'), steps: [] };
}
