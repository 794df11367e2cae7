// The docker target: each release a container (or a swarm service update) on one engine —
// this machine's, a remote one over ssh:// or tcp:// — with a lock container on the engine.
import { dockerOf } from '../../config/model';
import type { LoadedEnvironment } from '../../environment/load';
import type { HostAccess, ReleasesReport } from '../../environment/types';
import { bestEffortRedactor } from '../../release/envFile';
import { selectedHosts } from '../../logs/logs';
import type { Target } from '../target';
import { deployDocker } from './dockerDeploy';
import { followDockerLogs } from './dockerLogs';
import { dockerLockStatus, lockContainerName, releaseDockerLock } from './dockerLock';
import { rollbackDocker } from './dockerRollback';
import { dockerReleases, dockerStatus, formatDockerReleases } from './dockerStatus';
import { doctorDockerEnvironment } from './doctor';
import { environmentEngineAddress } from './engine';
import { ENGINE_ALIAS, onEnvironmentEngine, openEnvironmentEngine } from './environmentEngine';

async function dockerReleasesReport(e: LoadedEnvironment, access: HostAccess): Promise<ReleasesReport> {
  const { address, outcome } = await dockerReleases(e, access);
  return {
    environment: e.name,
    base: address,
    noun: 'engine',
    hosts: [outcome.ok ? { ...outcome, value: outcome.value.map((r) => ({ id: r.id, live: r.live, complete: true })) } : outcome],
    // The engine's order either way (oldest first), as the CLI and the editor have always shown it.
    lines: () => formatDockerReleases(e, outcome),
    json: () => ({
      environment: e.name,
      engine: address,
      hosts: [
        outcome.ok
          ? { host: outcome.alias, address, releases: outcome.value, error: null }
          : { host: outcome.alias, address, releases: [], error: outcome.error },
      ],
    }),
  };
}

export const dockerTarget: Target = {
  deploy: async (req, e, run) => deployDocker(req, e, await run.versionInfo()),
  rollback: async (req, e) => rollbackDocker(req, e, await bestEffortRedactor(e, req.sources)),
  status: async (req, e) => ({ environment: e.name, type: 'docker', ...(await dockerStatus(e, { acceptNewHostKey: req.acceptNewHostKey, token: req.token })) }),
  releases: dockerReleasesReport,
  doctor: async (e, access) => [await doctorDockerEnvironment(e, access)],
  async locks(e, _command, access, fn) {
    const app = e.model.app.name;
    const outcome = await onEnvironmentEngine(e, access, (engine) =>
      fn({ alias: ENGINE_ALIAS, status: () => dockerLockStatus(engine, app), release: (o) => releaseDockerLock(engine, app, o) }),
    );
    return { base: `container ${lockContainerName(app)}`, outcomes: [outcome] };
  },
  logSources(e, only) {
    selectedHosts(e, only);
    const app = e.model.app.name;
    const what =
      dockerOf(e.env)?.mode === 'swarm'
        ? `service ${app}-${e.name}`
        : `each running ${app} release container (godeploy.app=${app}, godeploy.environment=${e.name})`;
    return [{ host: ENGINE_ALIAS, kind: 'docker', what }];
  },
  describeLogSource: (e, s) => `  ${s.host} (${environmentEngineAddress(e).url}): ${s.kind === 'docker' ? s.what : ''}, through the Engine API with timestamps`,
  async followLogs(e, _sources, queue, req) {
    const r = await followDockerLogs(e, () => openEnvironmentEngine(e, { ...req.hosts, token: req.token, env: req.env }), queue, {
      ...req,
      retryMs: req.retryMs,
    });
    return !r.ok && r.error ? [r.error] : [];
  },
};
