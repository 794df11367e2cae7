// The health gate: GET http://127.0.0.1:<port><path> as seen from the host (through the
// ssh connection's port forward, so the host needs no curl), quickly at first, then every
// interval until a 2xx or the timeout. Cancelling stops the polling.
import { request } from 'node:http';
import type { CancellationTokenLike } from '../cancellation';
import type { HostRunner } from './hostRunner';

export interface HealthResult {
  healthy: boolean;
  /** The last answer ("200 OK", "503 Service Unavailable") or connection error. */
  last: string;
  attempts: number;
  elapsedMs: number;
}

export interface HealthOptions {
  port: number;
  path: string;
  timeoutMs: number;
  intervalMs: number;
  token?: CancellationTokenLike;
  /** Called after each failed attempt with what it got. */
  onAttempt?: (attempt: number, last: string) => void;
}

function get(host: string, port: number, path: string, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'godeploy-health', connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => undefined);
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 300, text: `${code} ${res.statusMessage ?? ''}`.trim() });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, text: e.code === 'ECONNRESET' || e.code === 'ECONNREFUSED' ? 'connection refused' : e.message }));
    req.end();
  });
}

const sleep = (ms: number, token?: CancellationTokenLike): Promise<void> => new Promise((resolve) => {
  const t = setTimeout(() => { sub?.dispose(); resolve(); }, ms);
  const sub = token?.onCancellationRequested(() => { clearTimeout(t); resolve(); });
});

/**
 * The wait after failed attempt `attempt` (1-based), `elapsedMs` into the gate: 10, 20, 40,
 * then every 50 ms for the first 2 s (a restarted service usually answers within a few
 * hundred milliseconds, and a check that early is one cheap request), then every interval
 * as configured. Never longer than the interval.
 */
export function pollDelay(attempt: number, intervalMs: number, elapsedMs: number): number {
  if (elapsedMs >= EARLY_MS) return intervalMs;
  return Math.min(intervalMs, EARLY_STEP_MS, 10 * 2 ** Math.min(attempt - 1, 20));
}

const EARLY_MS = 2000;
const EARLY_STEP_MS = 50;

/** Polls until healthy, the timeout, or cancellation (then healthy is false). */
export async function waitHealthy(runner: Pick<HostRunner, 'reach'>, o: HealthOptions): Promise<HealthResult> {
  const start = Date.now();
  const forward = await runner.reach(o.port);
  let attempts = 0;
  let last = 'not checked';
  try {
    for (;;) {
      attempts++;
      const r = await get(forward.host ?? '127.0.0.1', forward.port, o.path, Math.min(5000, Math.max(1000, o.intervalMs * 2)));
      last = r.text;
      if (r.ok) return { healthy: true, last, attempts, elapsedMs: Date.now() - start };
      o.onAttempt?.(attempts, last);
      const wait = pollDelay(attempts, o.intervalMs, Date.now() - start);
      if (o.token?.isCancellationRequested || Date.now() - start + wait > o.timeoutMs) break;
      await sleep(wait, o.token);
    }
    return { healthy: false, last, attempts, elapsedMs: Date.now() - start };
  } finally {
    await forward.close();
  }
}
