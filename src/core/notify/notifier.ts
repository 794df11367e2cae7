// Notifications around one deploy or rollback, for core/operations: the webhooks are
// resolved before the target runs, and told once it has returned or thrown, whatever the
// target. Nothing here throws into the operation or changes its result's outcome.
import type { CancellationTokenLike } from '../cancellation';
import { Redactor, type ReferenceSources } from '../config/references';
import type { LoadedEnvironment } from '../environment/load';
import type { DeployPlan, DeployResult, HostDeployResult, RollbackResult } from '../environment/types';
import { releaseVersion } from '../release/releaseId';
import type { NotificationHost, NotificationOutcome, NotificationReport, NotifyOn, NotifyResult } from './types';
import { describeWebhookPlan, plannedWebhooks, resolveWebhooks, sendNotifications, type SendOptions, type Webhook } from './webhooks';

/** What every report of an operation shares. */
export interface ReportContext {
  environment: string;
  app: string;
  who: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const unique = <T>(xs: T[]): T | null => (xs.length > 0 && xs.every((x) => x === xs[0]) ? xs[0] : null);

function hostsOf(hosts: HostDeployResult[], release?: (h: HostDeployResult) => string | undefined): NotificationHost[] {
  return hosts.map((h) => ({
    host: h.host,
    address: h.address,
    result: h.result,
    ...(release?.(h) ? { release: release(h) } : {}),
    ...(h.error ? { error: h.error } : {}),
  }));
}

/** The first host's error, as "host: error", for a report that failed on its hosts. */
function firstError(hosts: HostDeployResult[]): string | undefined {
  const h = hosts.find((x) => x.error && x.result !== 'live');
  return h ? `${h.host}: ${h.error}` : undefined;
}

function failedResult(ok: boolean, cancelled: boolean, hosts: HostDeployResult[]): NotifyResult {
  if (ok) return 'live';
  if (cancelled) return 'cancelled';
  return hosts.some((h) => h.result === 'rolled-back') ? 'rolled-back' : 'failed';
}

type Outcome = Pick<NotificationReport, 'release' | 'version' | 'durationMs' | 'result' | 'ok' | 'hosts' | 'warnings'> & { error?: string };

/** The report in the order the generic payload shows it. */
function makeReport(event: NotificationReport['event'], c: ReportContext, o: Outcome): NotificationReport {
  const { error, ...rest } = o;
  return {
    event,
    environment: c.environment,
    app: c.app,
    release: rest.release,
    version: rest.version,
    who: c.who,
    startedAt: iso(c.startedAt),
    finishedAt: iso(c.startedAt + o.durationMs),
    durationMs: o.durationMs,
    result: o.result,
    ok: o.ok,
    hosts: o.hosts,
    ...(error ? { error } : {}),
    warnings: o.warnings,
  };
}

/** A deploy's report, and the `on:` event it is sent for (deploy when it succeeded, else failure). */
export function deployReport(r: DeployResult, c: ReportContext): { kind: NotifyOn; report: NotificationReport } {
  const release = r.alreadyLive ? (unique(r.hosts.map((h) => h.previous ?? '')) ?? r.releaseId) : r.releaseId;
  const report = makeReport('deploy', c, {
    release: release || null,
    version: r.version,
    durationMs: r.durationMs,
    result: r.ok && r.alreadyLive ? 'unchanged' : failedResult(r.ok, r.cancelled, r.hosts),
    ok: r.ok,
    hosts: hostsOf(r.hosts),
    error: r.ok ? undefined : firstError(r.hosts),
    warnings: r.warnings,
  });
  return { kind: r.ok ? 'deploy' : 'failure', report };
}

/** A rollback's report: the release is the one the hosts went back to (null when they went to different ones). */
export function rollbackReport(r: RollbackResult, c: ReportContext): { kind: NotifyOn; report: NotificationReport } {
  const release = unique(Object.values(r.targets));
  const report = makeReport('rollback', c, {
    release,
    version: release ? releaseVersion(release) : null,
    durationMs: r.durationMs,
    result: failedResult(r.ok, r.cancelled, r.hosts),
    ok: r.ok,
    hosts: hostsOf(r.hosts, (h) => r.targets[h.host]),
    error: r.ok ? undefined : firstError(r.hosts),
    warnings: [],
  });
  return { kind: r.ok ? 'rollback' : 'failure', report };
}

/** An operation that ended with an error instead of a result (a build that failed, say). */
export function errorReport(
  event: 'deploy' | 'rollback',
  e: unknown,
  c: ReportContext & { version: string | null; cancelled: boolean; finishedAt: number },
): { kind: NotifyOn; report: NotificationReport } {
  const report = makeReport(event, c, {
    release: null,
    version: c.version,
    durationMs: c.finishedAt - c.startedAt,
    result: c.cancelled ? 'cancelled' : 'failed',
    ok: false,
    hosts: [],
    error: e instanceof Error ? e.message : String(e),
    warnings: [],
  });
  return { kind: 'failure', report };
}

export interface Notifier {
  /** The plan's lines: which webhooks would be told, and when (no URL). */
  planLines: string[];
  send(kind: NotifyOn, report: NotificationReport): Promise<NotificationOutcome[]>;
}

/**
 * The webhooks of environment `e` for `operation`. A dry run resolves nothing (its plan
 * shows the references); otherwise every URL is resolved now, before anything starts.
 */
export async function prepareNotifier(
  e: Pick<LoadedEnvironment, 'config' | 'name' | 'env'>,
  operation: 'deploy' | 'rollback',
  o: { sources?: ReferenceSources; dryRun?: boolean; send?: SendOptions },
): Promise<Notifier> {
  const redactor = new Redactor();
  const hooks: Webhook[] = o.dryRun ? plannedWebhooks(e.config, e.name, e.env) : await resolveWebhooks(e.config, e.name, e.env, o.sources, redactor);
  return {
    planLines: describeWebhookPlan(plannedWebhooks(e.config, e.name, e.env), operation),
    send: (kind, report) => (o.dryRun || !hooks.length ? Promise.resolve([]) : sendNotifications(hooks, kind, report, { redactor, ...o.send })),
  };
}

/** The plan with the notifications it would send (which webhooks, when; never a URL). */
export function withPlanLines(onPlan: ((p: DeployPlan) => void) | undefined, n: Notifier): ((p: DeployPlan) => void) | undefined {
  if (!onPlan || !n.planLines.length) return onPlan;
  return (p) => onPlan({ ...p, text: [p.text, ...n.planLines].join('\n') });
}

/**
 * Runs a deploy or rollback on its target, then tells the webhooks how it ended (returned
 * or thrown): every target gets notifications the same way. What they answer is added to
 * the result and handed to onNotifications; it never changes ok, nor what is thrown.
 */
export async function notifyAfter<R extends { dryRun?: boolean; notifications?: NotificationOutcome[] }>(
  operation: 'deploy' | 'rollback',
  notifier: Notifier,
  req: { token?: CancellationTokenLike; onNotifications?: (n: NotificationOutcome[]) => void },
  context: ReportContext,
  run: () => Promise<R>,
  report: (r: R, c: ReportContext) => { kind: NotifyOn; report: NotificationReport },
  version: () => Promise<string | null>,
): Promise<R> {
  let r: R;
  try {
    r = await run();
  } catch (err) {
    const cancelled = req.token?.isCancellationRequested ?? false;
    const failed = errorReport(operation, err, { ...context, version: await version(), cancelled, finishedAt: Date.now() });
    req.onNotifications?.(await notifier.send(failed.kind, failed.report));
    throw err;
  }
  if (r.dryRun) return { ...r, notifications: [] };
  const done = report(r, context);
  const notifications = await notifier.send(done.kind, done.report);
  req.onNotifications?.(notifications);
  return { ...r, notifications };
}
