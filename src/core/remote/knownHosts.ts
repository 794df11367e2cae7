// OpenSSH known_hosts: lookup of a host key (plain, wildcard, negated and hashed host
// patterns, @revoked markers) and appending newly accepted keys.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type KnownHostStatus =
  | { status: 'known' }
  | { status: 'unknown' }
  /** The host has an entry with the same key type but a different key (OpenSSH's rule). */
  | { status: 'changed'; line: number; fingerprint: string; file: string }
  /** The presented key is listed under @revoked for this host (or for everyone). */
  | { status: 'revoked'; line: number; fingerprint: string; file: string };

/** `SHA256:<base64 without padding>` of the key blob, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob (e.g. `ssh-ed25519`). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return '';
  const len = keyBlob.readUInt32BE(0);
  return len > 0 && 4 + len <= keyBlob.length ? keyBlob.subarray(4, 4 + len).toString('latin1') : '';
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower-cased. */
export function hostKeyName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH `match_pattern`: `*` any run, `?` one character. */
export function matchPattern(text: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(text);
}

/** OpenSSH host pattern list: a `!pattern` match vetoes the line; else any positive match. */
export function matchHostPatterns(name: string, patterns: string): boolean {
  let positive = false;
  for (const raw of patterns.split(',')) {
    const neg = raw.startsWith('!');
    const p = (neg ? raw.slice(1) : raw).toLowerCase();
    if (!p || !matchPattern(name, p)) continue;
    if (neg) return false;
    positive = true;
  }
  return positive;
}

/** `|1|salt|hmac`: HMAC-SHA1 keyed by the salt over the host name, both base64. */
export function matchHashed(name: string, entry: string): boolean {
  const parts = entry.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  if (salt.length !== 20 || want.length !== 20) return false;
  return createHmac('sha1', salt).update(name).digest().equals(want);
}

export interface KnownHostEntry {
  line: number;
  marker?: '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** Parses the file; comments, blank and malformed lines are skipped (as OpenSSH does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const fields = rawLine.trim().split(/[ \t]+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked' && fields[0] !== '@cert-authority') return;
      marker = fields.shift() as KnownHostEntry['marker'];
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    out.push({ line: i + 1, marker, hosts, keyType, key: Buffer.from(b64, 'base64') });
  });
  return out;
}

function entryMatches(e: KnownHostEntry, name: string): boolean {
  return e.hosts.startsWith('|') ? matchHashed(name, e.hosts) : matchHostPatterns(name, e.hosts);
}

/**
 * Looks the presented host key up the way OpenSSH does: a @revoked line with this key wins
 * (never trusted); then any matching line with the same key makes it known; otherwise a
 * matching line with the same key type and a different key means the key changed (reported at
 * its first such line); otherwise (no entry, or only entries of other key types) it is unknown.
 * @cert-authority lines are ignored for now: host certificates are not supported, so a host
 * that is only trusted through a CA is reported unknown.
 */
export function lookup(file: string, host: string, port: number, keyType: string, keyBlob: Buffer): KnownHostStatus {
  if (!existsSync(file)) return { status: 'unknown' };
  const entries = parseKnownHosts(readFileSync(file, 'utf8'));
  const name = hostKeyName(host, port);
  const fingerprint = fingerprintSha256(keyBlob);
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(keyBlob) && entryMatches(e, name));
  if (revoked) return { status: 'revoked', line: revoked.line, fingerprint, file };
  const mine = entries.filter((e) => e.marker === undefined && entryMatches(e, name));
  if (mine.some((e) => e.keyType === keyType && e.key.equals(keyBlob))) return { status: 'known' };
  const changed = mine.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', line: changed.line, fingerprint, file };
  return { status: 'unknown' };
}

/**
 * Appends `name keytype base64` (plain, not hashed; `[host]:port` when port is not 22),
 * creating the folder 0700 and the file 0600 when missing.
 */
export function appendKnownHost(file: string, host: string, port: number, keyType: string, keyBlob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file) && statSync(file).size > 0) {
    const text = readFileSync(file);
    if (text[text.length - 1] !== 0x0a) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${hostKeyName(host, port)} ${keyType} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}
