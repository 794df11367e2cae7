// A docker deploy with docker.mode: container (strategy restart): the port is checked, the
// new release's container is created and replaces the running one behind the health gate
// (replace.ts), and old releases beyond keepReleases go. The container creation, the switch's
// outcome and the pruning are shared with blue-green (blueGreenRelease.ts).
import type { DeployResult } from '../../environment/types';
import type { HealthResult } from '../../release/health';
import { gateSpecOf } from '../../release/healthGate';
import { GoDeployError } from '../../errors';
import { containerGate } from './containerGate';
import type { ContainerSpec } from './containerSpec';
import { portReport } from './doctor';
import { liveRelease, listDockerReleases, releasesToPrune, removeRelease, RESTART_LABEL, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';
import { HOST, type DockerDeployRun, type ReleaseImage, type ReleaseStrategy } from './releaseStrategy';
import { replaceContainer, type ReplaceInput, type ReplaceOutcome } from './replace';

export function containerRelease(run: DockerDeployRun): ReleaseStrategy {
  const { engine, e, emit } = run;
  const { app } = e.model;
  let live: DockerRelease | undefined;
  return {
    verb: 'replace',
    async preflight() {
      const p0 = Date.now();
      const port = await portReport(engine, { address: run.address, name: app.name, port: app.port });
      if (port.status === 'fail') return run.fail(new GoDeployError(`preflight: port: ${port.detail}`, { hint: port.hint }), 'preflight');
      emit({ host: HOST, step: 'preflight', state: 'done', message: `port ${port.detail}`, ms: Date.now() - p0 });
      return undefined;
    },
    async survey() {
      live = liveRelease(await listDockerReleases(engine, app.name, e.name));
      run.outcome.previous = live?.id ?? null;
      return undefined;
    },
    async runsAlready(imageId) {
      return (
        live !== undefined &&
        live.imageId === imageId &&
        (await sameEnvironment(engine, live.containerId, run.specFor(`${app.name}:${run.id}`, run.values, live.port ?? app.port)))
      );
    },
    release: (image) => startRelease(run, image, { live, port: app.port, switchTo: replaceContainer, rolledBackWhenRestored: live !== undefined }),
  };
}

/** What a switch gets: its health gate asks about the new container unless told another. */
export type SwitchInput = Omit<ReplaceInput, 'gate'> & { gate(container?: string, through?: Engine): Promise<HealthResult> };

export interface StartReleaseInput {
  /** The release that runs now, if any. */
  live?: DockerRelease;
  /** The port the new release listens on. */
  port: number;
  /** Takes the new container live in place of `live`. */
  switchTo(input: SwitchInput): Promise<ReplaceOutcome>;
  /** A failed switch that brought the old release back counts as rolled back (else failed). */
  rolledBackWhenRestored: boolean;
}

/** The new release's container, created (not started) to listen on `port`, and the switch's input for it; or the failed deploy. */
export async function createReleaseContainer(
  run: DockerDeployRun,
  image: ReleaseImage,
  port: number,
  live?: DockerRelease,
): Promise<SwitchInput | DeployResult> {
  const { engine, e, id, emit, redact, req } = run;
  const { app } = e.model;
  const spec = run.specFor(`${app.name}:${id}`, run.values, port);
  const k0 = Date.now();
  let created;
  try {
    created = await engine.docker.createContainer({ ...spec, Labels: { ...spec.Labels, [RESTART_LABEL]: spec.HostConfig.RestartPolicy.Name } });
  } catch (err) {
    return run.fail(new GoDeployError(`creating ${spec.name} failed: ${(err as Error).message}`), 'container');
  }
  emit({ host: HOST, step: 'container', state: 'done', message: `${spec.name} created`, ms: Date.now() - k0 });

  const to = { id, containerId: created.id, container: spec.name, restart: spec.HostConfig.RestartPolicy.Name };
  const gateSpec = gateSpecOf(e.model);
  const gate = (container = to.container, through: Engine = engine): Promise<HealthResult> =>
    containerGate({ engine: through, spec: gateSpec, port, probeImage: image.probeTag, token: req.token }, container);
  return { engine, from: live, to, toIsNew: true, emit, redact, token: req.token, host: HOST, gate, reconnect: run.reconnect };
}

/** Creates the new release's container, switches to it behind the health gate, then prunes old releases. */
export async function startRelease(run: DockerDeployRun, image: ReleaseImage, i: StartReleaseInput): Promise<DeployResult> {
  const input = await createReleaseContainer(run, image, i.port, i.live);
  if ('ok' in input) return input;
  let replaced;
  try {
    replaced = await i.switchTo(input);
  } catch (err) {
    return run.fail(err, 'switch');
  }
  return settleRelease(run, replaced, i.rolledBackWhenRestored);
}

/** The deploy's result from the switch's outcome: a failure recorded (the release's tag removed), or the release live and old releases pruned. */
export async function settleRelease(run: DockerDeployRun, replaced: ReplaceOutcome, rolledBackWhenRestored: boolean): Promise<DeployResult> {
  const { engine, e, id, outcome } = run;
  const { app } = e.model;
  Object.assign(outcome.timings, replaced.timings);
  if (!replaced.ok) {
    // Blue-green: nothing was switched (failed); restart: the old release was stopped and started again (rolled-back).
    Object.assign(outcome, {
      result: rolledBackWhenRestored ? (replaced.restored ? 'rolled-back' : 'failed') : 'failed',
      error: replaced.error,
      hint: replaced.hint,
      logs: replaced.logs,
    });
    await engine.docker
      .getImage(`${app.name}:${id}`)
      .remove()
      .catch(() => undefined);
    return run.result(false, { cancelled: replaced.cancelled });
  }
  outcome.result = 'live';
  await pruneReleases(run);
  return run.result(true);
}

/**
 * Old releases beyond keepReleases go (every container of each: one per process), with their
 * release tags. The new release is live and healthy from here: a failure to tidy up is
 * reported, not a failed deploy.
 */
export async function pruneReleases({ engine, e, emit, redact }: DockerDeployRun): Promise<void> {
  const r0 = Date.now();
  try {
    const after = await listDockerReleases(engine, e.model.app.name, e.name);
    const prune = releasesToPrune(after, e.env.keepReleases ?? 5);
    const kept = new Set(after.map((r) => r.id)).size;
    for (const r of prune) await removeRelease(engine, e.model.app.name, r);
    emit({
      host: HOST,
      step: 'retire',
      state: 'done',
      message: prune.length ? `removed ${prune.map((r) => r.container).join(', ')}` : `${kept} release${kept === 1 ? '' : 's'} kept`,
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
}

/**
 * Behind nginx (blue-green, canary): the live release already runs this image with this
 * environment on the port nginx sends traffic to, so a deploy has nothing to do.
 */
export async function runsBehindNginx(
  run: DockerDeployRun,
  o: { live: DockerRelease | undefined; nginxPort: number | null; idle: number; imageId: string },
): Promise<boolean> {
  const { live } = o;
  return (
    live !== undefined &&
    live.imageId === o.imageId &&
    live.port !== undefined &&
    live.port === o.nginxPort &&
    (await sameEnvironment(run.engine, live.containerId, run.specFor(`${run.e.model.app.name}:${run.id}`, run.values, live.port ?? o.idle)))
  );
}

/** Whether the container runs with the spec's environment (plus what its image sets, order aside) and arguments. */
export async function sameEnvironment(engine: Engine, containerId: string, spec: Pick<ContainerSpec, 'Env' | 'Cmd'>): Promise<boolean> {
  const info = (await engine.docker.getContainer(containerId).inspect()) as { Image?: string; Config?: { Env?: string[]; Cmd?: string[] | null } };
  const image = (await engine.docker.getImage(info.Image ?? '').inspect()) as { Config?: { Env?: string[]; Cmd?: string[] | null } };
  const fromImage = new Set(image.Config?.Env ?? []);
  const have = info.Config?.Env ?? [];
  const env = spec.Env;
  const args = spec.Cmd ?? image.Config?.Cmd ?? [];
  return env.every((x) => have.includes(x)) && have.every((x) => env.includes(x) || fromImage.has(x)) && sameList(info.Config?.Cmd ?? [], args);
}

export const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
