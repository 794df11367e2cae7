// A docker deploy with strategy canary (container mode, one engine): nginx on the engine's
// host splits the traffic between two ports, as blue-green's does (blueGreenContainers.ts).
// The new release's container starts on the idle port beside the live one and is gated
// there; the site goes in with the canary include sending every request to the live release
// still; then the rollout (release/canary/driver.ts) moves the canary's share step by step,
// judging the JSON access log, over one CanarySite on the engine's host whose state file is
// /var/lib/godeploy/<app>/<environment>/rollout.json. At 100% the old container stops (as
// blue-green retires it); on an abort the canary container is removed and the old one serves
// everything. With nothing live it is blue-green's first deploy: the release takes all the
// traffic at once. The engine's deploy lock stays held while the rollout runs.
import { inProgress, inProgressText, rolloutCommandsHint } from '../../release/canary/describe';
import type { DeployResult } from '../../environment/types';
import type { LoadedEnvironment } from '../../environment/load';
import type { GenerateModel } from '../../generate/model';
import { GoDeployError } from '../../errors';
import { formatFigures } from '../../release/canary/analysis';
import { startRollout } from '../../release/canary/driver';
import { hostCanarySite, installCanarySite } from '../../release/canary/hostSite';
import type { CanaryPolicy, CanarySite, RolloutOutcome, RolloutState } from '../../release/canary/types';
import type { HostRunner } from '../../remote/hostRunner';
import { shArgv as sh } from '../../remote/quote';
import { upstreamPort } from '../../release/nginxSwitch';
import { checkNginx, engineHost, pickIdlePort, switchOnIdlePort, type DockerBlueGreen } from './blueGreenContainers';
import { createReleaseContainer, pruneReleases, runsBehindNginx, settleRelease } from './containerRelease';
import { portReport } from './doctor';
import { ignoreMissing, listDockerReleases, type DockerRelease } from './dockerReleases';
import type { Engine } from './engine';
import { HOST, type DockerDeployRun, type ReleaseStrategy } from './releaseStrategy';
import { stopRelease } from './replace';

/** strategy canary on a docker engine: blue-green's two ports and site, the canary include, the JSON access log, the rollout's state file and policy. */
export interface DockerCanary extends DockerBlueGreen {
  /** The canary include (model.nginx.canaryInclude): blue-green's include's place. */
  include: string;
  accessLog: string;
  stateFile: string;
  policy: CanaryPolicy;
}

/** Where a docker environment's rollout state is kept on the engine's host. */
export const dockerRolloutStateFile = (app: string, environment: string): string => `/var/lib/godeploy/${app}/${environment}/rollout.json`;

export function dockerCanary(model: GenerateModel, environment: string, siteText: string): DockerCanary {
  const name = model.app.name;
  return {
    ports: model.blueGreen!.ports,
    include: model.nginx.canaryInclude!,
    site: { path: `/etc/nginx/sites-available/${name}.conf`, enabledLink: `/etc/nginx/sites-enabled/${name}.conf`, content: siteText },
    accessLog: model.nginx.accessLog!,
    stateFile: dockerRolloutStateFile(name, environment),
    policy: model.canary!,
  };
}

/**
 * The engine's host as the rollout's place: the include, the access log and the state there;
 * the instances are the app's release containers on the engine. The end of a rollout stops
 * the container on the port that no longer gets traffic; after an abort the canary's
 * container is removed (a release that never went live is no rollback target).
 */
export function dockerCanarySite(engine: Engine, runner: HostRunner, e: LoadedEnvironment, plan: DockerCanary): CanarySite {
  const { app } = e.model;
  const onPort = async (port: number): Promise<DockerRelease[]> =>
    (await listDockerReleases(engine, app.name, e.name)).filter((r) => r.live && r.port === port);
  return hostCanarySite({
    name: HOST,
    runner,
    stateFile: plan.stateFile,
    includePath: plan.include,
    accessLog: plan.accessLog,
    model: e.model,
    hooks: {
      stopInstance: async (port: number) => {
        for (const r of await onPort(port)) await stopRelease(engine, r.containerId);
      },
      promoted: async () => undefined,
      aborted: async (state: RolloutState) => {
        const canaries = (await listDockerReleases(engine, app.name, e.name)).filter((r) => r.id === state.release);
        for (const r of canaries) await engine.docker.getContainer(r.containerId).remove({ force: true }).catch(ignoreMissing);
      },
    },
  });
}

/** The port nginx sends traffic to: the canary include's (its first server), else a blue-green include's (a switch from blue-green); null before the first deploy. */
export async function canaryLivePort(runner: HostRunner, plan: DockerCanary, app: string): Promise<number | null> {
  const r = await runner.exec(
    sh('cat "$1" 2>/dev/null || cat "$2" 2>/dev/null; true', plan.include, `${plan.include.replace(/[^/]*$/, '')}${app}.upstream.conf`),
  );
  const m = /^\s*server 127\.0\.0\.1:(\d+)[;\s]/m.exec(r.stdout);
  return m ? Number(m[1]) : upstreamPort(r.stdout);
}

/** The site and the canary include in its one-server form: every request to `release` on `port` (nginx -t, reload). nginx's workers before the reload. */
export async function installSteadySite(runner: HostRunner, plan: DockerCanary, app: string, port: number, release: string): Promise<string[]> {
  const include = { app, stable: { port, release }, weight: 0, sticky: plan.policy.sticky };
  return (await installCanarySite(runner, { site: plan.site, includePath: plan.include, include, name: HOST })).workers;
}

/** A GoDeployError when a rollout is in progress (driven or paused) on the site: a deploy waits until it is promoted or aborted. */
export async function refuseDuringRollout(site: CanarySite, environment: string): Promise<void> {
  const s = inProgress(await site.readState());
  if (s)
    throw new GoDeployError(`${inProgressText(s, site.name)}: a deploy waits until it is promoted or aborted`, { hint: rolloutCommandsHint(s, environment) });
}

export function canaryRelease(run: DockerDeployRun, plan: DockerCanary): ReleaseStrategy {
  const { engine, e, emit, req } = run;
  const { app } = e.model;
  // A tcp:// engine has no host Go Deploy reaches (the config refuses canary there); the preflight says so before anything else.
  const host = engineHost(engine);
  const runner = host as HostRunner;
  const site = dockerCanarySite(engine, runner, e, plan);
  let live: DockerRelease | undefined;
  let idle = app.port;
  let nginxPort: number | null = null;
  const install = (port: number, release: string) => () => installSteadySite(runner, plan, app.name, port, release);
  return {
    verb: 'replace',
    async preflight() {
      const p0 = Date.now();
      try {
        if (!host)
          throw new GoDeployError(
            `strategy: canary changes nginx on the engine's host, and the engine at ${run.address.url} gives Go Deploy no way onto that host`,
            {
              hint: 'reach the same engine as ssh://user@host (the API then goes through ssh, and nginx is changed there), or use strategy: restart',
            },
          );
        const nginx = await checkNginx(runner, 'canary');
        await refuseDuringRollout(site, e.name);
        emit({ host: HOST, step: 'preflight', state: 'done', message: `${nginx} on the engine's host; no canary rollout in progress`, ms: Date.now() - p0 });
      } catch (err) {
        return run.fail(err, 'preflight');
      }
      return undefined;
    },
    async survey() {
      // Again under the lock: a rollout started by another deploy since the preflight.
      try {
        await refuseDuringRollout(site, e.name);
      } catch (err) {
        return run.fail(err, 'preflight');
      }
      const before = await listDockerReleases(engine, app.name, e.name);
      nginxPort = await canaryLivePort(runner, plan, app.name);
      ({ live, idle } = pickIdlePort(plan, before, nginxPort));
      // Only the release nginx sends traffic to serves; another one still running (a deploy cut off mid-switch) goes.
      for (const stray of before.filter((r) => r.live && r !== live)) {
        await stopRelease(engine, stray.containerId);
        emit({ host: HOST, step: 'preflight', state: 'info', message: `stopped ${stray.container}: running, but nginx does not send it traffic` });
      }
      const port = await portReport(engine, { address: run.address, name: app.name, port: idle });
      if (port.status === 'fail') return run.fail(new GoDeployError(`preflight: the canary's port: ${port.detail}`, { hint: port.hint }), 'preflight');
      emit({
        host: HOST,
        step: 'preflight',
        state: 'done',
        message: `nginx sends traffic to ${nginxPort ? `port ${nginxPort}${live ? ` (${live.container})` : ' (no running release)'}` : 'no port yet'}; the new release goes on port ${idle}${rollsOut() ? ' as a canary' : ''}`,
      });
      run.outcome.previous = live?.id ?? null;
      return undefined;
    },
    runsAlready: (imageId) => runsBehindNginx(run, { live, nginxPort, idle, imageId }),
    async release(image) {
      const input = await createReleaseContainer(run, image, idle, live);
      if ('ok' in input) return input;
      const common = { ...input, runner, plan, port: idle, gate: () => input.gate() };
      if (!rollsOut()) {
        // Nothing live behind nginx: the release takes all the traffic at once (blue-green's first deploy).
        const first = await switchOnIdlePort({ ...common, activate: install(idle, run.id) });
        return settleRelease(run, first, false);
      }
      const gated = await switchOnIdlePort({ ...common, gateOnly: true });
      if (!gated.ok) return settleRelease(run, gated, false);
      Object.assign(run.outcome.timings, gated.timings);
      const stablePort = nginxPort!;
      const from = live!;
      const n0 = Date.now();
      emit({
        host: HOST,
        step: 'nginx',
        state: 'start',
        message: `the canary site (${plan.site.path}, ${plan.include}): every request still to ${from.container}`,
      });
      try {
        await install(stablePort, from.id)();
      } catch (err) {
        const message = run.redact((err as Error).message);
        emit({ host: HOST, step: 'nginx', state: 'fail', message, ms: Date.now() - n0 });
        await engine.docker.getContainer(input.to.containerId).remove({ force: true }).catch(ignoreMissing);
        const hint = err instanceof GoDeployError ? err.hint : undefined;
        return settleRelease(run, { ok: false, cancelled: false, restored: true, error: message, hint, timings: { nginx: Date.now() - n0 } }, false);
      }
      run.outcome.timings.nginx = Date.now() - n0;
      emit({
        host: HOST,
        step: 'nginx',
        state: 'done',
        message: `canary site installed, nginx reloaded: ${from.container} keeps every request until the first step`,
        ms: run.outcome.timings.nginx,
      });

      const r0 = Date.now();
      let outcome: RolloutOutcome;
      try {
        outcome = await startRollout(
          { sites: [site], token: req.token, emit: req.onRolloutEvent, who: run.deployedBy },
          { app: app.name, environment: e.name, release: run.id, previous: from.id, stablePort, canaryPort: idle, policy: plan.policy },
        );
      } catch (err) {
        // The rollout's state on the host says where it stopped; `godeploy rollout` takes it from there.
        return run.fail(
          new GoDeployError(`the rollout of ${run.id} stopped: ${(err as Error).message}`, {
            hint: `\`godeploy rollout status ${e.name}\` shows where it is; resume, promote or abort it with \`godeploy rollout resume|promote|abort ${e.name}\``,
          }),
          'switch',
        );
      }
      run.outcome.timings.rollout = Date.now() - r0;
      return rolloutResult(run, outcome, from);
    },
  };

  /** A rollout needs the live release behind nginx on one of the two ports. */
  function rollsOut(): boolean {
    return live !== undefined && nginxPort !== null && live.port === nginxPort;
  }
}

/** The deploy's result from how the rollout ended. */
async function rolloutResult(run: DockerDeployRun, outcome: RolloutOutcome, from: DockerRelease): Promise<DeployResult> {
  const { e, outcome: host } = run;
  const rollout: DeployResult['rollout'] = {
    outcome: outcome.kind,
    state: outcome.state,
    ...(outcome.kind === 'aborted' ? { reason: outcome.reason, figures: outcome.figures } : {}),
  };
  if (outcome.kind === 'promoted') {
    host.result = 'live';
    await pruneReleases(run);
    return run.result(true, { rollout });
  }
  if (outcome.kind === 'aborted') {
    const at = outcome.state.history.at(-1);
    Object.assign(host, {
      result: 'rolled-back',
      error: `canary aborted${at ? ` at step ${at.step + 1} (${at.weight}%)` : ''}: ${outcome.reason}${outcome.figures ? ` [${formatFigures(outcome.figures)}]` : ''}`,
      hint: `every request goes to ${from.container} again; the canary's container was removed`,
    });
    await run.engine.docker
      .getImage(`${e.model.app.name}:${run.id}`)
      .remove()
      .catch(() => undefined);
    return run.result(false, { rollout });
  }
  // Left (cancelled): the canary keeps its share; `godeploy rollout …` goes on from here.
  Object.assign(host, {
    result: 'live',
    hint: `the rollout is paused at ${outcome.state.weight}%: \`godeploy rollout resume|promote|abort ${e.name}\``,
  });
  return run.result(false, { cancelled: true, rollout });
}
