// Which Docker Engine an environment means (docker.host, DOCKER_HOST, the default socket),
// and the message for each way of failing to reach it (the integration tier causes the
// permission denied for real by running the CLI as nobody; here every mapping is checked).
import { strict as assert } from 'node:assert';
import { DEFAULT_ENGINE, engineAddress, engineError } from '../../src/core/targets/docker/engine';
import { GoDeployError } from '../../src/core/errors';

describe('docker engine address and errors', () => {
  it('docker.host first, then DOCKER_HOST, then the local socket', () => {
    assert.deepEqual(engineAddress('unix:///run/user/1000/docker.sock', { DOCKER_HOST: 'tcp://10.0.0.1:2375' }), {
      url: 'unix:///run/user/1000/docker.sock',
      kind: 'unix',
      socketPath: '/run/user/1000/docker.sock',
      from: 'docker.host',
    });
    assert.deepEqual(engineAddress(undefined, { DOCKER_HOST: 'tcp://10.0.0.1:2376' }), {
      url: 'tcp://10.0.0.1:2376',
      kind: 'tcp',
      host: '10.0.0.1',
      port: 2376,
      from: 'DOCKER_HOST',
    });
    assert.deepEqual(engineAddress(undefined, {}), { url: DEFAULT_ENGINE, kind: 'unix', socketPath: '/var/run/docker.sock', from: 'the default' });
    assert.deepEqual(engineAddress('tcp://[::1]:2375', {}), { url: 'tcp://[::1]:2375', kind: 'tcp', host: '::1', port: 2375, from: 'docker.host' });
  });

  it('ssh://[user@]host[:port][/socket]: the socket defaults to /var/run/docker.sock', () => {
    assert.deepEqual(engineAddress('ssh://deploy@web1:2222/run/user/1000/docker.sock', {}), {
      url: 'ssh://deploy@web1:2222/run/user/1000/docker.sock',
      kind: 'ssh',
      user: 'deploy',
      host: 'web1',
      port: 2222,
      socketPath: '/run/user/1000/docker.sock',
      from: 'docker.host',
    });
    assert.deepEqual(engineAddress(undefined, { DOCKER_HOST: 'ssh://web1' }), {
      url: 'ssh://web1',
      kind: 'ssh',
      user: undefined,
      host: 'web1',
      port: undefined,
      socketPath: '/var/run/docker.sock',
      from: 'DOCKER_HOST',
    });
    assert.equal(engineAddress('ssh://ops@[::1]:22', {}).host, '::1');
  });

  it('npipe:// is refused; anything else is not an address (exit 2, naming where it came from)', () => {
    assert.throws(
      () => engineAddress('npipe:////./pipe/docker_engine', {}, 'environments.prod.docker.host'),
      (e: GoDeployError) =>
        e.exitCode === 2 &&
        /^environments\.prod\.docker\.host: npipe:\/\/\/\/\.\/pipe\/docker_engine: npipe:\/\/ engines \(Docker Desktop on Windows\) are not supported$/.test(
          e.message,
        ),
    );
    assert.throws(
      () => engineAddress('ssh://', {}),
      (e: GoDeployError) => e.exitCode === 2 && /is not an ssh engine address/.test(e.message) && /ssh:\/\/USER@HOST/.test(e.hint ?? ''),
    );
    assert.throws(
      () => engineAddress(undefined, { DOCKER_HOST: 'tcp://nohost' }),
      (e: GoDeployError) =>
        e.exitCode === 2 && /^DOCKER_HOST: "tcp:\/\/nohost" is not an engine address$/.test(e.message) && /tcp:\/\/HOST:PORT/.test(e.hint ?? ''),
    );
  });

  it('each failure names the address and says what to do', () => {
    const unix = engineAddress(undefined, {});
    const tcp = engineAddress('tcp://127.0.0.1:2375', {});
    const err = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
    const denied = engineError(unix, err('EACCES'));
    assert.equal(denied.message, 'permission denied on /var/run/docker.sock (the Docker engine at unix:///var/run/docker.sock (the default))');
    assert.match(denied.hint ?? '', /docker group/);
    assert.equal(
      engineError(unix, err('ENOENT')).message,
      'the Docker engine at unix:///var/run/docker.sock (the default) is not running: /var/run/docker.sock does not exist',
    );
    assert.equal(engineError(tcp, err('ECONNREFUSED')).message, 'the Docker engine at tcp://127.0.0.1:2375 (docker.host) refused the connection');
    assert.match(engineError(tcp, err('ETIMEDOUT')).message, /did not answer in time$/);
    assert.match(engineError(tcp, new Error('socket hang up')).message, /could not be reached: socket hang up$/);
    assert.match(engineError(tcp, Object.assign(new Error('connect'), { name: 'AbortError' })).message, /did not answer in time$/);
    const plain = engineError(tcp, new Error('(HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.'));
    assert.equal(plain.message, 'the Docker engine at tcp://127.0.0.1:2375 (docker.host) wants TLS, and no client certificate was given');
    assert.match(plain.hint ?? '', /DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH/);
    assert.match(
      engineError(tcp, err('SELF_SIGNED_CERT_IN_CHAIN')).message,
      /^the TLS handshake with the Docker engine at tcp:\/\/127\.0\.0\.1:2375 \(docker\.host\) failed: /,
    );
  });
});
