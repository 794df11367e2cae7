// Ctrl-C, SIGTERM (a CI runner's cancel, `kill`, systemd) and SIGHUP (a closed terminal or
// ssh session) all mean "stop": the operation is cancelled the same way for each. Before
// the switch that changes nothing; after it, the hosts are rolled back and the locks
// released, which must not be cut short: a further signal only says what is still being
// finished, it never ends the process half-way. (SIGKILL cannot be caught: the next deploy
// takes over the lock a dead process on this machine left.) Commands that change nothing (a
// build, reading logs) may instead let a second signal end the process (repeatEnds).
// Every command wires signals through withCancellation (or cancelOnSignals) here.
import { CancellationSource, type CancellationTokenLike } from '../core';
import type { CliIO } from './io';

export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface SignalMessages {
  /** Said on the first signal: what cancelling does now (none: the operation just stops, as `logs -f` does on Ctrl-C). */
  first?: string;
  /** Said on every later one (default: still finishing, waiting). */
  again?: string;
  /**
   * A later signal ends the process at once, as if nothing listened: for operations that
   * change nothing (a build, reading logs or locks), where no host can be left half-done.
   */
  repeatEnds?: boolean;
}

/**
 * Runs `operation` with a token that the first termination signal cancels (saying
 * `messages.first`); stops listening when it settles. The one place a command wires signals.
 */
export async function withCancellation<T>(io: CliIO, messages: SignalMessages, operation: (token: CancellationTokenLike) => Promise<T>): Promise<T> {
  const cancel = new CancellationSource();
  const stopListening = cancelOnSignals(io, cancel, messages);
  try {
    return await operation(cancel.token);
  } finally {
    stopListening();
  }
}

/** Cancels `cancel` on the first termination signal; returns the function that stops listening. */
export function cancelOnSignals(io: CliIO, cancel: CancellationSource, messages: SignalMessages): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (signal === 'SIGHUP') quietBrokenOutput();
    if (count === 1) {
      if (messages.first !== undefined) say(io, `godeploy: ${signal === 'SIGINT' ? 'interrupted' : `received ${signal}`}: ${messages.first}`);
      cancel.cancel();
      return;
    }
    if (messages.repeatEnds) {
      // Nothing is left half-done: the signal's default action (ending the process) applies.
      stop();
      process.kill(process.pid, signal);
      return;
    }
    say(
      io,
      `godeploy: ${messages.again ?? 'still finishing what cancelling started (rolling back, releasing locks); waiting so that no host is left half-switched'}`,
    );
  };
  const stop = (): void => {
    for (const s of TERMINATION_SIGNALS) process.removeListener(s, onSignal);
  };
  for (const s of TERMINATION_SIGNALS) process.on(s, onSignal);
  return stop;
}

function say(io: CliIO, text: string): void {
  try {
    io.err(text);
  } catch {
    // The terminal is gone (SIGHUP): the operation goes on without it.
  }
}

/** After a hang-up the terminal is gone: writes to it fail (EIO, EPIPE), which must not end the process. */
function quietBrokenOutput(): void {
  for (const s of [process.stdout, process.stderr]) {
    if (s.listenerCount('error') === 0) s.on('error', () => undefined);
  }
}
