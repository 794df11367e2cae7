import { formatLogLine, logLineSource, parseSince, tailLogs, usageError } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, defineCommand } from '../spec';

export const logsCommand = defineCommand({
  name: 'logs',
  positionals: 'ENV',
  summary: "the service's log from every host, prefixed with the host",
  options: [
    {
      name: 'follow',
      short: 'f',
      type: 'boolean',
      description:
        'keep following until Ctrl-C; a dropped connection is retried with backoff and resumes after the last line shown (a notice line marks the gap)',
    },
    { name: 'lines', short: 'n', type: 'string', value: 'N', description: 'past lines per source first (default 50)' },
    {
      name: 'since',
      type: 'string',
      value: 'D',
      description: 'only lines since D: 90s, 10m, 2h, 1d, or a date/time (journald and Docker; log files have no timestamps)',
    },
    { name: 'grep', type: 'string', value: 'RE', description: 'only lines matching the regular expression (JavaScript syntax)' },
    { name: 'host', type: 'string', multiple: true, value: 'H', description: "only host H (an ssh host's alias in godeploy.yaml); repeat for several" },
    {
      name: 'process',
      type: 'string',
      value: 'P',
      description: 'only process P of the app (app.processes): its unit, supervisor program, log file or containers, on the hosts that run it',
    },
    {
      name: 'json',
      type: 'boolean',
      description:
        'one JSON object per line: {"host","process","time","text","notice","level"}; process is the app\'s process when it has several, else null; level is "error" or "warning" where journald\'s priority says so, else null; a source that could not be read ends the stream with {"error":{…}}',
    },
    { name: 'dry-run', type: 'boolean', description: 'print what would be read where, and read nothing' },
    acceptNewHostKeyOption,
  ],
  help: `Shows the service's log from every host of environment ENV at once, each line prefixed
with its host: systemd units through journald (journalctl), supervisor programs and
\`type: local\` services through their log files, docker environments through the Engine
API (every running release container, or the swarm service).
Exit 0 when every source was read (or following was stopped), 1 when one failed, 2 for
usage errors.`,
  examples: [
    { line: 'godeploy logs prod -f', comment: 'follow the log of every host of prod until Ctrl-C' },
    { line: "godeploy logs prod -n 200 --grep 'level=error'", comment: 'the last 200 lines of each host, errors only' },
    { line: 'godeploy logs prod --since 1h --host web1', comment: 'the last hour, from host web1 only' },
    { line: 'godeploy logs prod -f --process worker', comment: 'follow only the worker process, on the hosts that run it' },
  ],
  run: (io, g, args, o) =>
    runLogs(io, g, args, {
      follow: o.follow,
      lines: o.lines,
      since: o.since,
      grep: o.grep,
      host: o.host,
      process: o.process,
      json: o.json,
      dryRun: o['dry-run'],
      acceptNewHostKey: o['accept-new-host-key'],
    }),
});

export async function runLogs(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: {
    follow: boolean;
    lines?: string;
    since?: string;
    grep?: string;
    host?: string[];
    process?: string;
    json: boolean;
    dryRun: boolean;
    acceptNewHostKey: boolean;
  },
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
  let width = 0;
  // Ctrl-C is how following ends: quietly, exit 0; a second one ends the process.
  return withCancellation(io, { repeatEnds: true }, async (token) => {
    const r = await tailLogs({
      configFile: await resolveConfigPath(g),
      environment: envName,
      lines,
      since,
      follow: flags.follow,
      grep,
      only: flags.host,
      process: flags.process,
      dryRun: flags.dryRun,
      hosts: { acceptNewHostKey: flags.acceptNewHostKey },
      token,
      env: io.env,
      onPlan: (plan) => {
        if (flags.dryRun) io.out(plan);
      },
      onLines: (batch) => {
        if (flags.json) {
          io.out(
            batch
              .map((l) =>
                JSON.stringify({
                  host: l.host,
                  process: l.process ?? null,
                  time: l.time ?? null,
                  text: l.text,
                  notice: l.notice === true,
                  level: l.level ?? null,
                }),
              )
              .join('\n'),
          );
          return;
        }
        width = Math.max(width, ...batch.map((l) => logLineSource(l).length));
        io.out(batch.map((l) => formatLogLine(l, width)).join('\n'));
      },
    });
    for (const e of r.errors) io.err(`godeploy: logs: ${e}`);
    // With --json the failure ends the stream as one more line, the CLI's JSON failure.
    if (flags.json && r.errors.length) io.out(JSON.stringify({ error: { message: `logs: ${r.errors.join('; ')}`, hint: null, location: null, exitCode: 1 } }));
    return r.ok ? 0 : 1;
  });
}
