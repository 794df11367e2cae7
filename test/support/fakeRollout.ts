// The host part of `godeploy deploy` over fake hosts (fakeHostRunner.ts): lock on every host,
// prepare the release everywhere (HostDeployment.prepare), switch batch by batch behind the
// health gates (switchover), then finish (hooks, history, the lock's release), discarding
// the release and releasing the locks on every way out — the sequence deploy() runs once its
// build is done, with the same core functions. deploy() opens its hosts itself (openHosts)
// and builds with go, so it cannot be handed fake hosts yet; when it can, these tests should
// call it instead of runRollout.
import { hostname } from 'node:os';
import type { CancellationTokenLike } from '../../src/core/cancellation';
import { planHost, type HostPlan } from '../../src/core/targets/hosts/deployPlan';
import type { GateSpec } from '../../src/core/release/healthGate';
import { HostDeployment } from '../../src/core/targets/hosts/hostDeploy';
import { type DeployEvent } from '../../src/core/environment/types';
import { type DeployHost } from '../../src/core/remote/openHosts';
import { acquireLockRecorded } from '../../src/core/targets/hosts/lock';
import { type LockOwner } from '../../src/core/environment/types';
import { systemdManager, type ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import { releaseLocks, switchover } from '../../src/core/targets/hosts/switchover';
import { mapLimit } from '../../src/core/release/batches';
import { type HostDeployResult } from '../../src/core/environment/types';
import { type HostResultKind } from '../../src/core/environment/types';
import { liveStateScript, liveWithBinary, readLiveState, type LiveCheck, type LiveState } from '../../src/core/targets/hosts/unchanged';
import { GoDeployError } from '../../src/core/errors';
import type { GenerateModel } from '../../src/core/generate/model';
import { sha256 } from './fakeHostRunner';
import { modelFor } from './models';

export const BASE = '/srv/deployapp';
export const NEW_ID = '20261121T101500.000Z-v2.0.0';
export const OLD_ID = '20261120T090000.000Z-v1.0.0';
export const OLDER_ID = '20261119T080000.000Z-v0.9.0';
export const ENV_TEXT = 'GREETING="hello"\n';
export const EXECUTABLE = Buffer.from('\x7fELF fake executable v2.0.0');
export const UNIT_TEXT = '[Unit]\nDescription=deployapp\n[Service]\nExecStart=/srv/deployapp/current/deployapp\n';
/** A fast TCP gate: a failing host gives up after 60 ms. */
export const FAST_GATE: GateSpec = { type: 'tcp', path: '/healthz', timeoutMs: 60, intervalMs: 10, forMs: 0 };

let modelP: Promise<GenerateModel> | undefined;
/** The deployapp fixture with an ssh environment (built once per test run). */
export function rolloutModel(): Promise<GenerateModel> {
  modelP ??= modelFor(
    'deployapp',
    [
      'app:',
      '  name: deployapp',
      '  port: 8181',
      'environments:',
      '  prod:',
      '    type: ssh',
      '    path: /srv/deployapp',
      '    hosts:',
      '      - host: web1',
      '',
    ].join('\n'),
    { environment: 'prod' },
  );
  return modelP;
}

export function rolloutManager(model: GenerateModel): ServiceManager {
  return systemdManager(model, UNIT_TEXT);
}

export function rolloutPlan(
  model: GenerateModel,
  manager: ServiceManager,
  over: { releaseId?: string; hooks?: HostPlan['hooks']; gate?: GateSpec } = {},
): HostPlan {
  return planHost({
    model,
    base: BASE,
    releaseId: over.releaseId ?? NEW_ID,
    manager,
    keepReleases: 5,
    hooks: over.hooks ?? { preDeploy: [], postDeploy: [] },
    artifact: { sha256: sha256(EXECUTABLE), size: EXECUTABLE.length },
    delta: false,
    gate: over.gate ?? FAST_GATE,
  });
}

export interface RolloutOptions {
  model: GenerateModel;
  manager: ServiceManager;
  batch?: number;
  parallel?: number;
  token?: CancellationTokenLike;
  force?: boolean;
  hooks?: HostPlan['hooks'];
  /** The health gate (default FAST_GATE). */
  gate?: GateSpec;
}

export interface RolloutResult {
  ok: boolean;
  cancelled: boolean;
  alreadyLive: boolean;
  hosts: HostDeployResult[];
  warnings: string[];
  events: DeployEvent[];
}

/** deploy()'s sequence after the build, over `hosts` (see the file's comment). */
export async function runRollout(hosts: DeployHost[], o: RolloutOptions): Promise<RolloutResult> {
  const events: DeployEvent[] = [];
  const emit = (e: DeployEvent): void => void events.push(e);
  const redact = (t: string): string => t;
  const plan = rolloutPlan(o.model, o.manager, { hooks: o.hooks, gate: o.gate });
  const owners = new Map<DeployHost, LockOwner>();
  const outcome = new Map<DeployHost, HostDeployResult>(hosts.map((h) => [h, { host: h.alias, address: h.address, result: 'unchanged', timings: {} }]));
  const runs = new Map<DeployHost, HostDeployment>();
  const result = (ok: boolean, cancelled: boolean, extra: Partial<RolloutResult> = {}): RolloutResult => {
    for (const [h, run] of runs) outcome.get(h)!.previous ??= run.previous || null;
    return { ok, cancelled, alreadyLive: false, hosts: [...outcome.values()], warnings: [], events, ...extra };
  };
  const fail = (h: DeployHost, e: unknown, kind: HostResultKind = 'failed'): void => {
    const r = outcome.get(h)!;
    r.result = kind;
    r.error ??= (e as Error).message;
  };
  const liveCheck: LiveCheck = {
    base: BASE,
    name: o.model.app.name,
    envFileName: `${o.model.app.name}.env`,
    envFileText: ENV_TEXT,
    files: o.manager.definition ? [o.manager.definition] : [],
    healthPath: o.model.app.healthPath,
    port: o.model.app.port,
    gate: { spec: o.gate ?? FAST_GATE, manager: o.manager },
  };
  try {
    const states = new Map<DeployHost, LiveState | undefined>();
    const locks = await Promise.allSettled(
      hosts.map(async (h) => {
        const info = { user: 'tester', host: hostname(), pid: process.pid, version: 'v2.0.0', operation: 'deploy' };
        const locked = await acquireLockRecorded(owners, h, h.runner, BASE, info, { environment: 'prod' }, liveStateScript(liveCheck));
        states.set(h, locked.then ? await readLiveState(h.runner, liveCheck, locked.then).catch(() => undefined) : undefined);
        emit({ host: h.alias, step: 'lock', state: 'done', message: 'lock taken' });
      }),
    );
    locks.forEach((l, i) => l.status === 'rejected' && fail(hosts[i], l.reason));
    if (locks.some((l) => l.status === 'rejected')) return result(false, false);
    if (!o.force) {
      const live = hosts.map((h) => liveWithBinary(states.get(h), sha256(EXECUTABLE)));
      if (live.every((x) => x !== null)) {
        hosts.forEach((h, i) => Object.assign(outcome.get(h)!, { result: 'unchanged', previous: live[i] }));
        return result(true, false, { alreadyLive: true });
      }
    }
    for (const h of hosts) runs.set(h, new HostDeployment(h, plan, { artifact: async () => EXECUTABLE, envFileText: ENV_TEXT, emit, redact, token: o.token }));
    const prepared = await mapLimit(hosts, o.parallel ?? hosts.length, (h) =>
      runs
        .get(h)!
        .prepare()
        .then(
          () => true,
          (e) => {
            fail(h, e);
            return false;
          },
        ),
    );
    if (prepared.some((ok) => !ok)) {
      await Promise.all(hosts.filter((_, i) => prepared[i]).map((h) => runs.get(h)!.discard()));
      return result(false, o.token?.isCancellationRequested ?? false);
    }
    if (o.token?.isCancellationRequested) {
      await Promise.all(hosts.map((h) => runs.get(h)!.discard()));
      for (const h of hosts) fail(h, new GoDeployError('cancelled before the switch; nothing changed'), 'unchanged');
      return result(false, true);
    }
    const history = (run: HostDeployment, res: string): string => JSON.stringify({ release: run.plan.releaseId, result: res });
    const sw = await switchover(hosts, runs, outcome, { batch: o.batch, parallel: o.parallel, token: o.token, emit, redact, history });
    if (!sw.ok) {
      await Promise.all(hosts.map((h) => runs.get(h)!.discard()));
      return result(false, sw.cancelled);
    }
    const warnings: string[] = [];
    await Promise.all(
      hosts.map(async (h) => {
        const run = runs.get(h)!;
        outcome.get(h)!.result = 'live';
        const done = await run.finish((res) => history(run, res), owners.get(h));
        warnings.push(...done.problems);
        if (done.unlocked) owners.delete(h);
      }),
    );
    return result(true, false, { warnings });
  } finally {
    await releaseLocks(owners, BASE, emit);
  }
}
