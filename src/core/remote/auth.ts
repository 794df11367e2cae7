// The authentication attempts for a connection: ssh-agent, then each identity file, with
// a record of what was tried or skipped for the error message (names only, never contents).
import { existsSync, readFileSync } from 'node:fs';
import { utils, type AnyAuthMethod, type AuthHandlerMiddleware, type ParsedKey } from 'ssh2';
import { GoDeployError } from '../errors';
import type { ResolvedHost } from './sshConfig';

/** The Windows OpenSSH agent (the ssh-agent service) listens on this named pipe. */
export const WINDOWS_OPENSSH_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

/** How many times askPassphrase is asked for one key file before the connection fails. */
export const PASSPHRASE_ATTEMPTS = 3;

/**
 * Where ssh-agent is: SSH_AUTH_SOCK when set (a socket, or on Windows a pipe or "pageant"),
 * else on Windows the OpenSSH agent's named pipe, else none.
 */
export function agentSocket(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { path: string; label: string } | undefined {
  const sock = env.SSH_AUTH_SOCK;
  if (sock) return { path: sock, label: 'ssh-agent (SSH_AUTH_SOCK)' };
  if (platform === 'win32') return { path: WINDOWS_OPENSSH_AGENT_PIPE, label: `ssh-agent (${WINDOWS_OPENSSH_AGENT_PIPE})` };
  return undefined;
}

export interface AuthOptions {
  /** Passphrase for encrypted identity files; else GODEPLOY_SSH_PASSPHRASE. */
  passphrase?: string;
  /**
   * Asked when an identity file is encrypted and no passphrase given decrypts it; asked
   * again (attempt 2, 3) after a wrong answer. undefined skips the key.
   */
  askPassphrase?: (keyFile: string, attempt: number) => Promise<string | undefined>;
  /** Told when an answer of askPassphrase decrypted the key (the editor may offer to keep it). */
  onPassphraseAccepted?: (keyFile: string, passphrase: string) => void;
  /** Wraps the time spent asking (the connection stops its timeout meanwhile). */
  whileAsking?: <T>(ask: () => Promise<T>) => Promise<T>;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** Labels of the methods offered to the server, in order. */
  tried: string[];
  /** Identity files (or the agent) not used, with the reason. */
  skipped: string[];
  /** Set when authentication must stop with this error (a passphrase wrong too often). */
  fatal?: GoDeployError;
  /** Records an ssh-agent that could not be used (ssh2 reports it and goes on). */
  agentFailed(e: Error): void;
}

type Candidate = { label: string; method: AnyAuthMethod } | { file: string };

const looksEncrypted = (e: Error): boolean => /encrypt|passphrase|decrypt/i.test(e.message);
const privateKeyOf = (parsed: ParsedKey | ParsedKey[]): ParsedKey => (Array.isArray(parsed) ? parsed[0] : parsed);

/**
 * ssh-agent first (SSH_AUTH_SOCK, or the Windows OpenSSH agent pipe) unless IdentitiesOnly,
 * then the identity files in order, each read when its turn comes: missing files are
 * skipped quietly (OpenSSH's default list names files that rarely all exist); an encrypted
 * key takes `passphrase` or GODEPLOY_SSH_PASSPHRASE, else askPassphrase (at most three
 * times, then authentication fails naming the file). A key the agent already let in is
 * never opened, so its passphrase is not asked for.
 */
export function planAuth(host: ResolvedHost, options: AuthOptions = {}): AuthPlan {
  const env = options.env ?? process.env;
  const username = host.user;
  const candidates: Candidate[] = [];
  const agent = host.identitiesOnly ? undefined : agentSocket(options.platform ?? process.platform, env);
  if (agent) candidates.push({ label: agent.label, method: { type: 'agent', username, agent: agent.path } });
  for (const file of host.identityFiles) candidates.push({ file });
  const secret = options.passphrase ?? env.GODEPLOY_SSH_PASSPHRASE;
  const whileAsking = options.whileAsking ?? (<T>(ask: () => Promise<T>) => ask());

  const plan: AuthPlan = {
    handler: undefined as unknown as AuthHandlerMiddleware,
    tried: [],
    skipped: [],
    agentFailed: (e) => {
      if (agent) plan.skipped.push(`${agent.label} (unavailable: ${e.message})`);
    },
  };

  /** The key in `file` for the server, or undefined after noting why not (fatal when the passphrase was wrong too often). */
  const openIdentity = async (file: string): Promise<ParsedKey | undefined> => {
    if (!existsSync(file)) {
      plan.skipped.push(`${file} (not found)`);
      return undefined;
    }
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      plan.skipped.push(`${file} (unreadable: ${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
    let parsed = utils.parseKey(data, secret);
    if (parsed instanceof Error && looksEncrypted(parsed) && options.askPassphrase) {
      for (let attempt = 1; attempt <= PASSPHRASE_ATTEMPTS; attempt++) {
        const answer = await whileAsking(() => options.askPassphrase!(file, attempt));
        if (answer === undefined) {
          plan.skipped.push(`${file} (encrypted; no passphrase entered)`);
          return undefined;
        }
        parsed = utils.parseKey(data, answer);
        if (!(parsed instanceof Error)) {
          options.onPassphraseAccepted?.(file, answer);
          break;
        }
        if (!looksEncrypted(parsed)) break;
        if (attempt === PASSPHRASE_ATTEMPTS) {
          plan.fatal = new GoDeployError(`the passphrase for ${file} was wrong ${PASSPHRASE_ATTEMPTS} times; not connecting`, {
            hint: `check the passphrase of that key (\`ssh-keygen -y -f ${file}\` asks for it), or load the key into ssh-agent`,
          });
          return undefined;
        }
      }
    }
    if (parsed instanceof Error) {
      plan.skipped.push(
        looksEncrypted(parsed)
          ? `${file} (encrypted; ${secret === undefined ? 'no passphrase given: set GODEPLOY_SSH_PASSPHRASE' : 'the passphrase does not decrypt it'})`
          : `${file} (not a private key ssh2 can read)`,
      );
      return undefined;
    }
    const key = privateKeyOf(parsed);
    if (!key.isPrivateKey()) {
      plan.skipped.push(`${file} (a public key, not a private key)`);
      return undefined;
    }
    return key;
  };

  const nextMethod = async (): Promise<{ label: string; method: AnyAuthMethod } | undefined> => {
    for (let c = candidates.shift(); c; c = candidates.shift()) {
      if ('method' in c) return c;
      const key = await openIdentity(c.file);
      if (plan.fatal) return undefined;
      if (key) return { label: c.file, method: { type: 'publickey', username, key } };
    }
    return undefined;
  };

  plan.handler = (_left, _partial, callback) => {
    const stop = callback as unknown as (a: false) => void;
    nextMethod().then(
      (m) => {
        if (!m) return stop(false);
        plan.tried.push(m.label);
        callback(m.method);
      },
      (e: unknown) => {
        plan.fatal = new GoDeployError(`could not prepare authentication: ${(e as Error).message}`, { cause: e });
        stop(false);
      },
    );
  };
  return plan;
}
