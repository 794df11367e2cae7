// The first phase of a deploy to hosts (deploy.ts), on each host before go's build is
// needed: its platform (uname), then the preflight checks (doctor's, with the port held by
// the live release expected), then the deploy lock, with what runs there now read in the
// same round trip.
import { hostTarget } from '../../build/targets';
import type { DeployEnvironment } from '../../environment/load';
import type { DeployEvent, HostDeployResult } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { goPlatform, portCheck, targetRunsOn } from '../../release/checks';
import { lockOwnerFor } from '../../release/lockOwner';
import type { LockOwner } from '../../environment/types';
import type { DeployHost } from '../../remote/openHosts';
import { runChecksBatched } from './checkBatch';
import { refuseRolloutInProgress } from './canaryDeploy';
import { doctorChecks } from './doctor';
import { acquireLockRecorded } from './lock';
import type { ServiceManager } from './serviceManager';
import { serviceUserCheck, serviceUserOf } from './serviceUser';
import { claimNotes, liveStateScript, readLiveState, type LiveCheck, type LiveState } from './unchanged';

/** The build target for a host: this machine's, or the one (build.targets first) its uname names. */
export async function hostBuildTarget(h: DeployHost, d: DeployEnvironment, platformArgv: string[]): Promise<string> {
  if (h.runner.local) return hostTarget();
  const r = await h.runner.exec(platformArgv);
  const [kernel, machine] = r.stdout.trim().split(/\s+/);
  const p = r.code === 0 ? goPlatform(kernel, machine) : null;
  if (!p) throw new GoDeployError(`${h.alias}: cannot tell the host's platform from uname (${r.stdout.trim() || r.stderr.trim()})`);
  const configured = (d.config.build?.targets ?? []).find((t) => targetRunsOn(t, p));
  return configured ?? p.id;
}

export interface PreflightInput {
  d: DeployEnvironment;
  manager: ServiceManager;
  /** Who deploys which version (the lock's owner). */
  user: string;
  version: string;
  liveCheck: LiveCheck;
  emit(ev: DeployEvent): void;
  /** Filled in per host: its timings, the lock taken, what runs there now, and how far it got. */
  outcome: Map<DeployHost, HostDeployResult>;
  owners: Map<DeployHost, LockOwner>;
  stateReads: Map<DeployHost, Promise<LiveState | undefined>>;
  stage: Map<DeployHost, 'preflight' | 'lock'>;
}

/** A host's preflight checks, then its deploy lock; throws what failed (the stage says which). */
export async function preflightAndLock(h: DeployHost, target: string, i: PreflightInput): Promise<void> {
  const { d, manager, emit, outcome } = i;
  const p0 = Date.now();
  emit({ host: h.alias, step: 'preflight', state: 'start', message: 'preflight checks' });
  const inputs = {
    port: d.model.app.port,
    basePath: d.base,
    processManager: manager.kind === 'process' ? ('none' as const) : manager.kind,
    targets: [target],
    limitNOFILE: d.model.systemd.limitNOFILE,
    appName: d.model.app.name,
    repairLayout: true,
  };
  // Blue-green: the instances' two ports instead of app.port (one is the live release's).
  // The user the service runs as must exist: a deploy never creates one (`godeploy setup` does).
  const user = manager.kind === 'process' ? null : serviceUserOf(d);
  const userChecks = user ? [serviceUserCheck(user, d.name)] : [];
  const report = await runChecksBatched(
    h.runner,
    d.model.blueGreen
      ? [...doctorChecks({ ...inputs, port: d.model.blueGreen.ports[0] }), portCheck(d.model.blueGreen.ports[1], d.base), ...userChecks]
      : [...doctorChecks(inputs), ...userChecks],
  );
  // The port held by the live release is what a deploy expects, not worth a warning.
  // Nor is the login shell's open-files limit when systemd gives the unit its own.
  const expected = (x: { id: string; detail: string }): boolean =>
    (x.id === 'port' && /the current release/.test(x.detail)) || (x.id === 'open-files' && manager.kind === 'systemd');
  for (const c of report.filter((x) => x.status === 'warn' && !expected(x)))
    emit({ host: h.alias, step: 'preflight', state: 'info', message: `warning: ${c.title}: ${c.detail}` });
  const failed = report.filter((c) => c.status === 'fail');
  if (failed.length) {
    throw new GoDeployError(`${h.alias}: preflight failed: ${failed.map((c) => `${c.title}: ${c.detail}`).join('; ')}`, {
      hint: failed.find((c) => c.hint)?.hint ?? 'run `godeploy doctor ENV` for details',
      exitCode: 1,
    });
  }
  // strategy canary: no deploy while a rollout is in progress (or paused) there.
  if (d.model.canary) await refuseRolloutInProgress(h.runner, h.alias, d.base, d.name);
  outcome.get(h)!.timings.preflight = Date.now() - p0;
  emit({ host: h.alias, step: 'preflight', state: 'done', message: 'preflight ok', ms: Date.now() - p0 });
  const l0 = Date.now();
  i.stage.set(h, 'lock');
  const onTakeOver = (what: string): void => emit({ host: h.alias, step: 'lock', state: 'info', message: what });
  const lockInfo = lockOwnerFor(i.user, i.version, 'deploy');
  const locked = await acquireLockRecorded(i.owners, h, h.runner, d.base, lockInfo, { environment: d.name, onTakeOver }, liveStateScript(i.liveCheck));
  for (const note of claimNotes(h.alias, d.base, locked.then)) emit({ host: h.alias, step: 'lock', state: 'info', message: note });
  const read = locked.then ? readLiveState(h.runner, i.liveCheck, locked.then).catch(() => undefined) : Promise.resolve(undefined);
  i.stateReads.set(h, read);
  outcome.get(h)!.timings.lock = Date.now() - l0;
  // The upload's SFTP subsystem starts while go still builds.
  h.runner.prepareUploads?.();
  emit({ host: h.alias, step: 'lock', state: 'done', message: 'lock taken', ms: Date.now() - l0 });
}
