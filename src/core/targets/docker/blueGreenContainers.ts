// strategy blue-green for a docker environment (container mode): releases take turns on the
// two ports of blueGreen.ports behind nginx on the engine's host, as an ssh environment's
// instances do. The new release's container starts on the port nginx does not send traffic
// to while the live one keeps serving, is gated on that port, then the upstream include is
// rewritten (nginx -t, reload; the old files come back if the check fails), nginx's old
// workers finish their requests and the old container stops. The include is the record of
// which port is live. A failure before the reload removes (or stops) the new container: the
// live one was never touched and never stopped serving.
import { portFlagArgument } from '../../config/launch';
import * as bg from '../../release/nginxSwitch';
import type { HealthResult } from '../../release/health';
import { lastOutputLine, localRunner, type HostRunner } from '../../remote/hostRunner';
import { shArgv as sh } from '../../remote/quote';
import { GoDeployError } from '../../errors';
import type { GenerateModel } from '../../generate/model';
import { LABEL } from './containerSpec';
import { containerLogTail, ignoreMissing, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';
import { restartPolicy, startFailure, stopRelease, type ReplaceInput, type ReplaceOutcome } from './replace';

export interface DockerBlueGreen extends bg.NginxSwitchTarget {
  ports: [number, number];
}

export function dockerBlueGreen(model: GenerateModel, siteText: string): DockerBlueGreen {
  return { ports: model.blueGreen!.ports, ...bg.nginxSwitchTarget(model, siteText) };
}

/** Where nginx runs: the ssh engine's host, or this machine for a local socket; nowhere Go Deploy can reach for tcp://. */
export function engineHost(engine: Engine): HostRunner | undefined {
  return engine.runner ?? (engine.address.kind === 'unix' ? localRunner() : undefined);
}

/** nginx on the engine's host, or a GoDeployError saying what to do. Returns `nginx -v`'s answer. */
export async function checkNginx(runner: HostRunner, strategy: 'blue-green' | 'canary' = 'blue-green'): Promise<string> {
  const r = await runner.exec(['nginx', '-v']);
  const said = `${r.stderr}${r.stdout}`.trim();
  if (r.code === 0) return said.replace(/^nginx version:\s*/, '');
  if (r.code === 127) {
    throw new GoDeployError(`strategy: ${strategy} sends traffic through nginx on the engine's host (${runner.describe}), and nginx is not installed there`, {
      hint: 'install nginx on that host (apt install nginx), or use strategy: restart',
    });
  }
  throw new GoDeployError(`nginx -v on ${runner.describe} failed (exit ${r.code ?? 'signal'}): ${lastOutputLine(r)}`);
}

/** The port nginx sends traffic to, from the include on the host; null before the first switch. */
export async function livePort(runner: HostRunner, plan: DockerBlueGreen): Promise<number | null> {
  const r = await runner.exec(sh('cat "$1" 2>/dev/null; true', plan.include));
  return bg.upstreamPort(r.stdout);
}

/** The live release and the idle port: the release nginx sends traffic to (else the running one) and the other port. */
export function pickIdlePort(plan: DockerBlueGreen, releases: DockerRelease[], nginxPort: number | null): { live?: DockerRelease; idle: number } {
  const running = releases.filter((r) => r.live);
  const live = running.filter((r) => nginxPort !== null && r.port === nginxPort).pop() ?? running.pop();
  const busy = nginxPort ?? live?.port;
  return { live, idle: busy === plan.ports[0] ? plan.ports[1] : plan.ports[0] };
}

export interface BlueGreenSwitchInput extends Omit<ReplaceInput, 'gate'> {
  runner: HostRunner;
  plan: DockerBlueGreen;
  /** The idle port `to` listens on. */
  port: number;
  gate(): Promise<HealthResult>;
  /**
   * How nginx is sent to `port` once the new release passed its gate (default: the site and
   * the blue-green include, FLIP_NGINX); returns nginx's workers before the reload. strategy
   * canary installs its site with the canary include in its one-server form.
   */
  activate?(): Promise<string[]>;
  /** Stop once the new release passed its gate, nginx untouched (strategy canary's rollout moves the traffic). */
  gateOnly?: boolean;
}

export async function switchOnIdlePort(i: BlueGreenSwitchInput): Promise<ReplaceOutcome> {
  const { engine, runner, plan, from, to, port, emit, host } = i;
  const timings: Record<string, number> = {};
  const s0 = Date.now();
  emit({ host, step: 'switch', state: 'start', message: `starting ${to.container} on port ${port}${from ? ` beside ${from.container}` : ''}` });
  try {
    await engine.docker.getContainer(to.containerId).update({ RestartPolicy: restartPolicy(to.restart) });
    await engine.docker.getContainer(to.containerId).start();
  } catch (e) {
    emit({ host, step: 'switch', state: 'fail', message: i.redact((e as Error).message), ms: Date.now() - s0 });
    return fail(startFailure(e, to.container));
  }
  timings.switch = Date.now() - s0;
  emit({
    host,
    step: 'switch',
    state: 'done',
    message: `${to.container} started on port ${port}; nginx still sends traffic to ${from ? from.container : 'nothing yet'}`,
    ms: timings.switch,
  });

  const h0 = Date.now();
  emit({ host, step: 'health', state: 'start', message: `waiting for ${to.container} to answer on port ${port}` });
  const health = await i.gate();
  timings.health = Date.now() - h0;
  if (!health.healthy || i.token?.isCancellationRequested) {
    const cancelled = health.healthy;
    const why = cancelled ? 'cancelled before nginx was switched' : (health.failure ?? `not healthy on port ${port} within the timeout (last: ${health.last})`);
    emit({ host, step: 'health', state: 'fail', message: why, ms: timings.health });
    return fail(
      new GoDeployError(`${to.container}${health.failure ? ':' : ''} ${why}`, {
        hint: `nginx was not touched${from ? `: ${from.container} kept serving` : ''}; ${cancelled ? '' : 'its last log lines are shown above (logs in --json)'}`.replace(
          /; $/,
          '',
        ),
      }),
      cancelled,
    );
  }
  emit({
    host,
    step: 'health',
    state: 'done',
    message: `healthy (${health.last}, ${health.attempts} attempt${health.attempts === 1 ? '' : 's'})`,
    ms: timings.health,
  });
  if (i.gateOnly) return { ok: true, cancelled: false, restored: false, timings };

  const n0 = Date.now();
  emit({ host, step: 'nginx', state: 'start', message: `nginx to port ${port} (${plan.include})` });
  let workers: string[];
  try {
    workers = i.activate ? await i.activate() : await flipToPort(runner, plan, port, from?.container);
  } catch (e) {
    emit({ host, step: 'nginx', state: 'fail', message: i.redact((e as Error).message), ms: Date.now() - n0 });
    return fail(e instanceof GoDeployError ? e : new GoDeployError((e as Error).message));
  }
  timings.nginx = Date.now() - n0;
  emit({ host, step: 'nginx', state: 'done', message: `nginx sends ${plan.include.split('/').pop()} to 127.0.0.1:${port}, reloaded`, ms: timings.nginx });

  // Past the reload the new release serves: the rest cannot take it back.
  const r0 = Date.now();
  const drained = await runner.exec(sh(bg.DRAIN, ...workers)).catch(() => undefined);
  if (drained && /timeout/.test(drained.stdout))
    emit({ host, step: 'retire', state: 'info', message: "nginx's old workers were still busy after 30 s; stopping the old container anyway" });
  if (from)
    await stopRelease(engine, from.containerId).catch((e: Error) =>
      emit({ host, step: 'retire', state: 'fail', message: `${from.container} could not be stopped: ${e.message}` }),
    );
  timings.retire = Date.now() - r0;
  emit({
    host,
    step: 'retire',
    state: 'done',
    message: from ? `${from.container} stopped after nginx's old workers finished; ${to.container} is live` : `${to.container} is live`,
    ms: timings.retire,
  });
  return { ok: true, cancelled: false, restored: false, timings };

  async function fail(e: GoDeployError, cancelled = false): Promise<ReplaceOutcome> {
    const logs = i.redact(await containerLogTail(engine, to.containerId).catch(() => ''));
    if (logs && !cancelled) emit({ host, step: 'logs', state: 'info', message: `last log lines of ${to.container}:\n${logs}` });
    if (i.toIsNew) await engine.docker.getContainer(to.containerId).remove({ force: true }).catch(ignoreMissing);
    else await stopRelease(engine, to.containerId);
    return { ok: false, cancelled, error: i.redact(e.message), hint: e.hint, logs: logs || undefined, restored: true, timings };
  }
}

/** The blue-green include sent to `port` and the site installed (FLIP_NGINX); nginx's workers before the reload. */
async function flipToPort(runner: HostRunner, plan: DockerBlueGreen, port: number, serving?: string): Promise<string[]> {
  await runner.upload(Buffer.from(plan.site.content), `${plan.site.path}.godeploy-tmp`, { mode: 0o644 });
  const flip = await runner.exec(bg.flipNginxArgv(plan, port));
  if (flip.code !== 0) {
    throw new GoDeployError(`nginx -t / reload on ${runner.describe} failed (exit ${flip.code ?? 'signal'}): ${lastOutputLine(flip)}`, {
      hint: `nginx kept its previous configuration${serving ? ` and ${serving} serves` : ''}; fix the site (godeploy generate nginx shows it) and deploy again`,
    });
  }
  return bg.workersBeforeReload(flip.stdout);
}

interface ContainerInspect {
  Config: { Image: string; Env?: string[]; Cmd?: string[] | null; Labels?: Record<string, string> };
  HostConfig: Record<string, unknown> & { NetworkMode?: string; CapAdd?: string[] | null };
}

/** The runtime settings a release's container was created with (containerSpec's HostConfig keys). */
const KEPT_HOST_CONFIG = ['NetworkMode', 'RestartPolicy', 'LogConfig', 'Memory', 'CapDrop', 'CapAdd', 'SecurityOpt', 'ReadonlyRootfs', 'Tmpfs', 'Mounts'];

/** How the port reaches the service (launch.ts portReach): the variable and the flag. */
export interface PortReachInput {
  portEnv: string | null;
  portFlag: string | null;
}

/** A container's arguments with the port flag (the first argument, as containerSpec put it) given `port`. */
export function argumentsOnPort(cmd: readonly string[], reach: PortReachInput, port: number): string[] {
  if (reach.portFlag === null || !cmd.length) return [...cmd];
  return [portFlagArgument(reach.portFlag, String(port)), ...cmd.slice(1)];
}

/**
 * A kept release's container again, listening on `port`: the same image, environment,
 * arguments, labels and runtime settings, with the port variable (or the port flag), the port
 * label and the published port changed. The new container exists before the old one is
 * removed, then takes its name.
 */
export async function recreateOnPort(
  engine: Engine,
  r: DockerRelease,
  port: number,
  reach: PortReachInput = { portEnv: 'PORT', portFlag: null },
): Promise<DockerRelease> {
  const old = engine.docker.getContainer(r.containerId);
  const info = (await old.inspect()) as unknown as ContainerInspect;
  const bridge = info.HostConfig.NetworkMode !== 'host';
  const key = `${port}/tcp`;
  const hostConfig = Object.fromEntries(KEPT_HOST_CONFIG.filter((k) => info.HostConfig[k] !== undefined).map((k) => [k, info.HostConfig[k]]));
  const capAdd = [...new Set([...(info.HostConfig.CapAdd ?? []), ...(port < 1024 ? ['NET_BIND_SERVICE'] : [])])];
  const env =
    reach.portEnv === null
      ? [...(info.Config.Env ?? [])]
      : [...(info.Config.Env ?? []).filter((x) => !x.startsWith(`${reach.portEnv}=`)), `${reach.portEnv}=${port}`];
  const cmd = info.Config.Cmd ?? [];
  const created = await engine.docker.createContainer({
    name: `${r.container}-port${port}`,
    Image: info.Config.Image,
    ...(cmd.length ? { Cmd: argumentsOnPort(cmd, reach, port) } : {}),
    Env: env,
    Labels: { ...info.Config.Labels, [LABEL.port]: String(port) },
    ...(bridge ? { ExposedPorts: { [key]: {} } } : {}),
    HostConfig: {
      ...hostConfig,
      CapAdd: capAdd.length ? capAdd : undefined,
      ...(bridge ? { PortBindings: { [key]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } : {}),
    },
  });
  await old.remove({ force: true }).catch(ignoreMissing);
  await created.rename({ name: r.container });
  return { ...r, containerId: created.id, port, state: 'created', live: false };
}
