// A line of a service's log as Go Deploy shows it: which host (or container) it came from,
// when (for sources with timestamps), and the text. Notices are Go Deploy's own lines in the
// stream (a lost connection, the gap until it came back), never the service's.
import { StringDecoder } from 'node:string_decoder';

export interface LogLine {
  /** The host alias, "local", or the container / service of a docker environment. */
  host: string;
  /** The app's process the line is from, when the app has several (app.processes). */
  process?: string;
  /** ISO 8601 UTC, for sources that record one (journald, Docker). */
  time?: string;
  text: string;
  notice?: boolean;
  /** How the source ranked the line, where it does (journald's PRIORITY): error (0-3) or warning (4). */
  level?: 'error' | 'warning';
}

/** A line longer than this is cut (and says so): one runaway line must not hold the stream. */
export const MAX_LINE = 64 * 1024;

/** Splits a byte stream into lines (UTF-8 safe across chunks); the last partial line waits for its end. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  push(chunk: Buffer): string[] {
    const text = this.rest + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    if (this.rest.length > MAX_LINE) {
      parts.push(`${this.rest.slice(0, MAX_LINE)} [line cut at ${MAX_LINE / 1024} KiB]`);
      this.rest = '';
    }
    return parts.map(trimCr);
  }

  /** What is left when the stream ends (a last line without a newline). */
  end(): string[] {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    return last ? [trimCr(last)] : [];
  }
}

const trimCr = (l: string): string => (l.endsWith('\r') ? l.slice(0, -1) : l);

/** Where a line is from as shown: its host, and its process when the app has several ("web1/api"). */
export const logLineSource = (l: Pick<LogLine, 'host' | 'process'>): string => (l.process ? `${l.host}/${l.process}` : l.host);

/** "web1 | 2026-11-21T21:56:36.123Z text", the host (and process) padded to `width`; a notice is "web1 | -- text". */
export function formatLogLine(l: LogLine, width = 0): string {
  return `${logLineSource(l).padEnd(width)} | ${l.notice ? '-- ' : ''}${l.time ? `${l.time} ` : ''}${l.text}`;
}

/** `--since`: a duration back from now (90s, 10m, 2h, 1d) or a date/time; epoch seconds. */
export function parseSince(value: string, now = Date.now()): number | undefined {
  const d = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  if (d) return Math.floor((now - Number(d[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[d[2] as 's']! * 1000) / 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}
