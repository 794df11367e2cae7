// The part of a deploy and a rollback that changes what serves: hosts switch batch by
// batch behind their health gates; when one fails (or the user cancels), every host
// already switched is taken back. Also the locks' release on every way out.
import type { CancellationTokenLike } from '../../cancellation';
import type { HostDeployment } from './hostDeploy';
import type { DeployEvent } from '../../environment/types';
import type { DeployHost } from '../../remote/openHosts';
import { releaseLock } from './lock';
import { type LockOwner } from '../../environment/types';
import { HostDeployResult } from '../../environment/types';
import { mapLimit, batchesOf } from '../../release/batches';

export interface SwitchoverOptions {
  batch?: number;
  parallel?: number;
  token?: CancellationTokenLike;
  emit(e: DeployEvent): void;
  redact(t: string): string;
  /** The history line for a host's run with this result. */
  history(run: HostDeployment, result: string): string;
}

/** Switches `hosts` (each with its prepared run); returns whether all are live, else everything switched is back. */
export async function switchover(
  hosts: DeployHost[],
  runs: Map<DeployHost, HostDeployment>,
  outcome: Map<DeployHost, HostDeployResult>,
  o: SwitchoverOptions,
): Promise<{ ok: boolean; cancelled: boolean }> {
  const switched: DeployHost[] = [];
  let failedGate = false;
  for (const batch of batchesOf(hosts, o.batch)) {
    const gates = await mapLimit(batch, o.parallel ?? hosts.length, async (h) => {
      const run = runs.get(h)!;
      const g = await run.switchAndGate().catch((e: Error) => ({ healthy: false, error: e.message, logs: undefined, rollbackHealthy: false }));
      const r = outcome.get(h)!;
      r.previous = run.previous || null;
      if (g.healthy) {
        switched.push(h);
        return true;
      }
      r.result = g.rollbackHealthy === false && run.switched ? 'failed' : 'rolled-back';
      r.error = o.redact([g.error ?? 'health gate failed', ...('rollbackError' in g && g.rollbackError ? [g.rollbackError] : [])].join('; '));
      r.logs = g.logs;
      if (g.logs) o.emit({ host: h.alias, step: 'logs', state: 'info', message: `last log lines of ${run.plan.releaseId}:\n${g.logs}` });
      await run.writeHistory(o.history(run, 'rolled-back')).catch(() => undefined);
      return false;
    });
    if (gates.some((ok) => !ok)) {
      failedGate = true;
      break;
    }
    if (o.token?.isCancellationRequested) break;
  }
  const cancelled = !failedGate && (o.token?.isCancellationRequested ?? false);
  if (!failedGate && !cancelled) return { ok: true, cancelled: false };
  const why = failedGate ? 'another host failed its health gate' : 'cancelled';
  await Promise.all(
    switched.map(async (h) => {
      const run = runs.get(h)!;
      const back = await run.revert(why);
      const r = outcome.get(h)!;
      r.result = back.healthy ? 'rolled-back' : 'failed';
      r.error ??= back.error ? `${why}; ${back.error}` : why;
      await run.writeHistory(o.history(run, 'rolled-back')).catch(() => undefined);
    }),
  );
  return { ok: false, cancelled };
}

/** Releases each lock this operation took, reconnecting once if the connection dropped. */
export async function releaseLocks(owners: Map<DeployHost, LockOwner>, base: string, emit: (e: DeployEvent) => void): Promise<void> {
  await Promise.all(
    [...owners].map(async ([h, owner]) => {
      try {
        try {
          await releaseLock(h.runner, base, owner);
        } catch (e) {
          if (!h.reconnect) throw e;
          h.runner = await h.reconnect();
          await releaseLock(h.runner, base, owner);
        }
        emit({ host: h.alias, step: 'unlock', state: 'done', message: 'lock released' });
      } catch (e) {
        emit({ host: h.alias, step: 'unlock', state: 'fail', message: `could not release the deploy lock: ${(e as Error).message}` });
      }
    }),
  );
}
