// Following one log source on one host for as long as the user wants it: the command runs
// through the host's runner with its output streamed into the queue; when the connection
// drops, it reconnects with backoff (1 s doubling to 30 s) and starts the command again from
// where the last line left off (a journald cursor, a byte offset), with a notice line
// marking the gap. A command that fails on its own (journalctl refused, say) is reported,
// not retried in a loop.
import type { CancellationTokenLike } from '../cancellation';
import type { HostProcess, HostRunner } from '../remote/hostRunner';
import type { LogLine } from './logLine';
import type { LineQueue } from './lineQueue';

/**
 * sh -c FOLLOW_UNTIL_EOF sh CMD ARGS…: runs CMD until it ends or this script's stdin does.
 * A command started over ssh without a terminal keeps running after the channel closes
 * (journalctl -f writes only when a line comes); the channel's stdin ending is the sign.
 */
export const FOLLOW_UNTIL_EOF =
  'exec 3<&0; "$@" </dev/null & p=$!; (cat <&3 >/dev/null; kill $p 2>/dev/null) & w=$!; wait $p; c=$?; kill $w 2>/dev/null; exit $c';

/** A source read by running a command on a host (journalctl, tail). */
export interface CommandSource {
  host: string;
  /** What it follows, for notices: "the journal of deployapp.service". */
  what: string;
  /** The command from the current resume point. */
  argv(): string[];
  stdout(chunk: Buffer): LogLine[];
  /** stderr lines it understands become notices; the rest is kept for the failure message. */
  stderr(line: string): LogLine[];
  /** The partial last line, when the command ended. */
  end(): LogLine[];
  /** Where a restart picks up, for the gap notice ("after 2026-…", "at byte N of F"); undefined: from the start. */
  resumePoint(): string | undefined;
}

/** The host's runner, opened again when the connection was lost. */
export interface RunnerSource {
  runner(): Promise<HostRunner>;
  /** `runner` failed: drops it (when it is still the current one) so that the next runner() opens a new one. */
  lost(runner: HostRunner): void;
  /** Ends the connection for good. */
  close(): void;
}

export interface FollowOptions {
  follow: boolean;
  token: CancellationTokenLike;
  /** Backoff: first and longest wait in ms. */
  retryMs?: [number, number];
}

/** Runs the source until it ends (not following), the token is cancelled, or it fails on its own. Never rejects. */
export async function followCommand(
  source: CommandSource,
  hosts: RunnerSource,
  queue: Pick<LineQueue, 'push' | 'control'>,
  o: FollowOptions,
): Promise<{ ok: boolean; error?: string }> {
  const [first, longest] = o.retryMs ?? [1000, 30_000];
  let wait = first;
  let lostAt: string | undefined;
  const notice = (text: string): void => queue.push([{ host: source.host, text, notice: true }]);
  while (!o.token.isCancellationRequested) {
    let proc: HostProcess;
    let runner: HostRunner | undefined;
    try {
      runner = await hosts.runner();
      proc = await runner.spawn(source.argv());
    } catch (e) {
      if (!o.follow) return { ok: false, error: (e as Error).message };
      if (runner) hosts.lost(runner);
      if (!lostAt) {
        lostAt = new Date().toISOString();
        notice(`cannot reach ${source.host}: ${(e as Error).message}; retrying in ${Math.round(wait / 1000)} s`);
      }
      if (await sleep(wait, o.token)) break;
      wait = Math.min(wait * 2, longest);
      continue;
    }
    if (lostAt) {
      const at = source.resumePoint();
      notice(`reconnected to ${source.host} (lost since ${lostAt}); ${at ? `resuming ${at}: lines written meanwhile follow` : 'starting over'}`);
    }
    const stderr: string[] = [];
    let errRest = '';
    proc.stdout.on('data', (d: Buffer) => {
      wait = first;
      queue.push(source.stdout(d));
    });
    proc.stderr.on('data', (d: Buffer) => {
      const parts = (errRest + d.toString('utf8')).split('\n');
      errRest = parts.pop() ?? '';
      for (const l of parts) {
        const known = source.stderr(l);
        if (known.length) queue.push(known);
        else if (l.trim()) stderr.push(l);
      }
    });
    const release = queue.control({ pause: () => proc.stdout.pause(), resume: () => proc.stdout.resume() });
    const sub = o.token.onCancellationRequested(() => proc.kill());
    const exit = await proc.exit;
    sub.dispose();
    release();
    queue.push(source.end());
    if (o.token.isCancellationRequested) break;
    const said = [...stderr, errRest]
      .filter((l) => l.trim())
      .slice(-3)
      .join(' / ');
    if (exit.code !== null && exit.code !== 0) {
      const error = `${source.what} on ${source.host} failed (exit ${exit.code})${said ? `: ${said}` : ''}`;
      notice(error);
      return { ok: false, error };
    }
    if (!o.follow) return { ok: true };
    // Killed or the connection went (no exit status), or the follower ended by itself: again, from where it was.
    hosts.lost(runner);
    lostAt = new Date().toISOString();
    notice(`connection to ${source.host} lost${exit.code === 0 ? ` (${source.what} ended)` : ''}; reconnecting in ${Math.round(wait / 1000)} s`);
    if (await sleep(wait, o.token)) break;
    wait = Math.min(wait * 2, longest);
  }
  return { ok: true };
}

/** Waits `ms`; true when the token was cancelled meanwhile. */
export function sleep(ms: number, token: CancellationTokenLike): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      sub.dispose();
      resolve(false);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(t);
      sub.dispose();
      resolve(true);
    });
  });
}
