// Go Deploy: Release Deploy Lock…: the editor's `godeploy lock release ENV [--force]`. Reads
// the lock of every host (or the docker engine) through the engine's onEnvironmentLocks,
// shows who holds it and whether it looks stale, and releases it after a modal confirmation.
// Also the Release Lock… button of a deploy or rollback that failed on a held lock.
import * as vscode from 'vscode';
import type { HeldLock, HostOutcome, LockPlace, LockStatus } from '../../core/index';
import type { GoDeployContext } from '../context';
import { hostOptions } from '../deploy/hostKeys';
import { isEnvironmentArgs, knownHostsFile, resolveEnvironment, type EnvironmentArgs } from '../deploy/target';
import { loadEngine } from '../engine';
import type { CommandDeps, CommandFactory } from './registry';

export interface ReleaseLockArgs extends EnvironmentArgs {
  /** Release without asking (tests, and callers that asked already). */
  confirm?: boolean;
  /** After a release, offer to run this again ("Deploy Again", "Rollback Again"). */
  again?: 'deploy' | 'rollback';
}

/** What happened to the lock of one host (or the docker engine). */
export interface ReleasedLock {
  host: string;
  address: string;
  /** free: nobody held it; released; kept: the user said no; error: not read or not released (see error). */
  state: 'free' | 'released' | 'kept' | 'error';
  /** Who held it, as "locked by USER@HOST since … (version V, operation O), held 3m 12s". */
  holder?: string;
  stale?: boolean;
  error?: string;
}

export interface ReleaseLockResult {
  module: string;
  configFile: string;
  environment: string;
  /** Where the locks are (the base folder, or the docker lock container). */
  base: string;
  hosts: ReleasedLock[];
}

const RELEASE = 'Release Lock';

/** The modal: who holds the lock of `host`, since when, whether it looks stale. */
async function confirmRelease(host: string, s: HeldLock): Promise<boolean> {
  const o = s.owner;
  const who = o ? `held by ${o.user}@${o.host} since ${o.since}` : 'whose owner.json is missing or unreadable';
  const detail = [
    `It is ${loadEngine().describeHeldLock(s)}${o ? `, process ${o.pid}` : ''}.`,
    s.stale ? `It looks stale: ${s.staleReason}.` : 'It does not look stale: an operation may still be running.',
  ].join('\n');
  const choice = await vscode.window.showWarningMessage(
    `Release the deploy lock ${who} on ${host}? Only do this if no deploy is running there.`,
    { modal: true, detail },
    RELEASE,
  );
  return choice === RELEASE;
}

const failed = (o: Extract<HostOutcome<unknown>, { ok: false }>): ReleasedLock => ({
  host: o.alias,
  address: o.address,
  state: 'error',
  error: `${o.error}${o.hint ? ` (${o.hint})` : ''}`,
});

/** The lock of every host of the environment: logged, confirmed one by one, released. */
async function runReleaseLock(deps: CommandDeps, arg: unknown): Promise<ReleaseLockResult | undefined> {
  const { ctx } = deps;
  const t = await resolveEnvironment(ctx, arg, 'releasing a deploy lock', 'release the deploy lock of');
  if (!t) return undefined;
  const args: ReleaseLockArgs = isEnvironmentArgs(arg) ? arg : {};
  const engine = loadEngine();
  const loaded = await engine.loadEnvironment({ file: t.configFile, exists: true }, t.environment, 'release lock');
  const options = hostOptions(ctx, knownHostsFile(t), args.acceptNewHostKey);
  const onLocks = <T>(title: string, fn: (lock: LockPlace) => Promise<T>) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) =>
      engine.onEnvironmentLocks<T>(loaded, 'release lock', { ...options, token }, fn),
    );

  const read = await onLocks<LockStatus>(`Go Deploy: reading the deploy lock of ${t.environment}…`, (l) => l.status());
  ctx.log.info(`deploy lock of ${t.environment} (${read.base}):`);
  const hosts = new Map<string, ReleasedLock>();
  const held = new Map<string, HeldLock>();
  for (const o of read.outcomes) {
    const head = `  ${o.alias} (${o.address})`;
    if (!o.ok) {
      hosts.set(o.alias, failed(o));
      ctx.log.warn(`${head}: cannot read the lock: ${o.error}${o.hint ? `\n    hint: ${o.hint}` : ''}`);
    } else if (o.value.state === 'free') {
      hosts.set(o.alias, { host: o.alias, address: o.address, state: 'free' });
      ctx.log.info(`${head}: free`);
    } else {
      held.set(o.alias, o.value);
      hosts.set(o.alias, { host: o.alias, address: o.address, state: 'kept', holder: engine.describeHeldLock(o.value), stale: o.value.stale });
      ctx.log.info(
        `${head}: ${engine.describeHeldLock(o.value)}; ${o.value.stale ? `stale: ${o.value.staleReason}` : 'not stale: an operation may be running'}`,
      );
    }
  }

  // Asked host by host; each release is of the holder the user saw (another one that took it meanwhile is kept).
  const confirmed = new Map<string, HeldLock>();
  for (const [host, s] of held) {
    if (args.confirm || (await confirmRelease(host, s))) confirmed.set(host, s);
    else ctx.log.info(`  ${host}: kept (not confirmed)`);
  }
  if (confirmed.size) {
    const released = await onLocks<boolean | undefined>(`Go Deploy: releasing the deploy lock of ${t.environment}…`, async (l) => {
      const s = confirmed.get(l.alias);
      return s ? l.release(s.owner ?? undefined) : undefined;
    });
    for (const o of released.outcomes) {
      const before = hosts.get(o.alias);
      if (!confirmed.has(o.alias) || !before) continue;
      if (!o.ok) {
        hosts.set(o.alias, { ...before, ...failed(o), holder: before.holder, stale: before.stale });
        ctx.log.error(`  ${o.alias} (${o.address}): not released: ${o.error}${o.hint ? `\n    hint: ${o.hint}` : ''}`);
      } else {
        hosts.set(o.alias, { ...before, state: o.value ? 'released' : 'free' });
        ctx.log.info(`  ${o.alias} (${o.address}): ${o.value ? `released (was ${before.holder})` : 'already free'}`);
      }
    }
  }

  const result: ReleaseLockResult = {
    module: t.folder.fsPath,
    configFile: t.configFile,
    environment: t.environment,
    base: read.base,
    hosts: [...hosts.values()],
  };
  announce(ctx, result, args.again);
  return result;
}

/** The outcome in a notification; after a release, "Deploy Again" / "Rollback Again" when asked for. */
function announce(ctx: GoDeployContext, r: ReleaseLockResult, again: ReleaseLockArgs['again']): void {
  const names = (state: ReleasedLock['state']): string =>
    r.hosts
      .filter((h) => h.state === state)
      .map((h) => h.host)
      .join(', ');
  const showLog = (choice: string | undefined): void => {
    if (choice === 'Show Log') ctx.log.show(false);
  };
  if (names('error')) {
    const also = names('released') ? `; released on ${names('released')}` : '';
    void vscode.window
      .showErrorMessage(`Go Deploy: the deploy lock of ${r.environment} was not read or not released on ${names('error')}${also}: see the log.`, 'Show Log')
      .then(showLog);
  } else if (names('released')) {
    const label = again === 'deploy' ? 'Deploy Again' : again === 'rollback' ? 'Rollback Again' : undefined;
    void vscode.window
      .showInformationMessage(`Go Deploy: released the deploy lock of ${r.environment} on ${names('released')}.`, ...(label ? [label] : []), 'Show Log')
      .then((choice) => {
        showLog(choice);
        if (choice && choice === label) void vscode.commands.executeCommand(`godeploy.${again}`, { module: r.module, environment: r.environment });
      });
  } else if (names('kept')) {
    void vscode.window.showInformationMessage(`Go Deploy: the deploy lock of ${r.environment} on ${names('kept')} is kept.`);
  } else {
    void vscode.window.showInformationMessage(`Go Deploy: no deploy lock is held on ${r.environment}.`);
  }
}

export const releaseLockCommand: CommandFactory = {
  id: 'godeploy.releaseLock',
  changesHosts: true,
  title: 'Release Deploy Lock',
  runsCode: true,
  create: (deps) => (arg?: unknown) => runReleaseLock(deps, arg),
};

/**
 * The error notification of a deploy or rollback that failed because a host's lock is held:
 * Show Log, and Release Lock… (this command for that module and environment, then the
 * operation again).
 */
export function showLockedFailure(ctx: GoDeployContext, message: string, target: { module: string; environment: string }, again: 'deploy' | 'rollback'): void {
  void vscode.window.showErrorMessage(message, 'Show Log', 'Release Lock…').then((choice) => {
    if (choice === 'Show Log') ctx.log.show(false);
    if (choice === 'Release Lock…') void vscode.commands.executeCommand('godeploy.releaseLock', { ...target, again } satisfies ReleaseLockArgs);
  });
}
