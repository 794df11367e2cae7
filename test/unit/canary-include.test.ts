// strategy canary's nginx include: its exact text in each form (steady, a split with and
// without sticky cookies, 0% and 100%), `nginx -t` on the real nginx (1.22 here) with a site
// that uses every name it defines, and a live nginx splitting traffic between two backends.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { canaryNames, renderCanaryInclude, type CanaryIncludeInput } from '../../src/core/release/canary/nginxCanary';
import { parseAccessLog, versionOf } from '../../src/core/release/canary/accessLog';
import { nginxTest, startNginx, type NginxFixture } from '../integration/fixtures/nginx';
import { tempDir } from '../integration/fixtures/util';

const HEAD = [
  '# Written by Go Deploy (strategy canary) at each step of a rollout; do not edit.',
  '%COMMENT%',
  `log_format godeploy_shop_api_json escape=json '{"msec":$msec,"upstream":"$upstream_addr","status":$status,"request_time":$request_time}';`,
];
const oneServer = (comment: string, port: number): string =>
  [
    ...HEAD,
    'upstream shop-api {',
    `    server 127.0.0.1:${port};`,
    '    keepalive 32;',
    '}',
    `upstream shop-api--stable { server 127.0.0.1:${port}; keepalive 8; }`,
    `upstream shop-api--canary { server 127.0.0.1:${port}; keepalive 8; }`,
    'map $cookie_godeploy_shop_api $godeploy_shop_api_pool {',
    '    default shop-api;',
    '}',
    'map $upstream_addr $godeploy_shop_api_sticky_cookie {',
    '    default "";',
    '}',
    '',
  ]
    .join('\n')
    .replace('%COMMENT%', comment);

const input = (weight: number, sticky: 'cookie' | 'none' = 'cookie'): CanaryIncludeInput => ({
  app: 'shop-api',
  stable: { port: 8081, release: 'R1' },
  canary: { port: 8082, release: 'R2' },
  weight,
  sticky,
});

/** A server block using every name the include defines, as the generated site does. */
const site = (app: string, listen: number, accessLog: string): string => {
  const n = canaryNames(app);
  return [
    'server {',
    `    listen 127.0.0.1:${listen};`,
    `    access_log ${accessLog} ${n.logFormat};`,
    `    add_header Set-Cookie ${n.stickyCookieVariable};`,
    '    location / {',
    `        proxy_pass http://${n.poolVariable};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '    }',
    '}',
    '',
  ].join('\n');
};

describe('canary include (nginx)', () => {
  it('names every piece after the app, with nginx identifiers for variables', () => {
    assert.deepEqual(canaryNames('shop-api.v2'), {
      upstream: 'shop-api.v2',
      stableUpstream: 'shop-api.v2--stable',
      canaryUpstream: 'shop-api.v2--canary',
      poolVariable: '$godeploy_shop_api_v2_pool',
      stickyCookieVariable: '$godeploy_shop_api_v2_sticky_cookie',
      cookie: 'godeploy_shop_api_v2',
      logFormat: 'godeploy_shop_api_v2_json',
    });
  });

  it('a split with sticky cookies: weights, one upstream per version, the maps keyed by release id', () => {
    assert.equal(
      renderCanaryInclude(input(25)),
      [
        ...HEAD,
        'upstream shop-api {',
        '    server 127.0.0.1:8081 weight=75;',
        '    server 127.0.0.1:8082 weight=25;',
        '    keepalive 32;',
        '}',
        'upstream shop-api--stable { server 127.0.0.1:8081; keepalive 8; }',
        'upstream shop-api--canary { server 127.0.0.1:8082; keepalive 8; }',
        'map $cookie_godeploy_shop_api $godeploy_shop_api_pool {',
        '    default shop-api;',
        '    "R1" shop-api--stable;',
        '    "R2" shop-api--canary;',
        '}',
        'map $upstream_addr $godeploy_shop_api_sticky_cookie {',
        '    default "";',
        '    "127.0.0.1:8081" "godeploy_shop_api=R1; Path=/; HttpOnly; SameSite=Lax";',
        '    "127.0.0.1:8082" "godeploy_shop_api=R2; Path=/; HttpOnly; SameSite=Lax";',
        '}',
        '',
      ]
        .join('\n')
        .replace('%COMMENT%', '# live 127.0.0.1:8081 (release R1); canary 127.0.0.1:8082 (release R2) at 25%'),
    );
  });

  it('a 5% split with sticky none: the weights, the maps only their default', () => {
    assert.equal(
      renderCanaryInclude(input(5, 'none')),
      [
        ...HEAD,
        'upstream shop-api {',
        '    server 127.0.0.1:8081 weight=95;',
        '    server 127.0.0.1:8082 weight=5;',
        '    keepalive 32;',
        '}',
        'upstream shop-api--stable { server 127.0.0.1:8081; keepalive 8; }',
        'upstream shop-api--canary { server 127.0.0.1:8082; keepalive 8; }',
        'map $cookie_godeploy_shop_api $godeploy_shop_api_pool {',
        '    default shop-api;',
        '}',
        'map $upstream_addr $godeploy_shop_api_sticky_cookie {',
        '    default "";',
        '}',
        '',
      ]
        .join('\n')
        .replace('%COMMENT%', '# live 127.0.0.1:8081 (release R1); canary 127.0.0.1:8082 (release R2) at 5%'),
    );
  });

  it('steady (no canary), 0% and 100% are the one-server form: no cookie, no pool but the default', () => {
    assert.equal(renderCanaryInclude({ ...input(25), canary: undefined }), oneServer('# live 127.0.0.1:8081 (release R1); no canary', 8081));
    assert.equal(
      renderCanaryInclude(input(0)),
      oneServer('# live 127.0.0.1:8081 (release R1); canary 127.0.0.1:8082 (release R2) at 0%: every request goes to the live release', 8081),
    );
    assert.equal(
      renderCanaryInclude(input(100)),
      oneServer('# live 127.0.0.1:8081 (release R1); canary 127.0.0.1:8082 (release R2) at 100%: every request goes to the canary', 8082),
    );
  });

  it('quotes release ids in the maps', () => {
    const text = renderCanaryInclude({ ...input(50), canary: { port: 8082, release: 'a"b\\c' } });
    assert.match(text, /^ {4}"a\\"b\\\\c" shop-api--canary;$/m);
  });

  it('nginx -t accepts every form with a site that uses its names', async () => {
    const log = tempDir('canary-t');
    after(() => log.remove());
    const forms: CanaryIncludeInput[] = [input(25), input(5, 'none'), input(0), input(100), { ...input(1), canary: undefined }, input(99)];
    for (const form of forms) {
      const text = renderCanaryInclude(form) + site('shop-api', 18080, join(log.path, 'access.log'));
      const r = await nginxTest(text);
      assert.ok(r.ok, `nginx -t rejected:\n${r.output}\n---\n${text}`);
      assert.doesNotMatch(r.output, /\[warn\]/, `nginx -t warned:\n${r.output}`);
    }
  });

  describe('a live nginx with the include', () => {
    const backends: Server[] = [];
    let nginx: NginxFixture | undefined;
    const dir = tempDir('canary-live');
    const logFile = join(dir.path, 'access.log');
    const ports = { stable: 0, canary: 0 };
    after(async () => {
      await nginx?.stop();
      for (const b of backends) b.close();
      dir.remove();
    });

    const backend = async (name: string): Promise<number> => {
      const s = createServer((_req, res) => res.end(name));
      backends.push(s);
      await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
      return (s.address() as AddressInfo).port;
    };

    it('splits by weight, pins a client by its cookie, and logs JSON lines the analysis reads', async () => {
      ports.stable = await backend('stable');
      ports.canary = await backend('canary');
      const include = renderCanaryInclude({
        app: 'shop-api',
        stable: { port: ports.stable, release: 'R1' },
        canary: { port: ports.canary, release: 'R2' },
        weight: 50,
        sticky: 'cookie',
      });
      nginx = await startNginx((port) => include + site('shop-api', port, logFile));
      const get = async (cookie?: string): Promise<{ body: string; setCookie: string | null }> => {
        const res = await fetch(`http://127.0.0.1:${nginx!.port}/`, { headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(5000) });
        return { body: await res.text(), setCookie: res.headers.get('set-cookie') };
      };
      const seen = { stable: 0, canary: 0 };
      for (let i = 0; i < 40; i++) {
        const r = await get();
        assert.ok(r.body === 'stable' || r.body === 'canary', r.body);
        seen[r.body as 'stable' | 'canary']++;
        assert.equal(r.setCookie, `godeploy_shop_api=${r.body === 'stable' ? 'R1' : 'R2'}; Path=/; HttpOnly; SameSite=Lax`);
      }
      // nginx's smooth weighted round-robin alternates at 50/50.
      assert.deepEqual(seen, { stable: 20, canary: 20 });
      for (let i = 0; i < 6; i++) assert.equal((await get('godeploy_shop_api=R2')).body, 'canary');
      for (let i = 0; i < 6; i++) assert.equal((await get('godeploy_shop_api=R1')).body, 'stable');
      // A cookie of another rollout names no pool: the weighted split serves it.
      const other = [await get('godeploy_shop_api=R0'), await get('godeploy_shop_api=R0')].map((r) => r.body).sort();
      assert.deepEqual(other, ['canary', 'stable']);

      // nginx writes the log line once the request is done: wait for all 54.
      let parsed = parseAccessLog('');
      for (let i = 0; i < 50 && parsed.entries.length < 54; i++) {
        await new Promise((r) => setTimeout(r, 100));
        parsed = parseAccessLog(readFileSync(logFile, 'utf8'));
      }
      assert.equal(parsed.entries.length, 54);
      assert.equal(parsed.consumed, readFileSync(logFile).length);
      const versions = parsed.entries.map((e) => versionOf(e.upstream, ports));
      assert.equal(versions.filter((v) => v === 'stable').length, 20 + 6 + 1);
      assert.equal(versions.filter((v) => v === 'canary').length, 20 + 6 + 1);
      for (const e of parsed.entries) {
        assert.equal(e.status, 200);
        assert.ok(e.requestTimeMs >= 0 && e.requestTimeMs < 5000, String(e.requestTimeMs));
        assert.ok(Math.abs(e.msec - Date.now()) < 60_000, String(e.msec));
      }
    });
  });
});
