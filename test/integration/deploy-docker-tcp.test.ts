// A docker environment whose engine listens on tcp:// with TLS client verification (a second
// real dockerd with a CA, server and client certificates made by openssl): the client
// certificate comes from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, as with the docker
// CLI. The image is built on this machine's engine and streamed to that one; without the
// client certificate the engine refuses and the message says so.
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { ensureDockerEngine, makeDockerTls, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, tempDir } from './fixtures/util';

describe('deploy to a docker engine over tcp:// with TLS (a second real dockerd)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-docker-tcp');
  const dir = join(work.path, 'app');
  const certs = join(work.path, 'certs');
  let local: DockerEngine;
  let remote: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  let tcpPort = 0;
  let port = 0;

  const cli = (args: string[], tls = true): Promise<CliRun> => runCli(dir, args, goEnv(tls ? { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } : {}));

  before(async () => {
    local = await ensureDockerEngine();
    mkdirSync(certs);
    await makeDockerTls(certs);
    tcpPort = await freePort();
    remote = await startSecondDockerEngine({ tls: { port: tcpPort, dir: certs } });
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'tcpdockerapp', port },
          docker: { runtime: 'scratch' },
          environments: {
            tcp: { type: 'docker', docker: { host: `tcp://127.0.0.1:${tcpPort}`, network: 'host' }, healthCheck: { timeout: '10s', interval: '200ms' } },
          },
        },
        null,
        2,
      )}\n`,
    );
  });
  after(async () => {
    const stopped = await Promise.allSettled([remote?.stop(), local?.stop()]);
    work.remove();
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  it("with the client certificate: doctor passes and the deploy goes live there, the image streamed from this machine's engine", async () => {
    const d = await cli(['doctor', 'tcp']);
    assert.equal(d.code, 0, d.out + d.err);
    assert.match(d.out, new RegExp(`^engine \\(tcp://127\\.0\\.0\\.1:${tcpPort}\\)$`, 'm'));
    const r = await cli(['deploy', 'tcp']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^\[engine\] transfer: [\d.]+ [kM]B sent/m);
    const id = /^deploy (\S+) to tcp: done/m.exec(r.out)?.[1];
    assert.ok(id, r.out);
    assert.equal((await remote.docker(['inspect', '--format', '{{.State.Running}}', `tcpdockerapp-${id}`])).stdout.trim(), 'true');
    assert.equal((await httpGet(port, '/healthz')).status, 200);
  });

  it("without the client certificate, with another CA's, or with a DOCKER_CERT_PATH missing the files: FAIL reachable saying which, exit 1", async () => {
    const plain = await cli(['doctor', 'tcp'], false);
    assert.equal(plain.code, 1, plain.out);
    assert.match(
      plain.out,
      new RegExp(
        `FAIL reachable  the Docker engine at tcp://127\\.0\\.0\\.1:${tcpPort} \\(environments\\.tcp\\.docker\\.host\\) wants TLS, and no client certificate was given`,
      ),
    );
    assert.match(plain.out, /hint: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with ca\.pem, cert\.pem and key\.pem/);
    // Certificates from another CA: neither side trusts the other.
    const other = join(work.path, 'other-certs');
    mkdirSync(other);
    await makeDockerTls(other);
    const foreign = await runCli(dir, ['doctor', 'tcp'], goEnv({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: other }));
    assert.equal(foreign.code, 1, foreign.out);
    assert.match(foreign.out, /FAIL reachable {2}the TLS handshake with the Docker engine at tcp:\/\/\S+ \(environments\.tcp\.docker\.host\) failed: /);
    assert.match(foreign.out, /hint: check that the certificates in DOCKER_CERT_PATH are signed by the engine's CA/);
    const missing = await runCli(dir, ['doctor', 'tcp'], goEnv({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(work.path, 'nowhere') }));
    assert.equal(missing.code, 1, missing.out + missing.err);
    assert.match(missing.out, /FAIL reachable {2}cannot read \S+nowhere\/ca\.pem \(DOCKER_CERT_PATH\): /);
    assert.match(missing.out, /hint: DOCKER_CERT_PATH needs ca\.pem, cert\.pem and key\.pem/);
  });
});
