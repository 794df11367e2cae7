// `godeploy deploy ENV` for a docker environment (docker.mode: container): the plan, then
// the run on one engine. Connect; check the port; take the engine's deploy lock; build the
// image (releaseImage.ts: where, and from the binary or the module's Dockerfile) tagged
// <app>:<release id> and <app>:<version>; if the running release already runs this image
// with this environment, stop there. Otherwise ship the image (registry, or straight from
// the building engine), create <app>-<release id>, replace the running container behind
// the health gate (replace.ts; with strategy blue-green, start it beside the live one and
// switch nginx: blueGreenContainers.ts), prune old releases; the lock is released on every
// way out. The plan and the refusals are in dockerPlan.ts.
import { dockerOf } from '../../config/model';
import { hostname, userInfo } from 'node:os';
import type { VersionInfo } from '../../build/version';
import { CancellationSource } from '../../cancellation';
import { DeployBuilds } from '../../release/deployBuild';
import { goPlatform } from '../../release/checks';
import type { HostDeployResult } from '../../environment/types';
import type { DeployRequest, DeployResult } from '../../environment/types';
import { resolveServiceEnvironment } from '../../release/envFile';
import { blueGreenSite } from '../../release/nginxSwitch';
import type { HealthResult } from '../../release/health';
import { gateSpecOf } from '../../release/healthGate';
import { referencesAsWritten } from '../../config/references';
import { resolveModelArgs } from '../../generate/args';
import { containerGate, ensureProbeImage, probeDir } from './containerGate';
import type { LoadedEnvironment } from '../../environment/load';
import type { LockOwner } from '../../release/lockOwner';
import { releaseId as makeReleaseId, RELEASE_ID } from '../../release/releaseId';
import { GoDeployError } from '../../errors';
import { containerSpec, LABEL, type ContainerSpec } from './containerSpec';
import { describeDockerPlan, imageTag, refuseUnsupported } from './dockerPlan';
import { portReport } from './doctor';
import { acquireDockerLock, releaseDockerLock } from './dockerLock';
import { liveRelease, listDockerReleases, releasesToPrune, removeRelease, RESTART_LABEL } from './dockerReleases';
import { environmentEngineAddress, type Engine } from './engine';
import { openEnvironmentEngine } from './environmentEngine';
import { buildingEngine, buildReleaseImage, shipImage, shipThroughRegistry } from './releaseImage';
import { registryCredentials, registryRef } from './registry';
import { checkNginx, dockerBlueGreen, engineHost, livePort, pickIdlePort, switchOnIdlePort } from './blueGreenContainers';
import { answeredByEngine, replaceContainer, stopRelease } from './replace';
import { buildProbe } from './probe';
import { inspectService, rolloutService, rolloutTimeoutMs, swarmNodes, type ServiceInfo } from './swarmRollout';
import { serviceName, serviceSpec } from './swarmService';

const HOST = 'engine';

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
  const gateSpec = gateSpecOf(model);
  const withArgs: LoadedEnvironment = { ...e, model };
  const redact = (t: string): string => resolved?.redactor.redact(t) ?? t;
  const registryAuth = resolved ? await registryCredentials(e.name, docker, req.sources, resolved.redactor) : undefined;
  const user = req.user ?? userInfo().username;
  const id = makeReleaseId(req.now ?? new Date(), info.version);
  const blueGreen = e.model.blueGreen ? dockerBlueGreen(e.model, await blueGreenSite(e)) : undefined;
  const launch = { args: app.args, portEnv: app.portEnv, portFlag: app.portFlag };
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
      deployedBy: `${user}@${hostname()}`,
      ...launch,
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

  const failWith = (
    err: unknown,
    step: 'connect' | 'preflight' | 'lock' | 'build' | 'image' | 'transfer' | 'push' | 'container' | 'switch',
    extra: Partial<DeployResult> = {},
  ): DeployResult => {
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
  const fromBinary = (docker.build ?? 'binary') === 'binary';
  const swarm = docker.mode === 'swarm';
  const goBuild = fromBinary ? builds.build([platform.id]) : undefined;
  goBuild?.catch(() => undefined);
  // Swarm tasks get a health check: the probe is packed beside the executable. A container's
  // tcp gate runs it in a container of its own inside the release's network.
  const probe = swarm && fromBinary ? buildProbe(platform.id, probeDir(e), req.buildEnv) : undefined;
  probe?.catch(() => undefined);
  const probeImage = !swarm && gateSpec.type === 'tcp' ? ensureProbeImage(engine, platform.id, probeDir(e), req.buildEnv) : undefined;
  probeImage?.catch(() => undefined);

  let owner: LockOwner | undefined;
  let builder: Engine | undefined;
  try {
    const p0 = Date.now();
    if (swarm) {
      let nodes: number;
      try {
        nodes = await swarmNodes(engine);
      } catch (err) {
        return failWith(err, 'preflight');
      }
      if (nodes > 1 && !docker.registry)
        return failWith(
          new GoDeployError(`the swarm has ${nodes} nodes, and each needs the image`, {
            hint: 'set docker.registry: the manager pushes the image there and every node pulls it',
          }),
          'preflight',
        );
      emit({ host: HOST, step: 'preflight', state: 'done', message: `swarm manager, ${nodes} node${nodes === 1 ? '' : 's'}`, ms: Date.now() - p0 });
    } else if (blueGreen) {
      try {
        emit({ host: HOST, step: 'preflight', state: 'done', message: `${await checkNginx(engineHost(engine)!)} on the engine's host`, ms: Date.now() - p0 });
      } catch (err) {
        return failWith(err, 'preflight');
      }
    } else {
      const port = await portReport(engine, { address, name: app.name, port: app.port });
      if (port.status === 'fail') return failWith(new GoDeployError(`preflight: port: ${port.detail}`, { hint: port.hint }), 'preflight');
      emit({ host: HOST, step: 'preflight', state: 'done', message: `port ${port.detail}`, ms: Date.now() - p0 });
    }
    const l0 = Date.now();
    try {
      owner = await acquireDockerLock(
        engine,
        app.name,
        { user, host: hostname(), pid: process.pid, version: info.version, operation: 'deploy' },
        { environment: e.name, onTakeOver: (what) => emit({ host: HOST, step: 'lock', state: 'info', message: what }) },
      );
    } catch (err) {
      return failWith(err, 'lock');
    }
    outcome.timings.lock = Date.now() - l0;
    emit({ host: HOST, step: 'lock', state: 'done', message: 'lock taken', ms: outcome.timings.lock });

    const before = swarm ? [] : await listDockerReleases(engine, app.name, e.name);
    let live = liveRelease(before);
    let idle = app.port;
    let nginxPort: number | null = null;
    if (blueGreen) {
      const runner = engineHost(engine)!;
      nginxPort = await livePort(runner, blueGreen);
      ({ live, idle } = pickIdlePort(blueGreen, before, nginxPort));
      // Only the release nginx sends traffic to serves; another one still running (a deploy cut off mid-switch) goes.
      for (const stray of before.filter((r) => r.live && r !== live)) {
        await stopRelease(engine, stray.containerId);
        emit({ host: HOST, step: 'preflight', state: 'info', message: `stopped ${stray.container}: running, but nginx does not send it traffic` });
      }
      const port = await portReport(engine, { address, name: app.name, port: idle });
      if (port.status === 'fail') return failWith(new GoDeployError(`preflight: the idle blue-green port: ${port.detail}`, { hint: port.hint }), 'preflight');
      emit({
        host: HOST,
        step: 'preflight',
        state: 'done',
        message: `nginx sends traffic to ${nginxPort ? `port ${nginxPort}${live ? ` (${live.container})` : ' (no running release)'}` : 'no port yet'}; the new release goes on port ${idle}`,
      });
    }
    const service = swarm ? await inspectService(engine, serviceName(app.name, e.name)) : undefined;
    outcome.previous = (swarm ? service?.Spec.Labels?.[LABEL.release] : live?.id) ?? null;

    // The image: built here and shipped when the target is remote and this machine has an engine, else built on the target.
    const i0 = Date.now();
    const tags = [`${app.name}:${id}`, `${app.name}:${imageTag(info.version)}`];
    // Not godeploy.* labels: a container inherits its image's labels, and those mark the release containers.
    const labels = { 'org.opencontainers.image.version': info.version, 'org.opencontainers.image.revision': info.commit };
    let artifact;
    let probeFile: string | undefined;
    let probeTag: string | undefined;
    try {
      artifact = goBuild && (await goBuild).artifacts[0];
      probeFile = await probe;
      probeTag = await probeImage;
    } catch (err) {
      return failWith(err, 'build');
    }
    builder = await buildingEngine(engine, req.buildEnv);
    let imageId: string;
    try {
      imageId = await buildReleaseImage(builder ?? engine, {
        e: withArgs,
        artifact,
        probe: probeFile,
        tags,
        labels,
        info,
        emit,
        onBuildOutput: req.onBuildOutput,
      });
    } catch (err) {
      return failWith(err, 'image');
    }
    outcome.timings.image = Date.now() - i0;
    emit({
      host: HOST,
      step: 'image',
      state: 'done',
      message: `${tags.join(', ')} (${imageId.slice(7, 19)})${builder ? ` on ${builder.address.url}` : ''}`,
      ms: outcome.timings.image,
    });

    const spec = specFor(`${app.name}:${id}`, resolved!.values, idle);
    // The new release tag goes again when nothing will run this image.
    const untagRelease = (): Promise<void> =>
      (builder ?? engine).docker
        .getImage(`${app.name}:${id}`)
        .remove({ noprune: true })
        .then(
          () => undefined,
          () => undefined,
        );
    // Nothing changed: the service, or the running release container, runs this image with this environment.
    const unchanged =
      !req.force &&
      (swarm
        ? service !== undefined && (await serviceRuns(engine, service, imageId, spec.Env, spec.Cmd ?? []))
        : live !== undefined &&
          live.imageId === imageId &&
          (!blueGreen || (live.port !== undefined && live.port === nginxPort)) &&
          (await sameEnvironment(engine, live.containerId, specFor(spec.Image, resolved!.values, live.port ?? idle))));
    if (unchanged) {
      await untagRelease();
      emit({
        host: HOST,
        step: 'switch',
        state: 'skip',
        message: `${outcome.previous} already runs this image with this environment: nothing to ${swarm ? 'update' : 'replace'}`,
      });
      return result(true, { alreadyLive: true });
    }
    if (req.token?.isCancellationRequested) {
      await untagRelease();
      outcome.error = 'cancelled before the switch; nothing changed';
      return result(false, { cancelled: true });
    }

    if (docker.registry) {
      const t0 = Date.now();
      const registryTags = tags.map((t) => registryRef(docker.registry!, app.name, t.slice(t.indexOf(':') + 1)));
      try {
        await shipThroughRegistry(builder ?? engine, builder ? engine : undefined, tags, registryTags, registryAuth, emit);
      } catch (err) {
        return failWith(err, 'push');
      }
      outcome.timings.registry = Date.now() - t0;
    } else if (builder) {
      const t0 = Date.now();
      try {
        await shipImage(builder, engine, tags, emit);
      } catch (err) {
        return failWith(err, 'transfer');
      }
      outcome.timings.transfer = Date.now() - t0;
    }

    if (swarm) {
      const image = docker.registry ? registryRef(docker.registry, app.name, id) : `${app.name}:${id}`;
      const svcSpec = serviceSpec({
        app: app.name,
        environment: e.name,
        releaseId: id,
        version: info.version,
        image,
        port: app.port,
        healthPath: app.healthPath,
        healthType: app.healthType,
        healthForMs: app.healthForMs,
        healthTimeoutSeconds: app.healthTimeoutSeconds,
        healthIntervalMs: app.healthIntervalMs,
        env: resolved!.values,
        docker,
        deployedBy: `${user}@${hostname()}`,
        probe: probeFile !== undefined,
        ...launch,
      });
      const s0 = Date.now();
      const replicas = docker.replicas ?? 2;
      const rolled = await rolloutService(engine, svcSpec, service, {
        emit,
        redact,
        token: req.token,
        auth: registryAuth,
        timeoutMs: rolloutTimeoutMs(app, replicas),
      });
      outcome.timings.switch = Date.now() - s0;
      if (rolled.logs) emit({ host: HOST, step: 'logs', state: 'info', message: `last log lines of the failed task:\n${rolled.logs}` });
      if (!rolled.ok) {
        Object.assign(outcome, {
          result: rolled.rolledBack && service ? 'rolled-back' : 'failed',
          error: redact(rolled.error ?? 'the rollout failed'),
          logs: rolled.logs,
          hint: rolled.cancelled
            ? undefined
            : rolled.rolledBack
              ? "the previous release serves again; see the failed task's log lines"
              : 'see `godeploy status ENV` and the task log lines',
        });
        emit({ host: HOST, step: 'health', state: 'fail', message: outcome.error! });
        return result(false, { cancelled: rolled.cancelled === true });
      }
      emit({
        host: HOST,
        step: 'switch',
        state: 'done',
        message: `${serviceName(app.name, e.name)}: ${replicas} task${replicas === 1 ? '' : 's'} of ${id} running and healthy`,
        ms: outcome.timings.switch,
      });
      outcome.result = 'live';
      const r0 = Date.now();
      await pruneReleaseImages(engine, app.name, e.env.keepReleases ?? 5).then(
        () => emit({ host: HOST, step: 'retire', state: 'done', message: `kept the newest ${e.env.keepReleases ?? 5} release images`, ms: Date.now() - r0 }),
        (err: Error) =>
          emit({
            host: HOST,
            step: 'retire',
            state: 'fail',
            message: `old release images were not removed (${redact(err.message)}); the next deploy removes them`,
          }),
      );
      return result(true);
    }

    const k0 = Date.now();
    let created;
    try {
      created = await engine.docker.createContainer({ ...spec, Labels: { ...spec.Labels, [RESTART_LABEL]: spec.HostConfig.RestartPolicy.Name } });
    } catch (err) {
      return failWith(new GoDeployError(`creating ${spec.name} failed: ${(err as Error).message}`), 'container');
    }
    emit({ host: HOST, step: 'container', state: 'done', message: `${spec.name} created`, ms: Date.now() - k0 });

    const to = { id, containerId: created.id, container: spec.name, restart: spec.HostConfig.RestartPolicy.Name };
    const gate = (container = to.container, through: Engine = engine): Promise<HealthResult> =>
      containerGate({ engine: through, spec: gateSpec, port: idle, probeImage: probeTag, token: req.token }, container);
    const common = { engine, from: live, to, toIsNew: true, emit, redact, token: req.token, host: HOST, gate, reconnect };
    let replaced;
    try {
      replaced = blueGreen ? await switchOnIdlePort({ ...common, runner: engineHost(engine)!, plan: blueGreen, port: idle }) : await replaceContainer(common);
    } catch (err) {
      return failWith(err, 'switch');
    }
    Object.assign(outcome.timings, replaced.timings);
    if (!replaced.ok) {
      // Blue-green: nothing was switched (failed); restart: the old release was stopped and started again (rolled-back).
      Object.assign(outcome, {
        result: live && !blueGreen ? (replaced.restored ? 'rolled-back' : 'failed') : 'failed',
        error: replaced.error,
        hint: replaced.hint,
        logs: replaced.logs,
      });
      await engine.docker
        .getImage(`${app.name}:${id}`)
        .remove()
        .catch(() => undefined);
      return result(false, { cancelled: replaced.cancelled });
    }
    outcome.result = 'live';

    // Old releases beyond keepReleases go, with their release tags.
    // The new release is live and healthy from here: a failure to tidy up is reported, not a failed deploy.
    const r0 = Date.now();
    try {
      const after = await listDockerReleases(engine, app.name, e.name);
      const prune = releasesToPrune(after, e.env.keepReleases ?? 5);
      for (const r of prune) await removeRelease(engine, app.name, r);
      emit({
        host: HOST,
        step: 'retire',
        state: 'done',
        message: prune.length ? `removed ${prune.map((r) => r.container).join(', ')}` : `${after.length} release${after.length === 1 ? '' : 's'} kept`,
        ms: Date.now() - r0,
      });
    } catch (err) {
      emit({
        host: HOST,
        step: 'retire',
        state: 'fail',
        message: `old releases were not removed (${redact((err as Error).message)}); the next deploy removes them`,
        ms: Date.now() - r0,
      });
    }
    return result(true);
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

/** Whether the container runs with the spec's environment (plus what its image sets, order aside) and arguments. */
async function sameEnvironment(engine: Engine, containerId: string, spec: Pick<ContainerSpec, 'Env' | 'Cmd'>): Promise<boolean> {
  const info = (await engine.docker.getContainer(containerId).inspect()) as { Image?: string; Config?: { Env?: string[]; Cmd?: string[] | null } };
  const image = (await engine.docker.getImage(info.Image ?? '').inspect()) as { Config?: { Env?: string[]; Cmd?: string[] | null } };
  const fromImage = new Set(image.Config?.Env ?? []);
  const have = info.Config?.Env ?? [];
  const env = spec.Env;
  const args = spec.Cmd ?? image.Config?.Cmd ?? [];
  return env.every((x) => have.includes(x)) && have.every((x) => env.includes(x) || fromImage.has(x)) && sameList(info.Config?.Cmd ?? [], args);
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether the service already runs image `imageId` with exactly `env` and `args`. */
async function serviceRuns(engine: Engine, service: ServiceInfo, imageId: string, env: string[], args: string[]): Promise<boolean> {
  const c = service.Spec.TaskTemplate?.ContainerSpec as { Image?: string; Env?: string[]; Args?: string[] } | undefined;
  const id = await engine.docker
    .getImage(c?.Image ?? '')
    .inspect()
    .then(
      (i) => (i as { Id: string }).Id,
      () => undefined,
    );
  const have = [...(c?.Env ?? [])].sort();
  return id === imageId && have.length === env.length && [...env].sort().every((x, i) => x === have[i]) && sameList(c?.Args ?? [], args);
}

/** Swarm: the release images beyond the newest `keep` go (an image a task still uses is kept by the engine). */
async function pruneReleaseImages(engine: Engine, app: string, keep: number): Promise<void> {
  const images = (await engine.docker.listImages({ filters: { reference: [app] } })) as { RepoTags?: string[] }[];
  const tags = images
    .flatMap((i) => i.RepoTags ?? [])
    .filter((t) => t.startsWith(`${app}:`) && RELEASE_ID.test(t.slice(app.length + 1)))
    .sort();
  for (const t of tags.slice(0, Math.max(0, tags.length - keep)))
    await engine.docker
      .getImage(t)
      .remove({ noprune: false })
      .catch(() => undefined);
}
