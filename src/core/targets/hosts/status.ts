// `godeploy status ENV`: per host, the live release and version, the service's state and
// uptime, and one health check through the same port forward the deploy uses.
import { withOnlyHost } from '../../config/model';
import { activePortFile } from './blueGreen';
import { gateSpecOf } from '../../release/healthGate';
import { runHostGate } from './hostGate';
import { onOpenedHosts } from '../../remote/hostAccess';
import { deployEnvironmentOf } from '../../environment/load';
import { serviceManagerFor } from './deploy';
import { hasSeveralProcessForm, processStatuses, rolesOfHost, serviceManagersFor } from './processServices';
import { listReleases } from './releases';
import { readHostRollout } from './canaryDeploy';
import { maintenanceStatus } from '../../release/maintenance';
import { hostsServingPort } from '../../generate/processes';
import { releaseVersion } from '../../release/releaseId';
import { HostStatus, HistoryEntry, StatusReport, StatusRequest } from '../../environment/types';
import { type LoadedEnvironment } from '../../environment/load';

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

/** Status of the hosts of an ssh or local environment. */
export async function hostsStatus(req: StatusRequest, loaded: LoadedEnvironment): Promise<StatusReport> {
  const d = deployEnvironmentOf(loaded, 'status');
  const only = req.host === undefined ? d : { ...d, env: withOnlyHost(d.env, req.host) };
  const manager = await serviceManagerFor(d);
  // nginx runs on the hosts that serve the app's port: blue-green and canary always, restart with nginx: set.
  const nginxOn = d.env.type === 'ssh' && (d.model.blueGreen !== null || d.env.nginx !== undefined || d.config.nginx !== undefined);
  const serving = new Set(d.env.type === 'ssh' ? hostsServingPort(d.model, d.env.hosts ?? []).map((x) => x.host) : []);
  const hosts = await onOpenedHosts(
    only,
    { acceptNewHostKey: req.acceptNewHostKey ?? false, token: req.token, timeoutMs: req.timeoutMs },
    async (h): Promise<HostStatus> => {
      const fronted = nginxOn && serving.has(h.alias);
      const [list, state, history, rollout, maintenance] = await Promise.all([
        listReleases(h.runner, d.base, d.model.app.name),
        h.runner.exec(manager.state),
        h.runner.exec(['tail', '-n', String(HISTORY_ENTRIES), `${d.base}/.godeploy/history.jsonl`]),
        // strategy canary: the rollout's state kept on the host.
        d.model.canary ? readHostRollout(h.runner, d.base).catch(() => null) : null,
        // Where nginx fronts the app: whether maintenance mode is on.
        fronted
          ? maintenanceStatus(h.runner, d.model, { host: h.alias }).then(
              (m) => m.on,
              () => undefined,
            )
          : undefined,
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
      // app.processes: each process this host runs; service and health are the first's.
      const processes = hasSeveralProcessForm(d.model) ? await processStatuses(h.runner, await serviceManagersFor(d, rolesOfHost(d, h.alias))) : undefined;
      return {
        ...(processes ? { processes } : {}),
        live,
        version: live ? releaseVersion(live) : null,
        releases: list.releases.length,
        service: processes?.[0]
          ? { state: processes[0].state, running: processes[0].running, uptimeSeconds: processes[0].uptimeSeconds, pid: processes[0].pid }
          : service,
        health: processes?.[0]?.health ?? { healthy: health.healthy, answer: health.last },
        releaseList: list.releases.map((r) => ({ id: r.id, live: r.current })),
        history: history.code === 0 ? parseHistory(history.stdout) : [],
        ...(rollout ? { rollout } : {}),
        ...(maintenance !== undefined ? { maintenance } : {}),
      };
    },
  );
  return { environment: d.name, type: d.env.type, base: d.base, hosts };
}
