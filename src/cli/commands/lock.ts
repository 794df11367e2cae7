import {
  describeHeldLock,
  loadEnvironment,
  onEnvironmentLocks,
  releaseIfAllowed,
  usageError,
  type HostOutcome,
  type LockPlace,
  type LockReleaseResult,
  type LockStatus,
} from '../../core';
import type { CliIO } from '../io';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { withCancellation } from '../signals';
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
  examples: [
    { line: 'godeploy lock status prod', comment: "who holds the deploy lock on prod's hosts, and since when" },
    { line: 'godeploy lock release prod', comment: 'remove a stale lock (one a running deploy holds is refused)' },
    { line: 'godeploy lock release prod --force', comment: 'remove it anyway, when you know no deploy is running' },
  ],
  run: (io, g, args, o) => runLock(io, g, args, { json: o.json, force: o.force, acceptNewHostKey: o['accept-new-host-key'] }),
});

/** Runs `fn` on the lock of every host (ssh, local) or of the engine (docker) of `envName`; a signal cancels the connections. */
async function onLocks<T>(
  io: CliIO,
  g: GlobalOptions,
  envName: string | undefined,
  command: string,
  acceptNewHostKey: boolean,
  fn: (lock: LockPlace) => Promise<T>,
): Promise<{ base: string; outcomes: HostOutcome<T>[] }> {
  const loaded = await loadEnvironment(await resolveConfigPath(g), envName, command);
  return withCancellation(io, {}, (token) => onEnvironmentLocks(loaded, command, { acceptNewHostKey, token, env: io.env }, fn));
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
  const { base, outcomes } = await onLocks(io, g, envName, 'lock status', flags.acceptNewHostKey, (l) => l.status());
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

async function lockReleaseCommand(
  io: CliIO,
  g: GlobalOptions,
  envName: string | undefined,
  flags: { json: boolean; force: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const { base, outcomes } = await onLocks(io, g, envName, 'lock release', flags.acceptNewHostKey, (l): Promise<LockReleaseResult> =>
    releaseIfAllowed(l, flags.force),
  );
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
