// What gates a release's switch, by healthCheck.type: http (GET path answers 2xx), tcp (the
// port accepts a connection: gRPC and other non-HTTP servers) or process (the service's main
// process stays up for healthCheck.for: workers with no port). The spec comes from the
// config; the checks themselves run where each deploy type can see the release (health.ts
// for a host, the engine for a container); the process watch and the failure sentences are
// the same for all.
import type { HealthCheckType } from '../config/model';
import type { CancellationTokenLike } from '../cancellation';
import type { GenerateModel } from '../generate/model';
import type { HealthResult } from './health';

export interface GateSpec {
  type: HealthCheckType;
  /** type http: the path GET must answer 2xx. */
  path: string;
  /** How long the release may take to pass (process: to be running). */
  timeoutMs: number;
  intervalMs: number;
  /** type process: how long the process must stay up. */
  forMs: number;
}

/** The gate of the model's environment: healthCheck.type, path, timeout, interval and for, with their defaults. */
export function gateSpecOf(model: Pick<GenerateModel, 'app'>): GateSpec {
  return {
    type: model.app.healthType,
    path: model.app.healthPath,
    timeoutMs: model.app.healthTimeoutSeconds * 1000,
    intervalMs: model.app.healthIntervalMs,
    forMs: model.app.healthForMs,
  };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** What the gate waits for, for a plan: "GET http://127.0.0.1:8080/healthz to answer 2xx", "port 9000 to accept a TCP connection", "the process to stay up for 5 s". */
export function describeGate(spec: GateSpec, port: number | string, what = 'the process'): string {
  switch (spec.type) {
    case 'tcp':
      return `port ${port} to accept a TCP connection (healthCheck.type tcp; every ${spec.intervalMs} ms, up to ${seconds(spec.timeoutMs)})`;
    case 'process':
      return `${what} to stay up for ${seconds(spec.forMs)} (healthCheck.type process: running, same pid, not restarted; up to ${seconds(spec.timeoutMs)} to start)`;
    default:
      return `GET http://127.0.0.1:${port}${spec.path} to answer 2xx (every ${spec.intervalMs} ms, up to ${seconds(spec.timeoutMs)})`;
  }
}

/** The one sentence a failed gate is reported with (no host prefix). */
export function gateFailure(spec: GateSpec, port: number | string, r: Pick<HealthResult, 'last' | 'attempts'>, what = 'the process', showPort = false): string {
  switch (spec.type) {
    case 'tcp':
      return `port ${port} did not accept a connection within ${seconds(spec.timeoutMs)}: ${r.last}`;
    case 'process':
      return `${what} ${r.last}`;
    default:
      return `${spec.path}${showPort ? ` on port ${port}` : ''} did not answer 2xx within ${seconds(spec.timeoutMs)} (last: ${r.last}, ${r.attempts} attempts)`;
  }
}

/** What a passed gate says: "200 OK", "port 9000 accepts connections", "running (pid 42) for 5 s". */
export function gatePassed(spec: GateSpec, port: number | string, r: Pick<HealthResult, 'last' | 'elapsedMs'>): string {
  if (spec.type === 'process') return `healthy: ${r.last}`;
  if (spec.type === 'tcp') return `healthy after ${(r.elapsedMs / 1000).toFixed(1)} s (port ${port} accepts connections)`;
  return `healthy after ${(r.elapsedMs / 1000).toFixed(1)} s (${r.last})`;
}

/** One look at the service's main process, as its manager reports it. */
export interface ProcessObservation {
  /** running: up (pid known); starting: on its way up; down: exited, failed, stopped or waiting to be restarted. */
  phase: 'running' | 'starting' | 'down';
  pid: number | null;
  /** Restarts the manager counted (systemd NRestarts, Docker RestartCount), when it counts them. */
  restarts: number | null;
  /** How the last run ended, when known: "exited with status 3", "was killed by signal 9". */
  exit?: string;
  /** The manager's own words for the state ("active (running)", "BACKOFF"). */
  state: string;
}

/** How a process ended, from a shell-style status (128+N: signal N) or an exit code and signal. */
export function exitWords(status: number | null, signal?: number | string | null): string {
  if (signal !== undefined && signal !== null && signal !== 0 && signal !== '') return `was killed by signal ${signal}`;
  if (status === null) return 'ended';
  return `exited with status ${status}`;
}

export interface WatchOptions {
  forMs: number;
  /** When the process was started (epoch ms; default: now): the window counts from there. */
  startedAt?: number;
  timeoutMs: number;
  intervalMs: number;
  token?: CancellationTokenLike;
  onAttempt?: (attempt: number, last: string) => void;
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
 * type process: from the restart on, the process must be up (running, or still starting)
 * and stay the same process (same pid, no restart counted) until `forMs` have passed and
 * it is running; `timeoutMs` bounds the wait for it to be running at all. Looks every
 * interval (at most 250 ms, so a process the manager restarts quickly is still seen to go).
 */
export async function watchProcess(observe: () => Promise<ProcessObservation>, o: WatchOptions): Promise<HealthResult> {
  const start = Math.min(Date.now(), o.startedAt ?? Date.now());
  const every = Math.max(50, Math.min(250, o.intervalMs));
  let first: ProcessObservation | undefined;
  let attempts = 0;
  const result = (healthy: boolean, last: string): HealthResult => ({ healthy, last, attempts, elapsedMs: Date.now() - start });
  for (;;) {
    attempts++;
    let ob: ProcessObservation;
    try {
      ob = await observe();
    } catch (e) {
      ob = { phase: 'starting', pid: null, restarts: null, state: `unknown (${(e as Error).message})` };
    }
    const elapsed = Date.now() - start;
    // One look (status): what it is; a watch: when it went, against what it had to last.
    const after = o.forMs > 0 ? ` after ${seconds(elapsed)} (it must stay up for ${seconds(o.forMs)})` : '';
    if (ob.phase === 'down') return result(false, `${ob.exit ?? `stopped (${ob.state})`}${after}`);
    if (ob.phase === 'running') {
      first ??= ob;
      if (first.pid !== null && ob.pid !== null && ob.pid !== first.pid) {
        return result(false, `was restarted${after}: pid ${first.pid} ended${ob.exit ? ` (${ob.exit.replace(/^was /, '')})` : ''}, pid ${ob.pid} runs now`);
      }
      if (first.restarts !== null && ob.restarts !== null && ob.restarts !== first.restarts) {
        return result(
          false,
          `was restarted ${ob.restarts - first.restarts} time${ob.restarts - first.restarts === 1 ? '' : 's'}${after}${ob.exit ? `; its last run ${ob.exit}` : ''}`,
        );
      }
      if (o.forMs <= 0) return result(true, `running (pid ${ob.pid ?? '?'})`);
      if (elapsed >= o.forMs) return result(true, `running (pid ${ob.pid ?? '?'}) for ${seconds(elapsed)}, not restarted`);
    } else if (elapsed >= o.timeoutMs) {
      return result(false, `was not running within ${seconds(o.timeoutMs)} (state: ${ob.state})`);
    }
    o.onAttempt?.(attempts, ob.state);
    if (o.token?.isCancellationRequested) return result(false, `cancelled while watching (state: ${ob.state})`);
    const left = ob.phase === 'running' ? o.forMs - (Date.now() - start) : every;
    await sleep(Math.max(10, Math.min(every, left)), o.token);
  }
}
