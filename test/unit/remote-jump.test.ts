// ProxyJump values as `ssh -G` prints them, parsed into hops.
import { strict as assert } from 'node:assert';
import { GoDeployError } from '../../src/core/errors';
import { parseProxyJump } from '../../src/core/remote/jump';

describe('parseProxyJump', () => {
  it('reads aliases, user@host:port, ssh:// URIs and bracketed IPv6, in order', () => {
    assert.deepEqual(parseProxyJump('bastion'), [{ host: 'bastion' }]);
    assert.deepEqual(parseProxyJump('j1,j2'), [{ host: 'j1' }, { host: 'j2' }]);
    assert.deepEqual(parseProxyJump('root@127.0.0.1:2222'), [{ host: '127.0.0.1', user: 'root', port: 2222 }]);
    assert.deepEqual(parseProxyJump('ops@j1, j2:2200 ,ssh://me@j3:22'), [
      { host: 'j1', user: 'ops' },
      { host: 'j2', port: 2200 },
      { host: 'j3', user: 'me', port: 22 },
    ]);
    assert.deepEqual(parseProxyJump('ssh://j4'), [{ host: 'j4' }]);
    assert.deepEqual(parseProxyJump('[::1]:2222,deploy@[fe80::1]'), [
      { host: '::1', port: 2222 },
      { host: 'fe80::1', user: 'deploy' },
    ]);
    assert.deepEqual(parseProxyJump('a@b@host'), [{ host: 'host', user: 'a@b' }], 'the user is everything before the last @, as in OpenSSH');
  });

  it('none or nothing is no jump', () => {
    assert.deepEqual(parseProxyJump('none'), []);
    assert.deepEqual(parseProxyJump(''), []);
  });

  it('refuses hops that are not host names, naming them', () => {
    for (const bad of ['-oProxyCommand=id', 'j1,,j2', 'host:0', 'host:99999', 'host:x', '@host', 'a b']) {
      assert.throws(
        () => parseProxyJump(bad),
        (e: unknown) => e instanceof GoDeployError && /invalid ProxyJump hop/.test(e.message),
        bad,
      );
    }
  });
});
