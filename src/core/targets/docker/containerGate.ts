// The health gate of a release's container, by healthCheck.type: http, a GET of the port as
// the engine's host publishes it (health.ts through the engine's reach); tcp, a connection
// opened from inside the container's own network by godeploy-probe in a container of its
// own that joins it (a published port is accepted by Docker's proxy whether or not anything
// listens behind it, so only a connect from inside tells); process, the container running,
// its main process the same, not restarted by the engine (RestartCount), for healthCheck.for.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { connectFailure, pollUntil, tcpAttempt, waitHealthy, type HealthResult } from '../../release/health';
import { exitWords, gateFailure, watchProcess, type GateSpec, type ProcessObservation } from '../../release/healthGate';
import { goPlatform } from '../../release/checks';
import type { Engine } from './engine';
import { buildBinaryImage } from './image';
import { buildProbe, PROBE_NAME, PROBE_SOURCE } from './probe';
import { containerLogTail } from './dockerReleases';
import { createHash } from 'node:crypto';

/** The probe image's tag: one per probe source, so an engine builds it once. */
export const probeImageTag = (): string => `${PROBE_NAME}:${createHash('sha256').update(PROBE_SOURCE).digest('hex').slice(0, 12)}`;

const PROBE_DOCKERFILE = `FROM scratch\nCOPY ${PROBE_NAME} /${PROBE_NAME}\nENTRYPOINT ["/${PROBE_NAME}"]\n`;

/**
 * The probe image on `engine` (FROM scratch, the probe alone: no registry, no shell needed),
 * built from the probe for the engine's platform when the engine lacks it. Returns its tag.
 */
export async function ensureProbeImage(engine: Engine, platform: string, workDir: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const tag = probeImageTag();
  if (
    await engine.docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  )
    return tag;
  await fs.mkdir(workDir, { recursive: true });
  const file = await buildProbe(platform, path.resolve(workDir), env);
  await buildBinaryImage(engine, {
    dockerfile: PROBE_DOCKERFILE,
    binaryFile: file,
    binaryName: PROBE_NAME,
    tags: [tag],
    labels: { 'org.opencontainers.image.title': PROBE_NAME },
  });
  return tag;
}

/** The probe image for a docker environment's engine; the probe is built under dist/deploy/ENV/.probe when the engine lacks it. */
export async function probeImageFor(engine: Engine, e: { moduleDir: string; name: string }, env?: NodeJS.ProcessEnv): Promise<string> {
  const platform = goPlatform(engine.version.Os === 'linux' ? 'Linux' : engine.version.Os, engine.version.Arch);
  if (!platform) throw new Error(`the engine runs ${engine.version.Os}/${engine.version.Arch}, not a platform Go builds for`);
  return ensureProbeImage(engine, platform.id, probeDir(e), env);
}

/** Where the probe is built for an environment. */
export const probeDir = (e: { moduleDir: string; name: string }): string => path.join(e.moduleDir, 'dist', 'deploy', e.name, '.probe');

interface Inspected {
  Id: string;
  RestartCount?: number;
  State?: { Status?: string; Running?: boolean; Restarting?: boolean; Pid?: number; ExitCode?: number; OOMKilled?: boolean; Error?: string };
}

const inspect = async (engine: Engine, container: string): Promise<Inspected> =>
  (await engine.docker.getContainer(container).inspect()) as unknown as Inspected;

/** How a stopped container ended: "exited with status 3", "was killed by the kernel (out of memory)". */
function ended(i: Inspected): string {
  const st = i.State ?? {};
  if (st.OOMKilled) return `${exitWords(st.ExitCode ?? null)} (out of memory)`;
  if (st.Error) return `could not run: ${st.Error}`;
  return exitWords(st.ExitCode ?? null);
}

/** One look at a container's main process (the engine's State and RestartCount). */
export async function observeContainer(engine: Engine, container: string): Promise<ProcessObservation> {
  const i = await inspect(engine, container);
  const st = i.State ?? {};
  const state = st.Status ?? 'unknown';
  const restarts = i.RestartCount ?? null;
  if (st.Restarting) return { phase: 'down', pid: null, restarts, exit: ended(i), state: 'restarting' };
  if (st.Running) return { phase: 'running', pid: st.Pid || null, restarts, state };
  if (state === 'created') return { phase: 'starting', pid: null, restarts, state };
  return { phase: 'down', pid: null, restarts, exit: ended(i), state };
}

/** The exit code of the container's last "die" event since epoch second `since`, if it died. */
export async function lastExitCode(engine: Engine, container: string, since: number): Promise<number | undefined> {
  // `until` now, to the millisecond: a later one would keep the stream open until then.
  const stream = (await engine.docker.getEvents({
    since,
    until: (Date.now() / 1000).toFixed(3) as unknown as number,
    filters: { container: [container], type: ['container'], event: ['die'] },
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const codes = text
    .split('\n')
    .filter(Boolean)
    .map((l) => Number((JSON.parse(l) as { Actor?: { Attributes?: { exitCode?: string } } }).Actor?.Attributes?.exitCode));
  return codes.filter((c) => Number.isFinite(c)).pop();
}

/** One TCP connect to 127.0.0.1:`port` inside `container`'s network, by the probe image in a container that joins it. */
export async function tcpInsideContainer(engine: Engine, probeImage: string, container: string, port: number): Promise<{ ok: boolean; text: string }> {
  const target = await inspect(engine, container);
  if (!target.State?.Running)
    return { ok: false, text: `the container is not running (${target.State?.Restarting ? 'restarting after it ' : ''}${ended(target)})` };
  const probe = await engine.docker.createContainer({
    Image: probeImage,
    Cmd: [`tcp://127.0.0.1:${port}`],
    Labels: { 'godeploy.probe': container },
    HostConfig: { NetworkMode: `container:${target.Id}`, LogConfig: { Type: 'json-file', Config: {} } },
  });
  try {
    await probe.start();
    const r = (await probe.wait()) as { StatusCode?: number };
    if (r.StatusCode === 0) return { ok: true, text: 'connected' };
    const said = (await containerLogTail(engine, probe.id, 5).catch(() => '')).trim().split('\n').pop() ?? '';
    return { ok: false, text: said ? connectFailure(new Error(said)) : `probe exit ${r.StatusCode}` };
  } catch (e) {
    const msg = (e as { json?: { message?: string } })?.json?.message ?? (e as Error).message;
    return { ok: false, text: /non running|not running|is restarting/i.test(msg) ? 'the container is not running' : msg };
  } finally {
    await probe.remove({ force: true }).catch(() => undefined);
  }
}

export interface ContainerGateInput {
  engine: Engine;
  spec: GateSpec;
  /** The port the release listens on (app.port, or its blue-green port). */
  port: number;
  /** type tcp: the probe image (ensureProbeImage); without it the port is tried as published, from the engine's host. */
  probeImage?: string;
  token?: import('../../cancellation').CancellationTokenLike;
  /** One look only (status): no waiting. */
  once?: boolean;
}

/** The gate of a container (by name or id), with the failure sentence set when it fails. */
export async function containerGate(i: ContainerGateInput, container: string): Promise<HealthResult> {
  const { spec, engine } = i;
  const timeoutMs = i.once ? 0 : spec.timeoutMs;
  const o = { timeoutMs, intervalMs: spec.intervalMs, token: i.token };
  let r: HealthResult;
  if (spec.type === 'tcp') {
    r = await pollUntil(() => (i.probeImage ? tcpInsideContainer(engine, i.probeImage, container, i.port) : tcpAttempt(engine, i.port, 5000)), o);
  } else if (spec.type === 'process') {
    const since = Math.floor(Date.now() / 1000) - 1;
    // The engine forgets a restarted container's exit code (State.ExitCode is 0 again once it
    // runs): its "die" event still has it.
    let firstRestarts: number | null | undefined;
    const observe = async (): Promise<ProcessObservation> => {
      const ob = await observeContainer(engine, container);
      firstRestarts ??= ob.restarts;
      if (ob.phase === 'down' || ob.restarts !== firstRestarts) {
        const code = await lastExitCode(engine, container, since).catch(() => undefined);
        if (code !== undefined) ob.exit = exitWords(code);
      }
      return ob;
    };
    r = await watchProcess(observe, { ...o, forMs: i.once ? 0 : spec.forMs });
  } else {
    r = await waitHealthy(engine, { ...o, port: i.port, path: spec.path });
  }
  // An http failure keeps the engine's own wording ("not healthy within the timeout (last: 503 …)").
  if (!r.healthy && spec.type !== 'http') r.failure = gateFailure(spec, i.port, r, `the container's process`);
  return r;
}
