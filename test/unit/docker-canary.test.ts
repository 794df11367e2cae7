// strategy canary on a docker environment, the parts that are data or a file on the engine's
// host: which port nginx sends traffic to (read from the canary include in each of its forms,
// or a blue-green include left by an earlier strategy), the refusal of a deploy while a
// rollout is in progress, and the nginx hosts of a tcp:// engine (none reachable, saying why).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedEnvironment } from '../../src/core/environment/load';
import { GoDeployError } from '../../src/core/errors';
import { renderCanaryInclude } from '../../src/core/release/canary/nginxCanary';
import type { CanarySite, RolloutState } from '../../src/core/release/canary/types';
import { upstreamServer } from '../../src/core/release/nginxSwitch';
import { localRunner } from '../../src/core/remote/hostRunner';
import { canaryLivePort, dockerRolloutStateFile, refuseDuringRollout, type DockerCanary } from '../../src/core/targets/docker/canaryRelease';
import { dockerTarget } from '../../src/core/targets/docker';

describe('docker canary', () => {
  let dir: string;
  let plan: DockerCanary;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docker-canary-'));
    plan = {
      ports: [8081, 8082],
      include: join(dir, 'api.canary.conf'),
      site: { path: join(dir, 'api.conf'), enabledLink: join(dir, 'enabled-api.conf'), content: '' },
      accessLog: join(dir, 'api.godeploy-access.log'),
      stateFile: join(dir, 'rollout.json'),
      policy: {
        steps: [
          { weight: 10, pauseMs: 60_000 },
          { weight: 100, pauseMs: 0 },
        ],
        analysis: { windowMs: 30_000, maxErrorRate: 0.01, maxP95LatencyRatio: null, minRequests: 50 },
        sticky: 'cookie',
        onInsufficientTraffic: 'fail',
        insufficientTrafficWaitMs: 300_000,
      },
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the live port is the canary include's first server in every form; a blue-green include beside it when there is none yet; null before the first deploy", async () => {
    const runner = localRunner();
    assert.equal(await canaryLivePort(runner, plan, 'api'), null);
    // Switching from blue-green: its include names the live port.
    writeFileSync(join(dir, 'api.upstream.conf'), `${upstreamServer(8082)}\n`);
    assert.equal(await canaryLivePort(runner, plan, 'api'), 8082);
    const stable = { port: 8081, release: 'R1' };
    const canary = { port: 8082, release: 'R2' };
    writeFileSync(plan.include, renderCanaryInclude({ app: 'api', stable, weight: 0, sticky: 'cookie' }));
    assert.equal(await canaryLivePort(runner, plan, 'api'), 8081, 'the steady form wins over the blue-green include');
    writeFileSync(plan.include, renderCanaryInclude({ app: 'api', stable, canary, weight: 25, sticky: 'cookie' }));
    assert.equal(await canaryLivePort(runner, plan, 'api'), 8081, 'mid-rollout: the stable one');
    writeFileSync(plan.include, renderCanaryInclude({ app: 'api', stable, canary, weight: 100, sticky: 'cookie' }));
    assert.equal(await canaryLivePort(runner, plan, 'api'), 8082, 'promoted: the canary');
    writeFileSync(plan.include, renderCanaryInclude({ app: 'api', stable, canary, weight: 0, sticky: 'none' }));
    assert.equal(await canaryLivePort(runner, plan, 'api'), 8081, 'aborted: the stable one');
  });

  it('a deploy is refused while a rollout is progressing or paused, naming the release, step and weight, with the rollout commands as the hint', async () => {
    const site = (s: Partial<RolloutState> | null): CanarySite => ({ name: 'engine', readState: async () => s as RolloutState | null }) as CanarySite;
    const state = { release: 'R2', previous: 'R1', step: 1, weight: 25 };
    await refuseDuringRollout(site(null), 'dev');
    await refuseDuringRollout(site({ ...state, status: 'promoted' }), 'dev');
    await refuseDuringRollout(site({ ...state, status: 'aborted' }), 'dev');
    await assert.rejects(
      refuseDuringRollout(site({ ...state, status: 'progressing' }), 'dev'),
      (e: GoDeployError) =>
        e.message.startsWith('a canary rollout of R2 is in progress on engine (step 2, 25%)') &&
        /^godeploy rollout promote\|abort\|resume dev: /.test(e.hint ?? ''),
    );
    await assert.rejects(refuseDuringRollout(site({ ...state, status: 'paused' }), 'dev'), /in progress on engine \(step 2, 25%, paused\)/);
  });

  it("the rollout's state lives on the engine's host under /var/lib/godeploy/<app>/<environment>/", () => {
    assert.equal(dockerRolloutStateFile('api', 'prod'), '/var/lib/godeploy/api/prod/rollout.json');
  });

  it("a tcp:// engine's nginx host is unreachable, with how to reach it instead; nothing is connected", async () => {
    const e = { name: 'prod', env: { type: 'docker', strategy: 'canary', docker: { host: 'tcp://10.0.0.5:2376' } } } as unknown as LoadedEnvironment;
    const n = await dockerTarget.nginxHosts(e, { env: {} });
    assert.deepEqual(n.hosts, []);
    assert.equal(n.unreachable.length, 1);
    assert.equal(n.unreachable[0].name, 'engine');
    assert.equal(n.unreachable[0].address, 'tcp://10.0.0.5:2376');
    assert.match(n.unreachable[0].error, /a tcp:\/\/ engine \(tcp:\/\/10\.0\.0\.5:2376\) gives Go Deploy no way onto that host/);
    assert.match(n.unreachable[0].hint ?? '', /ssh:\/\/user@host/);
    await n.close();
  });
});
