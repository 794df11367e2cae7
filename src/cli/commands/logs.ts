import { CancellationSource } from '../../core/cancellation';
import { usageError } from '../../core/errors';
import { formatLogLine, parseSince } from '../../core/logs/logLine';
import { tailLogs } from '../../core/logs/logs';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const logsHelp = `godeploy logs ENV [-f] [-n N] [--since D] [--grep RE] [--host H]... [--json] [--dry-run] [--accept-new-host-key]
  Shows the service's log from every host of environment ENV at once, each line prefixed
  with its host: systemd units through journald (journalctl), supervisor programs and
  \`type: local\` services through their log files, docker environments through the Engine
  API (every running release container, or the swarm service).
  -n N          past lines per source first (default 50)
  --since D     only lines since D: 90s, 10m, 2h, 1d, or a date/time (journald and Docker;
                log files have no timestamps)
  -f, --follow  keep following until Ctrl-C; a dropped connection is retried with backoff
                and resumes after the last line shown (a notice line marks the gap)
  --grep RE     only lines matching the regular expression (JavaScript syntax)
  --host H      only host H (an ssh host's alias in godeploy.yaml); repeat for several
  --json        one JSON object per line: {"host","time","text","notice","level"};
                level is "error" or "warning" where journald's priority says so, else null;
                a source that could not be read ends the stream with {"error":{…}}
  --dry-run     print what would be read where, and read nothing
  Exit 0 when every source was read (or following was stopped), 1 when one failed, 2 for
  usage errors.`;

export async function runLogs(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: { follow: boolean; lines?: string; since?: string; grep?: string; host?: string[]; json: boolean; dryRun: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const [envName, ...extra] = args;
  if (!envName) throw usageError('logs: which environment?', 'godeploy logs ENV [-f] [-n N]');
  if (extra.length) throw usageError(`logs: unexpected argument ${JSON.stringify(extra[0])}`, 'see `godeploy logs --help`');
  const lines = flags.lines === undefined ? 50 : Number(flags.lines);
  if (!Number.isInteger(lines) || lines < 0)
    throw usageError(`logs: -n ${JSON.stringify(flags.lines)} is not a number of lines`, 'give a whole number, such as -n 100');
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  if (flags.since !== undefined && since === undefined)
    throw usageError(
      `logs: --since ${JSON.stringify(flags.since)} is neither a duration nor a date`,
      'write 90s, 10m, 2h, 1d, or a date such as 2026-11-21T08:00:00Z',
    );
  let grep: RegExp | undefined;
  try {
    grep = flags.grep === undefined ? undefined : new RegExp(flags.grep);
  } catch (e) {
    throw usageError(
      `logs: --grep ${JSON.stringify(flags.grep)} is not a regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
      'escape special characters with \\, or use a plain word',
    );
  }
  const cancel = new CancellationSource();
  const onSigint = (): void => cancel.cancel();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let width = 0;
  try {
    const r = await tailLogs({
      configFile: await resolveConfigPath(g),
      environment: envName,
      lines,
      since,
      follow: flags.follow,
      grep,
      only: flags.host,
      dryRun: flags.dryRun,
      hosts: { acceptNewHostKey: flags.acceptNewHostKey },
      token: cancel.token,
      env: io.env,
      onPlan: (plan) => {
        if (flags.dryRun) io.out(plan);
      },
      onLines: (batch) => {
        if (flags.json) {
          io.out(
            batch
              .map((l) => JSON.stringify({ host: l.host, time: l.time ?? null, text: l.text, notice: l.notice === true, level: l.level ?? null }))
              .join('\n'),
          );
          return;
        }
        width = Math.max(width, ...batch.map((l) => l.host.length));
        io.out(batch.map((l) => formatLogLine(l, width)).join('\n'));
      },
    });
    for (const e of r.errors) io.err(`godeploy: logs: ${e}`);
    // With --json the failure ends the stream as one more line, the CLI's JSON failure.
    if (flags.json && r.errors.length) io.out(JSON.stringify({ error: { message: `logs: ${r.errors.join('; ')}`, hint: null, location: null, exitCode: 1 } }));
    return r.ok ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
}
