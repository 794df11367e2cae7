import { CancellationSource } from '../../core/cancellation';
import { onEnvironmentLocks } from '../../core/operations/locks';
import { describeHeldLock, type LockPlace } from '../../core/release/lockOwner';
import { forEachHost, type ConnectedHost } from '../../core/remote/hostAccess';
import { deployEnvironmentOf, loadDeployEnvironment, loadEnvironment, type DeployEnvironment, type LoadedEnvironment } from '../../core/environment/load';
import { type HostOutcome } from '../../core/environment/types';
import type { LockStatus } from '../../core/release/lockOwner';
import { usageError } from '../../core/errors';
import type { CliIO } from '../io';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const lockCommand = defineCommand({
  name: 'lock',
  positionals: 'status|release ENV',
  forms: [
    { positionals: 'status ENV', options: ['json', 'accept-new-host-key'] },
    { positionals: 'release ENV', options: ['force', 'json', 'accept-new-host-key'] },
  ],
  summary: 'the deploy lock on every host: who holds it, release it',
  options: [
    { name: 'force', type: 'boolean', description: 'release: remove the lock even when it is not stale' },
    { ...jsonOption, description: "print every host's lock (or what release did to it) as JSON" },
    acceptNewHostKeyOption,
  ],
  help: `The deploy lock of every host of environment ENV (<base>/.godeploy/lock), in parallel.
status: free, or who holds it (user@machine, since, version, operation), for how long,
and whether it looks stale (held longer than 30 minutes, or its process on this machine
is gone). Exit 0, or 1 when a host could not be read.
release: removes a stale lock; a lock that is not stale is refused (naming its holder)
unless --force. Exit 0 when every host's lock is released or already free, 1 otherwise.
A docker environment keeps its lock on the engine: the container godeploy-lock-<app>.`,
  run: (io, g, args, o) => runLock(io, g, args, { json: o.json, force: o.force, acceptNewHostKey: o['accept-new-host-key'] }),
});

/** Runs `fn` with a token that Ctrl-C cancels (the connections it opens). */
async function cancelledByCtrlC<T>(fn: (token: CancellationSource['token']) => Promise<T>): Promise<T> {
  const cancel = new CancellationSource();
  const onSigint = () => cancel.cancel();
  process.once('SIGINT', onSigint);
  try {
    return await fn(cancel.token);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Runs `fn` on every host of environment `envName`, with Ctrl-C cancelling the connections. */
export async function onEnvironmentHosts<T>(
  g: GlobalOptions,
  envName: string | undefined,
  command: string,
  acceptNewHostKey: boolean,
  fn: (host: ConnectedHost, base: string, d: DeployEnvironment) => Promise<T>,
  loaded?: LoadedEnvironment,
): Promise<{ base: string; outcomes: HostOutcome<T>[] }> {
  const d = loaded ? deployEnvironmentOf(loaded, command) : await loadDeployEnvironment(await resolveConfigPath(g), envName, command);
  return { base: d.base, outcomes: await cancelledByCtrlC((token) => forEachHost(d, { acceptNewHostKey, token }, (h) => fn(h, d.base, d))) };
}

/** Runs `fn` on the lock of every host (ssh, local) or of the engine (docker) of `envName`, with Ctrl-C cancelling the connections. */
async function onLocks<T>(
  g: GlobalOptions,
  envName: string | undefined,
  command: string,
  acceptNewHostKey: boolean,
  fn: (lock: LockPlace) => Promise<T>,
): Promise<{ base: string; outcomes: HostOutcome<T>[] }> {
  const loaded = await loadEnvironment(await resolveConfigPath(g), envName, command);
  return cancelledByCtrlC((token) => onEnvironmentLocks(loaded, command, { acceptNewHostKey, token }, fn));
}

const statusJson = (s: LockStatus) =>
  s.state === 'free'
    ? { state: 'free', owner: null, ageSeconds: null, stale: null, staleReason: null }
    : { state: 'held', owner: s.owner, ageSeconds: s.ageSeconds, stale: s.stale, staleReason: s.staleReason };

export async function runLock(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: { json: boolean; force: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const [sub, envName, ...extra] = args;
  if (sub !== 'status' && sub !== 'release')
    throw usageError(
      sub ? `lock: unknown subcommand "${sub}"` : 'lock: status or release?',
      'godeploy lock status ENV, or godeploy lock release ENV [--force]',
    );
  if (extra.length) throw usageError(`lock ${sub}: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  if (sub === 'status' && flags.force) throw usageError('lock status does not take --force', 'see `godeploy lock --help`');
  return sub === 'status' ? lockStatusCommand(io, g, envName, flags) : lockReleaseCommand(io, g, envName, flags);
}

async function lockStatusCommand(
  io: CliIO,
  g: GlobalOptions,
  envName: string | undefined,
  flags: { json: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const { base, outcomes } = await onLocks(g, envName, 'lock status', flags.acceptNewHostKey, (l) => l.status());
  const failed = outcomes.filter((o) => !o.ok).length;
  if (flags.json) {
    io.json({
      environment: envName,
      base,
      hosts: outcomes.map((o) => ({
        host: o.alias,
        address: o.address,
        ...(o.ok ? { ...statusJson(o.value), error: null } : { state: 'error', error: o.error }),
      })),
    });
    return failed ? 1 : 0;
  }
  for (const o of outcomes) {
    const head = `${o.alias} (${o.address})`;
    if (!o.ok) {
      io.out(`${head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`);
    } else if (o.value.state === 'free') {
      io.out(`${head}: free`);
    } else {
      io.out(`${head}: ${describeHeldLock(o.value)}`);
      io.out(
        o.value.stale
          ? `  stale: ${o.value.staleReason}\n  hint: if no deploy is running there, release it with \`godeploy lock release ${envName}\``
          : '  not stale: an operation may be running',
      );
    }
  }
  return failed ? 1 : 0;
}

type ReleaseResult =
  { result: 'free' } | { result: 'released'; was: LockStatus & { state: 'held' } } | { result: 'refused'; status: LockStatus & { state: 'held' } };

async function lockReleaseCommand(
  io: CliIO,
  g: GlobalOptions,
  envName: string | undefined,
  flags: { json: boolean; force: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const { base, outcomes } = await onLocks(g, envName, 'lock release', flags.acceptNewHostKey, async (l): Promise<ReleaseResult> => {
    const s = await l.status();
    if (s.state === 'free') return { result: 'free' };
    if (!flags.force && !s.stale) return { result: 'refused', status: s };
    // Not forced: only the holder read above (a new holder that took it meanwhile is kept).
    const released = await l.release(flags.force ? undefined : (s.owner ?? undefined));
    return released ? { result: 'released', was: s } : { result: 'free' };
  });
  const failed = outcomes.filter((o) => !o.ok || o.value.result === 'refused').length;
  if (flags.json) {
    io.json({
      environment: envName,
      base,
      hosts: outcomes.map((o) => ({
        host: o.alias,
        address: o.address,
        ...(!o.ok
          ? { result: 'error', lock: null, error: o.error }
          : o.value.result === 'free'
            ? { result: 'free', lock: null, error: null }
            : { result: o.value.result, lock: statusJson(o.value.result === 'released' ? o.value.was : o.value.status), error: null }),
      })),
    });
    return failed ? 1 : 0;
  }
  for (const o of outcomes) {
    const head = `${o.alias} (${o.address})`;
    if (!o.ok) io.out(`${head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`);
    else if (o.value.result === 'free') io.out(`${head}: already free`);
    else if (o.value.result === 'released')
      io.out(`${head}: released (was ${describeHeldLock(o.value.was)}${o.value.was.stale ? `; stale: ${o.value.was.staleReason}` : ''})`);
    else
      io.out(
        `${head}: FAIL not released: ${describeHeldLock(o.value.status)}, and it is not stale\n  hint: wait for it to finish, or release it anyway with \`godeploy lock release ${envName} --force\``,
      );
  }
  return failed ? 1 : 0;
}
