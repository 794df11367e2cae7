import { strict as assert } from 'node:assert';
import { MOZILLA_INTERMEDIATE_CIPHERS, renderNginxSite } from '../../src/core/generate/nginx';
import { nginxIdent, nginxSize, supportsHttp2Directive } from '../../src/core/generate/nginx-syntax';
import { expectGolden } from '../support/golden';
import { modelFor } from '../support/models';

/** godeploy.yaml text; `app: {}` is added when the case does not set app keys. */
const site = async (config: string): Promise<string> => renderNginxSite(await modelFor('single', /^app:/m.test(config) ? config : `app: {}\n${config}`));
/** An ssh environment with strategy canary, TLS and rollout steps of its own (the steps do not show in the site). */
const CANARY_CONFIG = [
  'app: {}',
  'nginx:',
  '  serverName: shop.example.com',
  '  tls: { certificate: /etc/ssl/shop.crt, certificateKey: /etc/ssl/private/shop.key }',
  'environments:',
  '  prod:',
  '    type: ssh',
  '    hosts: [{ host: web1 }]',
  '    strategy: canary',
  '    rollout:',
  '      canary:',
  '        steps: [{ weight: 10, pause: 2m }, { weight: 100 }]',
  '',
].join('\n');
/** The lines of the `server { … }` block whose listen line matches `listen`. */
const serverBlock = (text: string, listen: RegExp): string => {
  const block = text.split(/\n(?=server \{)/).find((b) => b.startsWith('server {') && listen.test(b));
  assert.ok(block, `no server block with ${listen} in:\n${text}`);
  return block;
};

describe('nginx site generator', () => {
  it('default: one HTTP server proxying to 127.0.0.1:<app port> with keepalive, headers and hardening', async () => {
    const text = await site('app: {}\n');
    expectGolden('nginx/default.conf', text);
    assert.match(text, /^upstream hello \{\n {4}server 127\.0\.0\.1:8081;\n(?: {4}#.*\n)? {4}keepalive 32;\n\}$/m);
    assert.doesNotMatch(text, /least_conn|backup|weight=/);
    // The WebSocket map sends no Connection header on plain requests (keepalive) and "upgrade" for websockets.
    assert.match(text, /^map \$http_upgrade \$godeploy_hello_connection \{\n {4}default +"";\n {4}~\*websocket +upgrade;\n\}$/m);
    assert.doesNotMatch(text.replace(/#.*$/gm, ''), /\bclose\b/);
    const server = serverBlock(text, /listen 80;/);
    assert.equal(text.match(/^server \{/gm)?.length, 1);
    for (const line of [
      'server_name _;',
      'server_tokens off;',
      'client_max_body_size 10M;',
      'gzip on;',
      'proxy_pass http://hello;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection $godeploy_hello_connection;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Host $host;',
      'proxy_set_header X-Real-IP $remote_addr;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_set_header Forwarded "$godeploy_hello_forwarded_for;proto=$scheme;host=\\"$host\\"";',
      'proxy_connect_timeout 5s;',
      'proxy_send_timeout 60s;',
      'proxy_read_timeout 60s;',
      'add_header X-Content-Type-Options "nosniff" always;',
      'add_header X-Frame-Options "SAMEORIGIN" always;',
      'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
      'location ~ /\\.(?!well-known(?:/|$)) {',
    ])
      assert.ok(
        server.split('\n').some((l) => l.trim() === line),
        `missing "${line}" in:\n${server}`,
      );
    assert.match(server, /gzip_types [^;]*application\/json[^;]*;/);
    assert.doesNotMatch(server, /gzip_types [^;]*text\/html/, 'text/html is always compressed; listing it makes nginx warn');
    assert.doesNotMatch(text, /ssl|Strict-Transport-Security|set_real_ip_from|acme-challenge/);
    // gzip and server_tokens stay inside server blocks: Debian's nginx.conf sets gzip at http level already.
    const outside = text.split(/\n(?=server \{)/)[0];
    assert.doesNotMatch(outside, /^(gzip|server_tokens)/m);
  });

  it('TLS with explicit paths: Mozilla intermediate, redirect keeping the port, no HSTS when turned off', async () => {
    const text = await site(
      'nginx:\n  serverName: api.example.com\n  listen: 8080\n  tls:\n    certificate: /etc/ssl/api.crt\n    certificateKey: /etc/ssl/private/api.key\n    listen: 8443\n    hsts: false\n',
    );
    expectGolden('nginx/tls-paths.conf', text);
    const http = serverBlock(text, /listen 8080;/);
    assert.match(http, /location \/ \{\n {8}return 301 https:\/\/\$host:8443\$request_uri;\n {4}\}/);
    assert.doesNotMatch(http, /proxy_pass|acme-challenge/);
    const https = serverBlock(text, /listen 8443 ssl http2;/);
    for (const line of [
      'server_name api.example.com;',
      'ssl_certificate /etc/ssl/api.crt;',
      'ssl_certificate_key /etc/ssl/private/api.key;',
      'ssl_protocols TLSv1.2 TLSv1.3;',
      `ssl_ciphers ${MOZILLA_INTERMEDIATE_CIPHERS};`,
      'ssl_prefer_server_ciphers off;',
      'ssl_session_cache shared:godeploy_hello_tls:10m;',
      'ssl_session_timeout 1d;',
      'ssl_session_tickets off;',
      'proxy_pass http://hello;',
    ])
      assert.ok(
        https.split('\n').some((l) => l.trim() === line),
        `missing "${line}" in:\n${https}`,
      );
    assert.ok(MOZILLA_INTERMEDIATE_CIPHERS.startsWith('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:'));
    assert.doesNotMatch(text, /Strict-Transport-Security|TLSv1\.1|TLSv1 /);
  });

  it('TLS with certbot: letsencrypt paths, ACME webroot on HTTP, HSTS by default', async () => {
    const text = await site('nginx:\n  serverName: shop.example.com\n  tls:\n    certbot: true\n');
    expectGolden('nginx/tls-certbot.conf', text);
    const http = serverBlock(text, /listen 80;/);
    assert.match(http, /location \^~ \/\.well-known\/acme-challenge\/ \{\n {8}root \/var\/www\/letsencrypt;/);
    assert.match(http, /return 301 https:\/\/\$host\$request_uri;/);
    const https = serverBlock(text, /listen 443 ssl http2;/);
    assert.match(https, /ssl_certificate \/etc\/letsencrypt\/live\/shop\.example\.com\/fullchain\.pem;/);
    assert.match(https, /ssl_certificate_key \/etc\/letsencrypt\/live\/shop\.example\.com\/privkey\.pem;/);
    assert.match(https, /add_header Strict-Transport-Security "max-age=63072000" always;/);
    assert.match(text, /certbot certonly --webroot -w \/var\/www\/letsencrypt -d shop\.example\.com/);
  });

  it('nginx 1.25.1 gets `http2 on;`, earlier versions the listen parameter', async () => {
    const tls = 'nginx:\n  serverName: shop.example.com\n  tls:\n    certbot: true\n';
    const modern = await site(`${tls}  version: 1.25.1\n`);
    expectGolden('nginx/tls-certbot-nginx-1.25.1.conf', modern);
    assert.match(serverBlock(modern, /listen 443 ssl;/), /^ {4}listen 443 ssl;\n {4}http2 on;$/m);
    assert.doesNotMatch(modern, /ssl http2/);
    for (const v of ['1.22', '1.24.0', '1.25.0']) {
      const old = await site(`${tls}  version: "${v}"\n`);
      assert.match(old, /^ {4}listen 443 ssl http2;$/m, v);
      assert.doesNotMatch(old, /http2 on/, v);
    }
    // Only the version lines and the listen/http2 lines differ.
    const old = await site(tls);
    const changed = modern.split('\n').filter((l) => !old.split('\n').includes(l));
    assert.deepEqual(changed, ['# nginx site for hello, generated by Go Deploy for nginx 1.25.1.', '    listen 443 ssl;', '    http2 on;']);
  });

  it('realIpFrom: trusted proxies in every server block', async () => {
    const text = await site('nginx:\n  realIpFrom: [10.0.0.0/8, "2001:db8::/32"]\n  tls: {certificate: /c.pem, certificateKey: /k.pem}\n');
    expectGolden('nginx/real-ip.conf', text);
    for (const listen of [/listen 80;/, /listen 443 ssl/]) {
      const block = serverBlock(text, listen);
      assert.match(
        block,
        / {4}set_real_ip_from 10\.0\.0\.0\/8;\n {4}set_real_ip_from 2001:db8::\/32;\n {4}real_ip_header X-Forwarded-For;\n {4}real_ip_recursive on;/,
      );
    }
  });

  it('several upstreams with weights and a backup, least_conn, and a body size nginx can read', async () => {
    const text = await site(
      [
        'app: {name: shop.api}',
        'nginx:',
        '  listen: 8080',
        '  balance: least_conn',
        '  clientMaxBodySize: 1.5G',
        '  upstreams:',
        '    - {address: "10.0.0.1:8081", weight: 3}',
        '    - {address: "10.0.0.2:8081"}',
        '    - {address: "[fd00::3]:8081", backup: true}',
        '',
      ].join('\n'),
    );
    expectGolden('nginx/upstreams-least-conn.conf', text);
    assert.match(
      text,
      /^upstream shop\.api \{\n {4}least_conn;\n {4}server 10\.0\.0\.1:8081 weight=3;\n {4}server 10\.0\.0\.2:8081;\n {4}server \[fd00::3\]:8081 backup;\n/m,
    );
    assert.match(text, /client_max_body_size 1536M;/);
    // Names with '.' become valid nginx variable names.
    assert.match(text, /map \$http_upgrade \$godeploy_shop_api_connection \{/);
    assert.match(text, /proxy_pass http:\/\/shop\.api;/);
  });

  it('every site includes its maintenance file by a glob in the app server, before the locations', async () => {
    for (const config of ['app: {}\n', 'nginx:\n  serverName: shop.example.com\n  tls:\n    certbot: true\n']) {
      const text = await site(config);
      const server = serverBlock(text, /tls/.test(config) ? /listen 443 ssl/ : /listen 80;/);
      assert.match(server, /\n {4}include \/etc\/nginx\/godeploy\/hello\.maintenance\*\.conf;\n[^]*location ~ /);
      assert.equal(text.match(/maintenance\*\.conf/g)?.length, 1, 'only in the app server (the redirect server answers no app request)');
    }
  });

  it('strategy canary: the upstreams from the canary include, the JSON access log, the sticky cookie, proxy_pass to the pool variable', async () => {
    const m = await modelFor('single', CANARY_CONFIG, { environment: 'prod' });
    const text = renderNginxSite(m);
    expectGolden('nginx/canary.conf', text);
    assert.doesNotMatch(text, /^upstream /m, 'the upstreams are in the include');
    assert.match(text, /^include \/etc\/nginx\/godeploy\/hello\.canary\.conf;$/m);
    const server = serverBlock(text, /listen 443 ssl/);
    for (const line of [
      'access_log /var/log/nginx/access.log;',
      'access_log /var/log/nginx/hello.godeploy-access.log godeploy_hello_json;',
      'add_header Set-Cookie $godeploy_hello_sticky_cookie;',
      'include /etc/nginx/godeploy/hello.maintenance*.conf;',
      'proxy_pass http://$godeploy_hello_pool;',
    ])
      assert.ok(
        server.split('\n').some((l) => l.trim() === line),
        `missing "${line}" in:\n${server}`,
      );
    assert.doesNotMatch(serverBlock(text, /listen 80;/), /access_log|Set-Cookie|maintenance/, 'the redirect server has none of it');
    // Blue-green and restart keep their upstream block and a plain proxy_pass.
    const bg = renderNginxSite(await modelFor('single', CANARY_CONFIG.replace('strategy: canary', 'strategy: blue-green'), { environment: 'prod' }));
    assert.match(bg, /^upstream hello \{\n {4}# Blue-green/m);
    assert.doesNotMatch(bg, /canary|godeploy_hello_pool|Set-Cookie|godeploy-access/);
  });

  it('helpers: version cut-over, nginx sizes, identifiers', () => {
    const cases: [string, boolean][] = [
      ['1.22', false],
      ['1.25', false],
      ['1.25.0', false],
      ['1.25.1', true],
      ['1.25.10', true],
      ['1.26', true],
      ['1.3', false],
      ['2.0', true],
      ['0.9.9', false],
    ];
    for (const [v, want] of cases) assert.equal(supportsHttp2Directive(v), want, v);
    const sizes: [string, string][] = [
      ['10M', '10M'],
      ['0', '0'],
      ['512K', '512K'],
      ['1.5G', '1536M'],
      ['2T', '2048G'],
      ['0.5K', '512'],
      ['1.25M', '1280K'],
      ['2.0M', '2M'],
    ];
    for (const [input, want] of sizes) assert.equal(nginxSize(input), want, input);
    assert.throws(() => nginxSize('10MB'), /cannot read the size/);
    assert.equal(nginxIdent('my-app.v2_x'), 'my_app_v2_x');
  });
});
