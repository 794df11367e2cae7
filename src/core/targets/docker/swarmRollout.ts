// Swarm mode, after the image is on the manager: create the service, or update it to the new
// spec, and follow Swarm's own rollout to its end. An update finishes `completed`, or Swarm
// rolls it back (`rollback_completed`: a new task failed or turned unhealthy; the previous
// spec runs again); a first deploy that never gets its tasks running and healthy removes the
// service again. Whatever failed, the failing task's last 50 log lines are shown.
// `godeploy rollback` asks Swarm for the previous spec the same way.
import type { CancellationTokenLike } from '../../cancellation';
import type { DeployEvent } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { containerLogTail } from './dockerReleases';
import type { Engine } from './engine';
import type { RegistryAuth } from './registry';
import { taskWatchMs } from './swarmService';
import { type ServiceSpec } from './swarmService';

const HOST = 'engine';

interface Task {
  ID: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string } };
  Spec?: { ContainerSpec?: { Image?: string } };
}
export interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

export interface RolloutOutcome {
  ok: boolean;
  /** Cancelled during the rollout: the update was rolled back (a new service removed). */
  cancelled?: boolean;
  /** Swarm took the service back to its previous spec (or, for a first deploy, the service was removed). */
  rolledBack: boolean;
  error?: string;
  logs?: string;
}

export async function inspectService(engine: Engine, name: string): Promise<ServiceInfo | undefined> {
  return engine.docker
    .getService(name)
    .inspect()
    .then(
      (s) => s as ServiceInfo,
      (e: { statusCode?: number }) => {
        if (e?.statusCode === 404) return undefined;
        throw e;
      },
    );
}

/** How long a rollout of `replicas` tasks may take: each task watched in turn, one more for the start, and a minute of slack. */
export function rolloutTimeoutMs(health: { healthTimeoutSeconds: number; healthIntervalMs: number }, replicas: number): number {
  return taskWatchMs(health) * (replicas + 1) + 60_000;
}

/** Creates or updates the service and waits for Swarm's verdict. */
export async function rolloutService(
  engine: Engine,
  spec: ServiceSpec,
  existing: ServiceInfo | undefined,
  o: { timeoutMs: number; emit(e: DeployEvent): void; redact(t: string): string; token?: CancellationTokenLike; auth?: RegistryAuth; rollback?: boolean },
): Promise<RolloutOutcome> {
  const name = spec.Name as string;
  const since = Date.now();
  const replicas = Number(spec.Mode?.Replicated?.Replicas ?? 1);
  if (existing) {
    const query: Record<string, unknown> = { version: existing.Version.Index, ...(o.rollback ? { rollback: 'previous' } : {}) };
    await engine.docker.getService(existing.ID).update({ ...(o.auth ? { authconfig: o.auth } : {}), _query: query, _body: spec } as never);
  } else {
    await engine.docker.createService(...((o.auth ? [o.auth, spec] : [spec]) as [never]));
  }
  let last = '';
  let cancelling = false;
  let cancelledStatus: string | undefined;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const svc = await inspectService(engine, name);
    if (!svc) return { ok: false, rolledBack: false, error: `the service ${name} disappeared during the rollout` };
    if (o.token?.isCancellationRequested && !o.rollback && !cancelling) {
      // Cancel: a new service goes away; an update is handed back to the previous spec, and followed until it is.
      if (!existing) {
        await engine.docker
          .getService(svc.ID)
          .remove()
          .catch(() => undefined);
        return { ok: false, rolledBack: true, cancelled: true, error: `cancelled: the new service ${name} was removed` };
      }
      cancelling = true;
      cancelledStatus = svc.UpdateStatus?.StartedAt;
      o.emit({ host: HOST, step: 'rollback', state: 'start', message: `cancelled: asking Swarm for the previous spec of ${name}` });
      await engine.docker
        .getService(svc.ID)
        .update({ _query: { version: svc.Version.Index, rollback: 'previous' }, _body: svc.Spec } as never)
        .catch(() => undefined);
      continue;
    }
    if (cancelling) {
      // The rollback this cancel asked for, not a status left from before it.
      const st = svc.UpdateStatus?.StartedAt !== cancelledStatus ? svc.UpdateStatus?.State : undefined;
      if (st === 'rollback_completed' || st === 'rollback_paused' || Date.now() - since > o.timeoutMs) {
        return {
          ok: false,
          rolledBack: st === 'rollback_completed',
          cancelled: true,
          error: `cancelled: ${name} ${st === 'rollback_completed' ? 'is back on its previous spec' : `rollback ${st ?? 'did not finish'}`}`,
        };
      }
      continue;
    }
    const tasks = (await engine.docker.listTasks({ filters: { service: [name] } })) as Task[];
    const running = tasks.filter((t) => t.Status?.State === 'running' && (t as { DesiredState?: string }).DesiredState === 'running').length;
    // The update status of an earlier rollout may still show until Swarm starts this one: only a new one counts.
    const fresh = !existing || (svc.UpdateStatus?.StartedAt !== undefined && svc.UpdateStatus.StartedAt !== existing.UpdateStatus?.StartedAt);
    const state = fresh ? svc.UpdateStatus?.State : undefined;
    const line = `${state ?? (existing ? 'updating' : 'starting')}: ${running}/${replicas} tasks running${svc.UpdateStatus?.Message ? ` (${svc.UpdateStatus.Message})` : ''}`;
    if (line !== last) {
      o.emit({ host: HOST, step: 'switch', state: 'start', message: line });
      last = line;
    }
    const failed = () => newestFailure(engine, tasks, since, o.redact);
    if (existing && (state === 'completed' || (o.rollback && state === 'rollback_completed')) && running >= replicas) return { ok: true, rolledBack: false };
    if (!existing && running >= replicas) return { ok: true, rolledBack: false };
    if (existing && !o.rollback && state === 'rollback_completed') {
      return {
        ok: false,
        rolledBack: true,
        error: `Swarm rolled the update of ${name} back: ${svc.UpdateStatus?.Message ?? 'a new task failed'}`,
        logs: await failed(),
      };
    }
    if (state === 'paused' || state === 'rollback_paused')
      return { ok: false, rolledBack: false, error: `the rollout of ${name} is ${state}: ${svc.UpdateStatus?.Message ?? ''}`.trim(), logs: await failed() };
    if (Date.now() - since > o.timeoutMs) {
      const logs = await failed();
      if (!existing) {
        await engine.docker
          .getService(svc.ID)
          .remove()
          .catch(() => undefined);
        return {
          ok: false,
          rolledBack: true,
          error: `${name}: ${running}/${replicas} tasks running and healthy after ${Math.round(o.timeoutMs / 1000)} s; the new service was removed`,
          logs,
        };
      }
      return { ok: false, rolledBack: false, error: `${name}: the rollout did not finish within ${Math.round(o.timeoutMs / 1000)} s (${line})`, logs };
    }
  }
}

/** The last 50 log lines of the newest task that failed since `since`, if any. */
async function newestFailure(engine: Engine, tasks: Task[], since: number, redact: (t: string) => string): Promise<string | undefined> {
  const failed = tasks
    .filter(
      (t) =>
        ['failed', 'rejected', 'shutdown', 'complete'].includes(t.Status?.State ?? '') &&
        Date.parse(t.CreatedAt ?? '') >= since - 1000 &&
        t.Status?.ContainerStatus?.ContainerID,
    )
    .sort((a, b) => Date.parse(b.CreatedAt ?? '') - Date.parse(a.CreatedAt ?? ''));
  for (const t of failed) {
    const logs = await containerLogTail(engine, t.Status!.ContainerStatus!.ContainerID!).catch(() => '');
    const why = t.Status?.Err ? `task ${t.ID.slice(0, 12)}: ${t.Status.Err}\n` : '';
    if (logs || why) return redact(`${why}${logs}`);
  }
  return undefined;
}

/** Nodes in the swarm, or an error saying the engine is not a manager. */
export async function swarmNodes(engine: Engine): Promise<number> {
  const info = (await engine.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; Nodes?: number } };
  if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.ControlAvailable) {
    throw new GoDeployError(`the engine at ${engine.address.url} is not a swarm manager (swarm state: ${info.Swarm?.LocalNodeState ?? 'unknown'})`, {
      hint: 'point docker.host at a manager node, or make this engine one with `docker swarm init`; or use docker.mode: container',
    });
  }
  return info.Swarm.Nodes ?? 1;
}
