// The docker target: each release a container (or a swarm service update) on one engine —
// this machine's, a remote one over ssh:// or tcp:// — with a lock container on the engine.
import { dockerOf } from '../../config/model';
import type { LoadedEnvironment } from '../../environment/load';
import type { HostAccess, ReleasesReport } from '../../environment/types';
import { bestEffortRedactor } from '../../release/envFile';
import { selectedHosts, selectedProcesses } from '../../logs/logs';
import type { NginxHosts, Target } from '../target';
import { GoDeployError } from '../../errors';
import { blueGreenSite } from '../../release/nginxSwitch';
import { engineHost } from './blueGreenContainers';
import { dockerCanary, dockerCanarySite } from './canaryRelease';
import type { Engine } from './engine';
import { deployDocker } from './dockerDeploy';
import { followDockerLogs } from './dockerLogs';
import { acquireDockerLock, dockerLockStatus, lockContainerName, releaseDockerLock } from './dockerLock';
import { rollbackDocker } from './dockerRollback';
import { dockerReleases, dockerStatus, formatDockerReleases } from './dockerStatus';
import { doctorDockerEnvironment } from './doctor';
import { dockerExec, dockerServiceAction } from './dockerOperations';
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

/**
 * `godeploy setup` on a docker environment: nothing to prepare. A deploy makes everything it
 * needs on the engine itself (image, containers on the built-in bridge or host network, the
 * lock container); users, units and nginx sites are the image's and the host's business.
 */
async function dockerSetup(e: Parameters<Target['setup']>[0]): Promise<Awaited<ReturnType<Target['setup']>>> {
  const text = `setup ${e.model.app.name} in ${e.name} (docker): nothing to set up; each deploy creates what it needs on the engine (image, containers, their network settings, the lock container)`;
  const plan = { text, steps: [{ host: ENGINE_ALIAS, title: 'nothing to set up', commands: [] }] };
  return { plan, run: async () => ({ environment: e.name, ok: true, dryRun: false, plan, hosts: [], durationMs: 0 }) };
}

/**
 * nginx on the engine's host (this machine for a local socket, the ssh:// engine's host),
 * connected through the engine's own connection; strategy canary's rollout place there. A
 * tcp:// engine gives no way onto its host: unreachable, saying so.
 */
async function dockerNginxHosts(e: LoadedEnvironment, access: HostAccess): Promise<NginxHosts> {
  const address = environmentEngineAddress(e, access.env ?? process.env);
  const none = async (): Promise<void> => undefined;
  if (address.kind === 'tcp')
    return {
      hosts: [],
      unreachable: [
        {
          name: ENGINE_ALIAS,
          address: address.url,
          error: `nginx runs on the engine's host, and a tcp:// engine (${address.url}) gives Go Deploy no way onto that host`,
          hint: 'reach the same engine as ssh://user@host (docker.host), or run the command on that host',
        },
      ],
      close: none,
    };
  let engine: Engine;
  try {
    engine = await openEnvironmentEngine(e, access);
  } catch (err) {
    return {
      hosts: [],
      unreachable: [{ name: ENGINE_ALIAS, address: address.url, error: (err as Error).message, hint: err instanceof GoDeployError ? err.hint : undefined }],
      close: none,
    };
  }
  const runner = engineHost(engine)!;
  const canary = e.model.canary ? dockerCanarySite(engine, runner, e, dockerCanary(e.model, e.name, await blueGreenSite(e))) : null;
  return { hosts: [{ name: ENGINE_ALIAS, address: address.url, runner, canary }], unreachable: [], close: async () => engine.close() };
}

export const dockerTarget: Target = {
  nginxHosts: dockerNginxHosts,
  setup: dockerSetup,
  deploy: async (req, e, run) => deployDocker(req, e, await run.versionInfo()),
  rollback: async (req, e) => rollbackDocker(req, e, await bestEffortRedactor(e, req.sources)),
  status: async (req, e) => ({ environment: e.name, type: 'docker', ...(await dockerStatus(e, { acceptNewHostKey: req.acceptNewHostKey, token: req.token })) }),
  releases: dockerReleasesReport,
  doctor: async (e, access) => [await doctorDockerEnvironment(e, access)],
  async locks(e, _command, access, fn) {
    const app = e.model.app.name;
    const outcome = await onEnvironmentEngine(e, access, (engine) =>
      fn({
        alias: ENGINE_ALIAS,
        status: () => dockerLockStatus(engine, app),
        acquire: (info, o) => acquireDockerLock(engine, app, info, { environment: e.name, onTakeOver: o?.onTakeOver }),
        release: (o) => releaseDockerLock(engine, app, o),
      }),
    );
    return { base: `container ${lockContainerName(app)}`, outcomes: [outcome] };
  },
  logSources(e, only, process) {
    selectedHosts(e, only);
    selectedProcesses(e, process);
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
  exec: dockerExec,
  serviceAction: dockerServiceAction,
};
