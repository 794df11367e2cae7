// The deploy locks of an environment, wherever it keeps them: each host's lock folder (ssh,
// local) or the engine's lock container (docker). One place for `godeploy lock` and the
// editor's Release Deploy Lock, so neither branches on the environment's type.
import { dockerLockStatus, lockContainerName, releaseDockerLock } from '../targets/docker/dockerLock';
import { ENGINE_ALIAS, onEnvironmentEngine } from '../targets/docker/environmentEngine';
import { openHosts, type OpenHostOptions } from '../remote/openHosts';
import { deployEnvironmentOf, type LoadedEnvironment } from '../environment/load';
import { hostFailure, type HostOutcome } from '../environment/types';
import { lockStatus, releaseLock } from '../targets/hosts/lock';
import { LockPlace } from '../release/lockOwner';

/**
 * Runs `fn` on the lock of every host (ssh, local; in parallel) or of the engine (docker)
 * of a loaded environment, connecting as a deploy does (`options`: host keys, passphrases,
 * cancellation). `base` names where the locks are. Never rejects for a host's sake: a host
 * that cannot be reached, or where `fn` fails, is a failed outcome.
 */
export async function onEnvironmentLocks<T>(
  loaded: LoadedEnvironment,
  command: string,
  options: OpenHostOptions,
  fn: (lock: LockPlace) => Promise<T>,
): Promise<{ base: string; outcomes: HostOutcome<T>[] }> {
  if (loaded.env.type === 'docker') {
    const app = loaded.model.app.name;
    const outcome = await onEnvironmentEngine(loaded, options, (engine) =>
      fn({ alias: ENGINE_ALIAS, status: () => dockerLockStatus(engine, app), release: (o) => releaseDockerLock(engine, app, o) }),
    );
    return { base: `container ${lockContainerName(app)}`, outcomes: [outcome] };
  }
  const d = deployEnvironmentOf(loaded, command);
  const opened = await openHosts(d, options);
  try {
    const outcomes = await Promise.all(
      opened.map(async (o): Promise<HostOutcome<T>> => {
        if (!o.ok) return hostFailure(o.alias, o.address, 'connect', o.error);
        const { runner, address } = o.host;
        try {
          return {
            alias: o.alias,
            address,
            ok: true,
            newHostKey: o.newHostKey,
            value: await fn({ alias: o.alias, status: () => lockStatus(runner, d.base), release: (owner) => releaseLock(runner, d.base, owner) }),
          };
        } catch (e) {
          return hostFailure(o.alias, address, 'run', e);
        }
      }),
    );
    return { base: d.base, outcomes };
  } finally {
    for (const o of opened) if (o.ok) o.close();
  }
}
