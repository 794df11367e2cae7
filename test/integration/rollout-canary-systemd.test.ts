// strategy canary on two real systemd hosts (each in a network namespace of its own, each
// with nginx in front of two systemd instances) behind ONE front nginx on this machine, as a
// load balancer in front of two web hosts would be. A bounded load of >= 200 requests/s runs
// through the front nginx while the real CLI deploys: a healthy canary is promoted through
// three steps with the canary's measured share within 3 points of each step's weight; a canary
// failing 5% of its requests is aborted within one analysis window; `rollout status`,
// `promote` and `abort` move a rollout by hand while a sticky cookie keeps a client on one
// version; maintenance mode answers 503 (health path 200) and then 200 again. No request
// fails except those asked for (the failing canary's 500s, maintenance's 503s).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endRollout as endLeftRollout, godeployIn, godeployInBackground as inBackground, pct, type BackgroundCli, type State } from './fixtures/canaryCli';
import { CanaryLoad, CookieClient, getOnce } from './fixtures/canaryLoad';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { startNginx, type NginxFixture } from './fixtures/nginx';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { sleep, tempDir, type RunResult } from './fixtures/util';

/** Failures as spans of time (status or error, count, from/to) and the deploy's lines, both in seconds from `t0`: what failed when. */
function failureReport(failures: { at: number; status: number | null; error?: string }[], lines: { at: number; text: string }[], t0: number): string {
  const spans: { what: string; n: number; from: number; to: number }[] = [];
  for (const f of failures) {
    const what = f.error ?? String(f.status);
    const last = spans.at(-1);
    if (last && last.what === what && f.at - last.to < 1000) {
      last.n++;
      last.to = f.at;
    } else spans.push({ what, n: 1, from: f.at, to: f.at });
  }
  const s = (t: number): string => `${((t - t0) / 1000).toFixed(1)} s`;
  return [
    `${failures.length} failed:`,
    ...spans.map((x) => `  ${x.what} x${x.n} from ${s(x.from)} to ${s(x.to)}`),
    'the deploy said:',
    ...lines.filter((l) => !/^\s*$/.test(l.text)).map((l) => `  ${s(l.at)} ${l.text}`),
  ].join('\n');
}

describe('canary rollouts on two systemd hosts behind one nginx (systemd instances)', function () {
  this.timeout(600_000);
  const work = tempDir('rollout-canary');
  let hosts: SystemdHost[] = [];
  let front: NginxFixture | undefined;
  let buildNo = 0;

  const godeploy = godeployIn(work.path);
  const godeployInBackground = (args: string[]): BackgroundCli => inBackground(work.path, args);
  const endRollout = (deploy: BackgroundCli): Promise<void> => endLeftRollout(godeploy, 'dev', deploy);
  /** When the deploy printed step `n` (1-based): its weight is then set on every host. */
  const stepPrinted = (lines: { at: number; text: string }[], n: number): number => {
    const l = lines.find((x) => new RegExp(`canary: step ${n}/\\d+ `).test(x.text));
    assert.ok(l, `no line for step ${n}:\n${lines.map((x) => x.text).join('\n')}`);
    return l.at;
  };
  const onBoth = (cmd: string): Promise<string[]> => Promise.all(hosts.map((h) => remoteOk(h, cmd)));
  const stateOf = async (h: SystemdHost): Promise<State> => JSON.parse(await remoteOk(h, 'cat /opt/deployapp/.godeploy/rollout.json')) as State;
  const nextBuild = (): string => {
    const b = `canary-${++buildNo}`;
    setDeployappBuild(work.path, b);
    return b;
  };
  const serving = async (): Promise<string | null> => (await getOnce('127.0.0.1', front!.port, '/', false)).build;
  const writeConfig = (o: { steps?: string; env?: string[] } = {}): void =>
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8080',
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 5s',
        '    interval: 200ms',
        'environments:',
        '  dev:',
        '    type: ssh',
        '    hosts:',
        ...hosts.map((h) => `      - host: ${h.host}\n        port: ${h.port}\n        user: root\n        identityFile: ${h.identityFile}`),
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    strategy: canary',
        '    blueGreen:',
        '      ports: [8081, 8082]',
        '    nginx:',
        '      listen: 80',
        '    rollout:',
        '      canary:',
        `        steps: ${o.steps ?? '[{weight: 10, pause: 6s}, {weight: 50, pause: 6s}, {weight: 100}]'}`,
        '        analysis: {window: 3s, maxErrorRate: 1%, minRequests: 30}',
        '        sticky: cookie',
        ...(o.env?.length ? ['    env:', ...o.env.map((l) => `      ${l}`)] : []),
        '',
      ].join('\n'),
    );
  /** Both hosts: which instance is live and which runs. */
  const instances = async (): Promise<string[]> =>
    onBoth(
      'echo "active $(cat /opt/deployapp/.godeploy/active-port) 8081 $(systemctl is-active deployapp@8081.service) 8082 $(systemctl is-active deployapp@8082.service) current $(readlink /opt/deployapp/current)"',
    );

  before(async function () {
    const t0 = Date.now();
    // Both hosts boot at once (each ~10-20 s alone).
    hosts = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
    console.log(`      (two systemd hosts booted in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    copyDeployapp(work.path, hosts);
    writeConfig();
    // The front nginx: one upstream of both hosts' port 80, keep-alive both ways.
    front = await startNginx((port) => {
      const t = (n: string): string => `${n}_temp_path ${join(work.path, `front-${n}`)};`;
      return [
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(work.path, 'front-nginx.pid')};`,
        'error_log stderr warn;',
        'events { worker_connections 1024; }',
        'http {',
        '  access_log off;',
        `  ${t('client_body')} ${t('proxy')} ${t('fastcgi')} ${t('uwsgi')} ${t('scgi')}`,
        // A balancer in front of nginx hosts that reload: a kept-alive connection an old worker
        // closes is retried on the next server (proxy_next_upstream error, the default), and
        // max_fails=0 keeps such a retry from marking a host down for fail_timeout: with both
        // hosts reloading at once, nginx's default (max_fails=1) answers 502 "no live
        // upstreams" for 10 s. docs/canary.md says the same to users with a balancer in front.
        '  upstream web {',
        ...hosts.map((h) => `    server ${h.address}:80 max_fails=0;`),
        '    keepalive 32;',
        '  }',
        '  server {',
        `    listen 127.0.0.1:${port};`,
        '    location / {',
        '      proxy_pass http://web;',
        '      proxy_http_version 1.1;',
        '      proxy_set_header Connection "";',
        '      proxy_set_header Host $host;',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n');
    });
  });
  after(async () => {
    await front?.stop();
    await Promise.all(hosts.map((h) => h.stop()));
    work.remove();
  });

  it('first deploy (nothing live): the new instance takes every request on both hosts at once, no steps', async () => {
    const b = nextBuild();
    const r = await godeploy(['deploy', 'dev']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /step 1\/3/);
    for (const s of await instances()) assert.match(s, /^active 8081 8081 active 8082 inactive current releases\/\S+$/);
    assert.equal(await serving(), b);
  });

  it('a healthy canary is promoted through three steps (10%, 50%, 100%): the measured share is within 3 points of each weight, 0 failed requests', async () => {
    const old = (await serving())!;
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', front!.port, { rate: 250 });
    const deploy = godeployInBackground(['deploy', 'dev']);
    let code: number;
    let endedAt: number;
    try {
      code = await deploy.done;
      endedAt = Date.now();
      // The last step (100%) for a moment after the deploy.
      await sleep(1500);
    } finally {
      await load.stop();
    }
    assert.equal(code, 0, deploy.out());
    const state = await stateOf(hosts[0]);
    assert.equal(state.status, 'promoted', JSON.stringify(state));
    assert.deepEqual(
      state.history.map((s) => s.weight),
      [10, 50, 100],
    );
    const lines: string[] = [];
    for (const s of state.history.filter((x) => x.weight < 100)) {
      // From half a second after the deploy said the step was set on both hosts, to the step's end.
      const from = stepPrinted(deploy.lines, s.step + 1) + 500;
      const to = s.endedAt!;
      const m = load.share(b, from, to);
      const rate = load.rate(from, to);
      lines.push(
        `step ${s.step + 1} weight ${s.weight}%: canary ${pct(m.share)} of ${m.answers} answers (${m.of} from ${b}), ${rate.toFixed(0)} requests/s; set on both hosts ${((from - 500 - s.startedAt) / 1000).toFixed(1)} s after the step began, measured for ${((to - from) / 1000).toFixed(1)} s`,
      );
      assert.ok(Math.abs(m.share * 100 - s.weight) <= 3, `step ${s.step + 1}: canary share ${pct(m.share)} at weight ${s.weight}%`);
      assert.ok(rate >= 200, `step ${s.step + 1}: only ${rate.toFixed(0)} requests/s`);
      assert.ok(m.answers >= 250, `step ${s.step + 1}: only ${m.answers} answers measured`);
    }
    // 100%: from the deploy's end (every host promoted, the old instances drained and stopped).
    const promotedAt = state.history.at(-1)!.startedAt;
    const after = load.share(b, endedAt, Infinity);
    const between = load.share(b, promotedAt, endedAt);
    lines.push(
      `step 3 weight 100%: canary ${pct(after.share)} of ${after.answers} answers after the deploy; ${pct(between.share)} of ${between.answers} while it promoted host by host (${((endedAt - promotedAt) / 1000).toFixed(1)} s)`,
    );
    console.log(
      `      ${lines.join('\n      ')}\n      ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried on a new connection`,
    );
    assert.equal(after.share, 1);
    assert.equal(load.failures.length, 0, failureReport(load.failures, deploy.lines, load.startedAt));
    assert.deepEqual([...load.builds().keys()].sort(), [b, old].sort());
    for (const s of await instances())
      assert.match(s, /^active 8082 8081 inactive 8082 active current releases\/\S+$/, 'the old instance stopped, the canary is live');
    assert.equal(await serving(), b);
  });

  it('a canary failing 5% of its requests is aborted within one analysis window: every request back on the live release, the canary stopped, current back', async () => {
    const old = (await serving())!;
    const currentBefore = await onBoth('readlink /opt/deployapp/current');
    writeConfig({ env: ['DEPLOYAPP_FAIL_PERCENT: "5"'] });
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', front!.port, { rate: 250, expected: (status, build) => status === 200 || (status === 500 && build === b) });
    const deploy = godeployInBackground(['deploy', 'dev']);
    let code: number;
    let endedAt: number;
    try {
      code = await deploy.done;
      endedAt = Date.now();
      await sleep(1500);
    } finally {
      await load.stop();
      writeConfig();
    }
    assert.equal(code, 1, deploy.out());
    const state = await stateOf(hosts[0]);
    assert.equal(state.status, 'aborted', JSON.stringify(state));
    const step = state.history[0];
    // From the moment the step was set on both hosts to the abort's decision.
    const took = (step.endedAt! - stepPrinted(deploy.lines, 1)) / 1000;
    const t0 = stepPrinted(deploy.lines, 1);
    const said = deploy.lines.filter((l) => /canary|abort|error rate|5xx/i.test(l.text)).map((l) => `${((l.at - t0) / 1000).toFixed(1)} s ${l.text}`);
    console.log(
      `      aborted ${took.toFixed(1)} s after step 1 (${step.weight}%) was set (window 3 s): ${state.reason}\n      printed:\n        ${said.join('\n        ')}`,
    );
    assert.match(deploy.out(), /error rate [\d.]+% \(\d+ of \d+ requests\) is above maxErrorRate 1%/);
    assert.equal(step.weight, 10);
    // Within one analysis window: the first window judged is the breach (no window passed before it).
    const judged = deploy.lines.filter(
      (l) => /^canary: +live \d+ req/.test(l.text) && l.at < (deploy.lines.find((x) => /aborted/.test(x.text))?.at ?? Infinity),
    );
    assert.equal(judged.length, 1, `windows judged before the abort:\n${judged.map((l) => l.text).join('\n')}`);
    assert.equal(state.history[0].result, 'breach');
    // (On a loaded machine the driver's ticks over ssh take longer than its 1 s.)
    assert.ok(took <= 15, `the abort came ${took} s after the step was set (window 3 s)`);
    // Every request on the live release once the deploy ended (every host aborted, drained, its canary stopped).
    const back = load.share(old, endedAt, Infinity);
    const during = load.share(b, step.endedAt!, endedAt);
    console.log(
      `      after the abort: ${pct(back.share)} of ${back.answers} answers from ${old}; the canary had ${pct(during.share)} of ${during.answers} while the hosts aborted one after the other (${((endedAt - step.endedAt!) / 1000).toFixed(1)} s); ${load.count(500)} 500s from the canary, ${load.failures.length} other failures`,
    );
    assert.equal(load.failures.length, 0, failureReport(load.failures, deploy.lines, load.startedAt));
    assert.equal(back.share, 1);
    assert.ok(back.answers > 100);
    for (const s of await instances()) assert.match(s, /^active 8082 8081 inactive 8082 active current releases\/\S+$/, 'the canary stopped');
    assert.deepEqual(await onBoth('readlink /opt/deployapp/current'), currentBefore);
    assert.equal(await serving(), old);
  });

  it('by hand: rollout status shows step, weight and figures; promote moves it on; a sticky cookie keeps a client on one version at 50%; abort ends it (the deploy exits 1 naming who)', async () => {
    const old = (await serving())!;
    writeConfig({ steps: '[{weight: 10, pause: 5m}, {weight: 50, pause: 5m}, {weight: 100}]' });
    const b = nextBuild();
    const load = new CanaryLoad('127.0.0.1', front!.port, { rate: 200 });
    const deploy = godeployInBackground(['deploy', 'dev']);
    let code: number | undefined;
    try {
      const view = async (): Promise<{ state?: State; figures?: unknown; [k: string]: unknown }> => {
        const s = await godeploy(['rollout', 'status', 'dev', '--json']);
        assert.equal(s.code, 0, s.stdout + s.stderr);
        const j = JSON.parse(s.stdout) as { view?: { state?: State } };
        return j.view ?? {};
      };
      const until = async (what: string, ok: (v: Awaited<ReturnType<typeof view>>) => boolean): Promise<Awaited<ReturnType<typeof view>>> => {
        for (let i = 0; i < 60; i++) {
          const v = await view().catch(() => undefined);
          if (v && ok(v)) return v;
          await sleep(1000);
        }
        throw new Error(`${what} never came; the deploy said:\n${deploy.out()}`);
      };
      let v = await until('step 1 at 10%', (x) => x.state?.status === 'progressing' && x.state.weight === 10);
      // A window of traffic for the figures.
      await sleep(4000);
      v = await view();
      console.log(`      rollout status --json at step 1: ${JSON.stringify(v).slice(0, 600)}`);
      assert.equal(v.state!.step, 0);
      assert.equal(v.state!.weight, 10);
      assert.match(JSON.stringify(v), /"requests":\s*[1-9]/);

      const p = await godeploy(['rollout', 'promote', 'dev']);
      assert.equal(p.code, 0, p.stdout + p.stderr);
      v = await until('step 2 at 50%', (x) => x.state?.weight === 50);
      assert.equal(v.state!.step, 1);
      const t50 = Date.now();

      // Sticky: each cookie-keeping client stays on the version it first got, 50 requests long.
      const pinned = new Map<string, number>();
      for (let c = 0; c < 12 && pinned.size < 2; c++) {
        const client = new CookieClient('127.0.0.1', front!.port);
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
      console.log(`      sticky at 50%: clients pinned per version over 50 requests each: ${[...pinned].map(([k, n]) => `${k} ${n}`).join(', ')}`);
      assert.equal(pinned.size, 2, 'clients landed on both versions');
      // A client without cookies sees both: measured from 1 s after the step was seen set (the
      // reloads settle) over at least 3 s; the sticky clients can be done in under a second.
      await sleep(Math.max(0, t50 + 4000 - Date.now()));
      const free = load.share(b, t50 + 1000, Date.now());
      console.log(`      cookie-less load at 50%: canary ${pct(free.share)} of ${free.answers}`);
      assert.ok(Math.abs(free.share * 100 - 50) <= 3, pct(free.share));

      const ab = await godeploy(['rollout', 'abort', 'dev']);
      assert.equal(ab.code, 0, ab.stdout + ab.stderr);
      code = await deploy.done;
    } finally {
      if (code === undefined) await endRollout(deploy);
      await load.stop();
      writeConfig();
    }
    console.log(`      the deploy ended: ${deploy.out().trim().split('\n').slice(-4).join(' | ')}`);
    assert.equal(code, 1, deploy.out());
    assert.match(deploy.out(), /abort(ed)? by \S+@\S+/);
    const state = await stateOf(hosts[0]);
    assert.equal(state.status, 'aborted');
    console.log(`      ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried`);
    assert.equal(load.failures.length, 0, failureReport(load.failures, deploy.lines, load.startedAt));
    for (const s of await instances()) assert.match(s, /^active 8082 8081 inactive 8082 active current releases\/\S+$/, 'the canary stopped');
    assert.equal(await serving(), old);
  });

  it('maintenance on: 503 with Retry-After for / while the health path answers 200; off: 200 again; no other failure', async () => {
    let onAt = 0;
    let offAt = Infinity;
    const load = new CanaryLoad('127.0.0.1', front!.port, { rate: 200 });
    try {
      await sleep(1000);
      const t = Date.now();
      const on = await godeploy(['maintenance', 'on', 'dev', '--message', 'Back in five minutes', '--retry-after', '300']);
      assert.equal(on.code, 0, on.stdout + on.stderr);
      onAt = t;
      const page = await fetch(`http://127.0.0.1:${front!.port}/orders/42`);
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('retry-after'), '300');
      assert.match(await page.text(), /Back in five minutes/);
      const health = await fetch(`http://127.0.0.1:${front!.port}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await health.text()).trim(), 'ok');
      const st = await godeploy(['maintenance', 'status', 'dev', '--json']);
      assert.equal(st.code, 0, st.stdout + st.stderr);
      await sleep(2000);
      const off = await godeploy(['maintenance', 'off', 'dev']);
      offAt = Date.now();
      assert.equal(off.code, 0, off.stdout + off.stderr);
      assert.equal((await fetch(`http://127.0.0.1:${front!.port}/`)).status, 200);
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
    assert.deepEqual(unexpected, []);
    assert.ok(afterOff.length > 100 && afterOff.every((s) => s.status === 200));
  });

  it('rollback: refused during a rollout in progress (rollout abort is the way back); after it, the release before the promoted canary back on both hosts through nginx with 0 failed requests', async () => {
    // (A maintenance mode left on by a failed case before would answer 503 to everything here.)
    await godeploy(['maintenance', 'off', 'dev']);
    // 1. A rollout at 10% for minutes, driven by a deploy in the background: rollback refuses.
    writeConfig({ steps: '[{weight: 10, pause: 5m}, {weight: 100}]' });
    nextBuild();
    const deploy = godeployInBackground(['deploy', 'dev']);
    let refused: RunResult;
    let ended = false;
    void deploy.done.then(() => (ended = true));
    try {
      // Step 1 set on every host (the deploy prints it then).
      for (let i = 0; i < 120 && !ended && !deploy.lines.some((l) => /canary: step 1\/2 /.test(l.text)); i++) await sleep(500);
      assert.ok(!ended, deploy.out());
      assert.equal((await stateOf(hosts[0])).status, 'progressing', deploy.out());
      refused = await godeploy(['rollback', 'dev']);
      const ab = await godeploy(['rollout', 'abort', 'dev']);
      assert.equal(ab.code, 0, ab.stdout + ab.stderr);
      assert.equal(await deploy.done, 1, deploy.out());
    } finally {
      // Never leave the deploy driving a rollout behind a failed assertion.
      if (!ended) await endRollout(deploy);
      writeConfig();
    }
    const said = (refused.stdout + refused.stderr).trim();
    console.log(
      `      rollback during the rollout (exit ${refused.code}): ${said
        .split('\n')
        .filter((l) => /rollout/.test(l))
        .join(' | ')}`,
    );
    assert.equal(refused.code, 1, said);
    assert.match(said, /no rollback during a rollout: a canary rollout of \S+ is in progress on \S+ \(step 1, 10%\)/);
    assert.match(said, /godeploy rollout abort dev is the way back during a rollout/);

    // 2. Live: the promoted canary (canary-2) on 8082; rollback goes back to canary-1 on 8081 under load.
    const live = (await serving())!;
    for (const s of await instances()) assert.match(s, /^active 8082 8081 inactive 8082 active /);
    const load = new CanaryLoad('127.0.0.1', front!.port, { rate: 250 });
    let r: RunResult;
    let endedAt: number;
    try {
      await sleep(1000);
      r = await godeploy(['rollback', 'dev']);
      endedAt = Date.now();
      await sleep(1500);
    } finally {
      await load.stop();
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const back = load.share('canary-1', endedAt, Infinity);
    const lines = r.stdout.split('\n').filter((l) => /nginx|retire/.test(l));
    console.log(
      `      rollback ${live} -> canary-1: ${load.samples.length} requests, ${load.failures.length} failed, ${load.retried} retried; after it ${pct(back.share)} of ${back.answers} answers from canary-1\n        ${lines.join('\n        ')}`,
    );
    assert.equal(load.failures.length, 0, failureReport(load.failures, [], load.startedAt));
    assert.equal(back.share, 1);
    assert.ok(back.answers > 100);
    assert.deepEqual([...load.builds().keys()].sort(), ['canary-1', live].sort());
    for (const s of await instances())
      assert.match(s, /^active 8081 8081 active 8082 inactive current releases\/\S+$/, 'the old instance stopped, canary-1 live on 8081');
    // nginx on each host: the canary include in its one-server form for 8081 (no blue-green include written).
    for (const inc of await onBoth('cat /etc/nginx/godeploy/deployapp.canary.conf; ls /etc/nginx/godeploy/')) {
      assert.match(inc, /upstream deployapp \{\s*server 127\.0\.0\.1:8081;/);
      assert.doesNotMatch(inc, /8082/);
      assert.doesNotMatch(inc, /upstream\.conf/);
    }
    assert.equal(await serving(), 'canary-1');
  });
});
