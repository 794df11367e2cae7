// `godeploy doctor ENV` for a docker environment: the engine reachable (and its version),
// its platform against build.targets, free space where it keeps images, and who holds
// app.port: a container publishing it (this app's current release or another), or, for an
// engine on this machine or reached over ssh, any process (the ssh preflight's /proc lookup,
// run here or on that host).
import { promises as fs } from 'node:fs';
import type { CheckReport, HostReport } from '../../environment/types';
import { runChecks } from '../../release/doctorReport';
import { formatMB, goPlatform, nginxModulesCheck, portCheck, targetRunsOn } from '../../release/checks';
import { localRunner } from '../../remote/hostRunner';
import { GoDeployError } from '../../errors';
import type { LoadedEnvironment } from '../../environment/load';
import { environmentEngineAddress, type Engine, type EngineAddress } from './engine';
import { openEnvironmentEngine, type EngineOpenOptions } from './environmentEngine';

export interface DockerDoctorInput {
  address: EngineAddress;
  /** Connects to the engine (for ssh://, through the host's ssh connection). */
  open(): Promise<Engine>;
  /** app.name: containers labelled godeploy.app=<name> are this app's releases. */
  name: string;
  port: number;
  /** build.targets ([] when not configured). */
  targets: string[];
  /** strategy canary: nginx on the engine's host must have the modules the canary site needs. */
  canary?: boolean;
}

/** The doctor of a docker environment: its engine (docker.host, else DOCKER_HOST, else the local socket), for app.name and app.port. */
export function doctorDockerEnvironment(e: LoadedEnvironment, options: EngineOpenOptions = {}): Promise<HostReport> {
  const address = environmentEngineAddress(e, options.env ?? process.env);
  return doctorDockerEngine({
    address,
    open: () => openEnvironmentEngine(e, options),
    name: e.model.app.name,
    port: e.model.app.port,
    targets: e.config.build?.targets ?? [],
    canary: e.model.canary !== null,
  });
}

export async function doctorDockerEngine(input: DockerDoctorInput): Promise<HostReport> {
  const report = (checks: CheckReport[]): HostReport => ({ host: 'engine', address: input.address.url, checks });
  let engine: Engine;
  try {
    engine = await input.open();
  } catch (e) {
    const err = e as GoDeployError;
    return report([{ id: 'reachable', title: 'reachable', status: 'fail', detail: err.message, hint: err.hint }]);
  }
  try {
    const v = engine.version;
    const checks: CheckReport[] = [{ id: 'reachable', title: 'reachable', status: 'ok', detail: `Docker Engine ${v.Version} (API ${v.ApiVersion})` }];
    const info = (await engine.docker.info()) as { OSType?: string; Architecture?: string; DockerRootDir?: string };
    checks.push(platformReport(info, input.targets));
    checks.push(await diskReport(engine, info.DockerRootDir));
    checks.push(await portReport(engine, input));
    if (input.canary) checks.push(await nginxModulesReport(engine));
    return report(checks);
  } finally {
    engine.close();
  }
}

/** strategy canary: nginx on the engine's host (over ssh, or this machine for a local socket) and its modules. */
async function nginxModulesReport(engine: Engine): Promise<CheckReport> {
  const host = engine.runner ?? (engine.address.kind === 'unix' ? localRunner() : undefined);
  if (!host)
    return {
      id: 'nginx-modules',
      title: 'nginx modules',
      status: 'fail',
      detail: 'a tcp:// engine gives no way onto its host, where strategy canary needs nginx',
      hint: 'reach the same engine as ssh://user@host, or use strategy: restart',
    };
  const [r] = await runChecks(host, [nginxModulesCheck()]);
  return r;
}

function platformReport(info: { OSType?: string; Architecture?: string }, targets: string[]): CheckReport {
  const kernel = info.OSType === 'linux' ? 'Linux' : (info.OSType ?? '');
  const p = goPlatform(kernel, info.Architecture ?? '');
  const base = { id: 'platform', title: 'platform' };
  if (!p) return { ...base, status: 'warn', detail: `${info.OSType ?? '?'} ${info.Architecture ?? '?'}: not a platform Go Deploy knows` };
  if (targets.length && !targets.some((t) => targetRunsOn(t, p)))
    return { ...base, status: 'warn', detail: `${p.id}, not in build.targets (${targets.join(', ')})`, hint: `add ${p.id} to build.targets in godeploy.yaml` };
  return { ...base, status: 'ok', detail: p.id };
}

async function diskReport(engine: Engine, root: string | undefined): Promise<CheckReport> {
  const base = { id: 'disk', title: 'disk' };
  if (engine.runner && root) {
    // An ssh engine: df on its host (POSIX output, 1K blocks).
    const r = await engine.runner.exec(['df', '-Pk', root]);
    const kb = Number(r.stdout.trim().split('\n').pop()?.split(/\s+/)[3]);
    if (r.code === 0 && Number.isFinite(kb)) return freeSpace(base, kb / 1024, root);
  }
  if (engine.address.kind !== 'unix' || !root)
    return {
      ...base,
      status: 'warn',
      detail: `free space under the engine's data folder (${root ?? 'unknown'}) is not visible from here`,
      hint: "check it on the engine's host (df -h)",
    };
  try {
    const s = await fs.statfs(root);
    return freeSpace(base, (s.bavail * s.bsize) / (1024 * 1024), root);
  } catch (e) {
    return {
      ...base,
      status: 'warn',
      detail: `could not read the free space under ${root}: ${(e as Error).message}`,
      hint: 'the engine may run in a VM; check it there',
    };
  }
}

interface ContainerSummary {
  Names?: string[];
  Image?: string;
  Labels?: Record<string, string>;
  Ports?: { PublicPort?: number }[];
  HostConfig?: { NetworkMode?: string };
}

/** Who holds app.port on the engine: fail when it is anything but this app's running release. */
export async function portReport(engine: Engine, input: Pick<DockerDoctorInput, 'address' | 'name' | 'port'>): Promise<CheckReport> {
  const base = { id: 'port', title: 'port' };
  const running = (await engine.docker.listContainers()) as ContainerSummary[];
  // Release containers carry both labels (an image's labels, inherited by any container of it, never do).
  const ours = (c: ContainerSummary): boolean => c.Labels?.['godeploy.app'] === input.name && c.Labels?.['godeploy.release'] !== undefined;
  // A host-network release holds the port it is labelled with (blue-green releases take turns on two).
  const listensOn = (c: ContainerSummary): boolean => [undefined, String(input.port)].includes(c.Labels?.['godeploy.port']);
  const holders = running.filter(
    (c) => (c.Ports ?? []).some((p) => p.PublicPort === input.port) || (ours(c) && c.HostConfig?.NetworkMode === 'host' && listensOn(c)),
  );
  const named = (c: ContainerSummary): string => `container ${(c.Names?.[0] ?? '?').replace(/^\//, '')} (${c.Image ?? '?'})`;
  if (holders.length && holders.every(ours))
    return { ...base, status: 'warn', detail: `${input.port} is held by ${named(holders[0])}, the current release`, hint: 'the deploy replaces it' };
  const other = holders.find((c) => !ours(c));
  if (other)
    return {
      ...base,
      status: 'fail',
      detail: `${input.port} is held by ${named(other)}`,
      hint: 'stop that container, or give this environment another app.port',
    };
  if (input.address.kind === 'tcp')
    return { ...base, status: 'ok', detail: `${input.port}: no container publishes it (processes on the engine's host are not visible from here)` };
  // An engine on this machine or over ssh: anything else listening on its host (a host-network container's process, say).
  const [r] = await runChecks(engine.runner ?? localRunner(), [portCheck(input.port, '/nonexistent')]);
  const pid = /\bpid (\d+)\b/.exec(r.detail)?.[1];
  const container = pid ? await hostNetworkContainerOf(engine, running, Number(pid)) : undefined;
  if (container)
    return {
      ...base,
      status: 'fail',
      detail: `${input.port} is held by ${named(container)} (host network, pid ${pid})`,
      hint: 'stop that container, or give this environment another app.port',
    };
  return { ...base, status: r.status, detail: r.detail, hint: r.hint };
}

/** The host-network container whose main process is `pid`, if any. */
async function hostNetworkContainerOf(engine: Engine, running: (ContainerSummary & { Id?: string })[], pid: number): Promise<ContainerSummary | undefined> {
  for (const c of running.filter((x) => x.HostConfig?.NetworkMode === 'host' && x.Id)) {
    const info = (await engine.docker
      .getContainer(c.Id!)
      .inspect()
      .catch(() => undefined)) as { State?: { Pid?: number } } | undefined;
    if (info?.State?.Pid === pid) return c;
  }
  return undefined;
}

function freeSpace(base: { id: string; title: string }, mb: number, root: string): CheckReport {
  const where = `${formatMB(mb)} free under ${root}`;
  if (mb < 100)
    return { ...base, status: 'fail', detail: where, hint: 'images and containers need room: free at least 1 GB (docker system prune removes unused ones)' };
  if (mb < 1024) return { ...base, status: 'warn', detail: where, hint: 'less than 1 GB free; images and logs will fill it' };
  return { ...base, status: 'ok', detail: where };
}
