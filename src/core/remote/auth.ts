// The authentication attempts for a connection: ssh-agent, then each identity file, with
// a record of what was tried or skipped for the error message (names only, never contents).
import { existsSync, readFileSync } from 'node:fs';
import { utils, type AnyAuthMethod, type AuthHandlerMiddleware } from 'ssh2';
import type { ResolvedHost } from './sshConfig';

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** Labels of the methods offered to the server, in order. */
  tried: string[];
  /** Identity files not offered, with the reason. */
  skipped: string[];
}

/**
 * ssh-agent first when SSH_AUTH_SOCK is set (and IdentitiesOnly is off), then the identity
 * files in order. Missing files are skipped quietly (OpenSSH's default list names files that
 * rarely all exist); encrypted keys need `passphrase` or GODEPLOY_SSH_PASSPHRASE.
 */
export function planAuth(host: ResolvedHost, passphrase: string | undefined, env: NodeJS.ProcessEnv = process.env): AuthPlan {
  const methods: Array<{ label: string; method: AnyAuthMethod }> = [];
  const skipped: string[] = [];
  const username = host.user;
  const agentSock = env.SSH_AUTH_SOCK;
  if (agentSock && !host.identitiesOnly) methods.push({ label: 'ssh-agent (SSH_AUTH_SOCK)', method: { type: 'agent', username, agent: agentSock } });
  const secret = passphrase ?? env.GODEPLOY_SSH_PASSPHRASE;
  for (const file of host.identityFiles) {
    if (!existsSync(file)) { skipped.push(`${file} (not found)`); continue; }
    let data: Buffer;
    try { data = readFileSync(file); } catch (e) { skipped.push(`${file} (unreadable: ${(e as NodeJS.ErrnoException).code ?? 'error'})`); continue; }
    const parsed = utils.parseKey(data, secret);
    if (parsed instanceof Error) {
      const encrypted = /encrypt|passphrase|decrypt/i.test(parsed.message);
      skipped.push(encrypted
        ? `${file} (encrypted; ${secret === undefined ? 'no passphrase given: set GODEPLOY_SSH_PASSPHRASE' : 'the passphrase does not decrypt it'})`
        : `${file} (not a private key ssh2 can read)`);
      continue;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key.isPrivateKey()) { skipped.push(`${file} (a public key, not a private key)`); continue; }
    methods.push({ label: file, method: { type: 'publickey', username, key } });
  }
  const tried: string[] = [];
  let next = 0;
  const handler: AuthHandlerMiddleware = (_left, _partial, callback) => {
    const m = methods[next++];
    if (!m) return (callback as unknown as (a: false) => void)(false);
    tried.push(m.label);
    callback(m.method);
  };
  return { handler, tried, skipped };
}
