// Several processes (app.processes) on one engine with docker.mode: container: one image per
// release holds /app/<executable> for every executable; each process runs as a container of
// its own, <app>-<process>-<release id>, labelled like a one-process release plus
// godeploy.process, with Entrypoint [/app/<executable>], Cmd its own arguments (the port flag
// first when it has a port), its own environment, and a published port only when it has one.
// The processes are switched together: each new container replaces its process's running one
// behind its own health gate (replace.ts), in app.processes order; when one fails, every
// process already switched gets its old container back, so a failing worker rolls back the
// api too. A rollback takes every process back to the chosen release's containers the same way.
import * as path from 'node:path';
import { runBuild } from '../../build/build';
import type { BuildResult } from '../../build/types';
import type { VersionInfo } from '../../build/version';
import type { CancellationTokenLike } from '../../cancellation';
import type { DeployEvent, DeployResult, ProcessStatus, RollbackResult } from '../../environment/types';
import type { LoadedEnvironment } from '../../environment/load';
import { GoDeployError } from '../../errors';
import type { GenerateModel } from '../../generate/model';
import { modelOfProcess, type ProcessModel } from '../../generate/processes';
import { gateSpecOf } from '../../release/healthGate';
import { containerGate } from './containerGate';
import { pruneReleases, sameEnvironment } from './containerRelease';
import { containerSpec, LABEL, sharedVolumes, type ContainerSpec } from './containerSpec';
import { rollbackPlan } from './dockerPlan';
import { listDockerReleases, RESTART_LABEL, type DockerRelease } from './dockerReleases';
import { portReport } from './doctor';
import type { Engine } from './engine';
import { HOST, type DockerDeployRun, type DockerRollbackRun, type ReleaseImage, type ReleaseStrategy } from './releaseStrategy';
import { replaceContainer, stopRelease, type ReplaceOutcome } from './replace';

const PROCESS_LABEL = LABEL.process;

/** Whether the app is several processes, or one of app.processes (the one-process form is neither). */
export function severalProcesses(model: GenerateModel): boolean {
  return model.processes.length > 1 || (model.processes[0] !== undefined && model.processes[0].service !== model.app.name);
}

/** The distinct executables and their mains, in process order (each built once). */
export function executablesOf(model: GenerateModel): { executable: string; main: string }[] {
  const seen = new Map<string, string>();
  for (const p of model.processes) if (!seen.has(p.executable)) seen.set(p.executable, p.main);
  return [...seen].map(([executable, main]) => ({ executable, main }));
}

/**
 * Builds every executable for `target` (one go build per distinct main, one after the other:
 * they share the Go build cache), into dist/deploy/<env>/<executable>. The artifacts are in
 * executablesOf order.
 */
export async function buildExecutables(
  e: LoadedEnvironment,
  target: string,
  o: {
    token?: CancellationTokenLike;
    env?: NodeJS.ProcessEnv;
    versionInfo?: VersionInfo;
    onOutput?: (t: string, s: string) => void;
    emit(ev: DeployEvent): void;
  },
): Promise<BuildResult> {
  const results: BuildResult[] = [];
  const b0 = Date.now();
  const list = executablesOf(e.model);
  o.emit({ host: '*', step: 'build', state: 'start', message: `go build ${target}: ${list.map((x) => `${x.executable} (${x.main})`).join(', ')}` });
  try {
    for (const x of list) {
      const outDir = path.join(e.moduleDir, 'dist', 'deploy', e.name, x.executable);
      results.push(
        await runBuild({
          moduleDir: e.moduleDir,
          // This executable alone: its main, named after it.
          config: { ...e.config, app: { ...e.config.app, name: x.executable, main: x.main, processes: undefined } },
          inspection: e.inspection,
          targets: [target],
          outDir,
          linkDir: path.join(outDir, '.link'),
          token: o.token,
          onOutput: o.onOutput,
          env: o.env,
          versionInfo: o.versionInfo,
        }),
      );
    }
  } catch (err) {
    o.emit({ host: '*', step: 'build', state: 'fail', message: (err as Error).message });
    throw err;
  }
  const artifacts = results.map((r) => r.artifacts[0]);
  o.emit({ host: '*', step: 'build', state: 'done', message: artifacts.map((a) => `${a.target} ${a.file}`).join(', '), ms: Date.now() - b0 });
  return { ...results[0], artifacts };
}

/**
 * A process's environment: the resolved app and environment values with its own env over
 * them; the app-level port variable they carry is dropped (the process's own is set from its port).
 */
export function processEnv(e: Pick<LoadedEnvironment, 'model'>, p: ProcessModel, env: Record<string, string>): Record<string, string> {
  const own = { ...env, ...p.env };
  const appPortEnv = e.model.app.portEnv;
  if (appPortEnv !== null && own[appPortEnv] === String(e.model.app.port) && p.env[appPortEnv] === undefined) delete own[appPortEnv];
  return own;
}

/** One process's release container, from the release image. */
export function processSpec(
  run: Pick<DockerDeployRun, 'e' | 'id' | 'version' | 'docker' | 'deployedBy'>,
  p: ProcessModel,
  image: string,
  env: Record<string, string>,
): ContainerSpec {
  const { e } = run;
  const app = e.model.app.name;
  const listens = p.port !== null;
  const own = processEnv(e, p, env);
  const spec = containerSpec({
    app: p.service,
    environment: e.name,
    releaseId: run.id,
    version: run.version,
    image,
    port: p.port ?? 0,
    env: own,
    docker: run.docker,
    deployedBy: run.deployedBy,
    args: p.args,
    portEnv: listens ? p.portEnv : null,
    portFlag: listens ? p.portFlag : null,
    shared: sharedVolumes(app, e.model.shared),
  });
  spec.Labels[LABEL.app] = app;
  spec.Labels[PROCESS_LABEL] = p.name;
  if (!listens) {
    delete spec.Labels[LABEL.port];
    delete spec.ExposedPorts;
    delete spec.HostConfig.PortBindings;
    delete spec.HostConfig.CapAdd;
  }
  // Cmd is its own arguments, empty included: the image's CMD is the first process's.
  return { ...spec, Entrypoint: [`/app/${p.executable}`], Cmd: spec.Cmd ?? [] };
}

/** The release containers of each process (oldest first), and the running one. */
function byProcess(releases: DockerRelease[], p: ProcessModel): { all: DockerRelease[]; live?: DockerRelease } {
  const all = releases.filter((r) => r.process === p.name);
  return { all, live: all.filter((r) => r.live).pop() };
}

/** One process's switch: its new (or kept) container replaces its running one. */
interface Switch {
  p: ProcessModel;
  from?: DockerRelease;
  to: Pick<DockerRelease, 'id' | 'containerId' | 'container' | 'restart'>;
}

interface SwitchAll {
  engine: Engine;
  e: LoadedEnvironment;
  switches: Switch[];
  toIsNew: boolean;
  probeImage?: string;
  emit(ev: DeployEvent): void;
  redact(t: string): string;
  token?: CancellationTokenLike;
  reconnect(): Promise<Engine>;
}

/**
 * Switches every process in order behind its gate. When one fails (replace.ts already put
 * that process's old container back), the processes switched before it go back too, last
 * first: their new containers removed (or stopped), their old ones started and gated.
 */
async function switchAll(i: SwitchAll): Promise<{ ok: boolean; failed?: ReplaceOutcome; restored: boolean; timings: Record<string, number> }> {
  const timings: Record<string, number> = {};
  const gateOf = (p: ProcessModel) => {
    const pm = modelOfProcess(i.e.model, p);
    const spec = gateSpecOf(pm);
    return (container: string, through: Engine = i.engine) =>
      containerGate({ engine: through, spec, port: p.port ?? 0, probeImage: i.probeImage, token: i.token }, container);
  };
  const done: Switch[] = [];
  for (const s of i.switches) {
    const r = await replaceContainer({
      engine: i.engine,
      from: s.from,
      to: s.to,
      toIsNew: i.toIsNew,
      emit: i.emit,
      redact: i.redact,
      token: i.token,
      host: HOST,
      gate: gateOf(s.p),
      reconnect: i.reconnect,
    });
    for (const [k, v] of Object.entries(r.timings)) timings[k] = (timings[k] ?? 0) + v;
    if (r.ok) {
      done.push(s);
      continue;
    }
    let restored = r.restored;
    for (const back of done.reverse()) {
      i.emit({
        host: HOST,
        step: 'rollback',
        state: 'start',
        message: `${back.p.name}: ${s.p.name} failed, so ${back.to.container} goes and ${back.from?.container ?? 'nothing'} starts again`,
      });
      try {
        if (i.toIsNew) await i.engine.docker.getContainer(back.to.containerId).remove({ force: true });
        else await stopRelease(i.engine, back.to.containerId);
        if (back.from) {
          await i.engine.docker.getContainer(back.from.containerId).update({ RestartPolicy: { Name: back.from.restart } });
          await i.engine.docker
            .getContainer(back.from.containerId)
            .start()
            .catch((x: { statusCode?: number }) => {
              if (x?.statusCode !== 304) throw x;
            });
          const h = await gateOf(back.p)(back.from.container);
          restored &&= h.healthy;
          i.emit({
            host: HOST,
            step: 'rollback',
            state: h.healthy ? 'done' : 'fail',
            message: h.healthy ? `${back.from.container} serves again` : `${back.from.container} started but is not healthy (${h.failure ?? h.last})`,
          });
        }
      } catch (err) {
        restored = false;
        i.emit({ host: HOST, step: 'rollback', state: 'fail', message: `${back.p.name}: ${i.redact((err as Error).message)}` });
      }
    }
    return { ok: false, failed: r, restored, timings };
  }
  return { ok: true, restored: false, timings };
}

/** docker.mode: container with several processes: every process's container, switched together. */
export function processesRelease(run: DockerDeployRun): ReleaseStrategy {
  const { engine, e, emit } = run;
  const { app, processes } = e.model;
  let releases: DockerRelease[] = [];
  return {
    verb: 'replace',
    async preflight() {
      const p0 = Date.now();
      const details: string[] = [];
      for (const p of processes) {
        if (p.port === null) continue;
        const port = await portReport(engine, { address: run.address, name: app.name, port: p.port });
        if (port.status === 'fail') return run.fail(new GoDeployError(`preflight: ${p.name}: port: ${port.detail}`, { hint: port.hint }), 'preflight');
        details.push(`${p.name}: port ${port.detail}`);
      }
      emit({ host: HOST, step: 'preflight', state: 'done', message: details.join('; ') || 'no process publishes a port', ms: Date.now() - p0 });
      return undefined;
    },
    async survey() {
      releases = await listDockerReleases(engine, app.name, run.e.name);
      run.outcome.previous = byProcess(releases, processes[0]).live?.id ?? null;
      return undefined;
    },
    async runsAlready(imageId) {
      for (const p of processes) {
        const live = byProcess(releases, p).live;
        if (!live || live.imageId !== imageId) return false;
        if (!(await sameEnvironment(engine, live.containerId, processSpec(run, p, `${app.name}:${run.id}`, run.values)))) return false;
      }
      return true;
    },
    async release(image: ReleaseImage): Promise<DeployResult> {
      const { id, outcome, req } = run;
      const created: Switch[] = [];
      const k0 = Date.now();
      for (const p of processes) {
        const spec = processSpec(run, p, `${app.name}:${id}`, run.values);
        try {
          const c = await engine.docker.createContainer({ ...spec, Labels: { ...spec.Labels, [RESTART_LABEL]: spec.HostConfig.RestartPolicy.Name } });
          // The first deploy after the one-process form: its running container gives way to the first process.
          const before = p === processes[0] ? releases.filter((r) => r.process === undefined && r.live).pop() : undefined;
          created.push({
            p,
            from: byProcess(releases, p).live ?? before,
            to: { id, containerId: c.id, container: spec.name, restart: spec.HostConfig.RestartPolicy.Name },
          });
        } catch (err) {
          for (const c of created)
            await engine.docker
              .getContainer(c.to.containerId)
              .remove({ force: true })
              .catch(() => undefined);
          return run.fail(new GoDeployError(`creating ${spec.name} failed: ${(err as Error).message}`), 'container');
        }
      }
      emit({ host: HOST, step: 'container', state: 'done', message: `${created.map((c) => c.to.container).join(', ')} created`, ms: Date.now() - k0 });
      let switched;
      try {
        switched = await switchAll({ ...run, engine, switches: created, toIsNew: true, probeImage: image.probeTag, token: req.token });
      } catch (err) {
        return run.fail(err, 'switch');
      }
      Object.assign(outcome.timings, switched.timings);
      if (!switched.ok) {
        const f = switched.failed!;
        const anyLive = created.some((c) => c.from);
        Object.assign(outcome, {
          result: anyLive ? (switched.restored ? 'rolled-back' : 'failed') : 'failed',
          error: f.error,
          hint: anyLive ? 'every process was given its old container back' : f.hint,
          logs: f.logs,
        });
        await engine.docker
          .getImage(`${app.name}:${id}`)
          .remove()
          .catch(() => undefined);
        return run.result(false, { cancelled: f.cancelled });
      }
      outcome.result = 'live';
      await pruneReleases(run);
      return run.result(true);
    },
  };
}

/** `godeploy rollback` with several processes: every process back to the chosen release's kept container. */
export async function rollbackProcesses(run: DockerRollbackRun): Promise<RollbackResult> {
  const { req, e, engine, address, outcome, targets, emit, redact, reconnect } = run;
  const { app, processes } = e.model;
  const releases = await listDockerReleases(engine, app.name, e.name);
  const ids = [...new Set(releases.map((r) => r.id))];
  const liveId = byProcess(releases, processes[0]).live?.id ?? releases.filter((r) => r.live).pop()?.id;
  outcome.previous = liveId ?? null;
  const list = ids.join(', ') || 'none';
  let target: string | undefined;
  if (req.to) {
    if (!ids.includes(req.to))
      return run.fail(new GoDeployError(`no release ${req.to} on the engine (${address.url})`, { hint: `releases there: ${list}` }), 'lock');
    if (req.to === liveId) return run.fail(new GoDeployError(`${req.to} is already live`), 'lock');
    target = req.to;
  } else {
    if (!liveId)
      return run.fail(
        new GoDeployError(`no ${app.name} container is running in ${e.name}: there is nothing to roll back from`, {
          hint: `start one with \`godeploy rollback ${e.name} --to RELEASE\` (releases: ${list})`,
        }),
        'lock',
      );
    target = [...ids].reverse().find((x) => x < liveId);
    if (!target)
      return run.fail(
        new GoDeployError(`no release before ${liveId} is kept on the engine; there is nothing to roll back to`, {
          hint: 'name one with --to (see `godeploy releases ENV`)',
        }),
        'lock',
      );
  }
  const switches: Switch[] = [];
  for (const p of processes) {
    const { all, live } = byProcess(releases, p);
    const to = all.find((r) => r.id === target);
    if (!to)
      return run.fail(
        new GoDeployError(`release ${target} has no container for process ${p.name}`, {
          hint: 'it was deployed before that process existed: roll back with --to a newer release, or deploy',
        }),
        'lock',
      );
    switches.push({ p, from: live, to });
  }
  targets[HOST] = target;
  req.onPlan?.(
    rollbackPlan(
      `roll ${app.name} in ${e.name} back from ${liveId ?? 'no running release'} to ${target} (Docker Engine at ${address.url})`,
      switches.map((s) => ({
        host: HOST,
        id: 'switch' as const,
        title: `${s.p.name}: ${s.from ? `stop ${s.from.container}, ` : ''}start ${s.to.container} and wait for its health gate`,
        commands: [],
      })),
    ),
  );
  const r = await switchAll({ engine, e, switches, toIsNew: false, emit, redact, token: req.token, reconnect });
  if (!r.ok) {
    Object.assign(outcome, { result: 'failed', error: r.failed?.error, hint: r.failed?.hint, logs: r.failed?.logs });
    return run.done(false, r.failed?.cancelled);
  }
  outcome.result = 'live';
  return run.done(true);
}

/** `godeploy status`: each process's running container, its state, pid, uptime and one health check. */
export async function processStatuses(engine: Engine, e: LoadedEnvironment, releases: DockerRelease[], probeImage?: string): Promise<ProcessStatus[]> {
  const out: ProcessStatus[] = [];
  for (const p of e.model.processes) {
    const live = byProcess(releases, p).live;
    const status: ProcessStatus = {
      name: p.name,
      service: p.service,
      state: 'no container running',
      running: false,
      uptimeSeconds: null,
      pid: null,
      health: null,
      port: p.port,
    };
    if (live) {
      const info = (await engine.docker.getContainer(live.containerId).inspect()) as {
        State?: { Status?: string; Running?: boolean; Pid?: number; StartedAt?: string };
      };
      const started = Date.parse(info.State?.StartedAt ?? '');
      status.service = live.container;
      status.state = info.State?.Status ?? 'unknown';
      status.running = info.State?.Running === true;
      status.pid = info.State?.Pid || null;
      status.uptimeSeconds = Number.isFinite(started) ? Math.max(0, Math.floor((Date.now() - started) / 1000)) : null;
      const spec = gateSpecOf(modelOfProcess(e.model, p));
      // A process without a port: healthy while it runs (one look, no waiting for it to stay up).
      const h =
        spec.type === 'process'
          ? { healthy: status.running, last: status.state }
          : await containerGate({ engine, spec, port: p.port ?? 0, probeImage, once: true }, live.containerId);
      status.health = { healthy: h.healthy, answer: h.last };
    }
    out.push(status);
  }
  return out;
}

/** The container of process `name` in the live release (the first process's when no name is given). */
export function processContainer(releases: DockerRelease[], model: GenerateModel, name: string | undefined): DockerRelease | undefined {
  const p = name === undefined ? model.processes[0] : model.processes.find((x) => x.name === name);
  return p ? byProcess(releases, p).live : undefined;
}
