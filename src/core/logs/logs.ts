// `godeploy logs ENV` and the editor's Tail Logs: the plan (which source on which host) and
// the run. Every host of the environment is followed at once: systemd units through
// journald, supervisor programs and `type: local` services through their log files, docker
// environments through the Engine API. Lines reach `onLines` in batches, prefixed with their
// host, filtered by --grep; a host that cannot be reached is retried while following.
import type { CancellationTokenLike } from '../cancellation';
import { openHosts, type OpenHostOptions } from '../remote/openHosts';
import { localRunner, type HostRunner } from '../remote/hostRunner';
import { deployEnvironmentOf, loadEnvironment, type LoadedEnvironment } from '../environment/load';
import { environmentEngineAddress } from '../targets/docker/engine';
import { hostNamesOf } from '../config/model';
import { usageError } from '../errors';
import { openEnvironmentEngine } from '../targets/docker/environmentEngine';
import { programLogFiles, supervisorInstanceName } from '../generate/supervisor';
import { shellQuote } from '../remote/quote';
import { followDockerLogs } from '../targets/docker/dockerLogs';
import { fileSource } from '../targets/hosts/fileTail';
import { followCommand, type CommandSource, type RunnerSource } from './follow';
import { journalSource } from '../targets/hosts/journal';
import { LineQueue, type LineQueueOptions } from './lineQueue';
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

/** What each host of the environment is read from (only the hosts in `only`, when given). */
export function logSources(e: LoadedEnvironment, only?: string[]): LogSourcePlan[] {
  const known = hostNamesOf(e.env);
  const unknown = (only ?? []).filter((h) => !known.includes(h));
  if (unknown.length) throw usageError(`logs: ${e.name} has no host ${unknown.map((h) => JSON.stringify(h)).join(', ')}`, `its hosts: ${known.join(', ')}`);
  const { model, env } = e;
  const app = model.app.name;
  if (env.type === 'docker') {
    return [
      {
        host: 'engine',
        kind: 'docker',
        what:
          env.docker?.mode === 'swarm'
            ? `service ${app}-${e.name}`
            : `each running ${app} release container (godeploy.app=${app}, godeploy.environment=${e.name})`,
      },
    ];
  }
  const d = deployEnvironmentOf(e, 'logs');
  if (env.type === 'local') return [{ host: 'local', kind: 'file', file: `${d.base}/shared/logs/${app}.log` }];
  const hosts = known.filter((h) => !only?.length || only.includes(h));
  if ((env.processManager ?? 'systemd') === 'supervisor') {
    const programs = model.blueGreen ? model.blueGreen.ports.map((p) => supervisorInstanceName(app, p)) : [app];
    return hosts.flatMap((host) => programs.flatMap((p) => programLogFiles(model, p)).map((file) => ({ host, kind: 'file' as const, file })));
  }
  return hosts.map((host) => ({ host, kind: 'journal', units: [model.blueGreen ? `${app}@*.service` : `${app}.service`] }));
}

function commandSource(s: LogSourcePlan, o: LogOptions): CommandSource {
  if (s.kind === 'journal') return journalSource(s.host, s.units, o);
  if (s.kind === 'file') return fileSource(s.host, s.file, o);
  throw new Error('a docker source is not a command');
}

/** The plan as --dry-run prints it: per host, the command (or the API) it is read with. */
export function describeLogPlan(e: LoadedEnvironment, sources: LogSourcePlan[], o: LogOptions): string {
  const how = [
    `the last ${o.lines} lines`,
    o.since !== undefined ? `since ${new Date(o.since * 1000).toISOString()}` : '',
    o.follow ? 'then following (reconnecting with backoff, resuming where the last line left off)' : '',
    o.grep ? `only lines matching /${o.grep.source}/` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = sources.map((s) =>
    s.kind === 'docker'
      ? `  ${s.host} (${environmentEngineAddress(e).url}): ${s.what}, through the Engine API with timestamps`
      : `  ${s.host}: ${shellQuote(commandSource(s, { ...o, follow: false }).argv()).slice(0, 400)}`,
  );
  const files =
    sources.some((s) => s.kind === 'file') && o.since !== undefined ? ['  (log files have no timestamps: --since applies to journald and Docker only)'] : [];
  return [`logs of ${e.model.app.name} in ${e.name}: ${how}`, ...lines, ...files].join('\n');
}

/** One connection per host, shared by its sources, opened again after it was lost. */
function hostConnection(e: LoadedEnvironment, host: string, options: OpenHostOptions): RunnerSource {
  let opening: Promise<HostRunner> | undefined;
  let open: { runner: HostRunner; close(): void } | undefined;
  const d = { env: { ...e.env, hosts: (e.env.hosts ?? []).filter((h) => h.host === host) }, moduleDir: e.moduleDir };
  return {
    runner: () =>
      (opening ??= openHosts(d, options)
        .then(([o]) => {
          if (!o.ok) throw o.error;
          open = { runner: o.host.runner, close: o.close };
          return o.host.runner;
        })
        .catch((err: unknown) => {
          opening = undefined;
          throw err;
        })),
    // Several sources share the connection: only the first to see it fail drops it.
    lost: (runner) => {
      if (open?.runner !== runner) return;
      open.close();
      open = undefined;
      opening = undefined;
    },
    close: () => {
      open?.close();
      open = undefined;
    },
  };
}

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
  const errors: string[] = [];
  try {
    if (e.env.type === 'docker') {
      const r = await followDockerLogs(e, () => openEnvironmentEngine(e, { ...req.hosts, token: req.token, env: req.env }), queue, {
        ...req,
        retryMs: req.retryMs,
      });
      if (!r.ok && r.error) errors.push(r.error);
    } else {
      const local = e.env.type === 'local';
      const connections = new Map<string, RunnerSource>();
      const connectionOf = (host: string): RunnerSource => {
        let c = connections.get(host);
        if (!c) {
          c = local
            ? { runner: async () => localRunner(), lost: () => undefined, close: () => undefined }
            : hostConnection(e, host, { ...req.hosts, token: req.token });
          connections.set(host, c);
        }
        return c;
      };
      const results = await Promise.all(
        sources.map((s) => followCommand(commandSource(s, req), connectionOf(s.host), queue, { follow: req.follow, token: req.token, retryMs: req.retryMs })),
      );
      for (const r of results) if (!r.ok && r.error) errors.push(r.error);
      for (const c of connections.values()) c.close();
    }
  } finally {
    queue.close();
  }
  return { ok: errors.length === 0, plan, errors };
}
