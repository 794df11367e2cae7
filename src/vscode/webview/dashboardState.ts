// The dashboard's data from `godeploy status` of every host: hosts with their live release,
// health and uptime, and the deploy history read from the hosts' history.jsonl.
import type { HistoryEntry, StatusReport } from '../../core/index';
import type { DashboardState, HistoryRow, HostRow } from './protocol';

export function historyRow(host: string, e: HistoryEntry): HistoryRow {
  const durationMs = Math.max(0, Date.parse(e.finishedAt) - Date.parse(e.startedAt)) || 0;
  return {
    host,
    release: e.release,
    version: e.version ?? '',
    result: e.result,
    by: e.by,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
    durationMs,
    steps: Object.entries(e.steps ?? {}),
    rolledBack: e.result === 'rolled-back' || e.result.startsWith('rollback'),
  };
}

export function dashboardState(configFile: string, report: StatusReport): DashboardState {
  const hosts: HostRow[] = report.hosts.map((h) =>
    h.ok
      ? {
          host: h.alias,
          address: h.address,
          reachable: true,
          live: h.value.live,
          version: h.value.version,
          healthy: h.value.health.healthy,
          health: h.value.health.answer,
          service: h.value.service.state,
          uptimeSeconds: h.value.service.uptimeSeconds,
          releases: h.value.releaseList ?? [],
        }
      : {
          host: h.alias,
          address: h.address,
          reachable: false,
          error: h.error,
          live: null,
          version: null,
          healthy: false,
          health: 'unknown',
          service: 'unknown',
          uptimeSeconds: null,
          releases: [],
        },
  );
  const history = report.hosts
    .flatMap((h) => (h.ok ? (h.value.history ?? []).map((e) => historyRow(h.alias, e)) : []))
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
  return { environment: report.environment, configFile, type: report.type, hosts, history, updatedAt: new Date().toISOString(), loading: false };
}
