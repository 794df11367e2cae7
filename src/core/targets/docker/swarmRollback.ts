// `godeploy rollback ENV` with docker.mode: swarm: Swarm keeps the service's previous spec
// (and only that one, so --to is refused); the service rolls back to it, one task at a time.
import type { RollbackResult } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { LABEL } from './containerSpec';
import { rollbackPlan } from './dockerPlan';
import { HOST, type DockerRollbackRun } from './releaseStrategy';
import { inspectService, rolloutService, rolloutTimeoutMs } from './swarmRollout';
import { serviceName } from './swarmService';

export async function rollbackService(run: DockerRollbackRun): Promise<RollbackResult> {
  const { req, e, engine, outcome, targets } = run;
  const { app } = e.model;
  const name = serviceName(app.name, e.name);
  const svc = await inspectService(engine, name);
  if (!svc) return run.fail(new GoDeployError(`there is no service ${name} on the engine: nothing to roll back`), 'lock');
  if (req.to)
    return run.fail(
      new GoDeployError(`rollback --to: Swarm keeps only the service's previous spec`, {
        hint: `run \`godeploy rollback ${e.name}\` without --to, or deploy that release again`,
      }),
      'lock',
    );
  if (!svc.PreviousSpec) return run.fail(new GoDeployError(`${name} has no previous spec: it was never updated`), 'lock');
  outcome.previous = svc.Spec.Labels?.[LABEL.release] ?? null;
  targets[HOST] = svc.PreviousSpec.Labels?.[LABEL.release] ?? 'the previous spec';
  req.onPlan?.(
    rollbackPlan(`roll ${name} back to ${targets[HOST]} (Swarm's previous spec)`, [
      { host: HOST, id: 'switch', title: `Swarm rolls ${name} back to its previous spec, one task at a time`, commands: [] },
    ]),
  );
  const replicas = Number(svc.Spec.Mode?.Replicated?.Replicas ?? 1);
  const rolled = await rolloutService(engine, svc.Spec, svc, {
    emit: run.emit,
    redact: run.redact,
    token: req.token,
    rollback: true,
    timeoutMs: rolloutTimeoutMs(app, replicas),
  });
  if (!rolled.ok) {
    Object.assign(outcome, { result: 'failed', error: run.redact(rolled.error ?? 'the rollback failed'), logs: rolled.logs });
    return run.done(false);
  }
  outcome.result = 'live';
  return run.done(true);
}
