// `godeploy rollback ENV [--to RELEASE]` with one container (strategy restart) or blue-green:
// the release before the live one (or the named one) starts again from its kept, stopped
// container, with the image and environment it went live with, behind the same health gate
// as a deploy; if it fails, it is stopped again and the live one restarted (replace.ts).
// With strategy blue-green it starts on the idle port beside the live one and nginx is
// switched to it (blueGreenContainers.ts); a release kept on the live port is first
// re-created on the idle one, from the same image with the same environment. strategy canary
// does the same with the canary include sending every request to it (no steps: a rollback
// goes back to a release that was live); it refuses while a rollout is in progress.
import type { RollbackResult } from '../../environment/types';
import type { HealthResult } from '../../release/health';
import { gateSpecOf } from '../../release/healthGate';
import { blueGreenSite, flipNginxArgv } from '../../release/nginxSwitch';
import { GoDeployError } from '../../errors';
import { dockerBlueGreen, engineHost, livePort, pickIdlePort, recreateOnPort, switchOnIdlePort } from './blueGreenContainers';
import { containerGate, probeImageFor } from './containerGate';
import { canaryLivePort, dockerCanary, dockerCanarySite, installSteadySite, refuseDuringRollout } from './canaryRelease';
import { rollbackPlan } from './dockerPlan';
import { liveRelease, listDockerReleases, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';
import { HOST, type DockerRollbackRun } from './releaseStrategy';
import { replaceContainer, stopRelease } from './replace';

export async function rollbackContainer(run: DockerRollbackRun): Promise<RollbackResult> {
  const { req, e, engine, address, outcome, targets, emit, redact, reconnect } = run;
  const { app } = e.model;
  const releases = await listDockerReleases(engine, app.name, e.name);
  const siteText = e.model.blueGreen ? await blueGreenSite(e) : undefined;
  // strategy canary: blue-green's two ports behind the canary include; no rollback while a rollout is in progress.
  const canary = e.model.canary && siteText !== undefined ? dockerCanary(e.model, e.name, siteText) : undefined;
  const blueGreen = canary ?? (siteText !== undefined ? dockerBlueGreen(e.model, siteText) : undefined);
  const runner = blueGreen ? engineHost(engine) : undefined;
  if (canary) {
    try {
      await refuseDuringRollout(dockerCanarySite(engine, runner!, e, canary), e.name);
    } catch (err) {
      return run.fail(err, 'lock');
    }
  }
  const nginxPort = canary ? await canaryLivePort(runner!, canary, app.name) : blueGreen ? await livePort(runner!, blueGreen) : null;
  const picked = blueGreen ? pickIdlePort(blueGreen, releases, nginxPort) : { live: liveRelease(releases), idle: app.port };
  const live = picked.live;
  outcome.previous = live?.id ?? null;
  const list = releases.map((r) => r.id).join(', ') || 'none';
  let target: DockerRelease | undefined;
  if (req.to) {
    target = releases.find((r) => r.id === req.to);
    if (!target) return run.fail(new GoDeployError(`no release ${req.to} on the engine (${address.url})`, { hint: `releases there: ${list}` }), 'lock');
    if (target === live) return run.fail(new GoDeployError(`${req.to} is already live`), 'lock');
  } else {
    if (!live)
      return run.fail(
        new GoDeployError(`no ${app.name} container is running in ${e.name}: there is nothing to roll back from`, {
          hint: `start one with \`godeploy rollback ${e.name} --to RELEASE\` (releases: ${list})`,
        }),
        'lock',
      );
    target = [...releases].reverse().find((r) => r.id < live.id);
    if (!target)
      return run.fail(
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
            {
              host: HOST,
              id: 'nginx' as const,
              title: `send nginx to port ${picked.idle}${canary ? ` (${canary.include}, every request)` : ''}, reload`,
              commands: canary ? [] : [flipNginxArgv(blueGreen, picked.idle)],
            },
            { host: HOST, id: 'retire' as const, title: "stop the old container once nginx's old workers finished", commands: [] },
          ]
        : []),
    ]),
  );
  if (req.token?.isCancellationRequested) return run.done(false, true);
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
        return run.fail(new GoDeployError(`${target.container} could not be re-created on port ${picked.idle}: ${(err as Error).message}`), 'lock');
      }
      emit({ host: HOST, step: 'container', state: 'done', message: `${target.container} re-created on port ${picked.idle} (it was kept on the live port)` });
    }
    replaced = await switchOnIdlePort({
      engine,
      runner: runner!,
      plan: blueGreen,
      port: picked.idle,
      ...(canary ? { activate: () => installSteadySite(runner!, canary, app.name, picked.idle, target!.id) } : {}),
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
    return run.done(false, replaced.cancelled);
  }
  outcome.result = 'live';
  return run.done(true);
}
