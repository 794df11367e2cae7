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
import { logPlanHeading, type LogOptions, type LogSourcePlan, type LogsRequest, type LogsResult } from '../logs/logs';
import type { HostReport } from '../environment/types';
import type { LockPlace } from '../environment/types';
import { RELEASE_ID } from '../release/releaseId';
import { dockerTarget } from '../targets/docker';
import { hostsTarget } from '../targets/hosts';
import type { Target } from '../targets/target';

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
  return targetOf(e.env).deploy(req, e, { startedAt, versionInfo: info });
}

/** `godeploy rollback ENV [--to RELEASE]`: back to the previous (or named) release, health-gated. */
export async function rollback(req: RollbackRequest): Promise<RollbackResult> {
  const startedAt = Date.now();
  if (req.to !== undefined && !RELEASE_ID.test(req.to))
    throw usageError(`rollback --to: "${req.to}" is not a release id`, 'release ids look like 20261121T101500Z-v1.2.3; see `godeploy releases ENV`');
  const e = await loadEnvironment(req.configFile, req.environment, 'rollback');
  return targetOf(e.env).rollback(req, e, startedAt);
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

/** What each host of the environment is read from (only the hosts in `only`, when given). */
export function logSources(e: LoadedEnvironment, only?: string[]): LogSourcePlan[] {
  return targetOf(e.env).logSources(e, only);
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
  const sources = logSources(e, req.only);
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
