// `godeploy rollback ENV [--to RELEASE]` for a docker environment: under the engine's deploy
// lock, a swarm service goes back to its previous spec (swarmRollback.ts); one container, or
// blue-green behind nginx, goes back to the release before the live one, or the named one
// (containerRollback.ts). The lock is released on every way out.
import { dockerOf } from '../../config/model';
import type { LoadedEnvironment } from '../../environment/load';
import type { LockOwner } from '../../environment/types';
import type { RollbackRequest, RollbackResult } from '../../environment/types';
import type { HostDeployResult } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { lockOwnerFor } from '../../release/lockOwner';
import { rollbackContainer } from './containerRollback';
import { acquireDockerLock, releaseDockerLock } from './dockerLock';
import { environmentEngineAddress, type Engine } from './engine';
import { openEnvironmentEngine } from './environmentEngine';
import { refuseUnsupported } from './dockerPlan';
import { HOST, type DockerRollbackRun } from './releaseStrategy';
import { answeredByEngine } from './replace';
import { rollbackService } from './swarmRollback';
import { rollbackProcesses, severalProcesses } from './processContainers';
import { rollbackServices } from './swarmProcesses';

export async function rollbackDocker(req: RollbackRequest, e: LoadedEnvironment, redact: (t: string) => string): Promise<RollbackResult> {
  const t0 = Date.now();
  const emit = req.emit ?? (() => undefined);
  const { app } = e.model;
  const address = environmentEngineAddress(e);
  refuseUnsupported(e, address);
  const outcome: HostDeployResult = { host: HOST, address: address.url, result: 'unchanged', timings: {} };
  const targets: Record<string, string> = {};
  const done = (ok: boolean, cancelled = false): RollbackResult => ({
    environment: e.name,
    ok,
    cancelled,
    targets,
    hosts: [outcome],
    durationMs: Date.now() - t0,
  });
  const failed = (err: unknown, step: 'connect' | 'lock'): RollbackResult => {
    Object.assign(outcome, { result: 'failed', error: redact((err as Error).message), hint: err instanceof GoDeployError ? err.hint : undefined });
    emit({ host: HOST, step, state: 'fail', message: outcome.error! });
    return done(false);
  };
  let engine: Engine;
  try {
    engine = await openEnvironmentEngine(e, { ...req.hosts, token: req.token });
  } catch (err) {
    return failed(err, 'connect');
  }
  // Connections made again after one was lost (undoing a switch, releasing the lock); closed at the end.
  const reconnections: Engine[] = [];
  const reconnect = async (): Promise<Engine> => {
    const fresh = await openEnvironmentEngine(e, { ...req.hosts });
    reconnections.push(fresh);
    return fresh;
  };
  let owner: LockOwner | undefined;
  try {
    try {
      owner = await acquireDockerLock(engine, app.name, lockOwnerFor(req.user, req.to ?? 'previous', 'rollback'), {
        environment: e.name,
        onTakeOver: (what) => emit({ host: HOST, step: 'lock', state: 'info', message: what }),
      });
    } catch (err) {
      return failed(err, 'lock');
    }
    const run: DockerRollbackRun = { req, e, engine, address, outcome, targets, emit, redact, reconnect, done, fail: failed };
    const several = severalProcesses(e.model);
    return await (dockerOf(e.env)?.mode === 'swarm'
      ? several
        ? rollbackServices(run)
        : rollbackService(run)
      : several
        ? rollbackProcesses(run)
        : rollbackContainer(run));
  } finally {
    if (owner) {
      const lockOwner = owner;
      const release = (through: Engine) => releaseDockerLock(through, app.name, lockOwner);
      await release(reconnections.at(-1) ?? engine)
        .catch((err: unknown) => (answeredByEngine(err) ? Promise.reject(err) : reconnect().then(release)))
        .catch((err: Error) => emit({ host: HOST, step: 'unlock', state: 'fail', message: `the lock could not be released: ${err.message}` }));
    }
    engine.close();
    for (const extra of reconnections) extra.close();
  }
}
