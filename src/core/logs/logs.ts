// `godeploy logs ENV` and the editor's Tail Logs: what a log request and its plan are. Each
// target reads its own sources (targets/hosts: journald and log files; targets/docker: the
// Engine API); core/operations runs the request. Lines reach `onLines` in batches, prefixed
// with their host, filtered by --grep; a host that cannot be reached is retried while following.
import type { CancellationTokenLike } from '../cancellation';
import type { OpenHostOptions } from '../remote/openHosts';
import { hostNamesOf } from '../config/model';
import type { LoadedEnvironment } from '../environment/load';
import { usageError } from '../errors';
import type { LineQueueOptions } from './lineQueue';
import type { LogLine } from './logLine';

export interface LogOptions {
  /** Past lines to show first (per source). */
  lines: number;
  /** Epoch seconds: only lines from then on (journald and Docker; files have no timestamps). */
  since?: number;
  follow: boolean;
  grep?: RegExp;
  /** Only these hosts (ssh aliases; "engine" or "local" for the others); all when absent. */
  only?: string[];
  /** Only this process of the app (an app.processes name); all when absent. */
  process?: string;
}

export interface LogsRequest extends LogOptions {
  configFile: { file: string; exists: boolean };
  environment: string;
  token: CancellationTokenLike;
  onLines(lines: LogLine[]): void;
  hosts?: OpenHostOptions;
  dryRun?: boolean;
  onPlan?(plan: string): void;
  queue?: LineQueueOptions;
  retryMs?: [number, number];
  env?: NodeJS.ProcessEnv;
}

export interface LogsResult {
  ok: boolean;
  plan: string;
  errors: string[];
}

/** A source of one host; `process` labels its lines when the app has several processes. */
export type LogSourcePlan = (
  { host: string; kind: 'journal'; units: string[] } | { host: string; kind: 'file'; file: string } | { host: string; kind: 'docker'; what: string }
) & { process?: string };

/** The processes whose logs are read: `process` (refused, naming the app's, when it has no such process), else all. */
export function selectedProcesses(e: Pick<LoadedEnvironment, 'model'>, process?: string): string[] {
  const names = e.model.processes.map((p) => p.name);
  if (process !== undefined && !names.includes(process))
    throw usageError(`logs: ${e.model.app.name} has no process ${JSON.stringify(process)}`, `its processes: ${names.join(', ')}`);
  return process === undefined ? names : [process];
}

/** The hosts of `only` (all when absent), refusing a name the environment does not have. */
export function selectedHosts(e: LoadedEnvironment, only?: string[]): string[] {
  const known = hostNamesOf(e.env);
  const unknown = (only ?? []).filter((h) => !known.includes(h));
  if (unknown.length) throw usageError(`logs: ${e.name} has no host ${unknown.map((h) => JSON.stringify(h)).join(', ')}`, `its hosts: ${known.join(', ')}`);
  return known.filter((h) => !only?.length || only.includes(h));
}

/** The plan's first line: whose logs, which lines, following or not. */
export function logPlanHeading(e: LoadedEnvironment, o: LogOptions): string {
  const how = [
    `the last ${o.lines} lines`,
    o.since !== undefined ? `since ${new Date(o.since * 1000).toISOString()}` : '',
    o.follow ? 'then following (reconnecting with backoff, resuming where the last line left off)' : '',
    o.grep ? `only lines matching /${o.grep.source}/` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const whose = o.process !== undefined && e.model.processes.length > 1 ? `${e.model.app.name}'s process ${o.process}` : e.model.app.name;
  return `logs of ${whose} in ${e.name}: ${how}`;
}
