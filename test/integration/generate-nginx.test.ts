// The generated nginx site against the real nginx (1.22 here): `nginx -t` for every form, and a
// live nginx proxying to the real Go service and to a header-echoing backend, over HTTP and HTTPS.
import * as assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { renderFiles } from '../../src/core/generate/generate';
import { renderNginxSite } from '../../src/core/generate/nginx';
import { renderCanaryInclude } from '../../src/core/release/canary/nginxCanary';
import { renderMaintenance } from '../../src/core/release/maintenance';
import type { GenerateModel } from '../../src/core/generate/model';
import { modelFor } from '../support/models';
import { buildStatic } from './fixtures/go';
import { NginxFixture, nginxTest, startNginx } from './fixtures/nginx';
import { Daemon, freePort, httpGet, runOk, startDaemon, tempDir, waitFor } from './fixtures/util';

const SINGLE = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'modules', 'single');
const work = tempDir('generate-nginx');
after(() => work.remove());

const render = async (config: string): Promise<string> => renderNginxSite(await model(config));
const model = (config: string): Promise<GenerateModel> => modelFor('single', /^app:/m.test(config) ? config : `app: {}\n${config}`);
/** The model with nginx listening on the fixture's port (known only once startNginx picked it). */
const onPort = (m: GenerateModel, port: number): string => renderNginxSite({ ...m, nginx: { ...m.nginx, listen: port } });

let certs: Promise<{ crt: string; key: string }> | undefined;
/** A throwaway self-signed ECDSA certificate for localhost / 127.0.0.1. */
const throwawayCert = (): Promise<{ crt: string; key: string }> =>
  (certs ??= (async () => {
    const crt = join(work.path, 'site.crt'),
      key = join(work.path, 'site.key');
    await runOk('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      crt,
    ]);
    return { crt, key };
  })());

async function expectValid(text: string): Promise<void> {
  const r = await nginxTest(text);
  assert.ok(r.ok, `nginx -t rejected the generated site:\n${r.output}\n---\n${text}`);
  assert.doesNotMatch(r.output, /\[warn\]/, 'nginx -t warned');
}

/** GET over HTTPS without verifying the throwaway certificate. */
function httpsGet(port: number, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; protocol: string | null }> {
  return new Promise((ok, fail) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () =>
          ok({ status: res.statusCode ?? 0, headers: res.headers, body, protocol: (res.socket as import('node:tls').TLSSocket).getProtocol?.() ?? null }),
        );
    });
    req
      .on('error', fail)
      .on('timeout', () => req.destroy(new Error('timeout')))
      .end();
  });
}

describe('generated nginx site: nginx -t on the real nginx', () => {
  it('accepts the plain site, and the one with several upstreams, least_conn and trusted proxies', async () => {
    await expectValid(await render(''));
    await expectValid(
      await render(
        'app: {name: shop.api}\nnginx:\n  balance: least_conn\n  clientMaxBodySize: 1.5G\n  realIpFrom: [10.0.0.0/8, "fd00::/8"]\n  upstreams:\n    - {address: "127.0.0.1:9001", weight: 5}\n    - {address: "[::1]:9002", backup: true}\n',
      ),
    );
  });

  it('accepts two generated sites side by side in one nginx (distinct map variables and TLS cache zones)', async () => {
    const { crt, key } = await throwawayCert();
    const a = await modelFor('single', `app: {name: shop}\nnginx: {listen: 8080, tls: {certificate: ${crt}, certificateKey: ${key}, listen: 8443}}\n`);
    const b = await modelFor(
      'single',
      `app: {name: blog}\nnginx: {listen: 8081, upstreams: [{address: "127.0.0.1:9003"}], tls: {certificate: ${crt}, certificateKey: ${key}, listen: 8444}}\n`,
    );
    await expectValid(renderNginxSite(a) + renderNginxSite(b));
  });

  it('accepts TLS with explicit certificate paths, and the certbot form with the paths overridden', async () => {
    const { crt, key } = await throwawayCert();
    await expectValid(await render(`nginx:\n  serverName: localhost\n  tls: {certificate: ${crt}, certificateKey: ${key}, hsts: false}\n`));
    const certbot = await render(
      `nginx:\n  serverName: localhost\n  realIpFrom: [127.0.0.1]\n  tls: {certbot: true, certificate: ${crt}, certificateKey: ${key}}\n`,
    );
    assert.match(certbot, /acme-challenge/);
    await expectValid(certbot);
  });

  it('rejects what this nginx cannot run: missing certbot certificates, and 1.25.1 syntax on 1.22', async () => {
    const host = `godeploy-missing-${process.pid}.example`;
    const missing = await nginxTest(await render(`nginx:\n  serverName: ${host}\n  tls: {certbot: true}\n`));
    assert.equal(missing.ok, false);
    assert.ok(missing.output.includes(`/etc/letsencrypt/live/${host}/fullchain.pem`), missing.output);
    const { crt, key } = await throwawayCert();
    const modern = await nginxTest(await render(`nginx:\n  version: 1.25.1\n  tls: {certificate: ${crt}, certificateKey: ${key}}\n`));
    assert.equal(modern.ok, false);
    assert.match(modern.output, /unknown directive "http2"/);
  });
});

describe('generated nginx site: a real nginx in front of real backends', () => {
  let nginx: NginxFixture | undefined;
  let svc: Daemon | undefined;
  let echo: Server | undefined;
  afterEach(async () => {
    await nginx?.stop();
    nginx = undefined;
  });
  after(async () => {
    await svc?.stop();
    echo?.close();
  });

  let goPort: Promise<number> | undefined;
  /** The single fixture module, built statically and started once on a free loopback port. */
  const goService = (): Promise<number> =>
    (goPort ??= (async () => {
      const bin = (await buildStatic(SINGLE, join(work.path, 'hello'))).outFile;
      const port = await freePort();
      svc = startDaemon(bin, [], { env: { PORT: String(port) } });
      await waitFor(
        async () => (await httpGet(port, '/healthz').catch(() => undefined))?.status === 200,
        20_000,
        () => `the Go service did not answer on ${port}`,
      );
      return port;
    })());

  it('proxies to the Go service, hides dotfiles but not /.well-known, and sends the security headers', async () => {
    const m = await model(`nginx:\n  upstreams: [{address: "127.0.0.1:${await goService()}"}]\n`);
    nginx = await startNginx((port) => onPort(m, port));
    const res = await fetch(`http://127.0.0.1:${nginx.port}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
    assert.equal(res.headers.get('server'), 'nginx', 'server_tokens off hides the version');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    for (const dot of ['/.env', '/.git/config', '/static/.htpasswd']) {
      const r = await httpGet(nginx.port, dot);
      assert.equal(r.status, 404, dot);
      assert.match(r.body, /<center>nginx<\/center>/, `${dot} must be answered by nginx, not the backend`);
    }
    // Go's mux answers unknown paths with its own plain-text 404: proof the request reached it.
    assert.deepEqual(await httpGet(nginx.port, '/.well-known/security.txt'), { status: 404, body: '404 page not found\n' });
  });

  it('forwards the client headers, keeps upstream connections alive and upgrades only WebSocket requests', async () => {
    const sockets: number[] = [];
    echo = createServer((req, res) => {
      sockets.push(req.socket.remotePort ?? 0);
      res.setHeader('content-type', 'application/json').end(JSON.stringify(req.headers));
    });
    echo.on('upgrade', (req, socket) => {
      const body = JSON.stringify(req.headers);
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', r));
    const m = await model(`nginx:\n  upstreams: [{address: "127.0.0.1:${(echo.address() as AddressInfo).port}"}]\n`);
    nginx = await startNginx((port) => onPort(m, port));
    const seen = async (): Promise<IncomingHttpHeaders> => JSON.parse((await httpGet((nginx as NginxFixture).port, '/whoami')).body);
    const h = await seen();
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h.forwarded, 'for=127.0.0.1;proto=http;host="127.0.0.1"');
    assert.equal(h.host, '127.0.0.1', 'Host is $host (the name, without the port)');
    assert.equal(h.connection, undefined, 'plain requests carry no Connection header (no "close"), so keepalive works');
    await seen();
    await seen();
    assert.equal(new Set(sockets).size, 1, `three requests should reuse one upstream connection, used ports: ${sockets.join(', ')}`);
    const upgraded = await new Promise<IncomingHttpHeaders>((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port: (nginx as NginxFixture).port, path: '/ws', headers: { Connection: 'Upgrade', Upgrade: 'websocket' }, timeout: 5000 },
        (res) => {
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (d: string) => (body += d))
            .on('end', () => ok(JSON.parse(body)));
        },
      );
      req.on('error', fail).end();
    });
    assert.equal(upgraded.connection, 'upgrade');
    assert.equal(upgraded.upgrade, 'websocket');
  });

  it('serves HTTPS (TLS 1.3, HTTP/2 by ALPN, HSTS) and redirects HTTP with 301, keeping the ACME path on HTTP', async () => {
    const { crt, key } = await throwawayCert();
    const tlsPort = await freePort();
    const m = await model(
      `nginx:\n  upstreams: [{address: "127.0.0.1:${await goService()}"}]\n  tls: {certbot: true, certificate: ${crt}, certificateKey: ${key}, listen: ${tlsPort}}\n`,
    );
    nginx = await startNginx((port) => onPort(m, port));
    const res = await httpsGet(tlsPort, '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok\n');
    assert.equal(res.protocol, 'TLSv1.3');
    assert.equal(res.headers['strict-transport-security'], 'max-age=63072000');
    const alpn = await new Promise<string | false>((ok, fail) => {
      const s = connect({ host: '127.0.0.1', port: tlsPort, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false }, () => {
        ok(s.alpnProtocol ?? false);
        s.end();
      });
      s.on('error', fail);
    });
    assert.equal(alpn, 'h2');
    const redirect = await fetch(`http://127.0.0.1:${nginx.port}/healthz?x=1`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), `https://127.0.0.1:${tlsPort}/healthz?x=1`);
    const acme = await fetch(`http://127.0.0.1:${nginx.port}/.well-known/acme-challenge/token-${process.pid}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(acme.status, 404, 'the ACME path is answered on HTTP from the webroot, not redirected');
  });
});

describe('generated nginx site, strategy canary: nginx -t and a live split with the rendered include', () => {
  const CANARY =
    'app: {}\nenvironments:\n  prod:\n    type: ssh\n    hosts: [{ host: web1 }]\n    strategy: canary\n    rollout: { canary: { sticky: cookie } }\n';
  /** The canary site with its include, JSON access log and maintenance file in a folder of the test's (the real paths are under /etc and /var/log). */
  const canaryModel = async (dir: string): Promise<GenerateModel> => {
    const m = await modelFor('single', CANARY, { environment: 'prod' });
    return {
      ...m,
      nginx: {
        ...m.nginx,
        canaryInclude: join(dir, 'hello.canary.conf'),
        accessLog: join(dir, 'hello.godeploy-access.log'),
        maintenanceInclude: join(dir, 'hello.maintenance.conf'),
        maintenancePage: join(dir, 'hello.maintenance.html'),
      },
    };
  };
  const include = (weight: number, canary = true): string =>
    renderCanaryInclude({
      app: 'hello',
      stable: { port: 18081, release: 'R1' },
      canary: canary ? { port: 18082, release: 'R2' } : undefined,
      weight,
      sticky: 'cookie',
    });
  let nginx: NginxFixture | undefined;
  const backends: Server[] = [];
  after(async () => {
    await nginx?.stop();
    for (const b of backends) b.close();
  });

  it('accepts the site with the include in every form (steady, 25% sticky, 0%, 100%), and with maintenance on', async () => {
    const dir = join(work.path, 'canary-t');
    mkdirSync(dir, { recursive: true });
    const m = await canaryModel(dir);
    const text = renderNginxSite(m);
    assert.match(text, new RegExp(`^include ${m.nginx.canaryInclude};$`, 'm'));
    assert.match(text, /proxy_pass http:\/\/\$godeploy_hello_pool;/);
    for (const [weight, canary] of [
      [0, false],
      [25, true],
      [0, true],
      [100, true],
    ] as const) {
      writeFileSync(m.nginx.canaryInclude!, include(weight, canary));
      await expectValid(text);
    }
    // Maintenance on: the file the site's glob matches, as `godeploy maintenance on` writes it.
    const { conf, page } = renderMaintenance({ model: m, since: new Date(), by: 'test@here' });
    writeFileSync(m.nginx.maintenanceInclude, conf);
    writeFileSync(m.nginx.maintenancePage, page);
    await expectValid(text);
    // Without the include the site is refused, naming the file: a deploy writes it before installing the site.
    rmSync(m.nginx.canaryInclude!);
    const missing = await nginxTest(text);
    assert.equal(missing.ok, false);
    assert.ok(missing.output.includes('hello.canary.conf'), missing.output);
  });

  it('a live nginx on the generated site: split by weight, a sticky cookie per release, the JSON access log, no cookie when steady', async () => {
    const dir = join(work.path, 'canary-live');
    mkdirSync(dir, { recursive: true });
    const ports: number[] = [];
    for (const name of ['stable', 'canary']) {
      const b = createServer((_req, res) => res.end(name));
      await new Promise<void>((r) => b.listen(0, '127.0.0.1', r));
      backends.push(b);
      ports.push((b.address() as AddressInfo).port);
    }
    const m = await canaryModel(dir);
    const write = (weight: number, canary = true): void =>
      writeFileSync(
        m.nginx.canaryInclude!,
        renderCanaryInclude({
          app: 'hello',
          stable: { port: ports[0], release: 'R1' },
          canary: canary ? { port: ports[1], release: 'R2' } : undefined,
          weight,
          sticky: 'cookie',
        }),
      );
    write(50);
    nginx = await startNginx((port) => onPort(m, port));
    const get = async (cookie?: string): Promise<{ body: string; setCookie: string | null }> => {
      const res = await fetch(`http://127.0.0.1:${(nginx as NginxFixture).port}/`, { headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(5000) });
      return { body: await res.text(), setCookie: res.headers.get('set-cookie') };
    };
    const seen = new Map<string, string | null>();
    for (let i = 0; i < 40; i++) {
      const r = await get();
      seen.set(r.body, r.setCookie);
    }
    assert.deepEqual([...seen.keys()].sort(), ['canary', 'stable'], 'both versions answer at 50%');
    assert.equal(seen.get('stable'), 'godeploy_hello=R1; Path=/; HttpOnly; SameSite=Lax');
    assert.equal(seen.get('canary'), 'godeploy_hello=R2; Path=/; HttpOnly; SameSite=Lax');
    for (let i = 0; i < 10; i++) assert.equal((await get('godeploy_hello=R2')).body, 'canary', 'a client pinned to R2 stays on the canary');
    for (let i = 0; i < 10; i++) assert.equal((await get('godeploy_hello=R1')).body, 'stable', 'a client pinned to R1 stays on the live release');
    const log = readFileSync(m.nginx.accessLog!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { upstream: string; status: number });
    assert.equal(log.length, 60);
    assert.ok(
      log.every((l) => l.status === 200 && [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`].includes(l.upstream)),
      JSON.stringify(log[0]),
    );
    // Steady (the rollout over): one server, no cookie sent, an old cookie names no pool.
    write(0, false);
    await nginx.stop();
    nginx = await startNginx((port) => onPort(m, port));
    for (let i = 0; i < 5; i++) assert.deepEqual(await get('godeploy_hello=R2'), { body: 'stable', setCookie: null });
  });
});

describe('generated nginx site of several processes: nginx -t', () => {
  it('the site of an api + worker proxies to the api and passes nginx -t', async () => {
    const yaml =
      'app:\n  name: shop\n  processes:\n    worker: { main: ./cmd/worker }\n    api: { main: ./cmd/api, port: 8080 }\nenvironments:\n  prod:\n    type: ssh\n    hosts:\n      - { host: web1, roles: [api] }\n      - { host: jobs1, roles: [worker] }\n';
    const [site] = await renderFiles(['nginx'], await modelFor('shop', yaml, { environment: 'prod' }), work.path);
    assert.equal(site.relativePath, 'deploy/nginx/shop.conf');
    await expectValid(site.content);
    assert.match(site.content, /upstream shop \{\n {4}server 127\.0\.0\.1:8080;\n/);
    assert.doesNotMatch(site.content, /jobs1/);
  });
});
