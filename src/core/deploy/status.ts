// `godeploy status ENV`: per host, the live release and version, the service's state and
// uptime, and one health check through the same port forward the deploy uses.
import type { ReferenceSources } from '../config/references';
import { activePortFile } from './blueGreen';
import { waitHealthy } from './health';
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
}

export interface StatusReport { environment: string; base: string; hosts: HostOutcome<HostStatus>[] }

export async function environmentStatus(req: { configFile: { file: string; exists: boolean }; environment: string; acceptNewHostKey?: boolean; token?: CancellationTokenLike; sources?: ReferenceSources }): Promise<StatusReport> {
  const loaded = await loadEnvironment(req.configFile, req.environment, 'status');
  if (loaded.env.type === 'docker') return { environment: loaded.name, ...(await dockerStatus(loaded, { acceptNewHostKey: req.acceptNewHostKey, token: req.token })) };
  const d = deployEnvironmentOf(loaded, 'status');
  const manager = await serviceManagerFor(d);
  const hosts = await forEachHost(d, { acceptNewHostKey: req.acceptNewHostKey ?? false, token: req.token }, async (h): Promise<HostStatus> => {
    const [list, state] = await Promise.all([listReleases(h.runner, d.base, d.model.app.name), h.runner.exec(manager.state)]);
    const live = list.releases.find((r) => r.current)?.id ?? null;
    const service = manager.parseState(state.stdout);
    if (service.uptimeSeconds === null && manager.kind === 'systemd' && service.pid) {
      const up = await h.runner.exec(['ps', '-o', 'etimes=', '-p', String(service.pid)]);
      if (up.code === 0 && /^\s*\d+\s*$/.test(up.stdout)) service.uptimeSeconds = Number(up.stdout.trim());
    }
    // Blue-green: the live instance's port, as recorded by the last switch.
    const active = d.model.blueGreen ? Number((await h.runner.exec(['cat', activePortFile(d.base)])).stdout.trim()) || null : null;
    const health = await waitHealthy(h.runner, { port: active ?? d.model.app.port, path: d.model.app.healthPath, timeoutMs: 0, intervalMs: 1000 });
    return { live, version: live ? releaseVersion(live) : null, releases: list.releases.length, service, health: { healthy: health.healthy, answer: health.last } };
  });
  return { environment: d.name, base: d.base, hosts };
}
