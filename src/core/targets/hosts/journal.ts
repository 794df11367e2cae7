// A systemd unit's log from journald: journalctl with JSON output, so each entry carries its
// cursor. Lines show as journalctl's short-iso does (time, identifier[pid]: message); a
// reconnect asks for the entries after the last cursor seen, so none is shown twice and
// none written meanwhile is missed.
import { shArgv } from '../../remote/quote';
import { FOLLOW_UNTIL_EOF, type CommandSource } from '../../logs/follow';
import { LineSplitter, type LogLine } from '../../logs/logLine';

export interface JournalOptions {
  lines: number;
  /** Epoch seconds. */
  since?: number;
  follow: boolean;
}

/** journalctl's argv: the last `lines` entries (or those after `cursor`), as JSON, following or not. */
export function journalctlArgv(units: string[], o: JournalOptions, cursor?: string): string[] {
  const argv = [
    'journalctl',
    ...units.flatMap((u) => ['--unit', u]),
    '--output',
    'json',
    '--output-fields',
    'MESSAGE,_PID,SYSLOG_IDENTIFIER,PRIORITY',
    '--no-pager',
    ...(cursor ? ['--after-cursor', cursor, '--no-tail'] : ['--lines', String(o.lines), ...(o.since !== undefined ? ['--since', `@${o.since}`] : [])]),
    ...(o.follow ? ['--follow'] : []),
  ];
  return argv;
}

interface JournalEntry {
  __CURSOR?: string;
  __REALTIME_TIMESTAMP?: string;
  MESSAGE?: string | number[] | null;
  _PID?: string;
  SYSLOG_IDENTIFIER?: string;
  PRIORITY?: string;
}

/** syslog priorities: 0 emerg … 3 err are errors, 4 is a warning; notice, info and debug are ordinary lines. */
function levelOf(priority: string | undefined): LogLine['level'] {
  if (priority !== undefined && ['0', '1', '2', '3'].includes(priority)) return 'error';
  return priority === '4' ? 'warning' : undefined;
}

/** One JSON entry as a line; null for what is not an entry. */
export function journalLine(host: string, json: string): { line: LogLine; cursor?: string } | null {
  let e: JournalEntry;
  try {
    e = JSON.parse(json) as JournalEntry;
  } catch {
    return json.trim() ? { line: { host, text: json } } : null;
  }
  const us = Number(e.__REALTIME_TIMESTAMP);
  const message = Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE).toString('utf8') : (e.MESSAGE ?? '');
  const who = e.SYSLOG_IDENTIFIER ? `${e.SYSLOG_IDENTIFIER}${e._PID ? `[${e._PID}]` : ''}: ` : '';
  const level = levelOf(e.PRIORITY);
  return {
    line: { host, time: Number.isFinite(us) ? new Date(us / 1000).toISOString() : undefined, text: `${who}${message}`, ...(level ? { level } : {}) },
    cursor: e.__CURSOR,
  };
}

export function journalSource(host: string, units: string[], o: JournalOptions): CommandSource {
  let cursor: string | undefined;
  let lastTime: string | undefined;
  let split = new LineSplitter();
  const parse = (raw: string[]): LogLine[] =>
    raw.flatMap((l) => {
      const r = journalLine(host, l);
      if (!r) return [];
      if (r.cursor) cursor = r.cursor;
      if (r.line.time) lastTime = r.line.time;
      return [r.line];
    });
  return {
    host,
    what: `the journal of ${units.join(', ')}`,
    argv: () => {
      split = new LineSplitter();
      const argv = journalctlArgv(units, o, cursor);
      return o.follow ? shArgv(FOLLOW_UNTIL_EOF, ...argv) : argv;
    },
    stdout: (chunk) => parse(split.push(chunk)),
    stderr: (line) =>
      /insufficient permissions/i.test(line)
        ? [{ host, notice: true, text: `${line.trim()}: the ssh user needs to be in the systemd-journal (or adm) group to read ${units.join(', ')}'s journal` }]
        : [],
    end: () => parse(split.end()),
    resumePoint: () => (cursor ? `after ${lastTime ?? 'the last entry shown'}` : undefined),
  };
}
