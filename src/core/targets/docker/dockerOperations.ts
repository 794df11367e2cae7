// `godeploy exec` and `godeploy restart|stop|start` for a docker environment. exec is the
// Engine API's container exec in the live release container (its working directory and its
// environment, which the container was created with: no value travels again); on a swarm, in
// a running task's container on the engine's node. restart, stop and start act on the live
// release container under the engine's deploy lock: restart and start end with the deploy's
// health gate; start brings back the release container that ran last. On a swarm they are
// refused: Swarm keeps one previous spec, the one `godeploy rollback` returns to, and a forced
// update or a scale would replace it with the live release's own.
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { dockerOf } from '../../config/model';
import type { LoadedEnvironment } from '../../environment/load';
import type { InteractiveTerminal } from '../../remote/terminal';
import {
  UNREACHABLE_EXIT,
  type ExecHostResult,
  type ExecRequest,
  type ExecResult,
  type OperationPlan,
  type PreparedOperation,
  type ServiceActionRequest,
  type ServiceActionResult,
  type ServiceSnapshot,
} from '../../environment/operations';
import type { LockOwner } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { bestEffortRedactor } from '../../release/envFile';
import { lockOwnerFor } from '../../release/lockOwner';
import { describeGate, gatePassed, gateSpecOf } from '../../release/healthGate';
import { exitCodeOf, forwardLines, hostResult, selectOperationHosts, stepReporter } from '../../release/operationHosts';
import { shellQuote } from '../../remote/quote';
import { containerGate, probeImageFor } from './containerGate';
import { acquireDockerLock, releaseDockerLock } from './dockerLock';
import { containerLogTail, liveRelease, listDockerReleases, type DockerRelease } from './dockerReleases';
import { environmentEngineAddress, type Engine } from './engine';
import { ENGINE_ALIAS, openEnvironmentEngine } from './environmentEngine';
import { restartPolicy } from './replace';
import { serviceName } from './swarmService';
import { modelOfProcess, type ProcessModel } from '../../generate/processes';
import { processContainer, severalProcesses } from './processContainers';
import { processServiceName } from './swarmProcesses';

/** Seconds a stopping release container gets before it is killed (as a switch stops one). */
const STOP_SECONDS = 10;

const isSwarm = (e: LoadedEnvironment): boolean => dockerOf(e.env)?.mode === 'swarm';

interface ContainerState {
  Id: string;
  Name?: string;
  State?: { Status?: string; Running?: boolean; Pid?: number; FinishedAt?: string };
}

const inspect = async (engine: Engine, id: string): Promise<ContainerState> => (await engine.docker.getContainer(id).inspect()) as unknown as ContainerState;

const snapshotOf = (c: ContainerState): ServiceSnapshot => ({
  state: c.State?.Status ?? 'unknown',
  running: c.State?.Running === true,
  pid: c.State?.Pid || null,
});

/** The container exec runs in: the live release's, or on a swarm a running task's on this engine's node. */
async function execContainer(engine: Engine, e: LoadedEnvironment, process?: string): Promise<{ id: string; name: string }> {
  const app = e.model.app.name;
  if (isSwarm(e)) {
    // Several processes: --process P's service, else the first process's.
    const p = severalProcesses(e.model) ? (e.model.processes.find((x) => x.name === process) ?? e.model.processes[0]) : undefined;
    const service = p ? processServiceName(p, e.name) : serviceName(app, e.name);
    const tasks = (await engine.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] } })) as {
      Id: string;
      Names?: string[];
    }[];
    if (!tasks.length)
      throw new GoDeployError(`no task of service ${service} runs on this engine's node`, {
        hint: "exec reaches the containers of the engine it talks to: point docker.host (or DOCKER_HOST) at a node that runs one of the service's tasks",
      });
    return { id: tasks[0].Id, name: (tasks[0].Names?.[0] ?? tasks[0].Id).replace(/^\//, '') };
  }
  const releases = await listDockerReleases(engine, app, e.name);
  // Several processes: --process P's container, else the first process's.
  const live = severalProcesses(e.model) ? processContainer(releases, e.model, process) : liveRelease(releases);
  if (!live)
    throw new GoDeployError(
      `no ${app}${severalProcesses(e.model) ? ` ${process ?? e.model.processes[0].name}` : ''} release container is running in ${e.name}`,
      {
        hint: `start the live release with \`godeploy start ${e.name}\`, or deploy`,
      },
    );
  return { id: live.containerId, name: live.container };
}

export async function dockerExec(e: LoadedEnvironment, req: ExecRequest): Promise<PreparedOperation<ExecResult>> {
  if (!req.command.length) throw new GoDeployError('exec: which command?', { hint: 'godeploy exec ENV -- CMD [ARGS…]', exitCode: 2 });
  const hosts = selectOperationHosts(e, req, 'exec');
  const address = environmentEngineAddress(e, req.hosts?.env ?? process.env);
  const where = isSwarm(e)
    ? `a running task container of service ${serviceName(e.model.app.name, e.name)} on the engine's node`
    : `the running ${e.model.app.name} release container (labels godeploy.app=${e.model.app.name}, godeploy.environment=${e.name})`;
  const title = `run ${shellQuote(req.command)} in ${where}, with its working directory and environment (Engine API container exec, ${req.tty ? 'in a terminal (--tty)' : 'no stdin'})`;
  const plan: OperationPlan = {
    text: [
      `exec in ${e.model.app.name}'s live release in ${e.name}, on the Docker Engine at ${address.url}: ${shellQuote(req.command)}`,
      `  ${hosts[0]}: ${title}`,
    ].join('\n'),
    steps: [{ host: ENGINE_ALIAS, title, commands: [] }],
  };
  return {
    plan,
    run: async () => {
      const redact = await bestEffortRedactor(e, req.sources);
      const t0 = Date.now();
      const result = (r: Omit<ExecHostResult, 'host' | 'address' | 'durationMs'>): ExecResult => ({
        environment: e.name,
        dryRun: false,
        plan,
        exitCode: r.exitCode,
        hosts: [{ host: ENGINE_ALIAS, address: address.url, ...r, durationMs: Date.now() - t0 }],
      });
      let engine: Engine;
      try {
        engine = await openEnvironmentEngine(e, { ...req.hosts, token: req.token, env: req.hosts?.env });
      } catch (err) {
        return result({ exitCode: UNREACHABLE_EXIT, error: (err as Error).message, hint: err instanceof GoDeployError ? err.hint : undefined });
      }
      try {
        const target = await execContainer(engine, e, req.process);
        if (req.tty) return result({ exitCode: await interactiveExec(engine, target.id, req.command, req.tty) });
        const ex = await engine.docker
          .getContainer(target.id)
          .exec({ Cmd: req.command, AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false });
        const raw = (await ex.start({ Detach: false, Tty: false })) as unknown as Readable;
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        engine.docker.modem.demuxStream(raw, stdout, stderr);
        const ended = (): void => {
          stdout.end();
          stderr.end();
        };
        raw.once('end', ended);
        raw.once('close', ended);
        raw.once('error', ended);
        const sub = req.token?.onCancellationRequested(() => raw.destroy());
        try {
          await forwardLines(ENGINE_ALIAS, { stdout, stderr }, (l) => req.onOutput?.(l), redact);
        } finally {
          sub?.dispose();
        }
        const info = (await ex.inspect()) as { ExitCode?: number | null; Running?: boolean };
        return result({ exitCode: info.Running ? UNREACHABLE_EXIT : exitCodeOf(info.ExitCode ?? null) });
      } catch (err) {
        const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
        return result({ exitCode: UNREACHABLE_EXIT, error: redact(message), hint: err instanceof GoDeployError ? err.hint : undefined });
      } finally {
        engine.close();
      }
    },
  };
}

/**
 * exec --tty in a container: an Engine API exec with a terminal, its stream wired to the
 * user's (typed keys in, the terminal's output out), resized with it; the command's exit code.
 */
async function interactiveExec(engine: Engine, containerId: string, command: string[], terminal: InteractiveTerminal): Promise<number> {
  const ex = await engine.docker.getContainer(containerId).exec({
    Cmd: command,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: [`TERM=${terminal.term}`],
  });
  const stream = (await ex.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  const resize = (size: { rows: number; columns: number }): void => void ex.resize({ h: size.rows, w: size.columns }).catch(() => undefined);
  resize(terminal);
  const resized = terminal.onResize?.(resize);
  const typed = (d: Buffer | string): void => void stream.write(d);
  terminal.raw?.(true);
  terminal.input.on('data', typed);
  stream.on('data', (d: Buffer) => terminal.output.write(d));
  try {
    await new Promise<void>((done) => {
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', () => done());
    });
  } finally {
    terminal.input.removeListener('data', typed);
    terminal.raw?.(false);
    resized?.dispose();
  }
  const info = (await ex.inspect()) as { ExitCode?: number | null; Running?: boolean };
  return info.Running ? UNREACHABLE_EXIT : exitCodeOf(info.ExitCode ?? null);
}

/** The release container that ran last (the latest to finish): the one `start` brings back after a stop. */
async function lastRun(engine: Engine, releases: DockerRelease[]): Promise<DockerRelease | undefined> {
  let best: { r: DockerRelease; at: number } | undefined;
  for (const r of releases) {
    const at = Date.parse((await inspect(engine, r.containerId)).State?.FinishedAt ?? '') || 0;
    if (!best || at > best.at || (at === best.at && r.id > best.r.id)) best = { r, at };
  }
  return best?.r;
}

export async function dockerServiceAction(e: LoadedEnvironment, req: ServiceActionRequest): Promise<PreparedOperation<ServiceActionResult>> {
  const { action } = req;
  const app = e.model.app.name;
  selectOperationHosts(e, req, action);
  if (isSwarm(e)) {
    const name = serviceName(app, e.name);
    const replicas = dockerOf(e.env)?.replicas ?? 2;
    const instead = {
      restart: `docker service update --force ${name}`,
      stop: `docker service scale ${name}=0`,
      start: `docker service scale ${name}=${replicas}`,
    }[action];
    throw new GoDeployError(
      `${action} is not supported on a swarm (${e.name} runs service ${name}): Swarm keeps one previous spec, the one \`godeploy rollback\` returns to, and ${action === 'restart' ? 'a forced update' : 'a scale'} would replace it with the live release's own`,
      { hint: `use \`${instead}\` on the manager (then \`godeploy rollback ${e.name}\` returns to this same release), or deploy again`, exitCode: 2 },
    );
  }
  const address = environmentEngineAddress(e, req.hosts?.env ?? process.env);
  const gateSpec = gateSpecOf(e.model);
  const spec = gateSpec;
  const several = severalProcesses(e.model);
  const what = `the ${app} release container`;
  const gateTitle = `health gate: ${describeGate(spec, '<its port>', "the container's process")}`;
  const steps = [
    { host: ENGINE_ALIAS, title: `take the deploy lock (container godeploy-lock-${app})`, commands: [] },
    {
      host: ENGINE_ALIAS,
      title: {
        restart: `restart the running release container (${app}-<release>) in place (docker restart -t ${STOP_SECONDS})`,
        stop: `stop the running release container (docker stop -t ${STOP_SECONDS}); it is kept, with its restart policy, for start`,
        start: `start the release container that ran last, when none is running (its restart policy given back)`,
      }[action],
      commands: [],
    },
    action === 'stop' ? { host: ENGINE_ALIAS, title: `read ${what}'s state`, commands: [] } : { host: ENGINE_ALIAS, title: gateTitle, commands: [] },
    { host: ENGINE_ALIAS, title: 'release the deploy lock', commands: [] },
  ];
  const plan: OperationPlan = {
    text: [`${action} ${app} in ${e.name} on the Docker Engine at ${address.url}`, `${ENGINE_ALIAS}:`, ...steps.map((s, i) => `  ${i + 1}. ${s.title}`)].join(
      '\n',
    ),
    steps,
  };
  return {
    plan,
    run: async () => {
      const t0 = Date.now();
      const redact = await bestEffortRedactor(e, req.sources);
      const r = hostResult(ENGINE_ALIAS, address.url);
      const r0 = r;
      const results = [r];
      const { event, stage } = stepReporter(ENGINE_ALIAS, req.emit, redact, 'connect');
      const done = (): ServiceActionResult => {
        for (const x of results) x.durationMs = Date.now() - t0;
        return {
          environment: e.name,
          action,
          ok: results.every((x) => x.ok),
          dryRun: false,
          cancelled: req.token?.isCancellationRequested === true,
          plan,
          hosts: results,
          durationMs: r.durationMs,
        };
      };
      let engine: Engine;
      try {
        engine = await openEnvironmentEngine(e, { ...req.hosts, token: req.token, env: req.hosts?.env });
      } catch (err) {
        r.error = (err as Error).message;
        r.hint = err instanceof GoDeployError ? err.hint : undefined;
        event('connect', 'fail', r.error);
        return done();
      }
      let owner: LockOwner | undefined;
      try {
        owner = await acquireDockerLock(engine, app, lockOwnerFor(req.user, '-', action), { environment: e.name, onTakeOver: (m) => event('lock', 'info', m) });
        event('lock', 'done', 'lock taken');
        // Several processes: each selected process's container in turn (app.processes order), one result each.
        const all = await listDockerReleases(engine, app, e.name);
        const groups = several
          ? e.model.processes
              .filter((p) => req.process === undefined || p.name === req.process)
              .map((p) => ({ p, releases: all.filter((x) => x.process === p.name) }))
          : [{ p: undefined, releases: all }];
        const act = async (r: typeof r0, releases: DockerRelease[], p: ProcessModel | undefined): Promise<void> => {
          const spec = p ? gateSpecOf(modelOfProcess(e.model, p)) : gateSpec;
          const portOf = (t: DockerRelease): number => (p ? (p.port ?? 0) : (t.port ?? e.model.app.port));
          const live = liveRelease(releases);
          const target = live ?? (action === 'stop' ? undefined : await lastRun(engine, releases));
          if (!target) {
            if (action !== 'stop')
              throw new GoDeployError(`no ${app} release container in ${e.name} to ${action}`, { hint: `deploy first: godeploy deploy ${e.name}` });
            r.unchanged = true;
            r.ok = true;
            event('stop', 'done', `no ${app} release container is running`);
            return;
          }
          r.release = target.id;
          const container = engine.docker.getContainer(target.containerId);
          r.before = snapshotOf(await inspect(engine, target.containerId));
          const a0 = Date.now();
          if (action === 'stop') {
            event('stop', 'start', `stopping ${target.container}`);
            await container.stop({ t: STOP_SECONDS }).catch((x: { statusCode?: number }) => {
              if (x?.statusCode !== 304) throw x; // 304: already stopped
            });
            r.after = snapshotOf(await inspect(engine, target.containerId));
            r.ok = !r.after.running;
            event('stop', r.ok ? 'done' : 'fail', `${target.container}: ${r.after.state}`, Date.now() - a0);
            if (!r.ok) r.error = `${target.container} is still running (${r.after.state})`;
            return;
          }
          if (action === 'start' && live) {
            r.unchanged = true;
            event('start', 'done', `${target.container} is already running (pid ${r.before.pid ?? '?'})`);
          } else if (action === 'start') {
            event('start', 'start', `starting ${target.container}`);
            await container.update({ RestartPolicy: restartPolicy(target.restart) });
            await container.start();
            event('start', 'done', `${target.container} started`, Date.now() - a0);
          } else {
            event('restart', 'start', `restarting ${target.container}`);
            await container.restart({ t: STOP_SECONDS });
            event('restart', 'done', `${target.container} restarted`, Date.now() - a0);
          }
          const port = portOf(target);
          const g0 = Date.now();
          event('health', 'start', describeGate(spec, port, "the container's process"));
          const probeImage = spec.type === 'tcp' ? await probeImageFor(engine, e, req.hosts?.env) : undefined;
          const health = await containerGate({ engine, spec, port, probeImage, token: req.token }, target.containerId);
          r.health = { healthy: health.healthy, answer: health.last };
          r.after = snapshotOf(await inspect(engine, target.containerId));
          r.ok = health.healthy;
          if (health.healthy) event('health', 'done', gatePassed(spec, port, health), Date.now() - g0);
          else {
            r.error = redact(`${target.container}: ${health.failure ?? `not healthy (last: ${health.last})`}`);
            event('health', 'fail', health.failure ?? health.last, Date.now() - g0);
            const logs = redact(await containerLogTail(engine, target.containerId, 30).catch(() => ''));
            if (logs) {
              r.logs = logs;
              event('logs', 'info', `last log lines of ${target.container}:\n${logs}`);
            }
            r.hint = `the container runs ${target.id} but does not pass its health gate: see \`godeploy logs ${e.name}\`, or roll back with \`godeploy rollback ${e.name}\``;
          }
        };
        for (const [k, g] of groups.entries()) {
          const r = k === 0 ? r0 : hostResult(ENGINE_ALIAS, address.url);
          if (k > 0) results.push(r);
          if (g.p) r.process = g.p.name;
          try {
            await act(r, g.releases, g.p);
          } catch (err) {
            const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
            r.ok = false;
            r.error = redact(message);
            r.hint = err instanceof GoDeployError ? err.hint : undefined;
            event(stage() === 'connect' ? 'lock' : stage(), 'fail', r.error);
          }
        }
        return done();
      } catch (err) {
        const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
        r.ok = false;
        r.error = redact(message);
        r.hint = err instanceof GoDeployError ? err.hint : undefined;
        event(stage() === 'connect' ? 'lock' : stage(), 'fail', r.error);
        return done();
      } finally {
        if (owner)
          await releaseDockerLock(engine, app, owner).then(
            () => event('unlock', 'done', 'lock released'),
            (x: Error) => event('unlock', 'fail', `the lock could not be released: ${x.message}`),
          );
        engine.close();
      }
    },
  };
}
