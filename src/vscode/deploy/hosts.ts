import type { HostOutcome } from '../../core/index';

/** What happened on one host (or the engine): the value, or why it could not be read there. */
export type HostRun<T> =
  { host: string; address: string; ok: true; value: T; newHostKey?: string } | { host: string; address: string; ok: false; error: string; hint?: string };

/** The engine's outcome for a host, as the editor's commands return it. */
export function hostRun<T>(o: HostOutcome<T>): HostRun<T> {
  return o.ok
    ? { host: o.alias, address: o.address, ok: true, value: o.value, newHostKey: o.newHostKey }
    : { host: o.alias, address: o.address, ok: false, error: o.error, hint: o.hint };
}
