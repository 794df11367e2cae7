// strategy canary on one host, the part before any traffic moves: the new release starts on
// the idle instance beside the live one and is gated on its own port; nginx is not touched
// (blueGreenSwitch.ts's activateOnIdleInstance goes on to flip nginx; a canary waits until
// every host's canary has passed, then the rollout's steps move the traffic). Also what
// takes a started canary back, what a host with nothing live does instead (the new instance
// takes all traffic, as blue-green's first deploy), and the hooks the rollout's end runs on
// the host (hostCanarySite's promoted/aborted/stopInstance).
import { GoDeployError } from '../../errors';
import * as bg from './blueGreen';
import { fillCommand, PREVIOUS, type HostPlan } from './deployPlan';
import type { HealthResult } from '../../release/health';
import { gatePassed } from '../../release/healthGate';
import { runHostGate } from './hostGate';
import { lastOutputLine as firstLine, type HostRunResult } from '../../remote/hostRunner';
import * as scripts from './releaseScripts';
import { shArgv as sh } from '../../remote/quote';
import type { InstanceSwitchHost } from './blueGreenSwitch';

/** A canary started (or not) on one host. */
export interface CanaryStart {
  ok: boolean;
  error?: string;
  /** The failed release's last log lines. */
  logs?: string;
  health?: HealthResult;
  /** After a failure: whether current points back where it was. */
  restored?: boolean;
  /** The release current pointed at before ('' for none). */
  was: string;
  /** The live instance's port (it keeps serving); null when nothing was live (a first deploy). */
  stablePort: number | null;
  /** The idle port the new release started on. */
  canaryPort: number;
  /** Host epoch second of the switch. */
  since?: number;
}

const mustOf =
  (h: InstanceSwitchHost) =>
  async (argv: string[], what: string): Promise<HostRunResult> => {
    const r = await h.exec(argv);
    if (r.code !== 0) throw new GoDeployError(`${h.alias}: ${what} failed (exit ${r.code ?? 'signal'}): ${h.redact(firstLine(r))}`);
    return r;
  };

/**
 * current to the new release, its instance started on the idle port and gated there; the live
 * instance and nginx untouched. On a failure the idle instance stops and current points back.
 */
export async function startCanaryInstance(h: InstanceSwitchHost, plan: HostPlan): Promise<CanaryStart> {
  const b = plan.blueGreen!;
  const ins = b.instances;
  const must = mustOf(h);
  const state = await must(sh(bg.READ_STATE, plan.base, b.stateFile), 'reading the live instance');
  const was = (/^current (.*)$/m.exec(state.stdout)?.[1] ?? '').replace(/^releases\//, '');
  const active = Number(/^active (\d+)$/m.exec(state.stdout)?.[1]) || null;
  const stablePort = active && b.ports.includes(active) ? active : null;
  const idle = stablePort === b.ports[0] ? b.ports[1] : b.ports[0];
  let since: number | undefined;
  try {
    const sw = await h.step('switch', `switch to ${plan.releaseId}`, () => must(plan.argv.switch, 'switching current'));
    since = Number(/^since (\d+)$/m.exec(sw.stdout)?.[1]) || undefined;
    await h.step('restart', `start ${ins.name(idle)}`, () => must(ins.start(idle), `starting ${ins.name(idle)}`));
    const health = await h.step(
      'health',
      `health gate on port ${idle}`,
      async () => {
        const r = await runHostGate({
          runner: h.runner(),
          spec: plan.gate,
          port: idle,
          what: ins.name(idle),
          showPort: true,
          observe: ins.observe(idle),
          parseObservation: ins.parseObservation,
          exec: (argv) => h.exec(argv),
        });
        if (!r.healthy) throw new GoDeployError(`${h.alias}: ${r.failure}`);
        return r;
      },
      (r) => `${gatePassed(plan.gate, idle, r)}${stablePort ? `; ${ins.name(stablePort)} keeps all the traffic until the rollout's first step` : ''}`,
    );
    return { ok: true, health, was, stablePort, canaryPort: idle, since };
  } catch (e) {
    const logs = await h.exec(ins.logs(idle, 50, since)).then(
      (r) => h.redact(r.stdout.trim()),
      () => '',
    );
    const back = await stopCanaryInstance(h, plan, { was, canaryPort: idle });
    return { ok: false, error: h.redact((e as Error).message), logs, restored: back.ok, was, stablePort, canaryPort: idle, since };
  }
}

/** A started canary taken back (it failed, another host's did, or the deploy was cancelled): its instance stops, current points where it did. */
export async function stopCanaryInstance(
  h: InstanceSwitchHost,
  plan: HostPlan,
  c: Pick<CanaryStart, 'was' | 'canaryPort'>,
): Promise<{ ok: boolean; error?: string }> {
  const ins = plan.blueGreen!.instances;
  const stopped = await h.exec(ins.stop(c.canaryPort)).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }) as HostRunResult);
  const back = await h
    .exec(c.was ? fillCommand(plan.argv.switchBack, { [PREVIOUS]: c.was }) : plan.argv.unswitch)
    .catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }) as HostRunResult);
  if (back.code !== 0) return { ok: false, error: `${h.alias}: pointing current back at ${c.was || 'nothing'} failed: ${h.redact(firstLine(back))}` };
  if (stopped.code !== 0) return { ok: false, error: `${h.alias}: stopping ${ins.name(c.canaryPort)} failed: ${h.redact(firstLine(stopped))}` };
  return { ok: true };
}

/**
 * A host where nothing was live: the new instance takes all the traffic at once (blue-green's
 * first deploy) — `install` puts the site and its one-server include in place (nginx -t,
 * reload) — then it is kept (started at boot) and recorded as the live instance.
 */
export async function goLiveAlone(h: InstanceSwitchHost, plan: HostPlan, c: CanaryStart, install: () => Promise<void>): Promise<void> {
  const b = plan.blueGreen!;
  const must = mustOf(h);
  await h.step(
    'nginx',
    `nginx to port ${c.canaryPort}`,
    install,
    () => `nginx sends every request to 127.0.0.1:${c.canaryPort} (nothing was live: no canary steps), reloaded`,
  );
  await h.step(
    'retire',
    'first instance',
    async () => {
      const keep = b.instances.keep(c.canaryPort);
      if (keep) await h.exec(keep);
      await must(sh(bg.WRITE_STATE, b.stateFile, String(c.canaryPort)), 'recording the live instance');
    },
    () => `${b.instances.name(c.canaryPort)} is live`,
  );
}

/** What the end of a rollout does on a host besides nginx (hostCanarySite's hooks), as commands. */
export interface CanaryHostActions {
  /** Stops the instance on `port` (the stable one after a promote, the canary after an abort). */
  stopInstance(port: number): string[];
  /** The canary on `port` is the live instance: kept (started at boot) and recorded in active-port. */
  promoted(port: number): string[][];
  /** current back at `previous` (the stable release after an abort). */
  aborted(previous: string): string[];
}

/** The commands of CanaryHostActions for a host's plan pieces (the instances, the base, the env file's name and owner). */
export function canaryHostActions(x: { base: string; instances: bg.Instances; envFileName: string; envFileOwner: string | null }): CanaryHostActions {
  return {
    stopInstance: (port) => x.instances.stop(port),
    promoted: (port) => [...(x.instances.keep(port) ? [x.instances.keep(port)!] : []), sh(bg.WRITE_STATE, bg.activePortFile(x.base), String(port))],
    aborted: (previous) => sh(scripts.SWITCH, x.base, previous, x.envFileName, x.envFileOwner ?? ''),
  };
}
