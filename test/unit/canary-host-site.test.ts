// The canary site's host scripts (release/canary/hostSite.ts) for real: sh, flock, grep, tail
// and a real nginx run from a temporary prefix (the same binary a host runs; its -t and
// reload given to the site as commands), through localRunner in a temporary folder. Two small
// HTTP servers stand for the live and the canary instance. Covered: the site and steady
// include installed (a refused site puts the old one back); a step's weight splitting real
// requests and a sticky cookie pinning a client; the revision check (stale, expected, parallel
// writers: monotonic, exactly one winner); nginx -t refusing an include (old include and
// state kept, nginx's message in the error); the promotion and the abort (drain, hooks, every
// request on one instance); the JSON access log read from offsets, across a rotation, capped.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isGoDeployError } from '../../src/core/errors';
import { localRunner } from '../../src/core/remote/hostRunner';
import { figuresOf, parseAccessLog } from '../../src/core/release/canary/accessLog';
import { hostCanarySite, installCanarySite, LOG_READ_CAP, readRolloutState, type NginxCommands } from '../../src/core/release/canary/hostSite';
import { renderCanaryInclude } from '../../src/core/release/canary/nginxCanary';
import type { CanarySite, RolloutState } from '../../src/core/release/canary/types';
import { testPolicy } from '../support/fakeCanarySite';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));

const listen = (name: string): Promise<http.Server> =>
  new Promise((resolve) => {
    // /slow answers after 1.5 s: a request an old nginx worker is still serving when nginx reloads.
    const s = http.createServer((req, res) => (req.url === '/slow' ? setTimeout(() => res.end(name), 1500) : res.end(name)));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
const portOf = (s: http.Server): number => (s.address() as AddressInfo).port;
const freePort = async (): Promise<number> => {
  const s = await listen('x');
  const p = portOf(s);
  await new Promise((r) => s.close(r));
  return p;
};

/** GET / through nginx: the body (which instance answered) and the Set-Cookie header. */
const get = (port: number, cookie?: string): Promise<{ body: string; setCookie?: string[] }> =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: cookie ? { cookie } : {}, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve({ body, setCookie: res.headers['set-cookie'] }));
    });
    req.on('error', reject);
  });

describe('canary host site: the host scripts with sh, flock and a real nginx in a temporary prefix', function () {
  this.timeout(60_000);
  let dir: string;
  let stable: http.Server;
  let canary: http.Server;
  let nginxPort: number;
  let nginx: NginxCommands;
  let base: string[];
  let stateFile: string;
  let includePath: string;
  let accessLog: string;
  let siteText: string;
  const hookCalls: string[] = [];
  const hooks = {
    stopInstance: async (port: number) => void hookCalls.push(`stop ${port}`),
    promoted: async (s: RolloutState) => void hookCalls.push(`promoted ${s.release} ${s.status}`),
    aborted: async (s: RolloutState) => void hookCalls.push(`aborted ${s.release} ${s.status}`),
  };
  const runner = localRunner();
  let site: CanarySite;

  const state = (o: Partial<RolloutState> = {}): RolloutState => ({
    version: 1,
    app: 'shop',
    environment: 'prod',
    release: 'R2',
    previous: 'R1',
    stablePort: portOf(stable),
    canaryPort: portOf(canary),
    policy: testPolicy(),
    step: 0,
    weight: 50,
    stepStartedAt: 1,
    pauseUntil: null,
    logOffset: 0,
    status: 'progressing',
    by: 'ann@laptop',
    revision: 1,
    heartbeatAt: 1,
    updatedAt: 1,
    history: [],
    ...o,
  });
  const siteFiles = () => ({ path: path.join(dir, 'sites-available/shop.conf'), enabledLink: path.join(dir, 'sites-enabled/shop.conf'), content: siteText });
  const steady = () => ({ app: 'shop', stable: { port: portOf(stable), release: 'R1' }, weight: 0, sticky: 'cookie' as const });
  const bodies = async (n: number, cookie?: string): Promise<Record<string, number>> => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await get(nginxPort, cookie);
      seen[r.body] = (seen[r.body] ?? 0) + 1;
    }
    return seen;
  };

  before(async function () {
    assert.ok(NGINX && fs.existsSync('/usr/bin/flock'), 'nginx or flock is missing on this machine: run scripts/setup-test-env.sh');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'godeploy-canary-site-'));
    for (const d of ['sites-available', 'sites-enabled', 'tmp']) fs.mkdirSync(path.join(dir, d));
    stable = await listen('stable');
    canary = await listen('canary');
    nginxPort = await freePort();
    stateFile = path.join(dir, 'base/.godeploy/rollout.json');
    includePath = path.join(dir, 'godeploy/shop.canary.conf');
    accessLog = path.join(dir, 'log/shop.godeploy-access.log');
    fs.mkdirSync(path.dirname(accessLog));
    const conf = path.join(dir, 'nginx.conf');
    const t = (n: string): string => path.join(dir, 'tmp', n);
    fs.writeFileSync(
      conf,
      [
        'worker_processes 1;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${t('body')}; proxy_temp_path ${t('proxy')}; fastcgi_temp_path ${t('fcgi')}; uwsgi_temp_path ${t('uwsgi')}; scgi_temp_path ${t('scgi')};`,
        `  include ${dir}/sites-enabled/*.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    base = [NGINX!, '-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')];
    nginx = { test: [...base, '-t'], reload: [...base, '-s', 'reload'], pidFile: path.join(dir, 'nginx.pid') };
    // What generate/nginx.ts writes for strategy canary, reduced to what the scripts touch.
    siteText = [
      `include ${includePath};`,
      'server {',
      `    listen 127.0.0.1:${nginxPort};`,
      '    access_log /dev/null;',
      `    access_log ${accessLog} godeploy_shop_json;`,
      '    add_header Set-Cookie $godeploy_shop_sticky_cookie;',
      '    location / { proxy_pass http://$godeploy_shop_pool; }',
      '}',
      '',
    ].join('\n');
    execFileSync(base[0], base.slice(1));
    site = hostCanarySite({ name: 'web1', runner, stateFile, includePath, accessLog, model: { app: { name: 'shop' } }, hooks, nginx });
  });

  after(async function () {
    if (!dir) return;
    const pid = Number(fs.readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    stable?.close();
    canary?.close();
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it('installs the site and the steady include (every request to the live instance); a refused site puts the old one back', async function () {
    const r = await installCanarySite(runner, { site: siteFiles(), includePath, include: steady(), nginx });
    assert.ok(r.workers.length >= 1, 'the test nginx has a worker');
    // Only this nginx's workers (the pid file names the master), not those of other nginx on the machine.
    const master = fs.readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim();
    for (const w of r.workers) assert.match(fs.readFileSync(`/proc/${w}/status`, 'utf8'), new RegExp(`^PPid:\\s*${master}$`, 'm'));
    assert.equal(fs.readlinkSync(path.join(dir, 'sites-enabled/shop.conf')), '../sites-available/shop.conf');
    assert.equal(fs.readFileSync(includePath, 'utf8'), renderCanaryInclude(steady()));
    // A reload only signals nginx: the first site's listener opens a moment later.
    for (
      let i = 0;
      i < 100 &&
      !(await get(nginxPort).then(
        () => true,
        () => false,
      ));
      i++
    )
      await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await bodies(10), { stable: 10 });
    const before = fs.readFileSync(siteFiles().path, 'utf8');
    await assert.rejects(
      installCanarySite(runner, { site: { ...siteFiles(), content: 'server { bogus_directive on; }\n' }, includePath, include: steady(), nginx }),
      (e: Error) => {
        assert.ok(isGoDeployError(e));
        assert.match(e.message, /nginx -t refused the nginx site .*shop\.conf, the old one is back: .*unknown directive "bogus_directive"/);
        return true;
      },
    );
    assert.equal(fs.readFileSync(siteFiles().path, 'utf8'), before);
    assert.deepEqual(await bodies(4), { stable: 4 });
  });

  it('applies a step: the weight splits real requests, a sticky cookie pins its version; the state is written 0644 in a new folder', async function () {
    assert.equal(await readRolloutState(runner, stateFile), null);
    assert.equal(await site.apply(state({ revision: 1, weight: 50 }), 0), true);
    const st = fs.statSync(stateFile);
    assert.equal(st.mode & 0o777, 0o644);
    assert.equal((await site.readState())?.revision, 1);
    assert.match(fs.readFileSync(includePath, 'utf8'), new RegExp(`server 127\\.0\\.0\\.1:${portOf(canary)} weight=50;`));
    // A reload only signals nginx: until its new workers run, the old ones answer with the
    // include before this step (every request to stable). Measure once the step serves.
    for (let i = 0; i < 100 && (await get(nginxPort)).body !== 'canary'; i++) await new Promise((r) => setTimeout(r, 50));
    const split = await bodies(60);
    assert.ok(split.stable > 5 && split.canary > 5, JSON.stringify(split));
    const first = await get(nginxPort);
    assert.match(first.setCookie?.[0] ?? '', /^godeploy_shop=R[12]; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.deepEqual(await bodies(20, 'godeploy_shop=R2'), { canary: 20 });
    assert.deepEqual(await bodies(20, 'godeploy_shop=R1'), { stable: 20 });
    assert.equal(fs.existsSync(`${includePath}.godeploy-old`), false);
  });

  it('the revision check: a stale or unexpected revision is refused; parallel writers never go back; one of two racing writers wins', async function () {
    assert.equal(await site.writeState(state({ revision: 1 })), false, 'not above the host');
    assert.equal(await site.writeState(state({ revision: 2 }), 7), false, 'not the expected revision');
    assert.equal(await site.writeState(state({ revision: 2 }), 1), true);
    const revisions = [9, 4, 12, 3, 7, 11, 5, 10, 6, 8];
    const results = await Promise.all(revisions.map((revision) => site.writeState(state({ revision, by: `w${revision}` }))));
    assert.ok(results[2], 'the newest is never refused');
    const onHost = await site.readState();
    assert.equal(onHost?.revision, 12);
    assert.equal(onHost?.by, 'w12');
    const race = await Promise.all([site.writeState(state({ revision: 13, by: 'a' }), 12), site.writeState(state({ revision: 13, by: 'b' }), 12)]);
    assert.deepEqual(race.filter(Boolean).length, 1, JSON.stringify(race));
    assert.equal(fs.readdirSync(path.dirname(stateFile)).sort().join(' '), 'rollout.json rollout.json.lock');
  });

  it('nginx -t refusing the include: an error with nginx message, the old include and the state kept', async function () {
    const bad = path.join(dir, 'sites-enabled/zz-bad.conf');
    fs.writeFileSync(bad, 'server { listen 127.0.0.1:1; bogus_directive; }\n');
    const include = fs.readFileSync(includePath, 'utf8');
    const rev = (await site.readState())!.revision;
    try {
      await assert.rejects(site.apply(state({ revision: rev + 1, weight: 10 }), rev), (e: Error) => {
        assert.ok(isGoDeployError(e));
        assert.match(e.message, /^web1: nginx -t refused the canary include .*shop\.canary\.conf \(10%\), the old one is back: .*bogus_directive/);
        return true;
      });
    } finally {
      fs.rmSync(bad);
    }
    assert.equal(fs.readFileSync(includePath, 'utf8'), include);
    assert.equal((await site.readState())!.revision, rev);
    const split = await bodies(40);
    assert.ok(split.stable > 0 && split.canary > 0, 'still at 50%');
  });

  it('reads the JSON access log from offsets (figures per version), its size, a rotated shorter file from 0, a missing one as empty', async function () {
    await new Promise((r) => setTimeout(r, 200)); // nginx writes its log lines after the response
    const size = await site.logSize();
    assert.equal(size, fs.statSync(accessLog).size);
    const all = await site.readLog(0);
    assert.equal(all.offset, size);
    const parsed = parseAccessLog(all.text);
    assert.equal(parsed.consumed, size);
    const f = figuresOf(parsed.entries, { stable: portOf(stable), canary: portOf(canary) });
    assert.ok(f.stable.requests > 20 && f.canary.requests > 20, JSON.stringify(f));
    assert.equal(f.stable.errors + f.canary.errors, 0);
    const lines = all.text.split('\n');
    const mid = Buffer.byteLength(lines.slice(0, 5).join('\n')) + 1;
    const rest = await site.readLog(mid);
    assert.equal(rest.text, lines.slice(5).join('\n'));
    assert.equal((await site.readLog(size)).text, '');
    // A second site on a log rotated under it: shorter than the offset, read from 0.
    const other = path.join(dir, 'log/rotated.log');
    fs.writeFileSync(other, '{"a":1}\n');
    const rotated = hostCanarySite({ name: 'web1', runner, stateFile, includePath, accessLog: other, hooks, nginx });
    assert.deepEqual(await rotated.readLog(size), { text: '{"a":1}\n', offset: 8 });
    fs.rmSync(other);
    assert.deepEqual(await rotated.readLog(100), { text: '', offset: 0 });
    assert.equal(await rotated.logSize(), 0);
  });

  it('caps one read at LOG_READ_CAP and returns the offset reached', async function () {
    const big = path.join(dir, 'log/big.log');
    const line = `${'{"msec":1,"upstream":"127.0.0.1:1","status":200,"request_time":0.001}'.padEnd(99, ' ')}\n`;
    fs.writeFileSync(big, line.repeat(Math.ceil((LOG_READ_CAP * 1.5) / 100)));
    const s = hostCanarySite({ name: 'web1', runner, stateFile, includePath, accessLog: big, hooks, nginx });
    const r1 = await s.readLog(0);
    assert.equal(r1.offset, LOG_READ_CAP);
    const r2 = await s.readLog(r1.offset);
    assert.equal(r2.offset, fs.statSync(big).size);
    fs.rmSync(big);
  });

  it('promotes: one script sends everything to the canary, the old workers drain, then the hooks run', async function () {
    const rev = (await site.readState())!.revision;
    hookCalls.length = 0;
    assert.equal(await site.finish(state({ revision: rev + 1 }), 'complete', rev + 5), false, 'an unexpected revision: nothing done');
    assert.deepEqual(hookCalls, []);
    const t0 = Date.now();
    assert.equal(await site.finish(state({ revision: rev + 1 }), 'complete', rev), true);
    assert.ok(Date.now() - t0 < 10_000, 'only this nginx workers were waited for');
    assert.deepEqual(hookCalls, [`stop ${portOf(stable)}`, 'promoted R2 promoted']);
    const st = await readRolloutState(runner, stateFile);
    assert.deepEqual([st?.status, st?.weight, st?.heartbeatAt, st?.revision], ['promoted', 100, null, rev + 1]);
    assert.match(fs.readFileSync(includePath, 'utf8'), /at 100%: every request goes to the canary/);
    assert.deepEqual(await bodies(10, 'godeploy_shop=R1'), { canary: 10 }, 'an old cookie names no pool');
    const r = await get(nginxPort);
    assert.equal(r.setCookie, undefined, 'no cookie once the rollout ended');
  });

  it('aborts: everything back on the live instance, the canary stopped, current pointed back', async function () {
    const rev = (await site.readState())!.revision;
    assert.equal(await site.apply(state({ revision: rev + 1, release: 'R3', previous: 'R2', weight: 25 })), true);
    hookCalls.length = 0;
    assert.equal(
      await site.finish(
        state({ revision: rev + 2, release: 'R3', previous: 'R2', reason: 'error rate 9% (9 of 100 requests) is above maxErrorRate 1%' }),
        'abort',
        rev + 1,
      ),
      true,
    );
    assert.deepEqual(hookCalls, [`stop ${portOf(canary)}`, 'aborted R3 aborted']);
    assert.deepEqual(await bodies(10), { stable: 10 });
    const st = await site.readState();
    assert.deepEqual([st?.status, st?.weight, st?.reason], ['aborted', 0, 'error rate 9% (9 of 100 requests) is above maxErrorRate 1%']);
  });

  it('reports its switch (onSwitched) once nginx sends everything to the instance that stays, before the drain ends and the hooks run', async function () {
    const rev = (await site.readState())!.revision;
    assert.equal(await site.apply(state({ revision: rev + 1, release: 'R4', previous: 'R3', weight: 50 })), true);
    await new Promise((r) => setTimeout(r, 500)); // the reload's new workers take the connections
    // A slow request pinned to the canary (sticky cookie), in flight on an old worker.
    const t0 = Date.now();
    const slow = new Promise<{ body: string; at: number }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: nginxPort, path: '/slow', headers: { cookie: 'godeploy_shop=R4' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => resolve({ body, at: Date.now() }));
      });
      req.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 300));
    hookCalls.length = 0;
    let switched: { at: number; include: string; hooks: number } | undefined;
    const ok = await site.finish(state({ revision: rev + 2, release: 'R4', previous: 'R3' }), 'abort', rev + 1, () => {
      switched = { at: Date.now(), include: fs.readFileSync(includePath, 'utf8'), hooks: hookCalls.length };
    });
    const done = Date.now();
    const s = await slow;
    assert.equal(ok, true);
    assert.ok(switched, 'onSwitched was called');
    assert.match(switched.include, /at 0%/, 'the include had its end form when the switch was reported');
    assert.equal(switched.hooks, 0, 'before the hooks');
    assert.equal(s.body, 'canary', 'the old worker finished its request to the canary');
    assert.ok(switched.at < s.at, `reported ${switched.at - t0} ms in, before the drain ended (the slow request answered at ${s.at - t0} ms)`);
    assert.ok(done >= s.at, 'finish waited for the drain');
    console.log(`      switch reported ${switched.at - t0} ms in; the in-flight request answered at ${s.at - t0} ms; finish returned at ${done - t0} ms`);
    assert.deepEqual(hookCalls, [`stop ${portOf(canary)}`, 'aborted R4 aborted']);
    assert.equal(await site.finish(state({ revision: rev + 2 }), 'abort', rev + 1, () => assert.fail('a refused claim reports no switch')), false);
    assert.deepEqual(await bodies(5), { stable: 5 });
  });

  it('readRolloutState refuses a file that is not a rollout state', async function () {
    const f = path.join(dir, 'garbage.json');
    fs.writeFileSync(f, '{"revision": "x"');
    await assert.rejects(readRolloutState(runner, f), /garbage\.json on this machine is not a rollout state Go Deploy can read/);
  });
});
