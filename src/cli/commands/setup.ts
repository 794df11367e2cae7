import { environmentSources, setupHosts, usageError, type SetupHostResult } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { hostOption } from './serviceAction';
import { printJsonResult, printPlanWhenDry } from './planned';

/** A host's lines: each item with what setup did to it. */
function hostLines(h: SetupHostResult): string[] {
  const width = Math.max(0, ...h.items.map((i) => i.outcome.length));
  return [
    `${h.host} (${h.address})${h.ok ? '' : ': FAILED'}`,
    ...h.items.map((i) => `  ${i.outcome.padEnd(width)}  ${i.title}${i.detail ? `: ${i.detail}` : ''}`),
    ...(h.ok ? [] : [`  error: ${h.error ?? 'failed'}`, ...(h.hint ? [`  hint: ${h.hint}`] : [])]),
  ];
}

export const setupCommand = defineCommand({
  name: 'setup',
  positionals: 'ENV',
  summary: 'prepare the hosts for a first deploy: service user, folders, units, nginx site, logrotate (idempotent)',
  options: [
    hostOption,
    { ...jsonOption, description: 'print the result (every host with each item and what setup did to it) as JSON instead of lines' },
    { name: 'dry-run', type: 'boolean', description: 'print each item and the commands that check and make it, and change nothing' },
    acceptNewHostKeyOption,
  ],
  help: `Prepares every host of environment ENV (or host H) once, so that the first deploy has
nothing else to install. Each item is checked first and made only when it is missing or
different, so a second run changes nothing and says \`unchanged\` for each:
- the service user, when systemd.user or supervisor.user names one that does not exist: a
  system user with no home and no login shell (useradd --system --no-create-home --shell
  /usr/sbin/nologin USER; /sbin/nologin where that is the host's);
- the base folder (path), releases/, shared/ and shared/logs/, owned by the user setup
  connects as (the deploy user), mode 0755; each app.shared folder owned by the service user
  (mode 0750) so that the service can write there;
- the generated systemd unit(s) or supervisor program(s), exactly as a deploy renders them,
  installed (daemon-reload / supervisorctl update) and enabled;
- the nginx site, when the environment (or the file) has an nginx key and strategy is not
  blue-green (a blue-green deploy installs its own): written to sites-available, linked into
  sites-enabled, checked with nginx -t (on failure the old site stays), then nginx reloads;
- logrotate for log files (/etc/logrotate.d/APP: daily, 14 kept, copytruncate) with
  processManager supervisor or none;
- journald's limit when systemd.journal.maxUse is set (a drop-in, then journald restarts).
Setup runs its commands as the ssh user: it needs root there (useradd, /etc). A deploy never
creates a user: its preflight fails naming \`godeploy setup ENV\` when the unit's user is
missing. \`godeploy doctor ENV\` reports each item as ok or missing. A docker environment has
nothing to set up (exit 0). Capistrano users: this is \`deploy:check\` making the folders.
Exit 0 when every host is ready, 1 when an item failed on a host, 2 for usage errors.`,
  examples: [
    { line: 'godeploy setup prod --dry-run', comment: 'print each item and its commands per host, change nothing' },
    { line: 'godeploy setup prod', comment: 'prepare every host of prod; each item says created, installed, updated or unchanged' },
    { line: 'godeploy setup prod --host web3', comment: 'only the new host web3' },
  ],
  run: async (io: CliIO, g: GlobalOptions, args: string[], o) => {
    const [envName, ...extra] = args;
    if (!envName) throw usageError('setup: which environment?', 'godeploy setup ENV [--host H] [--dry-run]');
    if (extra.length) throw usageError(`setup: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time; name hosts with --host H');
    return withCancellation(io, { first: 'cancelling (the item under way finishes)…' }, async (token) => {
      const r = await setupHosts({
        configFile: await resolveConfigPath(g),
        environment: envName,
        only: o.host,
        dryRun: o['dry-run'],
        hosts: { acceptNewHostKey: o['accept-new-host-key'], env: io.env },
        token,
        sources: environmentSources(io.env),
        onPlan: printPlanWhenDry(io, { dryRun: o['dry-run'], json: o.json }),
      });
      if (o.json) return printJsonResult(io, r);
      if (r.dryRun) return 0;
      for (const h of r.hosts) io.out(hostLines(h).join('\n'));
      if (!r.hosts.length) io.out(r.plan.text);
      const changed = r.hosts.flatMap((h) => h.items).filter((i) => i.outcome !== 'unchanged').length;
      io.out(
        `setup ${r.environment}: ${r.ok ? (changed ? `done, ${changed} item${changed === 1 ? '' : 's'} changed` : 'done, everything unchanged') : 'FAILED'} in ${(r.durationMs / 1000).toFixed(1)} s`,
      );
      return r.ok ? 0 : 1;
    });
  },
});
