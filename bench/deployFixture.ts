// Helpers for deploy.bench.ts: a ~20 MB deployapp (an incompressible, reproducible blob
// embedded with //go:embed), its godeploy.yaml, and the shell baseline a person would
// write with the OpenSSH client (scp into a new release folder, ssh to switch the symlink
// and restart the unit, poll the health check until it answers 200).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sshOptions, type SshTarget } from '../test/integration/fixtures/sshd';
import { run } from '../test/integration/fixtures/util';
import { fixtureModules } from '../test/support/paths';

/** Deterministic bytes from a seed (splitmix32): incompressible, the same on every run. */
export function seededBytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let s = seed >>> 0;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    out.writeUInt32LE((z ^ (z >>> 16)) >>> 0, i);
  }
  for (; i < size; i++) out[i] = (s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) >>> 0) & 0xff;
  return out;
}

/**
 * Copies test/fixtures/modules/deployapp to `dir` and embeds `blobBytes` seeded random bytes
 * (blob.bin via stdlib embed; an init function reads it, so the linker keeps it).
 */
export function makeBigDeployapp(dir: string, blobBytes: number, seed = 20261121): void {
  cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'blob.bin'), seededBytes(blobBytes, seed));
  writeFileSync(
    path.join(dir, 'blob.go'),
    [
      '// Ballast for the deploy benchmark: makes the executable ~20 MB of incompressible data.',
      'package main',
      '',
      'import _ "embed"',
      '',
      '//go:embed blob.bin',
      'var blob []byte',
      '',
      'var blobCheck byte',
      '',
      'func init() {',
      '\tfor i := 0; i < len(blob); i += 4096 {',
      '\t\tblobCheck ^= blob[i]',
      '\t}',
      '}',
      '',
    ].join('\n'),
  );
}

/** Rewrites `const build = "…"` so the next build is a different executable. */
export function setBuild(dir: string, build: string): void {
  const f = path.join(dir, 'main.go');
  const text = readFileSync(f, 'utf8');
  const next = text.replace(/const build = "[^"]*"/, `const build = "${build}"`);
  if (next === text && !text.includes(`const build = "${build}"`)) throw new Error(`no build constant in ${f}`);
  writeFileSync(f, next);
}

export interface BenchHost {
  host: string;
  port: number;
  identityFile: string;
}

/**
 * A godeploy config file (`file` in `dir`): the app and one ssh environment `prod` of `hosts`,
 * with the known_hosts file next to it. Every bench config names its environment `prod`, so
 * they all render the same systemd unit (its header names the environment): a host deployed
 * from two of them does not get its unit reinstalled at each switch between them.
 */
export function writeBenchConfig(dir: string, file: string, o: { port: number; intervalMs: number; hosts: BenchHost[]; deltaUpload?: boolean }): string {
  const lines = [
    'app:',
    '  name: deployapp',
    `  port: ${o.port}`,
    '  healthCheck:',
    '    path: /healthz',
    '    timeout: 30s',
    `    interval: ${o.intervalMs}ms`,
    'build:',
    '  ldflags: "-s -w -X main.version={{.Version}}"',
    'environments:',
    '  prod:',
    '    type: ssh',
    '    hosts:',
    ...o.hosts.flatMap((h) => [`      - host: ${h.host}`, `        port: ${h.port}`, '        user: root', `        identityFile: ${h.identityFile}`]),
    '    knownHostsFile: known_hosts',
    '    path: /opt/deployapp',
    '    keepReleases: 3',
    ...(o.deltaUpload === undefined ? [] : [`    deltaUpload: ${o.deltaUpload}`]),
  ];
  const out = path.join(dir, file);
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}

/** One GET without keep-alive (as godeploy's own health gate does): the status, or 0 when nothing answers. */
function getStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 2000, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** GET http://127.0.0.1:port/path every `intervalMs` until it answers 200; the number of attempts. */
export async function pollHealthy(port: number, urlPath: string, intervalMs: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (let attempt = 1; ; attempt++) {
    if ((await getStatus(port, urlPath)) === 200) return attempt;
    if (performance.now() - start + intervalMs > timeoutMs) throw new Error(`http://127.0.0.1:${port}${urlPath} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ShellDeployTimings {
  scp: number;
  switchRestart: number;
  health: number;
  total: number;
}

/**
 * The baseline: `scp -r` a folder holding the executable into <base>/releases/<id> (a new
 * release folder), one `ssh` that points current at it (ln -s to a temporary name, mv -T over
 * current) and restarts the unit, then polls the health check from this machine. OpenSSH
 * client, the host's key in known_hosts, StrictHostKeyChecking=yes.
 */
export async function shellDeploy(
  t: SshTarget,
  o: { releaseDir: string; base: string; unit: string; appPort: number; healthPath: string; intervalMs: number },
): Promise<ShellDeployTimings> {
  const id = path.basename(o.releaseDir);
  const t0 = performance.now();
  const scp = await run('scp', [...sshOptions(t), '-q', '-r', '-P', String(t.port), o.releaseDir, `${t.user}@${t.host}:${o.base}/releases/`], {
    timeoutMs: 120_000,
  });
  if (scp.code !== 0) throw new Error(`baseline scp failed (${scp.code}): ${scp.stderr}`);
  const t1 = performance.now();
  // reset-failed as godeploy's restart does: deploys in quick succession would hit the unit's start rate limit.
  const script = `set -e; cd ${o.base}; rm -f .current.tmp; ln -s releases/${id} .current.tmp; mv -T .current.tmp current; systemctl reset-failed ${o.unit} 2>/dev/null || true; systemctl restart ${o.unit}`;
  const ssh = await run('ssh', [...sshOptions(t), '-p', String(t.port), `${t.user}@${t.host}`, script], { timeoutMs: 120_000 });
  if (ssh.code !== 0) throw new Error(`baseline ssh failed (${ssh.code}): ${ssh.stderr}`);
  const t2 = performance.now();
  await pollHealthy(o.appPort, o.healthPath, o.intervalMs, 30_000);
  const t3 = performance.now();
  return { scp: t1 - t0, switchRestart: t2 - t1, health: t3 - t2, total: t3 - t0 };
}
