// The deploy lock of an app on a Docker engine, kept by the engine itself so every machine
// that deploys there sees it (a tcp:// engine has no shell to hold a lock folder): a
// container named godeploy-lock-<app>, created and never started, whose label holds the
// owner as the ssh targets' owner.json does. Creating a container under a taken name fails
// with 409 Conflict, which makes taking the lock atomic. The container runs nothing; its
// image is an empty one (no layers) that the lock builds on the engine the first time.
import { pack } from 'tar-stream';
import { GoDeployError } from '../../errors';
import {
  defaultStaleContext,
  isoSeconds,
  lockedError,
  parseOwner,
  serializeOwner,
  staleReason,
  takeOverNotice,
  type StaleContext,
} from '../../release/lockOwner';
import { type LockInfo, type LockOwner, type LockStatus } from '../../environment/types';
import type { Engine } from './engine';

export const LOCK_IMAGE = 'godeploy/lock:1';
const OWNER_LABEL = 'godeploy.lock-owner';

export const lockContainerName = (app: string): string => `godeploy-lock-${app}`;

interface EngineError {
  statusCode?: number;
  message?: string;
}
const status = (e: unknown): number | undefined => (e as EngineError)?.statusCode;

async function ensureLockImage(engine: Engine): Promise<void> {
  try {
    await engine.docker.getImage(LOCK_IMAGE).inspect();
    return;
  } catch (e) {
    if (status(e) !== 404) throw e;
  }
  const context = pack();
  context.entry({ name: 'Dockerfile' }, 'FROM scratch\nLABEL org.opencontainers.image.title="godeploy deploy lock"\nCMD ["/godeploy-lock"]\n');
  context.finalize();
  const stream = await engine.docker.buildImage(context, { t: LOCK_IMAGE, rm: true, forcerm: true });
  const messages = await new Promise<{ error?: string }[]>((resolve, reject) =>
    engine.docker.modem.followProgress(stream, (err: Error | null, all: { error?: string }[]) => (err ? reject(err) : resolve(all))),
  );
  const failed = messages.find((m) => m.error);
  if (failed) throw new GoDeployError(`${engine.address.url}: could not make the lock image ${LOCK_IMAGE}: ${failed.error}`);
}

/** Free, or held by the owner in the lock container's label (age from its `since`, else the container's creation). */
export async function dockerLockStatus(engine: Engine, app: string, ctx: StaleContext = defaultStaleContext()): Promise<LockStatus> {
  let info: { Created?: string; Config?: { Labels?: Record<string, string> } };
  try {
    info = await engine.docker.getContainer(lockContainerName(app)).inspect();
  } catch (e) {
    if (status(e) === 404) return { state: 'free' };
    throw e;
  }
  const owner = parseOwner(info.Config?.Labels?.[OWNER_LABEL] ?? '');
  const since = Date.parse(owner?.since ?? info.Created ?? '');
  const ageSeconds = Number.isFinite(since) ? Math.max(0, (ctx.now.getTime() - since) / 1000) : 0;
  const reason = staleReason(owner, ageSeconds, ctx);
  return { state: 'held', owner, ageSeconds: Math.floor(ageSeconds), stale: reason !== null, staleReason: reason };
}

/** Takes the lock for `info`, or throws "locked by …" (exit 1) as the ssh targets do. */
export async function acquireDockerLock(
  engine: Engine,
  app: string,
  info: LockInfo,
  options: { environment?: string; now?: Date; onTakeOver?: (description: string) => void } = {},
): Promise<LockOwner> {
  const owner: LockOwner = { ...info, since: isoSeconds(options.now ?? new Date()) };
  await ensureLockImage(engine);
  try {
    await engine.docker.createContainer({
      name: lockContainerName(app),
      Image: LOCK_IMAGE,
      Labels: { [OWNER_LABEL]: serializeOwner(owner) },
      HostConfig: { NetworkMode: 'none' },
    });
    return owner;
  } catch (e) {
    if (status(e) !== 409) throw new GoDeployError(`${engine.address.url}: could not take the deploy lock: ${(e as Error).message}`, { cause: e });
  }
  const held = await dockerLockStatus(engine, app);
  if (held.state === 'free') return acquireDockerLock(engine, app, info, options);
  if (held.stale && held.owner && options.onTakeOver) {
    // A stale holder's container goes only while it still names that holder.
    const removed = await releaseDockerLock(engine, app, held.owner).then(
      () => true,
      () => false,
    );
    if (removed) {
      const owner = await acquireDockerLock(engine, app, info, { ...options, onTakeOver: undefined });
      options.onTakeOver(takeOverNotice(held));
      return owner;
    }
  }
  throw lockedError(held, `${engine.address.url} (container ${lockContainerName(app)})`, options.environment);
}

/**
 * Removes the lock. With `expectedOwner`, only while its label still names that owner
 * (otherwise "locked by …"); without it, whoever holds it. False when there was no lock.
 */
export async function releaseDockerLock(engine: Engine, app: string, expectedOwner?: LockOwner): Promise<boolean> {
  const container = engine.docker.getContainer(lockContainerName(app));
  if (expectedOwner) {
    const s = await dockerLockStatus(engine, app);
    if (s.state === 'free') return false;
    if (!s.owner || serializeOwner(s.owner) !== serializeOwner(expectedOwner))
      throw lockedError(s, `${engine.address.url} (container ${lockContainerName(app)})`);
  }
  try {
    await container.remove({ force: true });
    return true;
  } catch (e) {
    if (status(e) === 404) return false;
    throw e;
  }
}
