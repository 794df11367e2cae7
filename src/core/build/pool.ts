import type { CancellationTokenLike } from '../cancellation';

/**
 * Runs `work` over `items` with at most `limit` at once. The first failure (or a
 * cancellation) aborts the shared signal, so running work can stop its processes, and no
 * new item starts; once everything has settled the first error is thrown.
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  token?: CancellationTokenLike,
): Promise<R[]> {
  const abort = new AbortController();
  const sub = token?.onCancellationRequested(() => abort.abort(new Error('cancelled')));
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < items.length && !abort.signal.aborted) {
      const i = next++;
      try {
        results[i] = await work(items[i], abort.signal);
      } catch (e) {
        if (failure === undefined) failure = e;
        abort.abort(e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  } finally {
    sub?.dispose();
  }
  if (failure !== undefined) throw failure;
  if (abort.signal.aborted) throw abort.signal.reason;
  return results;
}
