import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { appendKnownHost, fingerprintSha256, hostKeyName, keyTypeOf, lookup, matchHostPatterns, parseKnownHosts } from '../../src/core/remote/knownHosts';
import { requireProgram } from '../support/programs';

interface Key {
  type: string;
  blob: Buffer;
  line: string;
  fingerprint: string;
}

function keygen(dir: string, name: string, type = 'ed25519'): Key {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const [t, b64] = line.split(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
    .toString()
    .split(/\s+/)[1];
  return { type: t, blob: Buffer.from(b64, 'base64'), line: `${t} ${b64}`, fingerprint };
}

describe('known_hosts', function () {
  this.timeout(60_000);
  let dir: string;
  let a: Key;
  let b: Key;
  let rsa: Key;
  before(() => {
    requireProgram('ssh-keygen', 'the OpenSSH client tools');
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-kh-'));
    a = keygen(dir, 'a');
    b = keygen(dir, 'b');
    rsa = keygen(dir, 'r', 'rsa');
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('fingerprints exactly as ssh-keygen -l prints them, and reads the key type from the blob', () => {
    assert.equal(fingerprintSha256(a.blob), a.fingerprint);
    assert.equal(fingerprintSha256(rsa.blob), rsa.fingerprint);
    assert.equal(keyTypeOf(a.blob), 'ssh-ed25519');
    assert.equal(keyTypeOf(rsa.blob), 'ssh-rsa');
  });

  it('names non-22 ports [host]:port, lower-cased', () => {
    assert.equal(hostKeyName('Example.COM', 22), 'example.com');
    assert.equal(hostKeyName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  it('matches comma lists, wildcards and negations like OpenSSH', () => {
    assert.ok(matchHostPatterns('web1.example.com', 'db,web?.example.com'));
    assert.ok(matchHostPatterns('web1.example.com', '*.example.com'));
    assert.ok(!matchHostPatterns('web1.example.com', '*.example.com,!web1.example.com'));
    assert.ok(!matchHostPatterns('web1.example.com', '!web1.example.com'));
    assert.ok(!matchHostPatterns('web10.example.com', 'web?.example.com'));
    assert.ok(matchHostPatterns('[10.0.0.1]:2222', '[10.0.0.1]:2222'));
    assert.ok(!matchHostPatterns('10.0.0.1', '[10.0.0.1]:2222'));
    assert.ok(matchHostPatterns('a.example.com', 'A.Example.Com'));
  });

  it('skips comments, blank, malformed and unknown-marker lines and keeps line numbers', () => {
    const e = parseKnownHosts(`# comment\n\n   \nhost-only\n@weird h ${a.line}\nh1 ${a.line} a comment\n`);
    assert.equal(e.length, 1);
    assert.equal(e[0].line, 6);
  });

  it('finds known, unknown and changed keys (same type, different key) with the line to look at', () => {
    const f = write('plain', `# hosts\nother.example ${b.line}\nweb.example,10.0.0.5 ${a.line}\n[web.example]:2222 ${b.line}\n`);
    assert.deepEqual(lookup(f, 'web.example', 22, a.type, a.blob), { status: 'known' });
    assert.deepEqual(lookup(f, '10.0.0.5', 22, a.type, a.blob), { status: 'known' });
    assert.deepEqual(lookup(f, 'WEB.example', 22, a.type, a.blob), { status: 'known' });
    assert.deepEqual(lookup(f, 'nobody.example', 22, a.type, a.blob), { status: 'unknown' });
    assert.deepEqual(lookup(f, 'web.example', 2222, a.type, a.blob), { status: 'changed', line: 4, fingerprint: a.fingerprint, file: f });
    assert.deepEqual(lookup(f, 'web.example', 2222, b.type, b.blob), { status: 'known' });
    assert.deepEqual(lookup(path.join(dir, 'missing'), 'web.example', 22, a.type, a.blob), { status: 'unknown' });
  });

  it('treats a host known only by another key type as unknown, and a second matching key as known', () => {
    const f = write('types', `h ${rsa.line}\nh ${b.line}\nh ${a.line}\n`);
    assert.deepEqual(lookup(f, 'h', 22, a.type, a.blob), { status: 'known' });
    const g = write('types2', `h ${rsa.line}\n`);
    assert.deepEqual(lookup(g, 'h', 22, a.type, a.blob), { status: 'unknown' });
  });

  it('never trusts @revoked keys and ignores @cert-authority lines', () => {
    const f = write('markers', `h ${a.line}\n@revoked * ${a.line}\n@cert-authority *.example ${b.line}\n`);
    assert.deepEqual(lookup(f, 'h', 22, a.type, a.blob), { status: 'revoked', line: 2, fingerprint: a.fingerprint, file: f });
    assert.deepEqual(lookup(f, 'x.example', 22, b.type, b.blob), { status: 'unknown' });
  });

  it('matches entries hashed by the real ssh-keygen -H, for port 22 and [host]:port', () => {
    const f = write('hashed', `web.example ${a.line}\n[10.0.0.7]:2200 ${b.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'pipe' });
    const text = readFileSync(f, 'utf8');
    assert.ok(!text.includes('web.example') && !text.includes('10.0.0.7'), text);
    assert.ok(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('|1|')),
      text,
    );
    assert.deepEqual(lookup(f, 'web.example', 22, a.type, a.blob), { status: 'known' });
    assert.deepEqual(lookup(f, '10.0.0.7', 2200, b.type, b.blob), { status: 'known' });
    assert.deepEqual(lookup(f, '10.0.0.7', 22, b.type, b.blob), { status: 'unknown' });
    assert.deepEqual(lookup(f, 'web.example', 22, b.type, b.blob), { status: 'changed', line: 1, fingerprint: b.fingerprint, file: f });
  });

  it('appends entries that ssh-keygen -F finds (port 22 and [host]:port), creating the file 0600 in a 0700 folder', () => {
    const f = path.join(dir, 'new', 'sub', 'known_hosts');
    appendKnownHost(f, '10.0.0.9', 2201, a.type, a.blob);
    appendKnownHost(f, 'Plain.Example', 22, b.type, b.blob);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(f)).mode & 0o777, 0o700);
    assert.equal(readFileSync(f, 'utf8'), `[10.0.0.9]:2201 ${a.line}\nplain.example ${b.line}\n`);
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.9]:2201', '-f', f]).toString();
    assert.match(found, /Host \[10\.0\.0\.9\]:2201 found: line 1/);
    assert.match(execFileSync('ssh-keygen', ['-F', 'plain.example', '-f', f]).toString(), /found: line 2/);
    assert.deepEqual(lookup(f, '10.0.0.9', 2201, a.type, a.blob), { status: 'known' });
  });

  it('adds a newline before appending to a file that lacks one', () => {
    const f = write('nonl', `h ${a.line}`);
    appendKnownHost(f, 'g', 22, b.type, b.blob);
    assert.equal(readFileSync(f, 'utf8'), `h ${a.line}\ng ${b.line}\n`);
  });

  it('agrees with ssh-keygen -F on which host a hashed file knows', () => {
    const f = write('hashed2', `web.example ${a.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'pipe' });
    assert.match(execFileSync('ssh-keygen', ['-F', 'web.example', '-f', f]).toString(), /found: line 1/);
    assert.throws(() => execFileSync('ssh-keygen', ['-F', 'other.example', '-f', f], { stdio: 'pipe' }));
    assert.deepEqual(lookup(f, 'other.example', 22, a.type, a.blob), { status: 'unknown' });
  });
});
