// `godeploy deploy ENV`: plan, then run it over the environment's hosts. Before any switch
// every host is checked, locked and given the complete new release; then hosts switch in
// batches (rollout.batch, default all) behind their health gates; a failing host rolls
// itself back and the rollout takes back every host it already switched. Locks are
// released on every way out, through a fresh connection if the old one dropped.
import { rolloutOf, strategyOf } from '../../config/model';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Redactor, ReferenceSources } from '../../config/references';
import { resolveModelArgs } from '../../generate/args';
import type { BuiltArtifact } from '../../build/types';
import { GoDeployError } from '../../errors';
import { blueGreenPlan, type BlueGreenPlan } from './blueGreen';
import { blueGreenSite } from '../../release/nginxSwitch';
import { chunkIndexDir, DeployBuilds, expectedTargets, requireGo } from '../../release/deployBuild';
import { DeltaUploads } from './deltaUploads';
import { liveWithBinary, type LiveCheck, type LiveState } from './unchanged';
import { hostBuildTarget, preflightAndLock, type PreflightInput } from './hostPreflight';
import { openHosts } from '../../remote/openHosts';
import { describeHostPlan, planHost, plannedSteps, type HostPlan } from './deployPlan';
import { renderEnvFile, resolveServiceEnvironment } from '../../release/envFile';
import { gateSpecOf } from '../../release/healthGate';
import { HostDeployment } from './hostDeploy';
import { SeveralProcesses } from './processDeploy';
import { blueGreenInstances, managerOfModel } from './processServices';
import { deployHooks, runPrimaryHooks, withPrimaryHooks } from './hooks';
import { describeLocalHooks, localHooksStep, localHookVariables, runLocalHooks } from '../../release/localHooks';
import { resolveReleaseFiles } from '../../release/releaseFiles';
import { releaseFilesManifest } from './releaseFiles';
import { type DeployHost } from '../../remote/openHosts';
import { deployEnvironmentOf, type DeployEnvironment } from '../../environment/load';
import { type LockOwner } from '../../environment/types';
import { releaseId as makeReleaseId, releaseVersion } from '../../release/releaseId';
import { holderName } from '../../release/lockOwner';
import { type ServiceManager } from './serviceManager';
import { releaseLocks, switchover } from './switchover';
import { canaryPhase } from './canaryDeploy';
import { mapLimit } from '../../release/batches';
import { type HostDeployResult, type HostResultKind } from '../../environment/types';
import { DeployRequest, DeployResult, type DeployPlan } from '../../environment/types';
import { referencesAsWritten } from '../../config/references';
import { type LoadedEnvironment } from '../../environment/load';
import { type DeployRun } from '../target';

/**
 * The service manager of the environment, with its definition rendered (user templates
 * honoured) and the service's arguments (app.args, the port flag) in its start command or
 * definition, their ${env:…} read from `sources` (default: left as written).
 */
export async function serviceManagerFor(d: DeployEnvironment, sources: ReferenceSources = referencesAsWritten, redactor?: Redactor): Promise<ServiceManager> {
  return managerOfModel(d, await resolveModelArgs(d.model, sources, redactor));
}

export { managerOfModel } from './processServices';

/** strategy blue-green: the instances' ports and the nginx site (user templates honoured). */
export async function blueGreenFor(d: DeployEnvironment): Promise<BlueGreenPlan | undefined> {
  if (!d.model.blueGreen) return undefined;
  return blueGreenPlan(d.model, d.base, await blueGreenSite(d), blueGreenInstances(d));
}

/** The hooks run on every host (on: all, not local), as commands (on: primary and local ones: hooks.ts). */
export function hookList(d: DeployEnvironment): { preDeploy: string[]; postDeploy: string[] } {
  return deployHooks(d.env).all;
}

/** A deploy to the hosts of an ssh or local environment (see the top of this file). */
export async function deployToHosts(req: DeployRequest, loaded: LoadedEnvironment, run: DeployRun): Promise<DeployResult> {
  const t0 = run.startedAt;
  const emit = req.emit ?? (() => undefined);
  const d = deployEnvironmentOf(loaded, 'deploy');
  if (d.model.blueGreen && (d.env.type !== 'ssh' || (d.env.processManager ?? 'systemd') === 'none')) {
    throw new GoDeployError(
      `environments.${d.name}.strategy: ${strategyOf(d.env)} needs an ssh environment with processManager systemd or supervisor (two instances behind nginx)`,
      { hint: 'use strategy: restart here, or deploy to systemd or supervisor hosts', exitCode: 2 },
    );
  }
  // A dry run needs no secrets: it shows names, never values.
  const resolved = req.dryRun ? undefined : await resolveServiceEnvironment(d.config, d.name, d.env, d.model.blueGreen ? null : d.model.app.port, req.sources);
  const redact = (t: string): string => {
    const r = resolved?.redactor.redact(t) ?? t;
    return several?.redactor?.redact(r) ?? r;
  };
  const envFileText = resolved ? renderEnvFile(resolved.values, `${d.model.app.name} ${d.name}: written by Go Deploy at each deploy; mode 0600`) : '';
  const manager = await serviceManagerFor(d, req.dryRun ? referencesAsWritten : req.sources, resolved?.redactor);
  // app.processes: each host's processes (its roles), their env files and builds (processDeploy.ts).
  const several = await SeveralProcesses.of(d, req.dryRun ? undefined : req.sources, req.dryRun ? referencesAsWritten : req.sources, resolved?.redactor);
  const hostTargets = new Map<string, string>();
  // app.files, resolved here (templated ones only for a real deploy: a plan shows no values).
  const releaseFiles = await resolveReleaseFiles(d.moduleDir, d.model, req.dryRun ? undefined : req.sources, resolved?.redactor);
  const filesOwner = manager.kind === 'systemd' ? d.model.systemd.user : manager.kind === 'supervisor' ? d.model.supervisor.user : null;
  const info = await run.versionInfo();
  const id = makeReleaseId(req.now ?? new Date(), info.version);
  const keepReleases = d.env.keepReleases ?? 5;
  const allHooks = deployHooks(d.env);
  const hooks = allHooks.all;
  const blueGreen = await blueGreenFor(d);
  const deltaUpload = d.env.type !== 'local' && d.env.deltaUpload !== false;
  const planFor = (artifact: { sha256: string; size: number } | null, alias = aliases[0]): HostPlan =>
    several
      ? several.plan(
          {
            base: d.base,
            releaseId: id,
            keepReleases,
            hooks,
            local: d.env.type === 'local',
            releaseFiles: { files: releaseFiles.map((f) => ({ ...f, sha256: f.template && !f.content ? null : f.sha256 })), owner: filesOwner },
          },
          alias,
          artifact ? hostTargets.get(alias) : undefined,
        )
      : planHost({
          model: d.model,
          base: d.base,
          releaseId: id,
          manager,
          keepReleases,
          hooks,
          artifact,
          local: d.env.type === 'local',
          delta: deltaUpload,
          blueGreen,
          releaseFiles: { files: releaseFiles.map((f) => ({ ...f, sha256: f.template && !f.content ? null : f.sha256 })), owner: filesOwner },
        });
  const aliases = d.env.type === 'local' ? ['local'] : (d.env.hosts ?? []).map((h) => h.host);
  // The primary (hooks on: primary) is the first host of the list.
  const planAt = (alias: string, artifact: { sha256: string; size: number } | null): HostPlan =>
    alias === aliases[0] ? withPrimaryHooks(planFor(artifact, alias), allHooks.primary) : planFor(artifact, alias);
  const rollout = rolloutOf(d.env);
  const buildTitle = `go build for each host's platform (uname -s -m${d.config.build?.targets ? `, matched against build.targets ${d.config.build.targets.join(', ')}` : ''})`;
  const planText = [
    `deploy ${d.model.app.name} ${info.version} to ${d.name} (${aliases.length} host${aliases.length === 1 ? '' : 's'}${rollout.batch ? `, rolling batches of ${rollout.batch}` : ''}${rollout.parallel ? `, at most ${rollout.parallel} at once` : ''})`,
    ...describeLocalHooks('preDeploy', allHooks.local.preDeploy, d.moduleDir),
    `build: ${buildTitle}`,
    ...aliases.map((a) => describeHostPlan(a, planAt(a, null))),
    ...describeLocalHooks('postDeploy', allHooks.local.postDeploy, d.moduleDir),
  ].join('\n');
  const plan: DeployPlan = {
    text: planText,
    steps: [
      { host: '*', id: 'connect', title: `connect to ${aliases.join(', ')}`, commands: [] },
      ...localHooksStep('preDeploy', allHooks.local.preDeploy, d.moduleDir),
      { host: '*', id: 'build', title: buildTitle, commands: [] },
      ...aliases.flatMap((a) => plannedSteps(a, planAt(a, null))),
      ...localHooksStep('postDeploy', allHooks.local.postDeploy, d.moduleDir),
    ],
  };
  const result = (ok: boolean, hosts: HostDeployResult[], extra: Partial<DeployResult> = {}): DeployResult => ({
    environment: d.name,
    releaseId: id,
    version: info.version,
    ok,
    cancelled: false,
    dryRun: false,
    alreadyLive: false,
    plan: planText,
    hosts,
    warnings: [],
    durationMs: Date.now() - t0,
    ...extra,
  });
  req.onPlan?.(plan);
  if (req.dryRun) return result(true, [], { dryRun: true });
  await requireGo();
  // hooks with local: true, on this machine: preDeploy before the build and before any host is touched.
  const localHooks = { moduleDir: d.moduleDir, variables: localHookVariables(d.name, id, info.version), emit, redact, token: req.token };
  await runLocalHooks(allHooks.local.preDeploy, { ...localHooks, phase: 'preDeploy' });

  const user = req.user ?? userInfo().username;
  const builds = new DeployBuilds(d, { token: req.token, onOutput: req.onBuildOutput, env: req.buildEnv, versionInfo: info, emit });
  // What runs on each host now: read right after its lock is taken, in the same round trip.
  const liveCheck: LiveCheck = {
    base: d.base,
    name: d.model.app.name,
    envFileName: `${d.model.app.name}.env`,
    envFileText,
    files: [
      ...(manager.definition ? [manager.definition] : []),
      ...(blueGreen ? [{ path: blueGreen.site.path, content: blueGreen.site.content }] : []),
      // app.files and app.shared: the live release's .files lists the same ones.
      ...(releaseFiles.length || d.model.shared.length
        ? [{ path: `${d.base}/current/.files`, content: releaseFilesManifest(releaseFiles, d.model.shared) }]
        : []),
    ],
    healthPath: d.model.app.healthPath,
    port: blueGreen ? { file: blueGreen.stateFile } : d.model.app.port,
    gate: { spec: gateSpecOf(d.model), manager },
  };
  const stateReads = new Map<DeployHost, Promise<LiveState | undefined>>();
  const early = expectedTargets(d);
  if (early) void (several ? builds.buildEach(early, several.mains) : builds.build(early));
  const c0 = Date.now();
  emit({ host: '*', step: 'connect', state: 'start', message: `connecting to ${aliases.join(', ')}` });
  const opened = await openHosts(d, { ...req.hosts, token: req.token });
  const closeAll = (): void => {
    for (const o of opened) if (o.ok) o.close();
  };
  const unreachable = opened.filter((o) => !o.ok);
  if (unreachable.length) {
    closeAll();
    const hostsOut = opened.map((o): HostDeployResult =>
      o.ok
        ? { host: o.alias, address: o.host.address, result: 'unchanged', timings: {} }
        : { host: o.alias, address: o.address, result: 'failed', error: o.error.message, hint: o.error.hint, timings: {} },
    );
    for (const o of unreachable) if (!o.ok) emit({ host: o.alias, step: 'connect', state: 'fail', message: o.error.message });
    return result(false, hostsOut);
  }
  const hosts = opened.map((o) => (o as Extract<typeof o, { ok: true }>).host);
  for (const o of opened) if (o.ok && o.newHostKey) emit({ host: o.alias, step: 'connect', state: 'info', message: `new host key ${o.newHostKey} recorded` });
  emit({ host: '*', step: 'connect', state: 'done', message: `connected to ${aliases.join(', ')}`, ms: Date.now() - c0 });

  const owners = new Map<DeployHost, LockOwner>();
  let deltas: DeltaUploads | undefined;
  const outcome = new Map<DeployHost, HostDeployResult>(hosts.map((h) => [h, { host: h.alias, address: h.address, result: 'unchanged', timings: {} }]));
  const fail = (h: DeployHost, e: unknown, result: HostResultKind = 'failed'): void => {
    const r = outcome.get(h)!;
    r.result = result;
    r.error ??= redact((e as Error).message);
    r.hint ??= e instanceof GoDeployError ? e.hint : undefined;
  };
  try {
    // Platforms, then build and (in parallel) preflight + lock on every host.
    const targets = new Map<DeployHost, string>();
    await Promise.all(hosts.map(async (h) => targets.set(h, await hostBuildTarget(h, d, planFor(null).argv.platform))));
    const needed = [...new Set(targets.values())];
    for (const [h, t] of targets) hostTargets.set(h.alias, t);
    const buildP = several
      ? builds.buildEach(needed, several.mains).then((m) => {
          several.setBuilt(m);
          return m.get(several.mains[0].executable)!;
        })
      : builds.build(needed);
    const stage = new Map<DeployHost, 'preflight' | 'lock'>();
    const preflight: PreflightInput = { d, manager, user, version: info.version, liveCheck, emit, outcome, owners, stateReads, stage };
    const checks = await Promise.allSettled(
      hosts.map((h) =>
        preflightAndLock(
          h,
          targets.get(h)!,
          several
            ? {
                ...preflight,
                liveCheck: several.liveCheck(
                  h.alias,
                  liveCheck.files.filter((f) => f.path === `${d.base}/current/.files`),
                ),
              }
            : preflight,
        ),
      ),
    );
    checks.forEach((c, i) => {
      if (c.status === 'rejected') {
        fail(hosts[i], c.reason);
        emit({ host: hosts[i].alias, step: stage.get(hosts[i]) ?? 'preflight', state: 'fail', message: redact((c.reason as Error).message) });
      }
    });
    // What runs on each host now, read while go builds: any build's sha256 compares with it.
    const states = checks.every((c) => c.status === 'fulfilled') ? Promise.all(hosts.map((h) => stateReads.get(h))) : Promise.resolve(undefined);
    const built = await buildP;
    if (checks.some((c) => c.status === 'rejected')) return result(false, [...outcome.values()]);
    const artifactFor = (h: DeployHost): BuiltArtifact => built.artifacts.find((a) => a.target === targets.get(h))!;
    const now = await states;

    // Nothing changed anywhere (same executable, env file and definition, live and healthy): done.
    if (!req.force) {
      const live = hosts.map((h, i) => liveWithBinary(now?.[i], several ? several.releaseShaOf(h.alias, targets.get(h)!) : artifactFor(h).sha256));
      if (live.every((x) => x !== null)) {
        hosts.forEach((h, i) => {
          Object.assign(outcome.get(h)!, { result: 'unchanged', previous: live[i] });
          emit({
            host: h.alias,
            step: 'switch',
            state: 'skip',
            message: `${live[i]} is live with this executable, env file and service definition, and healthy: nothing to switch`,
          });
        });
        return result(true, [...outcome.values()], { alreadyLive: true });
      }
    }

    // Phase A: every host gets the complete release; nothing live changes.
    const runs = new Map<DeployHost, HostDeployment>();
    const sharedBytes = sharedReader();
    deltas = new DeltaUploads(
      chunkIndexDir(d),
      (a) => {
        const r = sharedBytes(a);
        return typeof r === 'string' ? readFile(r) : r();
      },
      deltaUpload,
    );
    for (const [i, h] of hosts.entries()) {
      const a = artifactFor(h);
      runs.set(
        h,
        new HostDeployment(h, planAt(h.alias, { sha256: a.sha256, size: a.size }), {
          artifact: sharedBytes(a),
          envFileText,
          emit,
          redact,
          token: req.token,
          delta: several ? undefined : deltas.forHost(a, now?.[i]),
          executables: several?.executablesOf(h.alias, targets.get(h)!, sharedBytes),
          envFiles: several?.envFiles,
          releaseFiles,
          hostState: now?.[i],
        }),
      );
    }
    const limit = rollout.parallel ?? hosts.length;
    const prepared = await mapLimit(hosts, limit, (h) =>
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
    // Kept for the next deploy's deltas (indexed now, while the hosts switch, if no delta needed it yet).
    for (const a of built.artifacts) deltas.remember(a);
    if (prepared.some((ok) => !ok)) {
      // Hosts that completed their release drop it again: nothing was switched anywhere.
      await Promise.all(hosts.filter((_, i) => prepared[i]).map((h) => runs.get(h)!.discard()));
      const cancelled = req.token?.isCancellationRequested ?? false;
      return finishResult(false, cancelled);
    }
    if (req.token?.isCancellationRequested) {
      await Promise.all(hosts.map((h) => runs.get(h)!.discard()));
      for (const h of hosts) fail(h, new GoDeployError('cancelled before the switch; nothing changed'), 'unchanged');
      return finishResult(false, true);
    }
    // hooks.preDeploy on: primary: once, on the first host, now that every host holds the release.
    const preFailed = await runPrimaryHooks(runs.get(hosts[0])!, 'preDeploy', allHooks.primary.preDeploy, { emit, redact });
    if (preFailed) {
      await Promise.all(hosts.map((h) => runs.get(h)!.discard()));
      fail(hosts[0], preFailed);
      for (const h of hosts.slice(1)) fail(h, new GoDeployError(`not switched: hooks.preDeploy on: primary failed on ${hosts[0].alias}`), 'unchanged');
      return finishResult(false, false);
    }

    // Phase B: switch batch by batch behind the health gates.
    const history = (run: HostDeployment, res: string): string => historyLine(run, res, user, info.commit);
    // strategy canary: every host's canary started and gated, then the rollout's steps (canaryDeploy.ts).
    const canary =
      d.model.canary && blueGreen
        ? await canaryPhase({
            d,
            hosts,
            runs,
            outcome,
            blueGreen,
            batch: rollout.batch,
            parallel: rollout.parallel,
            token: req.token,
            emit,
            redact,
            history,
            who: holderName(user),
            onRolloutEvent: req.onRolloutEvent,
          })
        : undefined;
    const sw =
      canary ?? (await switchover(hosts, runs, outcome, { batch: rollout.batch, parallel: rollout.parallel, token: req.token, emit, redact, history }));
    if (!sw.ok) {
      // The release that did not go live is removed everywhere (history.jsonl keeps the record); a canary left paused stays.
      if (!canary?.keep) await Promise.all(hosts.map((h) => runs.get(h)!.discard()));
      return finishResult(false, sw.cancelled, [], canary?.rollout);
    }

    // Phase C: hooks, then history, pruning and the lock's release in one round trip.
    const warnings: string[] = [];
    // hooks.postDeploy on: primary: once, on the first host, every host live and still locked.
    const postFailed = await runPrimaryHooks(runs.get(hosts[0])!, 'postDeploy', allHooks.primary.postDeploy, { emit, redact });
    if (postFailed) warnings.push(postFailed.message);
    await Promise.all(
      hosts.map(async (h) => {
        const run = runs.get(h)!;
        const r = outcome.get(h)!;
        r.result = 'live';
        const done = await run.finish((res) => history(run, res), owners.get(h));
        warnings.push(...done.problems);
        if (done.unlocked) owners.delete(h);
      }),
    );
    // hooks.postDeploy with local: true, on this machine: a failure is a warning.
    await runLocalHooks(allHooks.local.postDeploy, { ...localHooks, phase: 'postDeploy' }).catch((e: Error) => warnings.push(e.message));
    return finishResult(true, false, warnings, canary?.rollout);

    function finishResult(ok: boolean, wasCancelled: boolean, warnings: string[] = [], rolloutEnd?: DeployResult['rollout']): DeployResult {
      for (const [h, run] of runs) {
        const r = outcome.get(h)!;
        Object.assign(r.timings, run.timings);
        r.binary = run.binarySource;
        if (run.plan.processes) r.executables = { ...run.executableSources };
        r.binaryBytesSent = run.binaryBytesSent;
        r.previous ??= run.previous || null;
      }
      return result(ok, [...outcome.values()], { cancelled: wasCancelled, warnings, ...(rolloutEnd ? { rollout: rolloutEnd } : {}) });
    }
  } finally {
    await releaseLocks(owners, d.base, emit);
    closeAll();
    await deltas?.settled();
  }
}

/**
 * The executable's bytes, read once per deploy and shared by the hosts that receive it
 * (up to 64 MB; a bigger file streams from disk to each host).
 */
function sharedReader(): (a: BuiltArtifact) => string | (() => Promise<Buffer>) {
  const bytes = new Map<string, Promise<Buffer>>();
  return (a) => {
    if (a.size > 64 * 1024 * 1024) return a.path;
    return () => {
      let p = bytes.get(a.path);
      if (!p) bytes.set(a.path, (p = readFile(a.path)));
      return p;
    };
  };
}

/** One line of <base>/.godeploy/history.jsonl. */
export function historyLine(run: HostDeployment, result: string, user: string, commit: string): string {
  return JSON.stringify({
    release: run.plan.releaseId,
    version: releaseVersion(run.plan.releaseId),
    commit,
    result,
    by: holderName(user),
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    previous: run.previous || null,
    binary: run.binarySource,
    ...(run.plan.processes ? { executables: run.executableSources } : {}),
    steps: run.timings,
  });
}
