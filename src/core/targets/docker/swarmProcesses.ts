// Several processes (app.processes) with docker.mode: swarm: each process is a service of its
// own, <app>-<process>-<environment>, of `replicas` tasks of the one release image, with
// Command [/app/<executable>], its own arguments, environment and health check (a process
// without a port: none, and no published port). The services are updated in app.processes
// order, each followed to Swarm's verdict (swarmRollout.ts); when one fails (Swarm rolls that
// one back itself), the services updated before it are asked for their previous spec too, and
// the ones this deploy created are removed. `godeploy rollback` asks each for its previous spec.
import type { DeployResult, ProcessStatus, RollbackResult } from '../../environment/types';
import type { LoadedEnvironment } from '../../environment/load';
import { GoDeployError } from '../../errors';
import { modelOfProcess, type ProcessModel } from '../../generate/processes';
import { LABEL, sharedVolumes } from './containerSpec';
import { rollbackPlan } from './dockerPlan';
import type { Engine } from './engine';
import { processEnv } from './processContainers';
import { registryRef } from './registry';
import { HOST, type DockerDeployRun, type DockerRollbackRun, type ReleaseImage, type ReleaseStrategy } from './releaseStrategy';
import { pruneReleaseImages, serviceRuns, swarmRelease } from './swarmRelease';
import { inspectService, rolloutService, rolloutTimeoutMs, type ServiceInfo } from './swarmRollout';
import { serviceName, serviceSpec, type ServiceSpec } from './swarmService';

/** The swarm service of a process: <app>-<process>-<environment>. */
export const processServiceName = (p: ProcessModel, environment: string): string => serviceName(p.service, environment);

/** A process's service spec for the release image. */
export function processServiceSpec(run: DockerDeployRun, p: ProcessModel, image: string, probe: boolean): ServiceSpec {
  const { e, docker } = run;
  const pm = modelOfProcess(e.model, p);
  const listens = p.port !== null;
  const spec = serviceSpec({
    app: p.service,
    environment: e.name,
    releaseId: run.id,
    version: run.version,
    image,
    port: p.port ?? 0,
    healthPath: pm.app.healthPath,
    healthType: pm.app.healthType,
    healthForMs: pm.app.healthForMs,
    healthTimeoutSeconds: pm.app.healthTimeoutSeconds,
    healthIntervalMs: pm.app.healthIntervalMs,
    env: processEnv(e, p, run.values),
    docker,
    deployedBy: run.deployedBy,
    probe,
    args: p.args,
    portEnv: listens ? p.portEnv : null,
    portFlag: listens ? p.portFlag : null,
    shared: sharedVolumes(e.model.app.name, e.model.shared),
  }) as ServiceSpec;
  const labels = { ...spec.Labels, [LABEL.app]: e.model.app.name, [LABEL.process]: p.name };
  spec.Labels = labels;
  spec.TaskTemplate.ContainerSpec.Labels = labels;
  spec.TaskTemplate.ContainerSpec.Command = [`/app/${p.executable}`];
  spec.TaskTemplate.ContainerSpec.Args = spec.TaskTemplate.ContainerSpec.Args ?? [];
  if (!listens) spec.EndpointSpec = { Mode: 'dnsrr' };
  return spec;
}

export function swarmProcessesRelease(run: DockerDeployRun): ReleaseStrategy {
  const { engine, e, docker, id, emit, redact, outcome, req } = run;
  const { app, processes } = e.model;
  const existing = new Map<string, ServiceInfo | undefined>();
  const image = docker.registry ? registryRef(docker.registry, app.name, id) : `${app.name}:${id}`;
  const replicas = docker.replicas ?? 2;
  const timeoutOf = (p: ProcessModel): number => rolloutTimeoutMs(modelOfProcess(e.model, p).app, replicas);
  return {
    verb: 'update',
    preflight: () => swarmRelease(run).preflight(),
    async survey() {
      for (const p of processes) existing.set(p.name, await inspectService(engine, processServiceName(p, e.name)));
      outcome.previous = existing.get(processes[0].name)?.Spec.Labels?.[LABEL.release] ?? null;
      return undefined;
    },
    async runsAlready(imageId) {
      for (const p of processes) {
        const svc = existing.get(p.name);
        const spec = processServiceSpec(run, p, `${app.name}:${id}`, false);
        const c = spec.TaskTemplate.ContainerSpec as { Env: string[]; Args: string[] };
        if (!svc || !(await serviceRuns(engine, svc, imageId, c.Env, c.Args))) return false;
      }
      return true;
    },
    async release(built: ReleaseImage): Promise<DeployResult> {
      const s0 = Date.now();
      const updated: ProcessModel[] = [];
      for (const p of processes) {
        const name = processServiceName(p, e.name);
        const before = existing.get(p.name);
        const rolled = await rolloutService(engine, processServiceSpec(run, p, image, built.probeFile !== undefined), before, {
          emit,
          redact,
          token: req.token,
          auth: run.registryAuth,
          timeoutMs: timeoutOf(p),
        });
        if (rolled.ok) {
          emit({ host: HOST, step: 'switch', state: 'done', message: `${name}: ${replicas} task${replicas === 1 ? '' : 's'} of ${id} running and healthy` });
          updated.push(p);
          continue;
        }
        if (rolled.logs) emit({ host: HOST, step: 'logs', state: 'info', message: `last log lines of the failed task of ${name}:\n${rolled.logs}` });
        // The services updated before this one go back too, the last first.
        let restored = rolled.rolledBack;
        for (const back of updated.reverse()) restored = (await undoService(run, back, existing.get(back.name), timeoutOf(back))) && restored;
        outcome.timings.switch = Date.now() - s0;
        Object.assign(outcome, {
          result: restored && before ? 'rolled-back' : 'failed',
          error: redact(`${name}: ${rolled.error ?? 'the rollout failed'}`),
          logs: rolled.logs,
          hint: rolled.cancelled
            ? undefined
            : restored
              ? "every process's service is back on its previous release; see the failed task's log lines"
              : 'see `godeploy status ENV`',
        });
        emit({ host: HOST, step: 'health', state: 'fail', message: outcome.error! });
        return run.result(false, { cancelled: rolled.cancelled === true });
      }
      outcome.timings.switch = Date.now() - s0;
      outcome.result = 'live';
      const keep = e.env.keepReleases ?? 5;
      await pruneReleaseImages(engine, app.name, keep).catch((err: Error) =>
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

/** A service this deploy updated goes back to its previous spec (one it created is removed); true when that worked. */
async function undoService(run: DockerDeployRun, p: ProcessModel, before: ServiceInfo | undefined, timeoutMs: number): Promise<boolean> {
  const { engine, e, emit, redact } = run;
  const name = processServiceName(p, e.name);
  emit({ host: HOST, step: 'rollback', state: 'start', message: `${name}: asking Swarm for its previous spec` });
  const now = await inspectService(engine, name);
  if (!before) {
    if (now)
      await engine.docker
        .getService(now.ID)
        .remove()
        .catch(() => undefined);
    emit({ host: HOST, step: 'rollback', state: 'done', message: `${name} removed (this deploy created it)` });
    return true;
  }
  if (!now) return false;
  const r = await rolloutService(engine, now.Spec, now, { emit, redact, rollback: true, timeoutMs });
  emit({
    host: HOST,
    step: 'rollback',
    state: r.ok ? 'done' : 'fail',
    message: r.ok ? `${name} is back on its previous spec` : (r.error ?? 'rollback failed'),
  });
  return r.ok;
}

/** `godeploy rollback` on a swarm with several processes: each service to its previous spec, in order. */
export async function rollbackServices(run: DockerRollbackRun): Promise<RollbackResult> {
  const { req, e, engine, outcome, targets } = run;
  const { processes } = e.model;
  if (req.to)
    return run.fail(
      new GoDeployError(`rollback --to: Swarm keeps only each service's previous spec`, {
        hint: `run \`godeploy rollback ${e.name}\` without --to, or deploy that release again`,
      }),
      'lock',
    );
  const services: { p: ProcessModel; svc: ServiceInfo }[] = [];
  for (const p of processes) {
    const name = processServiceName(p, e.name);
    const svc = await inspectService(engine, name);
    if (!svc) return run.fail(new GoDeployError(`there is no service ${name} on the engine: nothing to roll back`), 'lock');
    if (!svc.PreviousSpec) return run.fail(new GoDeployError(`${name} has no previous spec: it was never updated`), 'lock');
    services.push({ p, svc });
  }
  outcome.previous = services[0].svc.Spec.Labels?.[LABEL.release] ?? null;
  targets[HOST] = services[0].svc.PreviousSpec?.Labels?.[LABEL.release] ?? 'the previous spec';
  req.onPlan?.(
    rollbackPlan(
      `roll ${services.map((s) => s.svc.Spec.Name).join(', ')} back to ${targets[HOST]} (Swarm's previous specs)`,
      services.map((s) => ({
        host: HOST,
        id: 'switch' as const,
        title: `Swarm rolls ${s.svc.Spec.Name} back to its previous spec, one task at a time`,
        commands: [],
      })),
    ),
  );
  for (const { p, svc } of services) {
    const replicas = Number(svc.Spec.Mode?.Replicated?.Replicas ?? 1);
    const rolled = await rolloutService(engine, svc.Spec, svc, {
      emit: run.emit,
      redact: run.redact,
      token: req.token,
      rollback: true,
      timeoutMs: rolloutTimeoutMs(modelOfProcess(e.model, p).app, replicas),
    });
    if (!rolled.ok) {
      Object.assign(outcome, { result: 'failed', error: run.redact(`${svc.Spec.Name}: ${rolled.error ?? 'the rollback failed'}`), logs: rolled.logs });
      return run.done(false);
    }
  }
  outcome.result = 'live';
  return run.done(true);
}

/** `godeploy status` on a swarm: each process's service, its tasks running of those wanted. */
export async function swarmProcessStatuses(engine: Engine, e: LoadedEnvironment): Promise<ProcessStatus[]> {
  const out: ProcessStatus[] = [];
  for (const p of e.model.processes) {
    const name = processServiceName(p, e.name);
    const svc = await inspectService(engine, name);
    if (!svc) {
      out.push({ name: p.name, service: name, state: `no service ${name}`, running: false, uptimeSeconds: null, pid: null, health: null, port: p.port });
      continue;
    }
    const wanted = Number(svc.Spec.Mode?.Replicated?.Replicas ?? 1);
    const tasks = (await engine.docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as { Status?: { State?: string } }[];
    const running = tasks.filter((t) => t.Status?.State === 'running').length;
    const update = svc.UpdateStatus?.State ? `, update ${svc.UpdateStatus.State}` : '';
    out.push({
      name: p.name,
      service: name,
      state: `${running}/${wanted} tasks running${update}`,
      running: running >= wanted,
      uptimeSeconds: null,
      pid: null,
      health: { healthy: running >= wanted, answer: `${running}/${wanted} tasks healthy` },
      port: p.port,
    });
  }
  return out;
}
