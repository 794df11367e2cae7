// The health gate's checks as seen from the host: GET http://127.0.0.1:<port><path> (through
// the ssh connection's port forward, so the host needs no curl), or a TCP connection to
// 127.0.0.1:<port> opened by the host itself (an ssh direct-tcpip channel: sshd connects,
// so a refused port is refused, never accepted by a local forward first). Quickly at first,
// then every interval until it passes or the timeout. Cancelling stops the polling.
import { request } from 'node:http';
import type { CancellationTokenLike } from '../cancellation';
import type { HostRunner } from '../remote/hostRunner';
import { connectLocal } from '../remote/hostRunner';

export interface HealthResult {
  healthy: boolean;
  /** When not healthy: what failed, as one sentence without the host (healthGate.ts words it per type). */
  failure?: string;
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
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ ok: false, text: e.code === 'ECONNRESET' || e.code === 'ECONNREFUSED' ? 'connection refused' : e.message }),
    );
    req.end();
  });
}

const sleep = (ms: number, token?: CancellationTokenLike): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(() => {
      sub?.dispose();
      resolve();
    }, ms);
    const sub = token?.onCancellationRequested(() => {
      clearTimeout(t);
      resolve();
    });
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

/** One check: passed or not, and what it saw ("200 OK", "connection refused"). */
export type Attempt = () => Promise<{ ok: boolean; text: string }>;

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  token?: CancellationTokenLike;
  onAttempt?: (attempt: number, last: string) => void;
}

/** Runs `attempt` with pollDelay's waits until it passes, the timeout, or cancellation (then healthy is false). */
export async function pollUntil(attempt: Attempt, o: PollOptions): Promise<HealthResult> {
  const start = Date.now();
  let attempts = 0;
  let last: string;
  for (;;) {
    attempts++;
    const r = await attempt();
    last = r.text;
    if (r.ok) return { healthy: true, last, attempts, elapsedMs: Date.now() - start };
    o.onAttempt?.(attempts, last);
    const wait = pollDelay(attempts, o.intervalMs, Date.now() - start);
    if (o.token?.isCancellationRequested || Date.now() - start + wait > o.timeoutMs) break;
    await sleep(wait, o.token);
  }
  return { healthy: false, last, attempts, elapsedMs: Date.now() - start };
}

/** Per-check time limit: twice the interval, between 1 and 5 s. */
export const attemptTimeoutMs = (intervalMs: number): number => Math.min(5000, Math.max(1000, intervalMs * 2));

/** Polls GET until a 2xx, the timeout, or cancellation (then healthy is false). */
export async function waitHealthy(runner: Pick<HostRunner, 'reach'>, o: HealthOptions): Promise<HealthResult> {
  const forward = await runner.reach(o.port);
  try {
    return await pollUntil(() => get(forward.host ?? '127.0.0.1', forward.port, o.path, attemptTimeoutMs(o.intervalMs)), o);
  } finally {
    await forward.close();
  }
}

/** A TCP connection's failure in a user's words: "connection refused", "no connection within 1000 ms". */
export function connectFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = `${err?.code ?? ''} ${err?.message ?? String(e)}`;
  if (/ECONNREFUSED|connection refused|connect failed/i.test(text)) return 'connection refused';
  if (/ECONNRESET/i.test(text)) return 'connection reset';
  if (/EHOSTUNREACH|ENETUNREACH|unreachable/i.test(text)) return 'host unreachable';
  return (err?.message ?? String(e)).replace(/^\(SSH\) Channel open failure: /, '').trim() || 'connection failed';
}

/** One TCP connection to 127.0.0.1:`port` as seen from the host (the host's own connect when the runner can; else through reach). */
export async function tcpAttempt(runner: Pick<HostRunner, 'reach' | 'connectTcp'>, port: number, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  try {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      if (runner.connectTcp) {
        const opening = runner.connectTcp(port);
        const c = await Promise.race([opening, limit]).catch((e) => {
          opening.then(
            (x) => x.close(),
            () => undefined,
          );
          throw e;
        });
        c.close();
      } else {
        const f = await runner.reach(port);
        try {
          (await connectLocal(f.port, f.host ?? '127.0.0.1', timeoutMs)).close();
        } finally {
          await f.close();
        }
      }
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, text: 'connected' };
  } catch (e) {
    return { ok: false, text: connectFailure(e) };
  }
}

/** Polls a TCP connect to `port` until it is accepted, the timeout, or cancellation. */
export function waitTcp(runner: Pick<HostRunner, 'reach' | 'connectTcp'>, o: Omit<HealthOptions, 'path'>): Promise<HealthResult> {
  return pollUntil(() => tcpAttempt(runner, o.port, attemptTimeoutMs(o.intervalMs)), o);
}
