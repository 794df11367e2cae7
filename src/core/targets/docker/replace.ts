// Replacing the live container by another release's (a new one, or an older one for a
// rollback), behind the health gate. The live container stops first: a container on the
// host's network, or publishing the port, holds app.port, so the two cannot run at once
// (strategy blue-green is the zero-downtime path). The new one starts and must answer the
// health path; if it does not, its last 50 log lines are kept, it is removed (a new
// release) or stopped again (an older one), and the old one starts again and is waited
// for. A stopped release keeps restart policy "no", so an engine restart leaves it stopped.
import type { CancellationTokenLike } from '../../cancellation';
import type { DeployEvent } from '../../environment/types';
import type { HealthResult } from '../../release/health';
import { GoDeployError } from '../../errors';
import { containerLogTail, ignoreMissing, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';

export interface ReplaceInput {
  engine: Engine;
  /** The running release, if any. */
  from?: Pick<DockerRelease, 'id' | 'containerId' | 'container' | 'restart'>;
  to: Pick<DockerRelease, 'id' | 'containerId' | 'container' | 'restart'>;
  /** A new release's container is removed when it fails; an older one is stopped. */
  toIsNew: boolean;
  /** The health gate of a container, asked through `engine` (the one the switch uses, or a reconnected one). */
  gate(container: string, engine?: Engine): Promise<HealthResult>;
  /**
   * A fresh connection to the same engine: when the connection drops while a failed switch is being
   * undone (the new container removed, the old one started again), the undo goes on over it.
   */
  reconnect?: () => Promise<Engine>;
  emit(e: DeployEvent): void;
  redact(text: string): string;
  token?: CancellationTokenLike;
  host: string;
}

export interface ReplaceOutcome {
  ok: boolean;
  /** The gate passed but a cancel came meanwhile: taken back like a failure. */
  cancelled: boolean;
  error?: string;
  hint?: string;
  /** The failed container's last log lines. */
  logs?: string;
  /** Whether the old release serves again after a failure (true when there was none). */
  restored: boolean;
  timings: Record<string, number>;
}

/** The Engine API's RestartPolicy for a policy name. */
export const restartPolicy = (name: string): { Name: string; MaximumRetryCount?: number } =>
  name === 'on-failure' ? { Name: name, MaximumRetryCount: 5 } : { Name: name };

export async function replaceContainer(i: ReplaceInput): Promise<ReplaceOutcome> {
  const { engine, from, to, emit, host } = i;
  const timings: Record<string, number> = {};
  const s0 = Date.now();
  emit({ host, step: 'switch', state: 'start', message: from ? `stopping ${from.container}, starting ${to.container}` : `starting ${to.container}` });
  if (from) {
    try {
      await stopRelease(engine, from.containerId);
    } catch (e) {
      return fail(new GoDeployError(`stopping ${from.container} failed: ${(e as Error).message}`), undefined, Date.now() - s0);
    }
  }
  try {
    await engine.docker.getContainer(to.containerId).update({ RestartPolicy: restartPolicy(to.restart) });
    await engine.docker.getContainer(to.containerId).start();
  } catch (e) {
    const started = startFailure(e, to.container);
    return fail(started, undefined, Date.now() - s0);
  }
  timings.switch = Date.now() - s0;
  emit({ host, step: 'switch', state: 'done', message: `${to.container} started${from ? `, ${from.container} stopped` : ''}`, ms: timings.switch });

  const h0 = Date.now();
  emit({ host, step: 'health', state: 'start', message: `waiting for ${to.container} to answer` });
  const health = await i.gate(to.container);
  timings.health = Date.now() - h0;
  if (health.healthy && !i.token?.isCancellationRequested) {
    emit({
      host,
      step: 'health',
      state: 'done',
      message: `healthy (${health.last}, ${health.attempts} attempt${health.attempts === 1 ? '' : 's'})`,
      ms: timings.health,
    });
    return { ok: true, cancelled: false, restored: false, timings };
  }
  const cancelled = health.healthy;
  const why = cancelled ? 'cancelled after the switch' : (health.failure ?? `not healthy within the timeout (last: ${health.last})`);
  emit({ host, step: 'health', state: 'fail', message: why, ms: timings.health });
  return fail(
    new GoDeployError(`${to.container}${health.failure ? ':' : ''} ${why}`, {
      hint: cancelled ? 'the old release was started again' : 'its last log lines are shown above (logs in --json); the old release was started again',
    }),
    cancelled,
    undefined,
  );

  async function fail(e: GoDeployError, wasCancelled: boolean | undefined, ms: number | undefined): Promise<ReplaceOutcome> {
    if (ms !== undefined) emit({ host, step: 'switch', state: 'fail', message: i.redact(e.message), ms });
    // Every step of the undo goes through onEngine: a lost connection is made again once, and the undo goes on.
    let eng = engine;
    let reconnected = false;
    const onEngine = async <T>(what: string, fn: (en: Engine) => Promise<T>): Promise<T> => {
      try {
        return await fn(eng);
      } catch (err) {
        if (!i.reconnect || reconnected || answeredByEngine(err)) throw err;
        reconnected = true;
        emit({
          host,
          step: 'rollback',
          state: 'info',
          message: `the connection to the engine failed while ${what} (${(err as Error).message}); connecting again to undo the switch`,
        });
        eng = await i.reconnect();
        return fn(eng);
      }
    };
    const problems: string[] = [];
    const logs = i.redact(await onEngine('reading the log', (en) => containerLogTail(en, to.containerId)).catch(() => ''));
    if (logs) emit({ host, step: 'logs', state: 'info', message: `last log lines of ${to.container}:\n${logs}` });
    // Out of the way first: it may still hold the port.
    try {
      if (i.toIsNew) await onEngine(`removing ${to.container}`, (en) => en.docker.getContainer(to.containerId).remove({ force: true }).catch(ignoreMissing));
      else await onEngine(`stopping ${to.container}`, (en) => stopRelease(en, to.containerId));
    } catch (err) {
      problems.push(`${to.container} could not be ${i.toIsNew ? 'removed' : 'stopped'} (${(err as Error).message}): it may be running`);
    }
    let restored = !from;
    if (from) {
      const r0 = Date.now();
      emit({ host, step: 'rollback', state: 'start', message: `starting ${from.container} again` });
      try {
        await onEngine(`starting ${from.container} again`, async (en) => {
          await en.docker.getContainer(from.containerId).update({ RestartPolicy: restartPolicy(from.restart) });
          await en.docker
            .getContainer(from.containerId)
            .start()
            .catch((x: { statusCode?: number }) => {
              if (x?.statusCode !== 304) throw x; // 304: already running
            });
        });
        const back = await i.gate(from.container, eng);
        restored = back.healthy;
        emit({
          host,
          step: 'rollback',
          state: back.healthy ? 'done' : 'fail',
          message: back.healthy ? `${from.container} serves again` : `${from.container} started but is not healthy (${back.failure ?? `last: ${back.last}`})`,
          ms: Date.now() - r0,
        });
      } catch (err) {
        problems.push(`${from.container} did not start again: ${(err as Error).message}`);
        emit({ host, step: 'rollback', state: 'fail', message: `${from.container} did not start: ${(err as Error).message}`, ms: Date.now() - r0 });
      }
    }
    const error = [e.message, ...problems].join('; ');
    const hint = problems.length ? 'the engine could not be reached to finish undoing the switch: see `godeploy status ENV`, then deploy again' : e.hint;
    return { ok: false, cancelled: wasCancelled ?? false, error: i.redact(error), hint, logs: logs || undefined, restored, timings };
  }
}

/** An error the engine answered (an HTTP status), as opposed to a connection that failed. */
export function answeredByEngine(e: unknown): boolean {
  return typeof (e as { statusCode?: unknown } | undefined)?.statusCode === 'number';
}

/** Stops a release's container and sets its restart policy to "no" (stopped releases stay stopped). */
export async function stopRelease(engine: Engine, containerId: string): Promise<void> {
  const c = engine.docker.getContainer(containerId);
  await c.update({ RestartPolicy: { Name: 'no' } }).catch(ignoreMissing);
  await c.stop({ t: 10 }).catch((e: { statusCode?: number }) => {
    // 304: already stopped.
    if (e?.statusCode !== 304 && e?.statusCode !== 404) throw e;
  });
}

/** Why a container did not start, in the user's terms ("port is already allocated", a missing image…). */
export function startFailure(e: unknown, name: string): GoDeployError {
  const msg = (e as { json?: { message?: string }; message?: string })?.json?.message ?? (e as Error)?.message ?? String(e);
  if (/port is already allocated|address already in use/i.test(msg)) {
    return new GoDeployError(`${name} could not start: ${msg}`, {
      hint: "something else holds app.port on the engine's host: stop it (godeploy doctor ENV names it), or give this environment another app.port",
    });
  }
  return new GoDeployError(`${name} could not start: ${msg}`);
}
