import { environmentSources, maintenance, usageError, type MaintenanceHostResult, type MaintenanceResult } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { printJsonResult, printPlanWhenDry } from './planned';

type MaintenanceAction = MaintenanceResult['action'];
const actions: readonly MaintenanceAction[] = ['on', 'off', 'status'];

export const maintenanceCommand = defineCommand({
  name: 'maintenance',
  positionals: 'on|off|status ENV',
  forms: [
    { positionals: 'on ENV', options: ['message', 'retry-after', 'dry-run', 'json', 'accept-new-host-key'] },
    { positionals: 'off ENV', options: ['dry-run', 'json', 'accept-new-host-key'] },
    { positionals: 'status ENV', options: ['json', 'accept-new-host-key'] },
  ],
  summary: 'maintenance mode: nginx answers 503 with a page, except the health check',
  options: [
    { name: 'message', type: 'string', value: 'TEXT', description: 'on: the message the page shows (plain text; default: a short apology)' },
    { name: 'retry-after', type: 'string', value: 'SECONDS', description: 'on: the Retry-After header of the 503 answers, in seconds (default 300)' },
    { name: 'dry-run', type: 'boolean', description: 'print the files and commands per host, and change nothing' },
    { ...jsonOption, description: 'print every host with maintenance on or off (and its message, or its error) as JSON' },
    acceptNewHostKeyOption,
  ],
  help: `Maintenance mode for environment ENV, on each host where nginx fronts the app (the hosts
that run the web process; a docker environment's engine host). on: nginx answers every
request with 503 and a small page (the app's name and TEXT) with Retry-After, except the
health check's path and /.well-known/ (so health checks and certificate renewals go on);
the service keeps running. It writes /etc/nginx/godeploy/<app>.maintenance.conf and
.maintenance.html, which the site includes, checks with nginx -t (the old files back on
failure) and reloads nginx. off removes them and reloads. A site installed before
maintenance mode existed is refused: run godeploy setup ENV or deploy once. status: on or
off, and the message, per host. One host failing does not stop the others.
Exit 0 when every host is as asked (status: always, unless a host could not be read), 1
when a host failed, 2 for usage errors.`,
  examples: [
    { line: 'godeploy maintenance on prod --message "Back at 14:00 UTC"', comment: 'a 503 page with this message on every host of prod' },
    { line: 'godeploy maintenance status prod', comment: 'on or off, per host' },
    { line: 'godeploy maintenance off prod', comment: 'back to normal' },
    { line: 'godeploy maintenance on prod --retry-after 600 --dry-run', comment: 'print the files and commands, change nothing' },
  ],
  run: (io, g, args, o) =>
    runMaintenance(io, g, args, {
      message: o.message,
      retryAfter: o['retry-after'],
      dryRun: o['dry-run'],
      json: o.json,
      acceptNewHostKey: o['accept-new-host-key'],
    }),
});

export interface MaintenanceFlags {
  message?: string;
  retryAfter?: string;
  dryRun: boolean;
  json: boolean;
  acceptNewHostKey: boolean;
}

/** Reads `maintenance ACTION ENV` and its options (a usage error otherwise). */
export function maintenanceArguments(
  args: string[],
  flags: Pick<MaintenanceFlags, 'message' | 'retryAfter' | 'dryRun'>,
): { action: MaintenanceAction; envName: string; retryAfterSeconds?: number } {
  const [action, envName, ...extra] = args;
  if (!actions.includes(action as MaintenanceAction))
    throw usageError(
      action ? `maintenance: unknown subcommand "${action}"` : 'maintenance: on, off or status?',
      'godeploy maintenance on|off|status ENV (see `godeploy maintenance --help`)',
    );
  if (!envName) throw usageError(`maintenance ${action}: which environment?`, `godeploy maintenance ${action} ENV`);
  if (extra.length)
    throw usageError(
      `maintenance ${action}: unexpected argument ${JSON.stringify(extra[0])}`,
      action === 'on' ? 'one environment at a time; quote the message: --message "Back at 14:00"' : 'one environment at a time',
    );
  for (const [given, name] of [
    [flags.message, 'message'],
    [flags.retryAfter, 'retry-after'],
  ] as const)
    if (given !== undefined && action !== 'on')
      throw usageError(`maintenance ${action} does not take --${name}`, `only on does: godeploy maintenance on ENV --${name} …`);
  if (flags.dryRun && action === 'status') throw usageError('maintenance status does not take --dry-run', 'status changes nothing: run it as it is');
  let retryAfterSeconds: number | undefined;
  if (flags.retryAfter !== undefined) {
    retryAfterSeconds = /^[0-9]{1,7}$/.test(flags.retryAfter.trim()) ? Number(flags.retryAfter.trim()) : NaN;
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1)
      throw usageError(`maintenance on --retry-after: "${flags.retryAfter}" is not a number of seconds`, 'give whole seconds, at least 1: --retry-after 300');
  }
  return { action: action as MaintenanceAction, envName, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

/** One host's line: on or off (with the message), unchanged, or its failure with the hint. */
export function maintenanceHostLine(h: MaintenanceHostResult): string {
  if (!h.ok) return `${h.host}: FAILED: ${h.error ?? 'failed'}${h.hint ? `\n  hint: ${h.hint}` : ''}`;
  const state = h.on ? `on${h.message ? ` ("${h.message}")` : ''}` : 'off';
  return `${h.host}: ${state}${h.unchanged ? ' (unchanged)' : ''}`;
}

export async function runMaintenance(io: CliIO, g: GlobalOptions, args: string[], flags: MaintenanceFlags): Promise<number> {
  const { action, envName, retryAfterSeconds } = maintenanceArguments(args, flags);
  return withCancellation(io, { first: 'cancelling (a host being changed finishes: its files and nginx stay consistent)…' }, async (token) => {
    const r = await maintenance({
      configFile: await resolveConfigPath(g),
      environment: envName,
      action,
      message: flags.message,
      retryAfterSeconds,
      dryRun: flags.dryRun,
      hosts: { acceptNewHostKey: flags.acceptNewHostKey, env: io.env },
      token,
      sources: environmentSources(io.env),
      onPlan: printPlanWhenDry(io, flags),
    });
    if (flags.json) return printJsonResult(io, r);
    if (r.dryRun) return 0;
    for (const h of r.hosts) io.out(maintenanceHostLine(h));
    const on = r.hosts.filter((h) => h.ok && h.on).length;
    const read = r.hosts.filter((h) => h.ok).length;
    const summary =
      action === 'status'
        ? `maintenance ${r.environment}: ${on === 0 ? 'off' : on === read ? 'on' : `on on ${on} of ${read} hosts`}`
        : `maintenance ${action} ${r.environment}: ${r.ok ? 'done' : 'FAILED'}`;
    io.out(`${summary}${r.ok ? '' : ` (${r.hosts.filter((h) => !h.ok).length} host(s) failed)`} in ${(r.durationMs / 1000).toFixed(1)} s`);
    return r.ok ? 0 : 1;
  });
}
