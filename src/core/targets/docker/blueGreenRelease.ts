// A docker deploy with strategy blue-green: nginx on the engine's host sends traffic to one
// of two ports. The new release starts on the idle one beside the live release, must pass
// the health gate, and nginx is switched to it (blueGreenContainers.ts); old releases go
// as with one container (containerRelease.ts).
import { GoDeployError } from '../../errors';
import { checkNginx, engineHost, livePort, pickIdlePort, switchOnIdlePort, type DockerBlueGreen } from './blueGreenContainers';
import { runsBehindNginx, startRelease } from './containerRelease';
import { portReport } from './doctor';
import { listDockerReleases, type DockerRelease } from './dockerReleases';
import { HOST, type DockerDeployRun, type ReleaseStrategy } from './releaseStrategy';
import { stopRelease } from './replace';

export function blueGreenRelease(run: DockerDeployRun, plan: DockerBlueGreen): ReleaseStrategy {
  const { engine, e, emit } = run;
  const { app } = e.model;
  let live: DockerRelease | undefined;
  let idle = app.port;
  let nginxPort: number | null = null;
  return {
    verb: 'replace',
    async preflight() {
      const p0 = Date.now();
      try {
        emit({ host: HOST, step: 'preflight', state: 'done', message: `${await checkNginx(engineHost(engine)!)} on the engine's host`, ms: Date.now() - p0 });
      } catch (err) {
        return run.fail(err, 'preflight');
      }
      return undefined;
    },
    async survey() {
      const before = await listDockerReleases(engine, app.name, e.name);
      nginxPort = await livePort(engineHost(engine)!, plan);
      ({ live, idle } = pickIdlePort(plan, before, nginxPort));
      // Only the release nginx sends traffic to serves; another one still running (a deploy cut off mid-switch) goes.
      for (const stray of before.filter((r) => r.live && r !== live)) {
        await stopRelease(engine, stray.containerId);
        emit({ host: HOST, step: 'preflight', state: 'info', message: `stopped ${stray.container}: running, but nginx does not send it traffic` });
      }
      const port = await portReport(engine, { address: run.address, name: app.name, port: idle });
      if (port.status === 'fail') return run.fail(new GoDeployError(`preflight: the idle blue-green port: ${port.detail}`, { hint: port.hint }), 'preflight');
      emit({
        host: HOST,
        step: 'preflight',
        state: 'done',
        message: `nginx sends traffic to ${nginxPort ? `port ${nginxPort}${live ? ` (${live.container})` : ' (no running release)'}` : 'no port yet'}; the new release goes on port ${idle}`,
      });
      run.outcome.previous = live?.id ?? null;
      return undefined;
    },
    runsAlready: (imageId) => runsBehindNginx(run, { live, nginxPort, idle, imageId }),
    release: (image) =>
      startRelease(run, image, {
        live,
        port: idle,
        switchTo: (common) => switchOnIdlePort({ ...common, runner: engineHost(engine)!, plan, port: idle }),
        rolledBackWhenRestored: false,
      }),
  };
}
