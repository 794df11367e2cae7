// The dashboard's data from `godeploy status` of every host: hosts with their live release,
// health and uptime, and the deploy history read from the hosts' history.jsonl.
import type { HistoryEntry, StatusReport } from '../../core/index';
import type { RolloutView } from '../../core/environment/operations';
import type { DashboardState, HistoryRow, HostRow, RolloutChartStep, RolloutPanel } from './protocol';

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

/** A rollout still to be promoted or aborted (a driver runs it, or it waits for one). */
export const rolloutActive = (status: string | undefined): boolean => status === 'progressing' || status === 'paused';

/**
 * The rollout panel from `godeploy rollout status`'s view: undefined when the environment never
 * had a rollout. The chart has one point per step of the policy: the steps before the current
 * one done (with their recorded result), the current one, the rest ahead; once the rollout
 * has ended its last step is done too.
 */
export function rolloutPanel(view: RolloutView, readAt = new Date()): RolloutPanel | undefined {
  const s = view.state;
  if (view.none || !s) return undefined;
  const active = rolloutActive(s.status);
  const results = new Map<number, string | undefined>();
  for (const h of s.history) if (h.endedAt !== undefined || h.result) results.set(h.step, h.result);
  const chart: RolloutChartStep[] = s.policy.steps.map((p, i) => {
    const done = i < s.step || (!active && i === s.step);
    return {
      step: i + 1,
      weight: p.weight,
      pauseMs: p.pauseMs,
      phase: done ? 'done' : i === s.step ? 'current' : 'next',
      ...(done && results.get(i) ? { result: results.get(i) } : {}),
    };
  });
  const hostNotes = (view.hosts ?? []).flatMap((h) =>
    h.error ? [`${h.host}: ${h.error}`] : h.weight !== null && h.weight !== s.weight ? [`${h.host}: at ${h.weight}% (changing)`] : [],
  );
  return {
    release: s.release,
    previous: s.previous,
    status: s.status,
    active,
    step: Math.min(s.step, s.policy.steps.length - 1) + 1,
    steps: s.policy.steps.length,
    weight: s.weight,
    pauseLeftMs: active ? Math.max(0, view.pauseLeftMs ?? 0) : 0,
    driven: view.driven === true,
    by: s.by,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(view.figures ? { figures: { stable: { ...view.figures.stable }, canary: { ...view.figures.canary } } } : {}),
    chart,
    hostNotes,
    readAt: readAt.toISOString(),
  };
}
