import { environmentSources, rollback, usageError } from '../../core';
import type { CliIO } from '../io';
import { withCancellation } from '../signals';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { eventPrinter, printNotifications, withNotificationLines } from './deploy';

export const rollbackCommand = defineCommand({
  name: 'rollback',
  positionals: 'ENV',
  summary: 'back to the previous (or named) release, health-gated',
  options: [
    {
      name: 'to',
      type: 'string',
      value: 'RELEASE',
      description: 'go back to RELEASE, an id from `godeploy releases ENV` (default: the release before the live one)',
    },
    { ...jsonOption, description: 'print the result (every host with its outcome) as JSON instead of progress lines' },
    acceptNewHostKeyOption,
  ],
  help: `Switches every host of environment ENV back to the release before the live one (or to
RELEASE, an id from \`godeploy releases ENV\`), with that release's env file, behind the
same health gate and rollout batches as a deploy. A host that fails the gate goes back to
what was live, and so do the hosts already switched. Takes the deploy lock.
A docker environment starts the release's kept container again (its image and
environment as they went live) and stops the running one, behind the same gate.
notify: webhooks are told how it ended (a line each, never their URL); a webhook's
failure never changes the exit code.
Exit 0 when every host serves the target release, 1 otherwise, 2 for usage errors.`,
  examples: [
    { line: 'godeploy rollback prod', comment: 'back to the release before the live one' },
    { line: 'godeploy rollback prod --to 20261121T101500Z-v1.2.3', comment: 'back to this release (ids from `godeploy releases prod`)' },
  ],
  run: (io, g, args, o) => runRollback(io, g, args, { json: o.json, to: o.to, acceptNewHostKey: o['accept-new-host-key'] }),
});

export async function runRollback(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: { json: boolean; to?: string; acceptNewHostKey: boolean },
): Promise<number> {
  const [envName, ...extra] = args;
  if (!envName) throw usageError('rollback: which environment?', 'godeploy rollback ENV [--to RELEASE]');
  if (extra.length) throw usageError(`rollback: unexpected argument ${JSON.stringify(extra[0])}`, 'name the release with --to RELEASE');
  const first = 'cancelling (a host already switched back finishes its health gate; the locks are released)…';
  return withCancellation(io, { first }, async (token) => {
    const configFile = await resolveConfigPath(g);
    const r = await withNotificationLines(io, (onNotifications) =>
      rollback({
        configFile,
        environment: envName,
        to: flags.to,
        hosts: { acceptNewHostKey: flags.acceptNewHostKey },
        token,
        emit: flags.json ? undefined : eventPrinter(io),
        sources: environmentSources(io.env),
        onNotifications,
      }),
    );
    if (flags.json) {
      io.json(r);
    } else {
      for (const h of r.hosts) {
        const what = {
          live: `live on ${r.targets[h.host]}`,
          'rolled-back': `stayed on ${h.previous ?? 'its release'}`,
          failed: 'FAILED',
          unchanged: 'unchanged',
        }[h.result];
        io.out(
          `${h.host} (${h.address}): ${what}${h.error && h.result !== 'live' ? `: ${h.error}` : ''}${h.hint && h.result !== 'live' ? `\n  hint: ${h.hint}` : ''}`,
        );
      }
      io.out(`rollback ${r.environment}: ${r.ok ? 'done' : r.cancelled ? 'cancelled' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(1)} s`);
      printNotifications(io, r.notifications);
    }
    return r.ok ? 0 : 1;
  });
}
