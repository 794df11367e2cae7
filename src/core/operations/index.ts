// The operations the CLI and the editor call. The only place that picks a target from an
// environment's type: every operation loads the environment, then hands it to its target.
import * as path from 'node:path';
import { versionInfo } from '../build/version';
import type { EnvironmentConfig, EnvironmentType } from '../config/model';
import { loadEnvironment, type LoadedEnvironment } from '../environment/load';
import type {
  DeployRequest,
  DeployResult,
  HostAccess,
  HostOutcome,
  ReleasesReport,
  RollbackRequest,
  RollbackResult,
  StatusReport,
  StatusRequest,
} from '../environment/types';
import { usageError } from '../errors';
import { LineQueue } from '../logs/lineQueue';
import { deployReport, notifyAfter, prepareNotifier, rollbackReport, withPlanLines } from '../notify/notifier';
import { logPlanHeading, type LogOptions, type LogSourcePlan, type LogsRequest, type LogsResult } from '../logs/logs';
import type { HostReport } from '../environment/types';
import type { LockPlace } from '../environment/types';
import { RELEASE_ID } from '../release/releaseId';
import { holderName } from '../release/lockOwner';
import { dockerTarget } from '../targets/docker';
import { hostsTarget } from '../targets/hosts';
import type { Target } from '../targets/target';
import type { ExecRequest, ExecResult, OperationPlan, ServiceActionRequest, ServiceActionResult, SetupRequest, SetupResult } from '../environment/operations';
import type { MaintenanceRequest, MaintenanceResult, RolloutRequest, RolloutResult } from '../environment/operations';
import { maintenanceWith, rolloutWith } from './nginxOperations';

/** Every kind of target, by the environment types that use it. A new target is one line here. */
const targets: Record<EnvironmentType, Target> = {
  ssh: hostsTarget,
  local: hostsTarget,
  docker: dockerTarget,
};

/** The target that runs operations on environments like `env`. */
export function targetOf(env: Pick<EnvironmentConfig, 'type'>): Target {
  return targets[env.type];
}

/** Where the configuration and the environment are named. */
export interface EnvironmentRequest {
  configFile: { file: string; exists: boolean };
  environment: string | undefined;
}

/** `godeploy deploy ENV`: build, ship, switch behind the health gate, roll back on failure. */
export async function deploy(req: DeployRequest): Promise<DeployResult> {
  const startedAt = Date.now();
  // git describe etc. runs while the config and the module are read (the folder of godeploy.yaml is the module's).
  const early = versionInfo(path.dirname(req.configFile.file), req.buildEnv);
  early.catch(() => undefined);
  const e = await loadEnvironment(req.configFile, req.environment, 'deploy');
  const info = () => (path.dirname(req.configFile.file) === e.moduleDir ? early : versionInfo(e.moduleDir, req.buildEnv));
  const notifier = await prepareNotifier(e, 'deploy', { sources: req.sources, dryRun: req.dryRun });
  const run = () => targetOf(e.env).deploy({ ...req, onPlan: withPlanLines(req.onPlan, notifier) }, e, { startedAt, versionInfo: info });
  const version = async () => (await info().catch(() => undefined))?.version ?? null;
  const context = { environment: e.name, app: e.model.app.name, who: holderName(req.user), startedAt };
  const r = await notifyAfter('deploy', notifier, req, context, run, deployReport, version);
  return notifier.planLines.length ? { ...r, plan: [r.plan, ...notifier.planLines].join('\n') } : r;
}

/** `godeploy rollback ENV [--to RELEASE]`: back to the previous (or named) release, health-gated. */
export async function rollback(req: RollbackRequest): Promise<RollbackResult> {
  const startedAt = Date.now();
  if (req.to !== undefined && !RELEASE_ID.test(req.to))
    throw usageError(`rollback --to: "${req.to}" is not a release id`, 'release ids look like 20261121T101500Z-v1.2.3; see `godeploy releases ENV`');
  const e = await loadEnvironment(req.configFile, req.environment, 'rollback');
  const notifier = await prepareNotifier(e, 'rollback', { sources: req.sources });
  const run = () => targetOf(e.env).rollback({ ...req, onPlan: withPlanLines(req.onPlan, notifier) }, e, startedAt);
  const context = { environment: e.name, app: e.model.app.name, who: holderName(req.user), startedAt };
  return notifyAfter('rollback', notifier, req, context, run, rollbackReport, async () => null);
}

/** `godeploy status ENV`: per host, the live release, the service and one health check. */
export async function environmentStatus(req: StatusRequest): Promise<StatusReport> {
  const e = await loadEnvironment(req.configFile, req.environment, 'status');
  return targetOf(e.env).status(req, e);
}

/** `godeploy releases ENV`: the releases on every host (or the engine), the live one marked. */
export async function environmentReleases(req: EnvironmentRequest & { access: HostAccess }): Promise<ReleasesReport> {
  const e = await loadEnvironment(req.configFile, req.environment, 'releases');
  return targetOf(e.env).releases(e, req.access);
}

/** `godeploy doctor ENV`: the preflight checks, a report per host (or for the engine). */
export async function environmentDoctor(req: EnvironmentRequest & { access: HostAccess }): Promise<{ environment: string; hosts: HostReport[] }> {
  const e = await loadEnvironment(req.configFile, req.environment, 'doctor');
  return { environment: e.name, hosts: await targetOf(e.env).doctor(e, req.access) };
}

/**
 * Runs `fn` on the deploy lock of every host (in parallel) or of the engine, connecting as
 * a deploy does. `base` names where the locks are. Never rejects for a host's sake.
 */
export async function onEnvironmentLocks<T>(
  e: LoadedEnvironment,
  command: string,
  access: HostAccess,
  fn: (lock: LockPlace) => Promise<T>,
): Promise<{ base: string; outcomes: HostOutcome<T>[] }> {
  return targetOf(e.env).locks(e, command, access, fn);
}

/** What each host of the environment is read from (only the hosts in `only`, and only `process`'s sources, when given). */
export function logSources(e: LoadedEnvironment, only?: string[], process?: string): LogSourcePlan[] {
  return targetOf(e.env).logSources(e, only, process);
}

/** The plan as --dry-run prints it: per host, the command (or the API) it is read with. */
export function describeLogPlan(e: LoadedEnvironment, sources: LogSourcePlan[], o: LogOptions): string {
  const target = targetOf(e.env);
  const lines = sources.map((s) => target.describeLogSource(e, s, o as LogsRequest));
  const files =
    sources.some((s) => s.kind === 'file') && o.since !== undefined ? ['  (log files have no timestamps: --since applies to journald and Docker only)'] : [];
  return [logPlanHeading(e, o), ...lines, ...files].join('\n');
}

/** `godeploy logs ENV` and the editor's Tail Logs: every host followed at once, lines in batches. */
export async function tailLogs(req: LogsRequest): Promise<LogsResult> {
  const e = await loadEnvironment(req.configFile, req.environment, 'logs');
  const sources = logSources(e, req.only, req.process);
  const plan = describeLogPlan(e, sources, req);
  req.onPlan?.(plan);
  if (req.dryRun) return { ok: true, plan, errors: [] };
  const grep = req.grep;
  const queue = new LineQueue((lines) => {
    const shown = grep ? lines.filter((l) => l.notice || grep.test(l.text)) : lines;
    if (shown.length) req.onLines(shown);
  }, req.queue);
  try {
    const errors = await targetOf(e.env).followLogs(e, sources, queue, req);
    return { ok: errors.length === 0, plan, errors };
  } finally {
    queue.close();
  }
}

/** `godeploy exec ENV -- CMD…`: the command in the live release, with its environment, on the selected hosts; the worst exit code. */
export async function execCommand(req: ExecRequest): Promise<ExecResult> {
  const e = await loadEnvironment(req.configFile, req.environment, 'exec');
  const prepared = await targetOf(e.env).exec(e, req);
  return runPrepared(req, prepared, (plan) => ({ environment: e.name, dryRun: true, plan, exitCode: 0, hosts: [] }));
}

/** `godeploy restart|stop|start ENV`: the live release's service on the selected hosts; restart and start health-gated. */
export async function serviceAction(req: ServiceActionRequest): Promise<ServiceActionResult> {
  const e = await loadEnvironment(req.configFile, req.environment, req.action);
  const prepared = await targetOf(e.env).serviceAction(e, req);
  const dry = (plan: OperationPlan): ServiceActionResult => ({
    environment: e.name,
    action: req.action,
    ok: true,
    dryRun: true,
    cancelled: false,
    plan,
    hosts: [],
    durationMs: 0,
  });
  return runPrepared(req, prepared, dry);
}

/** `godeploy setup ENV`: what a first deploy needs on each host (or engine), checked, and made where missing; idempotent. */
export async function setupHosts(req: SetupRequest): Promise<SetupResult> {
  const e = await loadEnvironment(req.configFile, req.environment, 'setup');
  const prepared = await targetOf(e.env).setup(e, req);
  return runPrepared(req, prepared, (plan) => ({ environment: e.name, ok: true, dryRun: true, plan, hosts: [], durationMs: 0 }));
}

/** `godeploy rollout status|promote|abort|resume ENV`: the canary rollout (strategy canary) on the environment's nginx hosts. */
export async function rollout(req: RolloutRequest): Promise<RolloutResult> {
  const e = await loadEnvironment(req.configFile, req.environment, `rollout ${req.action}`);
  return rolloutWith(targetOf(e.env), e, req);
}

/** `godeploy maintenance on|off|status ENV`: nginx's 503 page on every nginx host of the environment. */
export async function maintenance(req: MaintenanceRequest): Promise<MaintenanceResult> {
  const e = await loadEnvironment(req.configFile, req.environment, `maintenance ${req.action}`);
  return maintenanceWith(targetOf(e.env), e, req);
}

/** Reports the plan, then runs it (or, for a dry run, only says what it would do). */
async function runPrepared<T>(
  req: { dryRun?: boolean; onPlan?(plan: OperationPlan): void },
  prepared: { plan: OperationPlan; run(): Promise<T> },
  dry: (plan: OperationPlan) => T,
): Promise<T> {
  req.onPlan?.(prepared.plan);
  return req.dryRun ? dry(prepared.plan) : prepared.run();
}
