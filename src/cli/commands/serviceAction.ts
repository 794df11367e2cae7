// What `godeploy restart`, `stop` and `start` share (each is declared in its own file): the
// host selection options, the run, and the per-host report. `exec` takes the same options.
import { environmentSources, serviceAction, usageError, type ServiceAction, type ServiceActionHostResult } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, jsonOption, type OptionSpec } from '../spec';
import { eventPrinter } from './deploy';
import { printJsonResult, printPlanWhenDry } from './planned';

/** --host H (repeatable), as `godeploy logs` takes it. */
export const hostOption = {
  name: 'host',
  type: 'string',
  multiple: true,
  value: 'H',
  description: "only host H (an ssh host's alias in godeploy.yaml); repeat for several",
} as const satisfies OptionSpec;

export const primaryOption = {
  name: 'primary',
  type: 'boolean',
  description: "only the primary host: the first of the environment's hosts",
} as const satisfies OptionSpec;

export const processOption = {
  name: 'process',
  type: 'string',
  value: 'P',
  description:
    'only process P of the app (an app.processes name; app.name for the one-process form): restart, stop, start only its service; exec with its env file (default: the first process the host runs); only the hosts that run it',
} as const satisfies OptionSpec;

export const roleOption = {
  name: 'role',
  type: 'string',
  value: 'R',
  description: "only the hosts whose roles include R (hosts[].roles; a host without roles runs every process), with R's env file",
} as const satisfies OptionSpec;

export const serviceActionOptions = [
  hostOption,
  processOption,
  { ...jsonOption, description: 'print the result (every host with its state before and after, and its health) as JSON instead of progress lines' },
  { name: 'dry-run', type: 'boolean', description: 'print what would run where, and change nothing' },
  acceptNewHostKeyOption,
] as const satisfies readonly OptionSpec[];

export interface ServiceActionFlags {
  host?: string[];
  process?: string;
  json: boolean;
  dryRun: boolean;
  acceptNewHostKey: boolean;
}

export const serviceActionFlags = (o: {
  host?: string[];
  process?: string;
  json: boolean;
  'dry-run': boolean;
  'accept-new-host-key': boolean;
}): ServiceActionFlags => ({ host: o.host, process: o.process, json: o.json, dryRun: o['dry-run'], acceptNewHostKey: o['accept-new-host-key'] });

const snapshotText = (s: ServiceActionHostResult['after']): string => (s ? `${s.state}${s.pid ? `, pid ${s.pid}` : ''}` : 'state unknown');

/** One host's line: what it did, the service's state after, its health after a restart or start, the live release. */
function hostLine(action: ServiceAction, h: ServiceActionHostResult): string {
  const head = `${h.host} (${h.address})${h.process !== undefined ? ` ${h.process}` : ''}`;
  if (!h.ok) return `${head}: FAILED: ${h.error ?? 'failed'}${h.hint ? `\n  hint: ${h.hint}` : ''}`;
  const release = h.release ? `; live release ${h.release}` : '';
  if (action === 'stop') return `${head}: ${h.unchanged ? 'was not running' : 'stopped'} (${snapshotText(h.after)})${release}`;
  const did = h.unchanged ? 'already running' : action === 'start' ? 'started' : 'restarted';
  return `${head}: ${did} (${snapshotText(h.after)}), ${h.health?.healthy ? 'healthy' : 'UNHEALTHY'}${h.health ? ` (${h.health.answer})` : ''}${release}`;
}

export async function runServiceAction(io: CliIO, g: GlobalOptions, action: ServiceAction, args: string[], flags: ServiceActionFlags): Promise<number> {
  const [envName, ...extra] = args;
  if (!envName) throw usageError(`${action}: which environment?`, `godeploy ${action} ENV [--host H] [--process P]`);
  if (extra.length) throw usageError(`${action}: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time; name hosts with --host H');
  const first = 'cancelling (a host being restarted finishes its health gate; the locks are released)…';
  return withCancellation(io, { first }, async (token) => {
    const r = await serviceAction({
      configFile: await resolveConfigPath(g),
      environment: envName,
      action,
      only: flags.host,
      process: flags.process,
      dryRun: flags.dryRun,
      hosts: { acceptNewHostKey: flags.acceptNewHostKey, env: io.env },
      token,
      sources: environmentSources(io.env),
      emit: flags.json ? undefined : eventPrinter(io),
      onPlan: printPlanWhenDry(io, flags),
    });
    if (flags.json) return printJsonResult(io, r);
    if (r.dryRun) return 0;
    for (const h of r.hosts) io.out(hostLine(action, h));
    io.out(`${action} ${r.environment}: ${r.ok ? 'done' : r.cancelled ? 'cancelled' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(1)} s`);
    return r.ok ? 0 : 1;
  });
}
