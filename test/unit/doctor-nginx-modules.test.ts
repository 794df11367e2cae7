// strategy canary's doctor check: `nginx -V` on the host shows nginx and none of the
// --without-… flags that would take out what the canary site needs (map, upstream keepalive,
// proxy, rewrite), and a version that writes the JSON access log. Read from real `nginx -V`
// output (this machine's nginx, and the same text with the flags a stripped build shows).
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { nginxModulesCheck, type CheckStep } from '../../src/core/release/checks';
import { runChecks } from '../../src/core/release/doctorReport';
import type { CheckOutcome } from '../../src/core/environment/types';
import { localRunner } from '../../src/core/remote/hostRunner';

const V = [
  'nginx version: nginx/1.22.1',
  'built with OpenSSL 3.0.11 19 Sep 2023',
  'TLS SNI support enabled',
  "configure arguments: --with-cc-opt='-g -O2' --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --with-compat --with-http_ssl_module --with-http_realip_module --with-stream=dynamic",
  '',
].join('\n');
const timing = { startMs: 0, endMs: 0 };
const read = (stdout: string, code = 0): CheckOutcome => {
  const x: CheckOutcome | CheckStep = nginxModulesCheck().interpret({ code, stdout, stderr: '' }, timing);
  assert.ok(!('argv' in x));
  return x;
};

describe('doctor: the nginx modules strategy canary needs', () => {
  it('a full build is ok, naming the version and the modules', () => {
    assert.deepEqual(read(V), { status: 'ok', detail: 'nginx 1.22.1: map, upstream keepalive, proxy, rewrite modules built in' });
  });

  it('a build without the map and upstream keepalive modules fails, naming each flag, why the site needs it, and the fix', () => {
    const o = read(V.replace('--with-compat', '--with-compat --without-http_map_module --without-http_upstream_keepalive_module'));
    assert.equal(o.status, 'fail');
    assert.equal(
      o.detail,
      'nginx 1.22.1 was built without the map module (--without-http_map_module) and the upstream keepalive module (--without-http_upstream_keepalive_module): the canary include picks the pool and the sticky cookie with map; the canary upstreams keep connections open (keepalive)',
    );
    assert.match(o.hint ?? '', /apt install nginx.*or use strategy: blue-green or restart/);
    // Flags of other modules (split_clients, the upstream hash) are not needed.
    assert.equal(read(V.replace('--with-compat', '--without-http_split_clients_module --without-http_upstream_hash_module')).status, 'ok');
  });

  it('no nginx, an nginx too old for the JSON log, and output that is not nginx -V', () => {
    assert.deepEqual(read('sh: 1: nginx: not found\n', 127), {
      status: 'fail',
      detail: 'nginx not found',
      hint: 'strategy canary sends traffic through nginx on this host: install it (apt install nginx), or use strategy: restart',
    });
    const old = read(V.replace('1.22.1', '1.10.3'));
    assert.equal(old.status, 'fail');
    assert.match(old.detail, /^nginx 1\.10\.3 is older than 1\.11\.8: it cannot write the JSON access log \(log_format escape=json\)/);
    assert.equal(read(V.replace('1.22.1', '1.11.8')).status, 'ok');
    assert.equal(read('something else\n', 1).status, 'fail');
  });

  it("this machine's nginx, through a runner as doctor runs it", async function () {
    assert.ok(existsSync('/usr/sbin/nginx'), 'nginx is missing on this machine: run scripts/setup-test-env.sh');
    const [r] = await runChecks(localRunner(), [nginxModulesCheck()]);
    assert.equal(r.id, 'nginx-modules');
    assert.equal(r.status, 'ok', `${r.detail} ${r.hint ?? ''}`);
    assert.match(r.detail, /^nginx \d+\.\d+\.\d+: map, upstream keepalive, proxy, rewrite modules built in$/);
  });
});
