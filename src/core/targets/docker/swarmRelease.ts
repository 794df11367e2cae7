// A docker deploy with docker.mode: swarm: the engine is a swarm manager (a swarm of more
// than one node needs docker.registry, so every node can pull the image); the service
// <app>-<environment> is created or updated to the new image, Swarm rolls its tasks one at a
// time behind their health check (swarmRollout.ts), and old release images go.
import { GoDeployError } from '../../errors';
import { RELEASE_ID } from '../../release/releaseId';
import { sameList } from './containerRelease';
import { LABEL, sharedVolumes } from './containerSpec';
import type { Engine } from './engine';
import { registryRef } from './registry';
import { HOST, type DockerDeployRun, type ReleaseStrategy } from './releaseStrategy';
import { inspectService, rolloutService, rolloutTimeoutMs, swarmNodes, type ServiceInfo } from './swarmRollout';
import { serviceName, serviceSpec } from './swarmService';

export function swarmRelease(run: DockerDeployRun): ReleaseStrategy {
  const { engine, e, docker, id, emit, redact, outcome, req } = run;
  const { app } = e.model;
  let service: ServiceInfo | undefined;
  return {
    verb: 'update',
    async preflight() {
      const p0 = Date.now();
      let nodes: number;
      try {
        nodes = await swarmNodes(engine);
      } catch (err) {
        return run.fail(err, 'preflight');
      }
      if (nodes > 1 && !docker.registry)
        return run.fail(
          new GoDeployError(`the swarm has ${nodes} nodes, and each needs the image`, {
            hint: 'set docker.registry: the manager pushes the image there and every node pulls it',
          }),
          'preflight',
        );
      emit({ host: HOST, step: 'preflight', state: 'done', message: `swarm manager, ${nodes} node${nodes === 1 ? '' : 's'}`, ms: Date.now() - p0 });
      return undefined;
    },
    async survey() {
      service = await inspectService(engine, serviceName(app.name, e.name));
      outcome.previous = service?.Spec.Labels?.[LABEL.release] ?? null;
      return undefined;
    },
    async runsAlready(imageId) {
      const spec = run.specFor(`${app.name}:${id}`, run.values, app.port);
      return service !== undefined && (await serviceRuns(engine, service, imageId, spec.Env, spec.Cmd ?? []));
    },
    async release(image) {
      const svcSpec = serviceSpec({
        app: app.name,
        environment: e.name,
        releaseId: id,
        version: run.version,
        image: docker.registry ? registryRef(docker.registry, app.name, id) : `${app.name}:${id}`,
        port: app.port,
        healthPath: app.healthPath,
        healthType: app.healthType,
        healthForMs: app.healthForMs,
        healthTimeoutSeconds: app.healthTimeoutSeconds,
        healthIntervalMs: app.healthIntervalMs,
        env: run.values,
        docker,
        deployedBy: run.deployedBy,
        probe: image.probeFile !== undefined,
        args: app.args,
        portEnv: app.portEnv,
        portFlag: app.portFlag,
        shared: sharedVolumes(app.name, e.model.shared),
      });
      const s0 = Date.now();
      const replicas = docker.replicas ?? 2;
      const rolled = await rolloutService(engine, svcSpec, service, {
        emit,
        redact,
        token: req.token,
        auth: run.registryAuth,
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
        return run.result(false, { cancelled: rolled.cancelled === true });
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
      const keep = e.env.keepReleases ?? 5;
      await pruneReleaseImages(engine, app.name, keep).then(
        () => emit({ host: HOST, step: 'retire', state: 'done', message: `kept the newest ${keep} release images`, ms: Date.now() - r0 }),
        (err: Error) =>
          emit({
            host: HOST,
            step: 'retire',
            state: 'fail',
            message: `old release images were not removed (${redact(err.message)}); the next deploy removes them`,
          }),
      );
      return run.result(true);
    },
  };
}

/** Whether the service already runs image `imageId` with exactly `env` and `args`. */
export async function serviceRuns(engine: Engine, service: ServiceInfo, imageId: string, env: string[], args: string[]): Promise<boolean> {
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
export async function pruneReleaseImages(engine: Engine, app: string, keep: number): Promise<void> {
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
