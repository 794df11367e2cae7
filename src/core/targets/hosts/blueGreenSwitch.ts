// The blue-green switch on one host: `target` starts on the idle instance while the live
// one serves, is gated on its own port, then nginx is sent to it and the old instance
// retires once nginx's old workers are done. On a failure before nginx reloads, the idle
// instance stops and current points back: nothing live changed.
import { GoDeployError } from '../../errors';
import * as bg from './blueGreen';
import * as nginx from '../../release/nginxSwitch';
import { installCanarySite } from '../../release/canary/hostSite';
import { fillCommand, PREVIOUS, type HostPlan } from './deployPlan';
import type { StepId } from '../../environment/types';
import type { HealthResult } from '../../release/health';
import { gatePassed } from '../../release/healthGate';
import { runHostGate } from './hostGate';
import { lastOutputLine as firstLine, type HostRunner, type HostRunResult } from '../../remote/hostRunner';
import * as scripts from './releaseScripts';
import { shArgv as sh } from '../../remote/quote';

/** What the switch needs of the host: commands (reconnecting when the link drops) and step events. */
export interface InstanceSwitchHost {
  alias: string;
  runner(): HostRunner;
  exec(argv: string[]): Promise<HostRunResult>;
  upload(data: Buffer, path: string, mode: number): Promise<void>;
  step<T>(id: StepId, message: string, fn: () => Promise<T>, done?: (v: T) => string): Promise<T>;
  info(step: StepId, message: string): void;
  redact(text: string): string;
}

export interface ActivateResult {
  ok: boolean;
  error?: string;
  /** The failed release's last log lines. */
  logs?: string;
  health?: HealthResult;
  /** After a failure: whether current points back where it was. */
  restored?: boolean;
  /** The release current pointed at before ('' for none). */
  was?: string;
  /** Host epoch second of the switch. */
  since?: number;
}

export async function activateOnIdleInstance(h: InstanceSwitchHost, plan: HostPlan, target: string): Promise<ActivateResult> {
  const b = plan.blueGreen!;
  const { base } = plan;
  const ins = b.instances;
  const unit = (p: number): string => ins.name(p);
  const must = async (argv: string[], what: string): Promise<HostRunResult> => {
    const r = await h.exec(argv);
    if (r.code !== 0) throw new GoDeployError(`${h.alias}: ${what} failed (exit ${r.code ?? 'signal'}): ${h.redact(firstLine(r))}`);
    return r;
  };
  const state = await must(sh(bg.READ_STATE, base, b.stateFile), 'reading the live instance');
  const was = (/^current (.*)$/m.exec(state.stdout)?.[1] ?? '').replace(/^releases\//, '');
  const active = Number(/^active (\d+)$/m.exec(state.stdout)?.[1]) || null;
  const idle = active === b.ports[0] ? b.ports[1] : b.ports[0];
  let since: number | undefined;
  try {
    const sw = await h.step('switch', `switch to ${target}`, () =>
      must(target === plan.releaseId ? plan.argv.switch : fillCommand(plan.argv.switchBack, { [PREVIOUS]: target }), 'switching current'),
    );
    since = Number(/^since (\d+)$/m.exec(sw.stdout)?.[1]) || undefined;
    await h.step('restart', `start ${unit(idle)}`, () => must(ins.start(idle), `starting ${unit(idle)}`));
    const health = await h.step(
      'health',
      `health gate on port ${idle}`,
      async () => {
        const r = await runHostGate({
          runner: h.runner(),
          spec: plan.gate,
          port: idle,
          what: unit(idle),
          showPort: true,
          observe: ins.observe(idle),
          parseObservation: ins.parseObservation,
          exec: (argv) => h.exec(argv),
        });
        if (!r.healthy) throw new GoDeployError(`${h.alias}: ${r.failure}`);
        return r;
      },
      (r) => gatePassed(plan.gate, idle, r),
    );
    const oldWorkers = await h.step(
      'nginx',
      `nginx to port ${idle}`,
      async () => {
        // strategy canary: the site with the canary include in its one-server form (no steps: the target was live before).
        if (b.canary)
          return (
            await installCanarySite(
              { describe: h.alias, exec: (argv) => h.exec(argv) },
              {
                site: b.site,
                includePath: b.include,
                include: { app: b.canary.app, stable: { port: idle, release: target }, weight: 0, sticky: b.canary.sticky },
                name: h.alias,
              },
            )
          ).workers;
        await h.upload(Buffer.from(b.site.content), `${b.site.path}.godeploy-tmp`, 0o644);
        const flip = await must(nginx.flipNginxArgv(b, idle), 'nginx -t / reload');
        return nginx.workersBeforeReload(flip.stdout);
      },
      () => `nginx sends ${b.canary ? 'every request' : b.include.split('/').pop()} to 127.0.0.1:${idle}${b.canary ? ` (${b.include})` : ''}, reloaded`,
    );
    await h.step(
      'retire',
      active ? `retire ${unit(active)}` : 'first instance',
      async () => {
        const drained = await h.exec(sh(nginx.DRAIN, ...oldWorkers));
        if (/timeout/.test(drained.stdout)) h.info('retire', "nginx's old workers were still busy after 30 s; stopping the old instance anyway");
        if (active) await h.exec(ins.stop(active));
        const keep = ins.keep(idle);
        if (keep) await h.exec(keep);
        await must(sh(bg.WRITE_STATE, b.stateFile, String(idle)), 'recording the live instance');
      },
      () => (active ? `${unit(active)} stopped after the old nginx workers finished; ${unit(idle)} is live` : `${unit(idle)} is live`),
    );
    return { ok: true, health, was, since };
  } catch (e) {
    const logs = await h.exec(ins.logs(idle, 50, since)).then(
      (r) => h.redact(r.stdout.trim()),
      () => '',
    );
    await h.exec(ins.stop(idle)).catch(() => undefined);
    const back = await h.exec(was ? fillCommand(plan.argv.switchBack, { [PREVIOUS]: was }) : plan.argv.unswitch).catch(() => undefined);
    return { ok: false, error: h.redact((e as Error).message), logs, restored: back?.code === 0, was, since };
  }
}

/** Nothing to go back to (a failed first deploy): every instance stops, no current, no live port. */
export async function stopAllInstances(h: InstanceSwitchHost, plan: HostPlan): Promise<void> {
  const b = plan.blueGreen!;
  for (const p of b.ports) await h.exec(b.instances.stop(p));
  await h.exec(sh(`${scripts.UNSWITCH}; rm -f "$2"`, plan.base, b.stateFile));
}
