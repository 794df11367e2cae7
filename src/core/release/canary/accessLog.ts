// strategy canary: nginx's JSON access log (log format godeploy_<id>_json, nginxCanary.ts) read
// into entries, each entry attributed to the live or the canary instance by the port it was
// answered from, and the figures of a window (requests, 5xx, p50/p95 latency) per version.
import type { Figures, VersionFigures } from './types';

export interface AccessLogEntry {
  /** When nginx logged the request: epoch milliseconds ($msec). */
  msec: number;
  /** $upstream_addr as logged: "127.0.0.1:8081", "a, b" after a retry, "" without an upstream. */
  upstream: string;
  status: number;
  /** $request_time in milliseconds. */
  requestTimeMs: number;
}

export interface ParsedAccessLog {
  entries: AccessLogEntry[];
  /**
   * Bytes (UTF-8) of the complete lines read, malformed ones included: a last line without
   * its newline is still being written, and the next read starts at it.
   */
  consumed: number;
}

/** The entries of the complete lines of `text`; lines that are not the format's JSON are skipped. */
export function parseAccessLog(text: string): ParsedAccessLog {
  const end = text.lastIndexOf('\n') + 1;
  const entries: AccessLogEntry[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    const entry = entryOf(line);
    if (entry) entries.push(entry);
  }
  return { entries, consumed: Buffer.byteLength(text.slice(0, end), 'utf8') };
}

function entryOf(line: string): AccessLogEntry | null {
  if (!line.trim()) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const { msec, upstream, status, request_time: requestTime } = o;
  if (typeof msec !== 'number' || typeof status !== 'number' || typeof requestTime !== 'number' || typeof upstream !== 'string') return null;
  if (![msec, status, requestTime].every(Number.isFinite)) return null;
  return { msec: Math.round(msec * 1000), upstream, status, requestTimeMs: Math.round(requestTime * 1000) };
}

/**
 * Which instance answered: the last address of $upstream_addr ("a, b" when nginx tried a
 * second server, "a : b" after an internal redirect to another upstream) by its port; null for
 * no upstream (nginx answered itself) or a port that is neither.
 */
export function versionOf(upstreamAddr: string, ports: { stable: number; canary: number }): 'stable' | 'canary' | null {
  const last =
    upstreamAddr
      .split(/\s*,\s*|\s+:\s+/)
      .pop()
      ?.trim() ?? '';
  const m = /:(\d+)$/.exec(last);
  if (!m) return null;
  const port = Number(m[1]);
  if (port === ports.stable) return 'stable';
  if (port === ports.canary) return 'canary';
  return null;
}

/** Nearest-rank percentile (p in 0..100) of values sorted ascending; null when there are none. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function versionFigures(entries: readonly AccessLogEntry[]): VersionFigures {
  const times = entries.map((e) => e.requestTimeMs).sort((a, b) => a - b);
  const errors = entries.filter((e) => e.status >= 500).length;
  return {
    requests: entries.length,
    errors,
    errorRate: entries.length ? errors / entries.length : 0,
    p50Ms: nearestRank(times, 50),
    p95Ms: nearestRank(times, 95),
  };
}

/** The window's figures per version; entries answered by neither instance are left out. */
export function figuresOf(entries: readonly AccessLogEntry[], ports: { stable: number; canary: number }): Figures {
  const by = { stable: [] as AccessLogEntry[], canary: [] as AccessLogEntry[] };
  for (const e of entries) {
    const v = versionOf(e.upstream, ports);
    if (v) by[v].push(e);
  }
  return { stable: versionFigures(by.stable), canary: versionFigures(by.canary) };
}
