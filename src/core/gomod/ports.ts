/**
 * The port a main listens on, from its serve calls' addresses: the default value's port, where it
 * is written, and how it can be set from outside (flag first, then environment). Only addresses
 * that reach a listen call are used, so dial addresses, URLs and strings elsewhere never count.
 */
import type { PortFacts, PortSetting } from './types';
import type { ServeCall } from './serve';
import type { Val } from './values';

export interface ListenAddress {
  port: number | null;
  settings: PortSetting[];
  /** Where the default is written, with how it reaches the listen call. */
  source: { file: string; line: number; reason: string } | null;
  /** A call that may change the value at run time (a config decoder): the port is then not fixed. */
  changedBy: string | undefined;
}

/** The port of a listen address value. A flag or env var holding the whole address is marked `address`. */
export function listenAddress(v: Val): ListenAddress {
  const whole = (s: PortSetting): PortSetting => (s.kind === 'flag' ? { ...s, address: true } : s.kind === 'env' ? { ...s, address: true } : s);
  const part = v.port;
  let port: number | null;
  let settings: PortSetting[];
  let source = v.source;
  if (part) {
    port = part.num ?? (part.str !== undefined && /^\d+$/.test(part.str) ? Number(part.str) : null);
    settings = [...part.settings, ...v.settings.map(whole)];
    source = part.source;
  } else {
    const m = v.str !== undefined ? /:(\d+)$/.exec(v.str) : null;
    port = m ? Number(m[1]) : null;
    settings = v.settings.map(whole);
  }
  if (port !== null && (port < 1 || port > 65535)) port = null;
  const more = settings.flatMap((s) => (s.kind !== 'fixed' && !v.why.includes(s.name) ? [`${s.kind} ${s.name}`] : []));
  const host = v.str !== undefined && v.str.includes(':') ? v.str.slice(0, v.str.lastIndexOf(':')) : null;
  const loopback = host !== null && /^(localhost|127\.[\d.]+|\[::1\])$/.test(host) ? ' (loopback only: not reachable from outside the host or container)' : '';
  const changedBy = part?.changedBy ?? v.changedBy;
  const changed = changedBy ? `; ${changedBy}(…) may change it at run time` : '';
  const reason = `listen address ${v.why}${more.length ? `; also set by ${more.join(', ')}` : ''}${changed}${loopback}`;
  return { port, settings, source: source ? { ...source, reason } : null, changedBy };
}

/** The best port among the serve calls: a known port first, then an HTTP server's when the main serves HTTP, then one not started in a goroutine, then source order (main package first). */
export function portFacts(calls: ServeCall[]): PortFacts {
  return choosePort(calls).facts;
}

/** The port facts and the serve call they come from (null when nothing listens or no port is known). */
export function choosePort(calls: ServeCall[]): { facts: PortFacts; call: ServeCall | null } {
  const http = calls.some((c) => c.kind === 'http');
  const candidates = calls.map((c, i) => ({ c, i, a: c.addr ? listenAddress(c.addr) : null }));
  candidates.sort(
    (x, y) =>
      Number(y.a?.port != null) - Number(x.a?.port != null) ||
      Number(y.c.kind === 'http' || !http) - Number(x.c.kind === 'http' || !http) ||
      Number(x.c.background) - Number(y.c.background) ||
      x.i - y.i,
  );
  const best = candidates[0];
  if (!best) return { facts: { port: null, source: null, settings: [] }, call: null };
  if (!best.a || best.a.port === null) return { facts: { port: null, source: best.c.evidence, settings: best.a?.settings ?? [] }, call: null };
  return {
    facts: {
      port: best.a.port,
      source: best.a.source ?? best.c.evidence,
      settings: best.a.settings.length || best.a.changedBy ? best.a.settings : [{ kind: 'fixed' }],
    },
    call: best.c,
  };
}
