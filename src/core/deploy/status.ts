// `godeploy status ENV`: per host, the live release and version, the service's state and
// uptime, and one health check through the same port forward the deploy uses.
import type { EnvironmentType } from '../config/model';
import type { ReferenceSources } from '../config/references';
import { activePortFile } from './blueGreen';
import { gateSpecOf } from './healthGate';
import { runHostGate } from './hostGate';
import { deployEnvironmentOf, forEachHost, loadEnvironment, type HostOutcome } from './hosts';
import { dockerStatus } from '../docker/dockerStatus';
import type { CancellationTokenLike } from '../cancellation';
import { serviceManagerFor } from './deploy';
import { listReleases } from './releases';
import { releaseVersion } from './releaseScripts';

export interface HostStatus {
  live: string | null;
  version: string | null;
  releases: number;
  service: { state: string; running: boolean; uptimeSeconds: number | null; pid: number | null };
  health: { healthy: boolean; answer: string };
  /** Docker: the live container's image (reference and short id). */
  image?: string;
  /** The releases kept there, oldest first, the live one marked. */
  releaseList?: { id: string; live: boolean }[];
  /** The last entries of the host's history.jsonl, oldest first (none for docker environments). */
  history?: HistoryEntry[];
}

/** A line of <base>/.godeploy/history.jsonl: a deploy or a rollback on that host. */
export interface HistoryEntry {
  release: string;
  version?: string;
  /** live, rolled-back, failed (deploys); rollback, rollback-failed. */
  result: string;
  by: string;
  startedAt: string;
  finishedAt: string;
  previous?: string | null;
  /** Milliseconds per step. */
  steps?: Record<string, number>;
}

/** How many history entries status reads per host. */
export const HISTORY_ENTRIES = 50;

/** history.jsonl's lines as entries; a line that is not one is skipped. */
export function parseHistory(text: string): HistoryEntry[] {
  return text.split('\n').flatMap((l) => {
    try {
      const e = JSON.parse(l) as HistoryEntry;
      return typeof e === 'object' && e && typeof e.release === 'string' && typeof e.finishedAt === 'string' ? [e] : [];
    } catch {
      return [];
    }
  });
}

export interface StatusReport {
  environment: string;
  type: EnvironmentType;
  base: string;
  hosts: HostOutcome<HostStatus>[];
}

export interface StatusRequest {
  configFile: { file: string; exists: boolean };
  environment: string;
  acceptNewHostKey?: boolean;
  token?: CancellationTokenLike;
  sources?: ReferenceSources;
  /** Only this host (its alias in godeploy.yaml): the editor asks each host on its own. */
  host?: string;
  /** How long connecting may take. */
  timeoutMs?: number;
}

export async function environmentStatus(req: StatusRequest): Promise<StatusReport> {
  const loaded = await loadEnvironment(req.configFile, req.environment, 'status');
  if (loaded.env.type === 'docker')
    return { environment: loaded.name, type: 'docker', ...(await dockerStatus(loaded, { acceptNewHostKey: req.acceptNewHostKey, token: req.token })) };
  const d = deployEnvironmentOf(loaded, 'status');
  const only = req.host === undefined ? d : { ...d, env: { ...d.env, hosts: (d.env.hosts ?? []).filter((h) => h.host === req.host) } };
  const manager = await serviceManagerFor(d);
  const hosts = await forEachHost(
    only,
    { acceptNewHostKey: req.acceptNewHostKey ?? false, token: req.token, timeoutMs: req.timeoutMs },
    async (h): Promise<HostStatus> => {
      const [list, state, history] = await Promise.all([
        listReleases(h.runner, d.base, d.model.app.name),
        h.runner.exec(manager.state),
        h.runner.exec(['tail', '-n', String(HISTORY_ENTRIES), `${d.base}/.godeploy/history.jsonl`]),
      ]);
      const live = list.releases.find((r) => r.current)?.id ?? null;
      const service = manager.parseState(state.stdout);
      if (service.uptimeSeconds === null && manager.kind === 'systemd' && service.pid) {
        const up = await h.runner.exec(['ps', '-o', 'etimes=', '-p', String(service.pid)]);
        if (up.code === 0 && /^\s*\d+\s*$/.test(up.stdout)) service.uptimeSeconds = Number(up.stdout.trim());
      }
      // Blue-green: the live instance's port, as recorded by the last switch.
      const active = d.model.blueGreen ? Number((await h.runner.exec(['cat', activePortFile(d.base)])).stdout.trim()) || null : null;
      const health = await runHostGate({
        runner: h.runner,
        spec: gateSpecOf(d.model),
        port: active ?? d.model.app.port,
        what: manager.name,
        observe: manager.observe,
        parseObservation: manager.parseObservation,
        once: true,
      });
      return {
        live,
        version: live ? releaseVersion(live) : null,
        releases: list.releases.length,
        service,
        health: { healthy: health.healthy, answer: health.last },
        releaseList: list.releases.map((r) => ({ id: r.id, live: r.current })),
        history: history.code === 0 ? parseHistory(history.stdout) : [],
      };
    },
  );
  return { environment: d.name, type: d.env.type, base: d.base, hosts };
}
