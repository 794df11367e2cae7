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

export type LogSourcePlan =
  { host: string; kind: 'journal'; units: string[] } | { host: string; kind: 'file'; file: string } | { host: string; kind: 'docker'; what: string };

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
  return `logs of ${e.model.app.name} in ${e.name}: ${how}`;
}
