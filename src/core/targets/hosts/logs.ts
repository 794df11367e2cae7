// The logs of ssh and local hosts: systemd units through journald, supervisor programs and
// `type: local` services through their log files; one connection per host, shared by its
// sources and opened again after it was lost.
import { processManagerOf, withOnlyHost } from '../../config/model';
import { deployEnvironmentOf, type LoadedEnvironment } from '../../environment/load';
import { programLogFiles, supervisorInstanceName } from '../../generate/supervisor';
import { followCommand, type CommandSource, type RunnerSource } from '../../logs/follow';
import type { LineQueue } from '../../logs/lineQueue';
import type { LogOptions, LogSourcePlan, LogsRequest } from '../../logs/logs';
import { localRunner, type HostRunner } from '../../remote/hostRunner';
import { openHosts, type OpenHostOptions } from '../../remote/openHosts';
import { shellQuote } from '../../remote/quote';
import { fileSource } from './fileTail';
import { journalSource } from './journal';

/** What each host is read from: its journal (systemd) or its log files (supervisor, local). */
export function hostLogSources(e: LoadedEnvironment, hosts: string[]): LogSourcePlan[] {
  const { model, env } = e;
  const app = model.app.name;
  const d = deployEnvironmentOf(e, 'logs');
  if (env.type === 'local') return [{ host: 'local', kind: 'file', file: `${d.base}/shared/logs/${app}.log` }];
  if (processManagerOf(env) === 'supervisor') {
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

/** "web1: journalctl …": the command a source is read with. */
export function describeHostLogSource(s: LogSourcePlan, o: LogOptions): string {
  return `  ${s.host}: ${shellQuote(commandSource(s, { ...o, follow: false }).argv()).slice(0, 400)}`;
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
      sources.map((s) => followCommand(commandSource(s, req), connectionOf(s.host), queue, { follow: req.follow, token: req.token, retryMs: req.retryMs })),
    );
    return results.flatMap((r) => (!r.ok && r.error ? [r.error] : []));
  } finally {
    for (const c of connections.values()) c.close();
  }
}
