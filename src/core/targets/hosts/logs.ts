// The logs of ssh and local hosts: systemd units through journald, supervisor programs and
// `type: local` services through their log files; one connection per host, shared by its
// sources and opened again after it was lost.
import { hostsOf, processManagerOf, withOnlyHost } from '../../config/model';
import { processesForRoles } from '../../generate/processes';
import { deployEnvironmentOf, type LoadedEnvironment } from '../../environment/load';
import { programLogFiles, supervisorInstanceName } from '../../generate/supervisor';
import { followCommand, type CommandSource, type RunnerSource } from '../../logs/follow';
import type { LineQueue } from '../../logs/lineQueue';
import { selectedProcesses, type LogOptions, type LogSourcePlan, type LogsRequest } from '../../logs/logs';
import type { LogLine } from '../../logs/logLine';
import { localRunner, type HostRunner } from '../../remote/hostRunner';
import { openHosts, type OpenHostOptions } from '../../remote/openHosts';
import { shellQuote } from '../../remote/quote';
import { fileSource } from './fileTail';
import { journalSource } from './journal';

/**
 * What each host is read from: its journal (systemd) or its log files (supervisor, local).
 * With several processes, one source per process a host runs (its roles; only `process`
 * when given), each labelled with it: the unit <app>-<process>.service, the program's files,
 * shared/logs/<app>-<process>.log.
 */
export function hostLogSources(e: LoadedEnvironment, hosts: string[], process?: string): LogSourcePlan[] {
  const { model, env } = e;
  const d = deployEnvironmentOf(e, 'logs');
  const wanted = selectedProcesses(e, process);
  const several = model.processes.length > 1;
  // Per host, the services of the processes it runs that are wanted, labelled when there are several.
  const servicesOf = (host: string): { service: string; process?: string }[] => {
    const runs = processesForRoles(model, hostsOf(env).find((h) => h.host === host)?.roles);
    return runs.filter((p) => wanted.includes(p.name)).map((p) => (several ? { service: p.service, process: p.name } : { service: p.service }));
  };
  if (env.type === 'local')
    return servicesOf('local').map((s) => ({ host: 'local', kind: 'file', file: `${d.base}/shared/logs/${s.service}.log`, ...label(s) }));
  if (processManagerOf(env) === 'supervisor') {
    return hosts.flatMap((host) =>
      servicesOf(host).flatMap((s) => {
        const programs = model.blueGreen ? model.blueGreen.ports.map((p) => supervisorInstanceName(s.service, p)) : [s.service];
        return programs.flatMap((p) => programLogFiles(model, p)).map((file) => ({ host, kind: 'file' as const, file, ...label(s) }));
      }),
    );
  }
  return hosts.flatMap((host) =>
    servicesOf(host).map((s) => ({
      host,
      kind: 'journal' as const,
      units: [model.blueGreen ? `${s.service}@*.service` : `${s.service}.service`],
      ...label(s),
    })),
  );
}

const label = (s: { process?: string }): { process?: string } => (s.process !== undefined ? { process: s.process } : {});

/** The queue as a source labelled with its process sees it: every line it pushes carries the process. */
function labelled(queue: LineQueue, process: string | undefined): Pick<LineQueue, 'push' | 'control'> {
  if (process === undefined) return queue;
  return { push: (lines: LogLine[]) => queue.push(lines.map((l) => ({ ...l, process }))), control: (flow) => queue.control(flow) };
}

function commandSource(s: LogSourcePlan, o: LogOptions): CommandSource {
  if (s.kind === 'journal') return journalSource(s.host, s.units, o);
  if (s.kind === 'file') return fileSource(s.host, s.file, o);
  throw new Error('a docker source is not a command');
}

/** "web1: journalctl …": the command a source is read with. */
export function describeHostLogSource(s: LogSourcePlan, o: LogOptions): string {
  return `  ${s.host}${s.process !== undefined ? ` (${s.process})` : ''}: ${shellQuote(commandSource(s, { ...o, follow: false }).argv()).slice(0, 400)}`;
}

/** One connection per host, shared by its sources, opened again after it was lost. */
function hostConnection(e: LoadedEnvironment, host: string, options: OpenHostOptions): RunnerSource {
  let opening: Promise<HostRunner> | undefined;
  let open: { runner: HostRunner; close(): void } | undefined;
  const d = { env: withOnlyHost(deployEnvironmentOf(e, 'logs').env, host), moduleDir: e.moduleDir };
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

/** Follows every source of the hosts; the errors of the sources that ended failing. */
export async function followHostLogs(e: LoadedEnvironment, sources: LogSourcePlan[], queue: LineQueue, req: LogsRequest): Promise<string[]> {
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
  try {
    const results = await Promise.all(
      sources.map((s) =>
        followCommand(commandSource(s, req), connectionOf(s.host), labelled(queue, s.process), { follow: req.follow, token: req.token, retryMs: req.retryMs }),
      ),
    );
    return results.flatMap((r) => (!r.ok && r.error ? [r.error] : []));
  } finally {
    for (const c of connections.values()) c.close();
  }
}
