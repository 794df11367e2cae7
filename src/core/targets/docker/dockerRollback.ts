// `godeploy rollback ENV [--to RELEASE]` for a docker environment: under the engine's deploy
// lock, the release before the live one (or the named one) starts again from its kept,
// stopped container, with the image and environment it went live with, behind the same
// health gate as a deploy; if it fails, it is stopped again and the live one restarted.
// With strategy blue-green it starts on the idle port beside the live one and nginx is
// switched to it (blueGreenContainers.ts); a release kept on the live port is first
// re-created on the idle one, from the same image with the same environment.
import { dockerOf } from '../../config/model';
import { hostname, userInfo } from 'node:os';
import type { LoadedEnvironment } from '../../environment/load';
import type { HealthResult } from '../../release/health';
import { gateSpecOf } from '../../release/healthGate';
import { containerGate, probeImageFor } from './containerGate';
import type { LockOwner } from '../../release/lockOwner';
import type { DeployPlan, PlannedStep, RollbackRequest, RollbackResult } from '../../environment/types';
import type { HostDeployResult } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { acquireDockerLock, releaseDockerLock } from './dockerLock';
import { liveRelease, listDockerReleases, type DockerRelease } from './dockerReleases';
import { environmentEngineAddress, type Engine } from './engine';
import { openEnvironmentEngine } from './environmentEngine';
import { refuseUnsupported } from './dockerPlan';
import { blueGreenSite, flipNginxArgv } from '../../release/nginxSwitch';
import { dockerBlueGreen, engineHost, livePort, pickIdlePort, recreateOnPort, switchOnIdlePort } from './blueGreenContainers';
import { answeredByEngine, replaceContainer, stopRelease } from './replace';
import { LABEL } from './containerSpec';
import { inspectService, rolloutService, rolloutTimeoutMs } from './swarmRollout';
import { serviceName } from './swarmService';

const HOST = 'engine';

/** A rollback's plan: its heading, then its steps numbered. */
function rollbackPlan(heading: string, steps: PlannedStep[]): DeployPlan {
  return { text: [heading, ...steps.map((s, i) => `  ${i + 1}. ${s.title}`)].join('\n'), steps };
}

export async function rollbackDocker(req: RollbackRequest, e: LoadedEnvironment, redact: (t: string) => string): Promise<RollbackResult> {
  const t0 = Date.now();
  const emit = req.emit ?? (() => undefined);
  const { app } = e.model;
  const address = environmentEngineAddress(e);
  refuseUnsupported(e, address);
  const outcome: HostDeployResult = { host: HOST, address: address.url, result: 'unchanged', timings: {} };
  const targets: Record<string, string> = {};
  const done = (ok: boolean, cancelled = false): RollbackResult => ({
    environment: e.name,
    ok,
    cancelled,
    targets,
    hosts: [outcome],
    durationMs: Date.now() - t0,
  });
  const failed = (err: unknown, step: 'connect' | 'lock'): RollbackResult => {
    Object.assign(outcome, { result: 'failed', error: redact((err as Error).message), hint: err instanceof GoDeployError ? err.hint : undefined });
    emit({ host: HOST, step, state: 'fail', message: outcome.error! });
    return done(false);
  };
  let engine: Engine;
  try {
    engine = await openEnvironmentEngine(e, { ...req.hosts, token: req.token });
  } catch (err) {
    return failed(err, 'connect');
  }
  // Connections made again after one was lost (undoing a switch, releasing the lock); closed at the end.
  const reconnections: Engine[] = [];
  const reconnect = async (): Promise<Engine> => {
    const fresh = await openEnvironmentEngine(e, { ...req.hosts });
    reconnections.push(fresh);
    return fresh;
  };
  let owner: LockOwner | undefined;
  try {
    try {
      owner = await acquireDockerLock(
        engine,
        app.name,
        { user: req.user ?? userInfo().username, host: hostname(), pid: process.pid, version: req.to ?? 'previous', operation: 'rollback' },
        { environment: e.name, onTakeOver: (what) => emit({ host: HOST, step: 'lock', state: 'info', message: what }) },
      );
    } catch (err) {
      return failed(err, 'lock');
    }
    if (dockerOf(e.env)?.mode === 'swarm') {
      const name = serviceName(app.name, e.name);
      const svc = await inspectService(engine, name);
      if (!svc) return failed(new GoDeployError(`there is no service ${name} on the engine: nothing to roll back`), 'lock');
      if (req.to)
        return failed(
          new GoDeployError(`rollback --to: Swarm keeps only the service's previous spec`, {
            hint: `run \`godeploy rollback ${e.name}\` without --to, or deploy that release again`,
          }),
          'lock',
        );
      if (!svc.PreviousSpec) return failed(new GoDeployError(`${name} has no previous spec: it was never updated`), 'lock');
      outcome.previous = svc.Spec.Labels?.[LABEL.release] ?? null;
      targets[HOST] = svc.PreviousSpec.Labels?.[LABEL.release] ?? 'the previous spec';
      req.onPlan?.(
        rollbackPlan(`roll ${name} back to ${targets[HOST]} (Swarm's previous spec)`, [
          { host: HOST, id: 'switch', title: `Swarm rolls ${name} back to its previous spec, one task at a time`, commands: [] },
        ]),
      );
      const replicas = Number(svc.Spec.Mode?.Replicated?.Replicas ?? 1);
      const rolled = await rolloutService(engine, svc.Spec, svc, {
        emit,
        redact,
        token: req.token,
        rollback: true,
        timeoutMs: rolloutTimeoutMs(app, replicas),
      });
      if (!rolled.ok) {
        Object.assign(outcome, { result: 'failed', error: redact(rolled.error ?? 'the rollback failed'), logs: rolled.logs });
        return done(false);
      }
      outcome.result = 'live';
      return done(true);
    }
    const releases = await listDockerReleases(engine, app.name, e.name);
    const blueGreen = e.model.blueGreen ? dockerBlueGreen(e.model, await blueGreenSite(e)) : undefined;
    const runner = blueGreen ? engineHost(engine) : undefined;
    const picked = blueGreen ? pickIdlePort(blueGreen, releases, await livePort(runner!, blueGreen)) : { live: liveRelease(releases), idle: app.port };
    const live = picked.live;
    outcome.previous = live?.id ?? null;
    const list = releases.map((r) => r.id).join(', ') || 'none';
    let target: DockerRelease | undefined;
    if (req.to) {
      target = releases.find((r) => r.id === req.to);
      if (!target) return failed(new GoDeployError(`no release ${req.to} on the engine (${address.url})`, { hint: `releases there: ${list}` }), 'lock');
      if (target === live) return failed(new GoDeployError(`${req.to} is already live`), 'lock');
    } else {
      if (!live)
        return failed(
          new GoDeployError(`no ${app.name} container is running in ${e.name}: there is nothing to roll back from`, {
            hint: `start one with \`godeploy rollback ${e.name} --to RELEASE\` (releases: ${list})`,
          }),
          'lock',
        );
      target = [...releases].reverse().find((r) => r.id < live.id);
      if (!target)
        return failed(
          new GoDeployError(`no release before ${live.id} is kept on the engine; there is nothing to roll back to`, {
            hint: 'name one with --to (see `godeploy releases ENV`)',
          }),
          'lock',
        );
    }
    targets[HOST] = target.id;
    req.onPlan?.(
      rollbackPlan(`roll ${app.name} in ${e.name} back from ${live?.id ?? 'no running release'} to ${target.id} (Docker Engine at ${address.url})`, [
        ...(blueGreen && target.port !== picked.idle
          ? [{ host: HOST, id: 'container' as const, title: `re-create ${target.container} on port ${picked.idle}`, commands: [] }]
          : []),
        {
          host: HOST,
          id: 'switch',
          title: blueGreen ? `start ${target.container} on port ${picked.idle}` : `stop the running container, start ${target.container}`,
          commands: [],
        },
        { host: HOST, id: 'health', title: `wait for ${target.container} to answer`, commands: [] },
        ...(blueGreen
          ? [
              { host: HOST, id: 'nginx' as const, title: `send nginx to port ${picked.idle}, reload`, commands: [flipNginxArgv(blueGreen, picked.idle)] },
              { host: HOST, id: 'retire' as const, title: "stop the old container once nginx's old workers finished", commands: [] },
            ]
          : []),
      ]),
    );
    if (req.token?.isCancellationRequested) return done(false, true);
    const spec = gateSpecOf(e.model);
    const probeImage = spec.type === 'tcp' ? await probeImageFor(engine, e).catch(() => undefined) : undefined;
    const gate = (container: string = target!.container, through: Engine = engine): Promise<HealthResult> =>
      containerGate({ engine: through, spec, port: picked.idle, probeImage, token: req.token }, container);
    let replaced;
    if (blueGreen) {
      // Only the live release runs beside the one coming back.
      for (const stray of releases.filter((r) => r.live && r !== live && r !== target)) await stopRelease(engine, stray.containerId);
      if (target.port !== picked.idle) {
        try {
          target = await recreateOnPort(engine, target, picked.idle, { portEnv: app.portEnv, portFlag: app.portFlag });
        } catch (err) {
          return failed(new GoDeployError(`${target.container} could not be re-created on port ${picked.idle}: ${(err as Error).message}`), 'lock');
        }
        emit({ host: HOST, step: 'container', state: 'done', message: `${target.container} re-created on port ${picked.idle} (it was kept on the live port)` });
      }
      replaced = await switchOnIdlePort({
        engine,
        runner: runner!,
        plan: blueGreen,
        port: picked.idle,
        from: live,
        to: target,
        toIsNew: false,
        emit,
        redact,
        token: req.token,
        host: HOST,
        gate,
      });
    } else {
      replaced = await replaceContainer({ engine, from: live, to: target, toIsNew: false, emit, redact, token: req.token, host: HOST, gate, reconnect });
    }
    Object.assign(outcome.timings, replaced.timings);
    if (!replaced.ok) {
      Object.assign(outcome, {
        result: live && !blueGreen ? (replaced.restored ? 'rolled-back' : 'failed') : 'failed',
        error: replaced.error,
        hint: replaced.hint,
        logs: replaced.logs,
      });
      return done(false, replaced.cancelled);
    }
    outcome.result = 'live';
    return done(true);
  } finally {
    if (owner) {
      const lockOwner = owner;
      const release = (through: Engine) => releaseDockerLock(through, app.name, lockOwner);
      await release(reconnections.at(-1) ?? engine)
        .catch((err: unknown) => (answeredByEngine(err) ? Promise.reject(err) : reconnect().then(release)))
        .catch((err: Error) => emit({ host: HOST, step: 'unlock', state: 'fail', message: `the lock could not be released: ${err.message}` }));
    }
    engine.close();
    for (const extra of reconnections) extra.close();
  }
}
