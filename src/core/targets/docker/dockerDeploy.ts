// `godeploy deploy ENV` for a docker environment: the plan, then the run on one engine.
// Connect; the strategy's preflight; take the engine's deploy lock; see what runs now; build
// the image (releaseImage.ts: where, and from the binary or the module's Dockerfile) tagged
// <app>:<release id> and <app>:<version>; if the running release already runs this image
// with this environment, stop there. Otherwise ship the image (registry, or straight from
// the building engine) and hand it to the strategy that puts it live: one container
// replaced (containerRelease.ts), a container on the idle port behind nginx
// (blueGreenRelease.ts), a canary rolled out in steps behind nginx (canaryRelease.ts; the
// lock stays held while it runs) or a swarm service updated (swarmRelease.ts). The lock is released
// on every way out. The plan and the refusals are in dockerPlan.ts.
import { dockerOf } from '../../config/model';
import { userInfo } from 'node:os';
import type { VersionInfo } from '../../build/version';
import { CancellationSource } from '../../cancellation';
import { DeployBuilds, requireGo } from '../../release/deployBuild';
import { goPlatform } from '../../release/checks';
import type { HostDeployResult } from '../../environment/types';
import type { DeployRequest, DeployResult } from '../../environment/types';
import { resolveServiceEnvironment } from '../../release/envFile';
import { blueGreenSite } from '../../release/nginxSwitch';
import { gateSpecOf } from '../../release/healthGate';
import { referencesAsWritten } from '../../config/references';
import { resolveModelArgs } from '../../generate/args';
import { ensureProbeImage, probeDir } from './containerGate';
import type { LoadedEnvironment } from '../../environment/load';
import type { LockOwner } from '../../environment/types';
import { releaseId as makeReleaseId } from '../../release/releaseId';
import { holderName, lockOwnerFor } from '../../release/lockOwner';
import { GoDeployError } from '../../errors';
import { containerSpec, sharedVolumes, type ContainerSpec } from './containerSpec';
import { describeDockerPlan, refuseUnsupported } from './dockerPlan';
import { acquireDockerLock, releaseDockerLock } from './dockerLock';
import { environmentEngineAddress, type Engine } from './engine';
import { openEnvironmentEngine } from './environmentEngine';
import { buildDeployImage, shipDeployImage, untagRelease } from './deployImage';
import { registryCredentials } from './registry';
import { dockerBlueGreen } from './blueGreenContainers';
import { answeredByEngine } from './replace';
import { buildProbe } from './probe';
import { blueGreenRelease } from './blueGreenRelease';
import { canaryRelease, dockerCanary } from './canaryRelease';
import { containerRelease } from './containerRelease';
import { HOST, type DockerDeployRun, type DockerDeployStep } from './releaseStrategy';
import { swarmRelease } from './swarmRelease';
import { buildExecutables, processesRelease, severalProcesses } from './processContainers';
import { swarmProcessesRelease } from './swarmProcesses';

export async function deployDocker(req: DeployRequest, e: LoadedEnvironment, info: VersionInfo): Promise<DeployResult> {
  const t0 = Date.now();
  const emit = req.emit ?? (() => undefined);
  const docker = dockerOf(e.env) ?? {};
  const address = environmentEngineAddress(e, req.buildEnv ?? process.env);
  refuseUnsupported(e, address);
  const resolved = req.dryRun ? undefined : await resolveServiceEnvironment(e.config, e.name, e.env, e.model.app.port, req.sources);
  // The service's arguments, their ${env:…} read here (a plan shows them as written).
  const model = await resolveModelArgs(e.model, resolved ? req.sources : referencesAsWritten, resolved?.redactor);
  const { app } = model;
  const withArgs: LoadedEnvironment = { ...e, model };
  const redact = (t: string): string => resolved?.redactor.redact(t) ?? t;
  const registryAuth = resolved ? await registryCredentials(e.name, docker, req.sources, resolved.redactor) : undefined;
  const user = req.user ?? userInfo().username;
  const deployedBy = holderName(user);
  const id = makeReleaseId(req.now ?? new Date(), info.version);
  // strategy canary runs on blue-green's two ports behind its own include (canaryRelease.ts).
  const siteText = e.model.blueGreen ? await blueGreenSite(e) : undefined;
  const canary = e.model.canary && siteText !== undefined ? dockerCanary(e.model, e.name, siteText) : undefined;
  const blueGreen = canary ?? (siteText !== undefined ? dockerBlueGreen(e.model, siteText) : undefined);
  const specFor = (image: string, env: Record<string, string>, port = blueGreen?.ports[0] ?? app.port): ContainerSpec =>
    containerSpec({
      app: app.name,
      environment: e.name,
      releaseId: id,
      version: info.version,
      image,
      port,
      loopbackOnly: blueGreen !== undefined,
      env,
      docker,
      deployedBy,
      args: app.args,
      portEnv: app.portEnv,
      portFlag: app.portFlag,
      shared: sharedVolumes(app.name, e.model.shared),
    });
  const plan = describeDockerPlan(
    withArgs,
    info.version,
    id,
    specFor(`${app.name}:${id}`, resolved?.values ?? Object.fromEntries(Object.keys({ ...e.config.app.env, ...e.env.env }).map((k) => [k, '']))),
    address.url,
    blueGreen,
  );
  const outcome: HostDeployResult = { host: HOST, address: address.url, result: 'unchanged', timings: {} };
  const result = (ok: boolean, extra: Partial<DeployResult> = {}): DeployResult => ({
    environment: e.name,
    releaseId: id,
    version: info.version,
    ok,
    cancelled: false,
    dryRun: false,
    alreadyLive: false,
    plan: plan.text,
    hosts: [outcome],
    warnings: [],
    durationMs: Date.now() - t0,
    ...extra,
  });
  req.onPlan?.(plan);
  if (req.dryRun) return result(true, { dryRun: true });
  const fromBinary = (docker.build ?? 'binary') === 'binary';
  // The image packs a binary built here: without Go, stop before the engine is reached or locked.
  if (fromBinary) await requireGo();

  const failWith = (err: unknown, step: DockerDeployStep, extra: Partial<DeployResult> = {}): DeployResult => {
    outcome.result = 'failed';
    outcome.error = redact((err as Error).message);
    outcome.hint = err instanceof GoDeployError ? err.hint : undefined;
    emit({ host: step === 'build' ? '*' : HOST, step, state: 'fail', message: outcome.error });
    return result(false, extra);
  };

  // The go build (binary path) starts while the engine is reached and locked; a deploy that
  // fails before it needs the executable cancels it, and its events stop with the result.
  const buildCancel = new CancellationSource();
  const cancelSub = req.token?.onCancellationRequested(() => buildCancel.cancel());
  let buildSettled = false;
  const builds = new DeployBuilds(e, {
    token: buildCancel.token,
    onOutput: req.onBuildOutput,
    env: req.buildEnv,
    versionInfo: info,
    emit: (ev) => {
      if (!buildSettled) emit(ev);
    },
  });
  emit({ host: HOST, step: 'connect', state: 'start', message: `connecting to ${address.url}` });
  let engine: Engine;
  const c0 = Date.now();
  try {
    engine = await openEnvironmentEngine(e, {
      ...req.hosts,
      token: req.token,
      env: req.buildEnv,
      onNewHostKey: (key) => emit({ host: HOST, step: 'connect', state: 'info', message: `new host key ${key} recorded` }),
    });
  } catch (err) {
    cancelSub?.dispose();
    return failWith(err, 'connect');
  }
  emit({
    host: HOST,
    step: 'connect',
    state: 'done',
    message: `Docker Engine ${engine.version.Version} (API ${engine.version.ApiVersion})`,
    ms: Date.now() - c0,
  });
  // Connections made again after one was lost (undoing a switch, releasing the lock); closed at the end.
  const reconnections: Engine[] = [];
  const latest = (): Engine => reconnections.at(-1) ?? engine;
  const reconnect = async (): Promise<Engine> => {
    const fresh = await openEnvironmentEngine(e, { ...req.hosts, env: req.buildEnv });
    reconnections.push(fresh);
    return fresh;
  };
  const platform = goPlatform(engine.version.Os === 'linux' ? 'Linux' : engine.version.Os, engine.version.Arch);
  if (!platform) {
    engine.close();
    cancelSub?.dispose();
    return failWith(new GoDeployError(`the engine runs ${engine.version.Os}/${engine.version.Arch}, not a platform Go Deploy builds for`), 'connect');
  }
  const swarm = docker.mode === 'swarm';
  const several = severalProcesses(model);
  // Several processes: each distinct main built once, all packed into the release's image.
  const goBuild = !fromBinary
    ? undefined
    : several
      ? buildExecutables(withArgs, platform.id, { token: buildCancel.token, env: req.buildEnv, versionInfo: info, onOutput: req.onBuildOutput, emit })
      : builds.build([platform.id]);
  goBuild?.catch(() => undefined);
  // Swarm tasks get a health check: the probe is packed beside the executable. A container's
  // tcp gate runs it in a container of its own inside the release's network.
  const probe = swarm && fromBinary ? buildProbe(platform.id, probeDir(e), req.buildEnv) : undefined;
  probe?.catch(() => undefined);
  const probeImage = !swarm && gateSpecOf(model).type === 'tcp' ? ensureProbeImage(engine, platform.id, probeDir(e), req.buildEnv) : undefined;
  probeImage?.catch(() => undefined);

  const run: DockerDeployRun = {
    req,
    e: withArgs,
    docker,
    engine,
    address,
    id,
    version: info.version,
    values: resolved!.values,
    registryAuth,
    deployedBy,
    outcome,
    emit,
    redact,
    specFor,
    reconnect,
    result,
    fail: failWith,
  };
  const strategy = swarm
    ? several
      ? swarmProcessesRelease(run)
      : swarmRelease(run)
    : canary
      ? canaryRelease(run, canary)
      : blueGreen
        ? blueGreenRelease(run, blueGreen)
        : several
          ? processesRelease(run)
          : containerRelease(run);
  let owner: LockOwner | undefined;
  let builder: Engine | undefined;
  try {
    const refused = await strategy.preflight();
    if (refused) return refused;
    const l0 = Date.now();
    try {
      owner = await acquireDockerLock(engine, app.name, lockOwnerFor(user, info.version, 'deploy'), {
        environment: e.name,
        onTakeOver: (what) => emit({ host: HOST, step: 'lock', state: 'info', message: what }),
      });
    } catch (err) {
      return failWith(err, 'lock');
    }
    outcome.timings.lock = Date.now() - l0;
    emit({ host: HOST, step: 'lock', state: 'done', message: 'lock taken', ms: outcome.timings.lock });
    const stopped = await strategy.survey();
    if (stopped) return stopped;

    const image = await buildDeployImage(run, { info, goBuild, probe, probeImage, onBuilder: (b) => (builder = b) });
    if (!('imageId' in image)) return image;
    // Nothing changed: the service, or the running release container, runs this image with this environment.
    if (!req.force && (await strategy.runsAlready(image.imageId))) {
      await untagRelease(run, image);
      emit({
        host: HOST,
        step: 'switch',
        state: 'skip',
        message: `${outcome.previous} already runs this image with this environment: nothing to ${strategy.verb}`,
      });
      return result(true, { alreadyLive: true });
    }
    if (req.token?.isCancellationRequested) {
      await untagRelease(run, image);
      outcome.error = 'cancelled before the switch; nothing changed';
      return result(false, { cancelled: true });
    }
    const unshipped = await shipDeployImage(run, image);
    if (unshipped) return unshipped;
    return await strategy.release(image);
  } finally {
    buildSettled = true;
    buildCancel.cancel();
    await goBuild?.catch(() => undefined);
    cancelSub?.dispose();
    if (owner) {
      const lockOwner = owner;
      // Over the last connection that worked; a lost one is made again once, so a cut does not leave the lock behind.
      const release = (through: Engine) => releaseDockerLock(through, app.name, lockOwner);
      await release(latest())
        .catch((err: unknown) => (answeredByEngine(err) ? Promise.reject(err) : reconnect().then(release)))
        .then(
          () => emit({ host: HOST, step: 'unlock', state: 'done', message: 'lock released' }),
          (err: Error) => emit({ host: HOST, step: 'unlock', state: 'fail', message: `the lock could not be released: ${err.message}` }),
        );
    }
    engine.close();
    for (const extra of reconnections) extra.close();
    builder?.close();
  }
}
