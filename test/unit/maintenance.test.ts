// Maintenance mode: the conf and the page it writes, `nginx -t` on the real nginx (1.22 here)
// with the conf in a server block, and on/off/status over a HostRunner against a live nginx
// from a private prefix in front of a small backend: 503 with Retry-After and the page for
// every path but the health check's and /.well-known/, then off and everything is the app's.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GenerateModel } from '../../src/core/generate/model';
import { GoDeployError } from '../../src/core/errors';
import {
  maintenanceIncludeLine,
  maintenanceOff,
  maintenanceOn,
  maintenanceStatus,
  parseMaintenanceConf,
  renderMaintenance,
} from '../../src/core/release/maintenance';
import { localRunner } from '../../src/core/remote/hostRunner';
import { nginxTest, startNginx, type NginxFixture } from '../integration/fixtures/nginx';
import { tempDir, waitFor } from '../integration/fixtures/util';
import { modelFor } from '../support/models';

const since = new Date('2026-12-06T09:30:00.000Z');

/** The fixture module's model for environment production, maintenance files under `dir` when given. */
async function model(config = 'app: {name: shop}\n', dir?: string): Promise<GenerateModel> {
  const m = { ...(await modelFor('single', config)), environment: 'production' };
  if (!dir) return m;
  return { ...m, nginx: { ...m.nginx, maintenanceInclude: join(dir, 'shop.maintenance.conf'), maintenancePage: join(dir, 'shop.maintenance.html') } };
}

describe('maintenance mode', () => {
  it('renders the conf: everything but the health path, /.well-known/ and the page answers 503 with the page', async () => {
    const m = await model();
    const { conf } = renderMaintenance({ model: m, message: 'Back at 10:00 UTC', retryAfterSeconds: 600, since, by: 'ana@laptop' });
    assert.equal(
      conf,
      [
        '# Go Deploy maintenance mode for shop: on since 2026-12-06T09:30:00.000Z by ana@laptop. `godeploy maintenance off production` removes this file.',
        '# message: "Back at 10:00 UTC"',
        'if ($uri !~ "^(/healthz|/\\.well-known/.*|/\\.godeploy-maintenance\\.html)$") {',
        '    return 503;',
        '}',
        'error_page 503 /.godeploy-maintenance.html;',
        'location = /.godeploy-maintenance.html {',
        '    internal;',
        '    alias /etc/nginx/godeploy/shop.maintenance.html;',
        '    default_type text/html;',
        '    add_header Retry-After 600 always;',
        '    add_header Cache-Control "no-store" always;',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(maintenanceIncludeLine(m), 'include /etc/nginx/godeploy/shop.maintenance*.conf;');
    assert.deepEqual(parseMaintenanceConf(conf), { since: '2026-12-06T09:30:00.000Z', by: 'ana@laptop', message: 'Back at 10:00 UTC' });
  });

  it('the page: the app and the message HTML-escaped; a default message and Retry-After 300', async () => {
    const m = await model();
    const { page } = renderMaintenance({ model: m, message: '<script>alert("x")</script> & \'co\'', since, by: 'ana' });
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<title>shop: down for maintenance<\/title>/);
    assert.match(page, /<p>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;co&#39;<\/p>/);
    assert.doesNotMatch(page, /<script>/);
    const plain = renderMaintenance({ model: m, since, by: 'ana' });
    assert.match(plain.page, /<p>This service is down for maintenance and will be back shortly\.<\/p>/);
    assert.match(plain.conf, /add_header Retry-After 300 always;/);
    assert.throws(() => renderMaintenance({ model: m, since, by: 'ana', retryAfterSeconds: -1 }), /not a number of seconds/);
  });

  it('escapes the health path for the regex (decoded as $uri holds it, no query); none without an http check', async () => {
    const odd = await model('app:\n  name: shop\n  healthCheck: {path: "/health.v1/(all)%20ok?full=1"}\n');
    const { conf } = renderMaintenance({ model: odd, since, by: 'ana\nmallory' });
    assert.match(conf, /^if \(\$uri !~ "\^\(\/health\\\.v1\/\\\(all\\\) ok\|\/\\\.well-known/m);
    assert.match(conf, /by ana mallory\./, 'the header stays one line');
    // Read back as nginx reads a double-quoted string ("\\" and '\"' lose a backslash, others stay), the regex matches exactly the path.
    const weird = await model('app:\n  name: shop\n  healthCheck: {path: "/h%22x%5Cy%7Bz%7D%3B%24.(a)"}\n');
    const quoted = /^if \(\$uri !~ "((?:[^"\\]|\\.)*)"\) \{$/m.exec(renderMaintenance({ model: weird, since, by: 'ana' }).conf)?.[1] ?? '';
    const re = new RegExp(quoted.replace(/\\(["\\])/g, '$1'));
    for (const uri of ['/h"x\\y{z};$.(a)', '/.well-known/acme-challenge/t', '/.godeploy-maintenance.html']) assert.ok(re.test(uri), uri);
    for (const uri of ['/h"x\\y{z};$x(a)', '/h"x\\y{z};$.(a)/', '/', '/.well-knownx']) assert.ok(!re.test(uri), uri);
    const tcp = await model('app:\n  name: shop\n  healthCheck: {type: tcp}\n');
    assert.match(
      renderMaintenance({ model: tcp, since, by: 'ana' }).conf,
      /^if \(\$uri !~ "\^\(\/\\\.well-known\/\.\*\|\/\\\.godeploy-maintenance\\\.html\)\$"\) \{$/m,
    );
  });

  it('nginx -t accepts the conf inside a server block', async () => {
    const dir = tempDir('maintenance-t');
    after(() => dir.remove());
    for (const config of [
      'app: {name: shop}\n',
      'app:\n  name: shop\n  healthCheck: {path: "/h%22x%5Cy%7Bz%7D%3B%24"}\n',
      'app:\n  name: shop\n  healthCheck: {type: tcp}\n',
    ]) {
      const m = await model(config, dir.path);
      const { conf, page } = renderMaintenance({ model: m, message: 'x', since, by: 'ana' });
      writeFileSync(m.nginx.maintenanceInclude, conf);
      writeFileSync(m.nginx.maintenancePage, page);
      const r = await nginxTest(`server {\n    listen 127.0.0.1:18082;\n    ${maintenanceIncludeLine(m)}\n    location / { return 200; }\n}\n`);
      assert.ok(r.ok, `nginx -t rejected:\n${r.output}\n---\n${conf}`);
      assert.doesNotMatch(r.output, /\[warn\]/);
    }
  });

  describe('on, off and status with a live nginx', () => {
    const runner = localRunner();
    const dir = tempDir('maintenance-live');
    let nginx: NginxFixture | undefined;
    let backend: Server | undefined;
    let m: GenerateModel;
    let opts: { nginxArgs: string[]; nginxPidFile: string; sitePath: string; host: string };
    after(async () => {
      await nginx?.stop();
      backend?.close();
      dir.remove();
    });

    const get = async (path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Headers }> => {
      const res = await fetch(`http://127.0.0.1:${nginx!.port}${path}`, { method, signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text(), headers: res.headers };
    };
    before(async () => {
      chmodSync(dir.path, 0o755); // nginx's workers (nobody) read the page
      m = await model('app: {name: shop}\n', dir.path);
      backend = createServer((req, res) => res.end(`app ${req.url}`));
      await new Promise<void>((ok) => backend!.listen(0, '127.0.0.1', ok));
      const up = (backend.address() as AddressInfo).port;
      nginx = await startNginx((port) =>
        [
          'server {',
          `    listen 127.0.0.1:${port};`,
          `    ${maintenanceIncludeLine(m)}`,
          `    location / { proxy_pass http://127.0.0.1:${up}; }`,
          '}',
          '',
        ].join('\n'),
      );
      opts = {
        nginxArgs: ['-e', 'stderr', '-p', `${nginx.prefix}/`, '-c', join(nginx.prefix, 'conf', 'nginx.conf')],
        nginxPidFile: join(nginx.prefix, 'nginx.pid'),
        sitePath: join(nginx.prefix, 'conf', 'site.conf'),
        host: 'web1',
      };
    });

    it('starts off: the app answers everything', async () => {
      assert.deepEqual(await maintenanceStatus(runner, m), { on: false });
      assert.equal((await get('/')).body, 'app /');
    });

    it('on: 503 with Retry-After and the page, except the health path and /.well-known/', async () => {
      assert.deepEqual(await maintenanceOn(runner, m, { ...opts, message: 'Upgrading <db>', retryAfterSeconds: 120, by: 'ana@laptop', since }), {
        changed: true,
      });
      // No waiting: on returns once the old workers are gone, so the very next request gets the 503.
      for (const path of ['/', '/api/orders?id=1', '/healthz/extra', '/.godeploy-maintenance.htmlx']) {
        const r = await get(path);
        assert.equal(r.status, 503, path);
        assert.equal(r.headers.get('retry-after'), '120', path);
        assert.equal(r.headers.get('cache-control'), 'no-store', path);
        assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(r.body, /<p>Upgrading &lt;db&gt;<\/p>/, path);
      }
      const post = await get('/orders', 'POST');
      assert.equal(post.status, 503);
      assert.match(post.body, /Upgrading/);
      assert.deepEqual(await get('/healthz').then((r) => [r.status, r.body]), [200, 'app /healthz']);
      assert.deepEqual(await get('/healthz?deep=1').then((r) => [r.status, r.body]), [200, 'app /healthz?deep=1']);
      assert.deepEqual(await get('/.well-known/acme-challenge/x').then((r) => [r.status, r.body]), [200, 'app /.well-known/acme-challenge/x']);
      // The page itself is internal: only maintenance's 503 shows it.
      assert.equal((await get('/.godeploy-maintenance.html')).status, 404);
      assert.deepEqual(await maintenanceStatus(runner, m), { on: true, message: 'Upgrading <db>', since: since.toISOString(), by: 'ana@laptop' });
    });

    it('on again with the same message is unchanged; another message changes the page', async () => {
      const before = readFileSync(m.nginx.maintenanceInclude, 'utf8');
      assert.deepEqual(await maintenanceOn(runner, m, { ...opts, message: 'Upgrading <db>', retryAfterSeconds: 120, by: 'bob@ci' }), { changed: false });
      assert.equal(readFileSync(m.nginx.maintenanceInclude, 'utf8'), before, 'the first switch-on time and who stay');
      assert.deepEqual(await maintenanceOn(runner, m, { ...opts, message: 'Almost done', retryAfterSeconds: 120, by: 'bob@ci' }), { changed: true });
      await waitFor(
        async () => /Almost done/.test((await get('/')).body),
        10_000,
        () => 'the new page never showed',
      );
      assert.equal((await maintenanceStatus(runner, m)).by, 'bob@ci');
    });

    it("a conf nginx -t refuses: nothing changes, the error names nginx's message", async () => {
      const broken = { ...m, nginx: { ...m.nginx, maintenancePage: join(dir.path, 'a page.html') } };
      const before = readFileSync(m.nginx.maintenanceInclude, 'utf8');
      await assert.rejects(maintenanceOn(runner, broken, { ...opts, message: 'other', by: 'ana' }), (e: GoDeployError) => {
        assert.ok(e instanceof GoDeployError);
        assert.match(e.message, /^nginx -t on web1 rejected maintenance mode on: .*invalid number of arguments in "alias" directive/);
        assert.match(e.hint ?? '', /previous files are back/);
        return true;
      });
      assert.equal(readFileSync(m.nginx.maintenanceInclude, 'utf8'), before);
      assert.ok(!existsSync(join(dir.path, 'a page.html')));
      assert.ok(!existsSync(`${m.nginx.maintenanceInclude}.godeploy-old`));
      assert.equal((await get('/')).status, 503);
    });

    it('off: the app answers again; off again is unchanged', async () => {
      assert.deepEqual(await maintenanceOff(runner, m, opts), { changed: true });
      // No waiting: off returns once the workers answering 503 are gone.
      assert.equal((await get('/')).body, 'app /');
      assert.ok(!existsSync(m.nginx.maintenanceInclude));
      assert.ok(!existsSync(m.nginx.maintenancePage));
      assert.deepEqual(await maintenanceStatus(runner, m), { on: false });
      assert.deepEqual(await maintenanceOff(runner, m, opts), { changed: false });
    });

    it('refuses a site that predates maintenance mode, or no site', async () => {
      const old = join(dir.path, 'old-site.conf');
      writeFileSync(old, 'server {\n    listen 80;\n    location / { proxy_pass http://shop; }\n}\n');
      await assert.rejects(maintenanceOn(runner, m, { ...opts, sitePath: old, by: 'ana' }), (e: GoDeployError) => {
        assert.equal(e.message, `the nginx site on web1 predates maintenance mode: ${old} does not have the line ${maintenanceIncludeLine(m)}`);
        assert.equal(e.hint, 'run godeploy setup production (restart strategy) or deploy once, so that the site is written again');
        return true;
      });
      await assert.rejects(
        maintenanceOn(runner, m, { ...opts, sitePath: join(dir.path, 'none.conf'), by: 'ana' }),
        /^GoDeployError: no nginx site for shop on web1/,
      );
      assert.ok(!existsSync(m.nginx.maintenanceInclude));
      assert.equal((await get('/')).status, 200);
    });
  });
});
