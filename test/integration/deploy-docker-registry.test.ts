// docker.registry: a real registry on loopback (Debian's docker-registry, htpasswd auth). The
// image is built on this machine's engine, pushed there with the credentials from
// ${secret:…}, and pulled by the target engine (a second dockerd reached over ssh). The
// password reaches the engines only in the API's auth header: it is in no output; a wrong
// one fails the deploy with a hint and changes nothing; a literal one is a config error.
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { setDeployappBuild } from './fixtures/deployApp';
import { docker, ensureDockerEngine, startSecondDockerEngine, type DockerEngine } from './fixtures/docker';
import { goEnv } from './fixtures/go';
import { startRegistry, type RegistryFixture } from './fixtures/registry';
import { startSshd, type SshdFixture } from './fixtures/sshd';
import { freePort, httpGet, tempDir } from './fixtures/util';

const APP = 'regapp';

/** The registry's tags of team/regapp, asked with basic auth. */
function registryTags(r: RegistryFixture): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const [host, port] = r.address.split(':');
    const req = request({ host, port: Number(port), path: `/v2/team/${APP}/tags/list`, auth: `${r.user}:${r.password}` }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(((JSON.parse(body) as { tags?: string[] }).tags ?? []).sort()) : reject(new Error(`${res.statusCode} ${body}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deploy through a registry (real docker-registry with auth, engine over ssh)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-docker-registry');
  const dir = join(work.path, 'app');
  let local: DockerEngine;
  let remote: Awaited<ReturnType<typeof startSecondDockerEngine>>;
  let sshd: SshdFixture;
  let registry: RegistryFixture;
  let port = 0;

  const cli = (args: string[], password = registry.password): Promise<CliRun> => runCli(dir, args, goEnv({ REG_PW: password }));
  const configure = (registryPassword = '${secret:REG_PW}'): void => {
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: APP, port },
          docker: { runtime: 'scratch' },
          environments: {
            prod: {
              type: 'docker',
              knownHostsFile: sshd.knownHostsFile,
              sshConfigFile: 'ssh_config',
              docker: {
                host: `ssh://${sshd.user}@127.0.0.1:${sshd.port}${remote.socketPath}`,
                network: 'host',
                registry: `${registry.address}/team`,
                registryUser: registry.user,
                registryPassword,
              },
              healthCheck: { timeout: '10s', interval: '200ms' },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
  };

  before(async () => {
    local = await ensureDockerEngine();
    [remote, sshd, registry] = await Promise.all([startSecondDockerEngine(), startSshd(), startRegistry()]);
    port = await freePort();
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(join(dir, 'ssh_config'), `Host 127.0.0.1\n  IdentityFile ${sshd.identityFile}\n  IdentitiesOnly yes\n`);
  });
  after(async () => {
    const images = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((r) => r.includes(APP));
    if (images.length) await docker(['rmi', '--force', ...images]);
    const stopped = await Promise.allSettled([remote?.stop(), sshd?.stop(), registry?.stop(), local?.stop()]);
    work.remove();
    for (const s of stopped) if (s.status === 'rejected') throw s.reason;
  });

  it('pushes with the secret credentials, the ssh engine pulls, the release serves; the password is in no output', async () => {
    configure();
    const r = await cli(['deploy', 'prod']);
    assert.equal(r.code, 0, r.out + r.err);
    const id = /^deploy (\S+) to prod: done/m.exec(r.out)?.[1];
    assert.ok(id, r.out);
    assert.match(r.out, new RegExp(`^\\[engine\\] push: ${registry.address.replace(/\./g, '\\.')}/team/${APP}:${id.replace(/\./g, '\\.')}, `, 'm'));
    assert.match(r.out, /^\[engine\] pull: \S+ pulled, tagged /m);
    assert.doesNotMatch(r.out, /transfer:/, 'the image was streamed instead of going through the registry');
    assert.ok(!(r.out + r.err).includes(registry.password), 'the registry password is in the output');
    assert.ok((await registryTags(registry)).includes(id), 'the release tag is not in the registry');
    const running = await remote.docker(['inspect', '--format', '{{.State.Running}} {{.Config.Image}}', `${APP}-${id}`]);
    assert.equal(running.stdout.trim(), `true ${APP}:${id}`);
    assert.equal((await httpGet(port, '/healthz')).status, 200);
  });

  it("a wrong password: exit 1 naming the registry's refusal with a hint, nothing replaced; a literal password is a config error", async () => {
    configure();
    const before = (await remote.docker(['ps', '-q', '--filter', `label=godeploy.app=${APP}`])).stdout.trim();
    setDeployappBuild(dir, 'build-2');
    const r = await cli(['deploy', 'prod'], 'wrong-password');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /push: FAIL pushing \S+ failed: .*(unauthorized|authentication required)/i);
    assert.match(r.out, /hint: the registry refused the credentials for 127\.0\.0\.1:\d+: check docker\.registryUser and docker\.registryPassword/);
    assert.ok(!r.out.includes('wrong-password'));
    assert.equal((await remote.docker(['ps', '-q', '--filter', `label=godeploy.app=${APP}`])).stdout.trim(), before, 'the running container changed');

    configure('hunter2');
    const v = await cli(['validate']);
    assert.equal(v.code, 2, v.out + v.err);
    assert.match(
      v.out + v.err,
      /godeploy\.yaml:\d+:\d+: error: environments\.prod\.docker\.registryPassword: invalid value \(not shown: it may be a secret\)\n {2}hint: expected a \$\{secret:NAME\} or \$\{env:NAME\} reference, never the password itself/,
    );
    assert.ok(!(v.out + v.err).includes('hunter2'), 'the literal password was echoed');
  });
});
