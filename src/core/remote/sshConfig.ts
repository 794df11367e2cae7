// Resolves a godeploy.yaml host entry the way the OpenSSH client would (`ssh -G`), so
// aliases, users, ports and identity files from ~/.ssh/config apply; godeploy.yaml wins.
import { execFile } from 'node:child_process';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { HostConfig } from '../config/model';
import { GoDeployError } from '../errors';

export interface ResolvedHost {
  /** The name as written in godeploy.yaml (an ssh_config alias, possibly). */
  alias: string;
  /** What to connect to (ssh_config `HostName`). */
  hostname: string;
  port: number;
  user: string;
  /** Absolute paths, in order; missing files are skipped when connecting (as OpenSSH does). */
  identityFiles: string[];
  identitiesOnly: boolean;
  proxyJump?: string;
  /** ssh_config `UserKnownHostsFile` entries, `~` expanded (informational; the environment's file is used). */
  userKnownHostsFiles: string[];
}

/** `~` and `~/...` to the home folder; relative paths stay relative to `base` when given. */
export function expandHome(p: string, base?: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return base && !isAbsolute(p) ? join(base, p) : p;
}

/** Parses `ssh -G` output: `key value` lines; repeated keys (identityfile) collected in order. */
export function parseSshG(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const k = line.slice(0, sp).toLowerCase();
    m.set(k, [...(m.get(k) ?? []), line.slice(sp + 1).trim()]);
  }
  return m;
}

function runSshG(args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; missing: boolean; message: string }> {
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout: String(stdout) });
      const e = err as NodeJS.ErrnoException;
      resolve({ ok: false, missing: e.code === 'ENOENT', message: String(stderr).trim() || e.message });
    });
  });
}

/**
 * Resolves `entry`: runs `ssh -G [-F configFile] [-p PORT] [-l USER] -- HOST` when the OpenSSH
 * client is installed and reads hostname, user, port, identityfile, identitiesonly, proxyjump
 * and userknownhostsfile. Without `ssh`, falls back to the entry itself, port 22, the local
 * user name and no identity files (ssh-agent only). Values from godeploy.yaml always win; an
 * identityFile there replaces the ssh_config list.
 */
export async function resolveHost(entry: HostConfig, options: { configFile?: string; baseDir?: string } = {}): Promise<ResolvedHost> {
  const alias = entry.host;
  if (!alias || alias.startsWith('-') || /[\s\0]/.test(alias)) {
    throw new GoDeployError(`invalid host name ${JSON.stringify(alias)}`, { hint: 'use a host name, an IP address or an ~/.ssh/config alias' });
  }
  const explicitIdentity = entry.identityFile ? [expandHome(entry.identityFile, options.baseDir)] : undefined;
  const args = ['-G'];
  if (options.configFile) args.push('-F', options.configFile);
  if (entry.port !== undefined) args.push('-p', String(entry.port));
  if (entry.user) args.push('-l', entry.user);
  args.push('--', alias);
  const r = await runSshG(args);
  if (!r.ok) {
    if (!r.missing) {
      throw new GoDeployError(`could not read the OpenSSH client configuration for ${alias}: ${r.message}`, {
        hint: `run \`ssh -G ${alias}\` to see the problem in ~/.ssh/config`,
      });
    }
    return {
      alias,
      hostname: alias,
      port: entry.port ?? 22,
      user: entry.user ?? userInfo().username,
      identityFiles: explicitIdentity ?? [],
      identitiesOnly: false,
      userKnownHostsFiles: [join(homedir(), '.ssh', 'known_hosts')],
    };
  }
  const g = parseSshG(r.stdout);
  const one = (k: string): string | undefined => g.get(k)?.[0];
  const port = Number(one('port') ?? '22');
  const proxyJump = one('proxyjump');
  return {
    alias,
    hostname: one('hostname') ?? alias,
    port: entry.port ?? (Number.isInteger(port) && port > 0 ? port : 22),
    user: entry.user ?? one('user') ?? userInfo().username,
    identityFiles: explicitIdentity ?? (g.get('identityfile') ?? []).map((p) => expandHome(p)),
    identitiesOnly: one('identitiesonly') === 'yes',
    proxyJump: proxyJump && proxyJump !== 'none' ? proxyJump : undefined,
    userKnownHostsFiles: (one('userknownhostsfile') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => expandHome(p)),
  };
}
