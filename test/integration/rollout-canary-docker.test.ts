// strategy canary on a docker environment (container mode, one engine): the release
// containers take blue-green's two ports behind nginx on the engine's host, and a rollout
// moves the traffic between them in steps. The host is a real systemd host (systemd-nspawn on
// this machine's network) with nginx; its Docker engine is a second real dockerd whose socket
// is bind-mounted at the host's /var/run/docker.sock, reached as ssh://root@host, as
// deploy-docker-bluegreen.test.ts does. A bounded load of >= 200 requests/s runs through that
// nginx while the real CLI deploys: a healthy canary is promoted through three steps with the
// canary's measured share within 3 points of each step's weight; a canary failing 5% of its
// requests is aborted within one analysis window; `rollout promote` and `rollout abort` move a
// rollout by hand while a sticky cookie keeps a client on one version, a deploy left with
// Ctrl-C leaves it paused and a new deploy is refused meanwhile, `rollout resume` drives a
// left rollout to its end; maintenance mode answers 503 (health path 200) and then 200 again.
// No request fails except those asked for (the failing canary's 500s, maintenance's 503s).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endRollout as endLeftRollout, godeployIn, godeployInBackground as inBackground, pct, type BackgroundCli, type State } from './fixtures/canaryCli';
import { CanaryLoad, CookieClient, getOnce } from './fixtures/canaryLoad';
import { remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { startDockerHost, type DockerHost } from './fixtures/dockerHost';
import type { SystemdHost } from './fixtures/systemdHost';
import { freePort, sleep, tempDir, type RunResult } from './fixtures/util';

const APP = 'canarydocker';
const STATE = `/var/lib/godeploy/${APP}/dev/rollout.json`;

describe("canary rollouts on a docker engine behind nginx on the engine's host (real systemd host, real dockerd)", function () {
  this.timeout(600_000);
  const work = tempDir('rollout-canary-docker');
  const dir = work.path;
  let dh: DockerHost;
  let host: SystemdHost;
  let ports: [number, number];
  let listen = 0;
  let buildNo = 0;
  let live = '';

  const godeploy = godeployIn(dir);
  const godeployInBackground = (args: string[]): BackgroundCli => inBackground(dir, args);
  const endRollout = (deploy: BackgroundCli): Promise<void> => endLeftRollout(godeploy, 'dev', deploy);
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const state = async (): Promise<State> => JSON.parse(await remote(`cat ${STATE}`)) as State;
  const nextBuild = (): string => {
    const b = `cd-${++buildNo}`;
    setDeployappBuild(dir, b);
    return b;
  };
  const serving = async (): Promise<string | null> => (await getOnce('127.0.0.1', listen, '/', false)).build;
  /** The app's containers on the host's engine: build label → "state port". */
  const containers = async (): Promise<Map<string, string>> => {
    const r = await dh.engine.docker(['ps', '-a', '--filter', `label=godeploy.app=${APP}`, '--format', '{{.Names}} {{.State}} {{.Label "godeploy.port"}}']);
    return new Map(
      r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [n, ...rest] = l.split(' ');
          return [n, rest.join(' ')];
        }),
    );
  };
  const releaseOf = (out: string): string => {
    const id = /^deploy (\S+) to dev: done/m.exec(out)?.[1];
    assert.ok(id, out);
    return id;
  };
  const writeConfig = (o: { steps?: string; env?: Record<string, string> } = {}): void =>
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      [
        'app:',
        `  name: ${APP}`,
        `  port: ${ports[0] - 1}`,
        '  healthCheck: {path: /healthz, timeout: 10s, interval: 200ms}',
        'docker:',
        '  runtime: scratch',
        'environments:',
        '  dev:',
        '    type: docker',
        '    knownHostsFile: known_hosts',
        '    sshConfigFile: ssh_config',
        '    strategy: canary',
        `    blueGreen: {ports: [${ports.join(', ')}]}`,
        `    nginx: {listen: ${listen}}`,
        `    docker: {host: "${dh.url}", network: host}`,
        '    rollout:',
        '      canary:',
        `        steps: ${o.steps ?? '[{weight: 10, pause: 6s}, {weight: 50, pause: 6s}, {weight: 100}]'}`,
        '        analysis: {window: 3s, maxErrorRate: 1%, minRequests: 30}',
        '        sticky: cookie',
        ...(o.env ? ['    env:', ...Object.entries(o.env).map(([k, v]) => `      ${k}: "${v}"`)] : []),
        '',
      ].join('\n'),
    );

  before(async () => {
    const t0 = Date.now();
    dh = await startDockerHost();
    host = dh.host;
    ports = [await freePort(), await freePort()];
    listen = await freePort();
    dh.module(dir);
    writeConfig();
    console.log(`      (systemd host with its Docker engine up in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  });
  after(async () => {
    try {
      await dh?.stop(APP);
    } finally {
      work.remove();
    }
  });

  it('--dry-run names the steps and the analysis; the first deploy (nothing live) sends every request to the new release at once, no steps', async () => {
    const dry = await godeploy(['deploy', 'dev', '--dry-run']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /no canary rollout in progress \(\/var\/lib\/godeploy\/canarydocker\/dev\/rollout\.json\)/);
    assert.match(dry.stdout, /rollout: the canary's share in steps 10% for 6s, 50% for 6s, 100%/);
    assert.match(
      dry.stdout,
      /each 3s window of \/var\/log\/nginx\/canarydocker\.godeploy-access\.log passes with a 5xx rate at most 1% over at least 30 canary requests/,
    );

    const b = nextBuild();
    const r = await godeploy(['deploy', 'dev']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /step 1\/3/);
    const id = releaseOf(r.stdout);
    assert.equal((await containers()).get(`${APP}-${id}`), `running ${ports[0]}`);
    assert.match(await remote(`cat /etc/nginx/godeploy/${APP}.canary.conf`), new RegExp(`upstream ${APP} \\{\\n    server 127\\.0\\.0\\.1:${ports[0]};`));
    assert.equal(await remote(`test -e ${STATE} && echo there || echo none`), 'none', 'no rollout ran');
    assert.equal(await serving(), b);
    live = b;
  });

  it('a healthy canary is promoted through three steps (10%, 50%, 100%): the measured share is within 3 points of each weight at >= 200 requests/s, 0 failed requests, the old container stopped', async () => {
    const old = live;
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 250 });
    let r: RunResult;
    try {
      r = await godeploy(['deploy', 'dev']);
      // The last step (100%) for a moment after the deploy.
      await sleep(1500);
    } finally {
      await load.stop();
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const id = releaseOf(r.stdout);
    const s = await state();
    assert.equal(s.status, 'promoted', JSON.stringify(s));
    assert.equal(s.release, id);
    assert.deepEqual(
      s.history.map((h) => h.weight),
      [10, 50, 100],
    );
    // How long nginx took to take a step after the driver began it (its include rewritten over
    // ssh, nginx -t, reload, new workers): the first canary answer after step 1 began, the last
    // old one after the promotion began. Each step is measured from half a second after that.
    const firstCanary = load.samples.find((x) => x.build === b && x.at >= s.history[0].startedAt)!.at - s.history[0].startedAt;
    const lastOld = Math.max(
      0,
      ...load.samples.filter((x) => x.build === old && x.at >= s.history.at(-1)!.startedAt).map((x) => x.at - s.history.at(-1)!.startedAt),
    );
    const lag = Math.max(firstCanary, lastOld);
    const lines = [`nginx took a step ${firstCanary} ms (step 1) and ${lastOld} ms (promotion) after the driver began it`];
    for (const h of s.history.filter((x) => x.weight < 100)) {
      const from = h.startedAt + lag + 500;
      const to = h.endedAt!;
      const m = load.share(b, from, to);
      const rate = load.rate(from, to);
      lines.push(`step ${h.step + 1} weight ${h.weight}%: canary ${pct(m.share)} of ${m.answers} answers (${m.of} from ${b}), ${rate.toFixed(0)} requests/s`);
      assert.ok(Math.abs(m.share * 100 - h.weight) <= 3, `step ${h.step + 1}: canary share ${pct(m.share)} at weight ${h.weight}%`);
      assert.ok(rate >= 200, `step ${h.step + 1}: only ${rate.toFixed(0)} requests/s`);
      assert.ok(m.answers >= 500, `step ${h.step + 1}: only ${m.answers} answers measured`);
    }
    const end = s.history.at(-1)!;
    const after = load.share(b, end.startedAt + lag + 500, Infinity);
    lines.push(`step 3 weight 100%: canary ${pct(after.share)} of ${after.answers} answers`);
    console.log(
      `      ${lines.join('\n      ')}\n      ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried on a new connection`,
    );
    assert.equal(after.share, 1);
    assert.deepEqual(load.failures, [], `${load.failures.length} failed: ${JSON.stringify(load.failures.slice(0, 5))}`);
    assert.deepEqual([...load.builds().keys()].sort(), [b, old].sort());
    const c = await containers();
    assert.equal(c.get(`${APP}-${id}`), `running ${s.canaryPort}`);
    const previous = [...c].find(([n]) => n === `${APP}-${s.previous}`)?.[1] ?? '';
    assert.match(previous, /^exited /, 'the old container is stopped');
    assert.equal(await serving(), b);
    live = b;
  });

  it('a canary failing 5% of its requests is aborted within one analysis window: exit 1 with the reason and figures, every request back on the live release, the canary container removed', async () => {
    const old = live;
    const before = await containers();
    writeConfig({ env: { DEPLOYAPP_FAIL_PERCENT: '5' } });
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 250, expected: (status, build) => status === 200 || (status === 500 && build === b) });
    let r: RunResult;
    try {
      r = await godeploy(['deploy', 'dev']);
      await sleep(3000);
    } finally {
      await load.stop();
      writeConfig();
    }
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const s = await state();
    assert.equal(s.status, 'aborted', JSON.stringify(s));
    const step = s.history[0];
    const took = (step.endedAt! - step.startedAt) / 1000;
    const said = (r.stdout + r.stderr).split('\n').filter((l) => /abort|error rate|5xx/i.test(l));
    console.log(`      aborted after ${took.toFixed(1)} s at ${step.weight}% (window 3 s): ${s.reason}\n      printed:\n        ${said.join('\n        ')}`);
    assert.match(s.reason ?? '', /error rate \d+(\.\d+)?% \(\d+ of \d+ requests\) is above maxErrorRate 1%/);
    assert.match(r.stdout + r.stderr, /error rate \d+(\.\d+)?% \(\d+ of \d+ requests\) is above maxErrorRate 1%/, 'the reason is printed');
    assert.match(r.stdout + r.stderr, /canary \d+ req \d+\.\d+% 5xx p50 \d+ ms p95 \d+ ms/, 'and the figures');
    assert.equal(step.weight, 10);
    assert.ok(took <= 3 + 2.5, `the abort came ${took} s after the step began (window 3 s)`);
    const lastCanary = Math.max(0, ...load.samples.filter((x) => x.build === b && x.at >= step.endedAt!).map((x) => x.at - step.endedAt!));
    console.log(`      the last canary answer came ${lastCanary} ms after the driver began the abort`);
    const back = load.share(old, step.endedAt! + 2500, Infinity);
    console.log(
      `      after the abort: ${pct(back.share)} of ${back.answers} answers from ${old}; ${load.count(500)} 500s from the canary, ${load.failures.length} other failures`,
    );
    assert.equal(back.share, 1);
    assert.ok(back.answers > 100);
    assert.deepEqual(load.failures, [], JSON.stringify(load.failures.slice(0, 5)));
    assert.deepEqual([...(await containers())].sort(), [...before].sort(), "the canary's container is gone, the live one runs as before");
    assert.equal(await serving(), old);
  });

  it('by hand: rollout promote moves a rollout on; at 50% a sticky cookie keeps each client on one version; Ctrl-C leaves it paused (exit 130) and a deploy is refused meanwhile; rollout abort ends it — 0 failed requests', async () => {
    const old = live;
    const before = await containers();
    writeConfig({ steps: '[{weight: 10, pause: 5m}, {weight: 50, pause: 5m}, {weight: 100}]' });
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 200 });
    const deploy = godeployInBackground(['deploy', 'dev']);
    let code: number;
    let settled = false;
    try {
      const until = async (what: string, ok: (s: State) => boolean): Promise<State> => {
        for (let i = 0; i < 180; i++) {
          const s = await state().catch(() => undefined);
          if (s && s.release !== undefined && ok(s)) return s;
          await sleep(500);
        }
        throw new Error(`${what} never came; the deploy said:\n${deploy.out()}`);
      };
      const first = await until('step 1 at 10%', (s) => s.status === 'progressing' && s.weight === 10 && s.previous !== '' && s.history.length === 1);
      assert.equal(first.step, 0);
      await sleep(2000);

      const p = await godeploy(['rollout', 'promote', 'dev']);
      assert.equal(p.code, 0, p.stdout + p.stderr);
      const second = await until('step 2 at 50%', (s) => s.weight === 50);
      assert.equal(second.step, 1);
      const t50 = Date.now();
      await sleep(4000);
      const at50 = load.share(b, t50 + 1000, Date.now());
      console.log(
        `      promoted by hand to 50%: canary ${pct(at50.share)} of ${at50.answers} answers (${load.rate(t50 + 1000, Date.now()).toFixed(0)} requests/s)`,
      );
      assert.ok(Math.abs(at50.share * 100 - 50) <= 3, pct(at50.share));

      // Sticky: each cookie-keeping client stays on the version it first got, 50 requests long,
      // while the cookie-less load beside it is split.
      const pinned = new Map<string, number>();
      for (let c = 0; c < 12 && pinned.size < 2; c++) {
        const client = new CookieClient('127.0.0.1', listen);
        const seen = new Set<string>();
        for (let i = 0; i < 50; i++) {
          const a = await client.get();
          assert.equal(a.status, 200, a.error);
          seen.add(a.build!);
        }
        client.close();
        assert.equal(seen.size, 1, `client ${c + 1} with cookie ${[...client.jar].join('=')} saw ${[...seen].join(' and ')}`);
        pinned.set([...seen][0], (pinned.get([...seen][0]) ?? 0) + 1);
      }
      const free = load.share(b, t50 + 1000, Date.now());
      console.log(
        `      sticky at 50%: clients pinned per version over 50 requests each: ${[...pinned].map(([k, n]) => `${k} ${n}`).join(', ')}; the cookie-less load over the step: canary ${pct(free.share)} of ${free.answers}`,
      );
      assert.equal(pinned.size, 2, 'clients landed on both versions');
      assert.ok(Math.abs(free.share * 100 - 50) <= 3, pct(free.share));

      deploy.interrupt();
      code = await deploy.done;
      console.log(`      Ctrl-C: the deploy ended (exit ${code}): ${deploy.out().trim().split('\n').slice(-3).join(' | ')}`);
      assert.equal(code, 130, deploy.out());
      const left = await state();
      assert.equal(left.status, 'paused', JSON.stringify(left));
      assert.equal(left.weight, 50, 'left where it was');

      const again = await godeploy(['deploy', 'dev']);
      assert.equal(again.code, 1, again.stdout + again.stderr);
      assert.match(again.stdout + again.stderr, /a canary rollout of \S+ is in progress on engine \(step 2, 50%, paused\)/);
      assert.match(again.stdout + again.stderr, /hint: godeploy rollout promote\|abort\|resume dev/);

      const status = await godeploy(['status', 'dev', '--json']);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /"rollout":\s*\{[^]*"status":\s*"paused"/);

      const ab = await godeploy(['rollout', 'abort', 'dev']);
      assert.equal(ab.code, 0, ab.stdout + ab.stderr);
      settled = true;
      await sleep(1500);
    } finally {
      if (!settled) await endRollout(deploy);
      await load.stop();
      writeConfig();
    }
    const s = await state();
    assert.equal(s.status, 'aborted');
    console.log(`      ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried`);
    assert.deepEqual(load.failures, [], JSON.stringify(load.failures.slice(0, 5)));
    assert.deepEqual([...(await containers())].sort(), [...before].sort(), "the canary's container is gone");
    assert.equal(await serving(), old);
  });

  it('resume: a deploy left with Ctrl-C at 10% shows paused in rollout status; promote moves it to 50% still paused; rollout resume drives it to 100% (exit 0), the new release answers every request — 0 failed', async () => {
    const old = live;
    writeConfig({ steps: '[{weight: 10, pause: 5m}, {weight: 50, pause: 3s}, {weight: 100}]' });
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 200 });
    const deploy = godeployInBackground(['deploy', 'dev']);
    let resumed: RunResult;
    let resumedAt: number;
    let settled = false;
    try {
      for (let i = 0; i < 180; i++) {
        const s = await state().catch(() => undefined);
        if (s && s.release !== undefined && s.status === 'progressing' && s.weight === 10 && s.previous !== '' && s.history.length === 1) break;
        await sleep(500);
      }
      deploy.interrupt();
      assert.equal(await deploy.done, 130, deploy.out());
      const st = await godeploy(['rollout', 'status', 'dev', '--json']);
      assert.equal(st.code, 0, st.stdout + st.stderr);
      const left = (JSON.parse(st.stdout) as { view?: { state?: State } }).view?.state;
      assert.equal(left?.status, 'paused', st.stdout);
      assert.equal(left.weight, 10, st.stdout);
      const p = await godeploy(['rollout', 'promote', 'dev']);
      assert.equal(p.code, 0, p.stdout + p.stderr);
      const at50 = await state();
      assert.equal(at50.status, 'paused', JSON.stringify(at50));
      assert.equal(at50.weight, 50);
      const t = Date.now();
      resumed = await godeploy(['rollout', 'resume', 'dev']);
      resumedAt = Date.now();
      settled = resumed.code === 0;
      console.log(
        `      left at 10% (exit 130), promoted by hand to 50% (paused), rollout resume took ${((resumedAt - t) / 1000).toFixed(1)} s: ${(resumed.stdout + resumed.stderr).trim().split('\n').slice(-3).join(' | ')}`,
      );
      await sleep(1500);
    } finally {
      if (!settled) await endRollout(deploy);
      await load.stop();
      writeConfig();
    }
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const s = await state();
    assert.equal(s.status, 'promoted', JSON.stringify(s));
    assert.equal(s.weight, 100);
    const after = load.share(b, resumedAt, Infinity);
    console.log(
      `      after resume: ${pct(after.share)} of ${after.answers} answers from ${b}; ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried`,
    );
    assert.equal(after.share, 1);
    assert.ok(after.answers > 100);
    assert.deepEqual(load.failures, [], JSON.stringify(load.failures.slice(0, 5)));
    assert.deepEqual([...load.builds().keys()].sort(), [b, old].sort());
    const c = await containers();
    assert.equal(c.get(`${APP}-${s.release}`), `running ${s.canaryPort}`);
    assert.match([...c].find(([n]) => n === `${APP}-${s.previous}`)?.[1] ?? '', /^exited /, 'the old container is stopped');
    assert.equal(await serving(), b);
    live = b;
  });

  it('maintenance on: 503 with Retry-After and the message for / while the health path answers 200; off: 200 again; no other failure', async () => {
    let onAt = 0;
    let offAt = Infinity;
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 200 });
    try {
      await sleep(500);
      const t = Date.now();
      const on = await godeploy(['maintenance', 'on', 'dev', '--message', 'Back in five minutes', '--retry-after', '300']);
      assert.equal(on.code, 0, on.stdout + on.stderr);
      onAt = t;
      const page = await fetch(`http://127.0.0.1:${listen}/orders/42`);
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('retry-after'), '300');
      assert.match(await page.text(), /Back in five minutes/);
      const health = await fetch(`http://127.0.0.1:${listen}/healthz`);
      assert.equal(health.status, 200);
      const st = await godeploy(['maintenance', 'status', 'dev', '--json']);
      assert.equal(st.code, 0, st.stdout + st.stderr);
      assert.match(st.stdout, /Back in five minutes/);
      await sleep(1000);
      const off = await godeploy(['maintenance', 'off', 'dev']);
      offAt = Date.now();
      assert.equal(off.code, 0, off.stdout + off.stderr);
      assert.equal((await fetch(`http://127.0.0.1:${listen}/`)).status, 200);
      await sleep(1500);
    } finally {
      await load.stop();
    }
    const unexpected = load.samples.filter((s) => s.error || (s.status !== 200 && !(s.status === 503 && s.at >= onAt && s.at <= offAt)));
    const n503 = load.count(503);
    const afterOff = load.samples.filter((s) => s.at > offAt + 1000);
    console.log(
      `      maintenance: ${n503} answers 503 (Retry-After ${[...new Set(load.samples.filter((s) => s.status === 503).map((s) => s.retryAfter))].join(',')}), ${load.count(200)} answers 200, ${unexpected.length} other failures; ${afterOff.length} answers after off, all 200: ${afterOff.every((s) => s.status === 200)}`,
    );
    assert.ok(n503 > 100, `only ${n503} answers 503 during maintenance`);
    assert.ok(
      load.samples.filter((s) => s.status === 503).every((s) => s.retryAfter === '300'),
      'every 503 has Retry-After 300',
    );
    assert.deepEqual(unexpected, []);
    assert.ok(afterOff.length > 100 && afterOff.every((s) => s.status === 200));
  });

  it('rollback on a canary environment goes back to the release before the live one at once, through the canary include in its one-server form: no failed request', async () => {
    const s = await state();
    const livePort = s.status === 'promoted' ? s.canaryPort : s.stablePort;
    const load = new CanaryLoad('127.0.0.1', listen, { rate: 200 });
    let r: RunResult;
    try {
      r = await godeploy(['rollback', 'dev']);
      await sleep(1500);
    } finally {
      await load.stop();
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await serving(), 'cd-2', 'the release before the live one (cd-5, promoted by rollout resume)');
    const include = await remote(`cat /etc/nginx/godeploy/${APP}.canary.conf`);
    const port = Number(new RegExp(`upstream ${APP} \\{\\n    server 127\\.0\\.0\\.1:(\\d+);`).exec(include)?.[1]);
    assert.ok(ports.includes(port), include);
    assert.notEqual(port, livePort, 'the release came back on the idle port');
    console.log(
      `      rollback: ${load.samples.length} requests, ${load.failures.length} failed; answers by build: ${[...load.builds()].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    assert.deepEqual(load.failures, [], JSON.stringify(load.failures.slice(0, 5)));
  });
});
