// The health gate on a host (ssh or this machine), by healthCheck.type: an HTTP GET or a TCP
// connection to the release's port as the host sees it (health.ts), or a watch of its main
// process through the service manager's own state (processWatch.ts). The result carries the
// failure sentence the deploy reports and rolls back on.
import type { CancellationTokenLike } from '../../cancellation';
import { waitHealthy, waitTcp, type HealthResult } from '../../release/health';
import { gateFailure, watchProcess, type GateSpec, type ProcessObservation } from '../../release/healthGate';
import type { HostRunner, HostRunResult } from '../../remote/hostRunner';

export interface HostGateInput {
  runner: HostRunner;
  spec: GateSpec;
  /** The release's port (app.port, or the blue-green instance's). */
  port: number;
  /** type process: the command printing the service's state, how to run it, and how to read it. */
  observe: string[];
  parseObservation(stdout: string): ProcessObservation;
  exec?(argv: string[]): Promise<HostRunResult>;
  /** The service in messages: "deployapp.service", "process deployapp". */
  what: string;
  /** Say "on port N" in an http failure (blue-green instances). */
  showPort?: boolean;
  token?: CancellationTokenLike;
  /** One look only (status, the unchanged-redeploy check): no waiting. */
  once?: boolean;
  /** type process: when the restart began (epoch ms); the process must stay up for healthCheck.for from there. */
  startedAt?: number;
}

export async function runHostGate(i: HostGateInput): Promise<HealthResult> {
  const { spec } = i;
  const timeoutMs = i.once ? 0 : spec.timeoutMs;
  let r: HealthResult;
  if (spec.type === 'tcp') {
    r = await waitTcp(i.runner, { port: i.port, timeoutMs, intervalMs: spec.intervalMs, token: i.token });
  } else if (spec.type === 'process') {
    const exec = i.exec ?? ((argv: string[]) => i.runner.exec(argv));
    const observe = async (): Promise<ProcessObservation> => {
      const out = await exec(i.observe);
      return i.parseObservation(out.stdout);
    };
    r = await watchProcess(observe, { forMs: i.once ? 0 : spec.forMs, startedAt: i.startedAt, timeoutMs, intervalMs: spec.intervalMs, token: i.token });
  } else {
    r = await waitHealthy(i.runner, { port: i.port, path: spec.path, timeoutMs, intervalMs: spec.intervalMs, token: i.token });
  }
  if (!r.healthy) r.failure = gateFailure(spec, i.port, r, i.what, i.showPort);
  return r;
}
