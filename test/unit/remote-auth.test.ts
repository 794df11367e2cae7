// Which ssh-agent a connection asks, and that an identity plan never reads a key it does not need.
import { strict as assert } from 'node:assert';
import { agentSocket, planAuth, WINDOWS_OPENSSH_AGENT_PIPE } from '../../src/core/remote/auth';
import type { ResolvedHost } from '../../src/core/remote/sshConfig';

describe('agentSocket', () => {
  it('uses SSH_AUTH_SOCK when set, on every platform', () => {
    assert.deepEqual(agentSocket('linux', { SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1' }), { path: '/tmp/ssh-x/agent.1', label: 'ssh-agent (SSH_AUTH_SOCK)' });
    assert.deepEqual(agentSocket('win32', { SSH_AUTH_SOCK: 'pageant' }), { path: 'pageant', label: 'ssh-agent (SSH_AUTH_SOCK)' });
    assert.deepEqual(agentSocket('win32', { SSH_AUTH_SOCK: '\\\\.\\pipe\\my-agent' })?.path, '\\\\.\\pipe\\my-agent');
  });

  it('falls back to the Windows OpenSSH agent pipe on win32 only', () => {
    assert.equal(WINDOWS_OPENSSH_AGENT_PIPE, '\\\\.\\pipe\\openssh-ssh-agent');
    assert.deepEqual(agentSocket('win32', {}), { path: WINDOWS_OPENSSH_AGENT_PIPE, label: `ssh-agent (${WINDOWS_OPENSSH_AGENT_PIPE})` });
    assert.deepEqual(agentSocket('win32', { SSH_AUTH_SOCK: '' })?.path, WINDOWS_OPENSSH_AGENT_PIPE);
    for (const p of ['linux', 'darwin', 'freebsd'] as const) assert.equal(agentSocket(p, {}), undefined, p);
  });
});

describe('planAuth', () => {
  const host: ResolvedHost = {
    alias: 'h',
    hostname: 'h',
    port: 22,
    user: 'deploy',
    identityFiles: ['/nonexistent/id_ed25519'],
    identitiesOnly: false,
    userKnownHostsFiles: [],
  };
  const offered = async (plan: ReturnType<typeof planAuth>): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (;;) {
      const m = await new Promise<unknown>((resolve) => plan.handler([], false, resolve as never));
      if (m === false) return out;
      out.push(m);
    }
  };

  it('offers the Windows agent pipe first on win32 without SSH_AUTH_SOCK, and none with IdentitiesOnly', async () => {
    const plan = planAuth(host, { platform: 'win32', env: {} });
    assert.deepEqual(await offered(plan), [{ type: 'agent', username: 'deploy', agent: WINDOWS_OPENSSH_AGENT_PIPE }]);
    assert.deepEqual(plan.tried, [`ssh-agent (${WINDOWS_OPENSSH_AGENT_PIPE})`]);
    assert.deepEqual(plan.skipped, ['/nonexistent/id_ed25519 (not found)']);
    const only = planAuth({ ...host, identitiesOnly: true }, { platform: 'win32', env: {} });
    assert.deepEqual(await offered(only), []);
  });

  it('notes an agent that cannot be reached', () => {
    const plan = planAuth(host, { platform: 'linux', env: { SSH_AUTH_SOCK: '/tmp/gone' } });
    plan.agentFailed(new Error('connect ENOENT /tmp/gone'));
    assert.deepEqual(plan.skipped, ['ssh-agent (SSH_AUTH_SOCK) (unavailable: connect ENOENT /tmp/gone)']);
  });
});
