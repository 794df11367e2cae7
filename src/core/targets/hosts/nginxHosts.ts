// Where nginx fronts the app of an ssh environment: each host that runs the process with a
// port (nginx runs there and proxies to 127.0.0.1), connected, each with the rollout's place
// on it for strategy canary. `godeploy rollout` and `godeploy maintenance` act through these
// (core/operations). A rollout promoted or aborted from here (not by a deploy's driver) also
// records its end in the host's history.jsonl, as a deploy does.
import type { LoadedEnvironment } from '../../environment/load';
import { deployEnvironmentOf } from '../../environment/load';
import type { HostAccess } from '../../environment/types';
import { GoDeployError, usageError } from '../../errors';
import { hostsServingPort } from '../../generate/processes';
import type { RolloutState } from '../../release/canary/types';
import { releaseVersion } from '../../release/releaseId';
import { openHosts } from '../../remote/openHosts';
import { shArgv as sh } from '../../remote/quote';
import type { NginxHost, NginxHosts } from '../target';
import { canaryHostActions } from './canarySwitch';
import { hostSiteOf, reconnectingRunner } from './canaryDeploy';
import { blueGreenInstances } from './processServices';
import { serviceManagerFor } from './deploy';
import * as scripts from './releaseScripts';

/** The history line of a rollout ended by hand (`godeploy rollout promote|abort`, or the driver of `rollout resume`). */
export function rolloutHistoryLine(state: RolloutState, result: 'live' | 'rolled-back', now = new Date()): string {
  const started = state.history[0]?.startedAt ?? state.updatedAt;
  return JSON.stringify({
    release: state.release,
    version: releaseVersion(state.release),
    result,
    by: state.by,
    startedAt: new Date(started).toISOString(),
    finishedAt: now.toISOString(),
    previous: state.previous,
    rollout: { outcome: result === 'live' ? 'promoted' : 'aborted', ...(state.reason ? { reason: state.reason } : {}) },
  });
}

export async function hostsNginxHosts(e: LoadedEnvironment, access: HostAccess): Promise<NginxHosts> {
  const d = deployEnvironmentOf(e, 'nginx');
  if (d.env.type !== 'ssh')
    throw usageError(
      `environment "${d.name}" is of type local: Go Deploy puts no nginx in front of it`,
      'canary rollouts and maintenance mode work on ssh environments with nginx (and docker environments)',
    );
  if (!d.model.blueGreen && d.env.nginx === undefined && d.config.nginx === undefined)
    throw usageError(
      `environment "${d.name}" has no nginx in front of the app (no nginx: key, strategy ${d.env.strategy ?? 'restart'})`,
      `add nginx: to environments.${d.name} (or the top level) and run \`godeploy setup ${d.name}\``,
    );
  const serving = hostsServingPort(d.model, d.env.hosts ?? []);
  const manager = d.model.canary ? await serviceManagerFor(d) : undefined;
  const opened = await openHosts({ env: { ...d.env, hosts: serving }, moduleDir: d.moduleDir }, access);
  const hosts: NginxHost[] = [];
  const unreachable: NginxHosts['unreachable'] = [];
  for (const o of opened) {
    if (!o.ok) {
      unreachable.push({ name: o.alias, address: o.address, error: o.error.message, hint: o.error.hint });
      continue;
    }
    const runner = reconnectingRunner(o.host);
    let canary: NginxHost['canary'] = null;
    if (d.model.canary && manager) {
      const actions = canaryHostActions({
        base: d.base,
        instances: blueGreenInstances(d),
        envFileName: `${d.model.app.name}.env`,
        envFileOwner: manager.envFileOwner,
      });
      const record = async (state: RolloutState, result: 'live' | 'rolled-back'): Promise<void> => {
        if (result === 'live') await runner.exec(sh(scripts.MARK_LIVE, d.base, state.release));
        const r = await runner.exec(sh(scripts.RECORD, d.base, rolloutHistoryLine(state, result)));
        if (r.code !== 0) throw new GoDeployError(`${o.alias}: could not append to the history log: ${(r.stderr || r.stdout).trim()}`);
      };
      canary = hostSiteOf(d, o.alias, runner, actions, record);
    }
    hosts.push({ name: o.alias, address: o.host.address, runner, canary });
  }
  return {
    hosts,
    unreachable,
    close: async () => {
      for (const o of opened) if (o.ok) o.close();
    },
  };
}
