import { homedir } from 'node:os';
import * as path from 'node:path';
import { CancellationSource } from '../../core/cancellation';
import { loadConfig } from '../../core/config/load';
import { embeddedDefaultEnvironment } from '../../core/config/model';
import { doctorChecks, doctorRemoteHost, runChecks, type HostReport } from '../../core/deploy/doctor';
import { localRunner } from '../../core/deploy/hostRunner';
import { usageError } from '../../core/errors';
import { buildGenerateModel } from '../../core/generate/model';
import { inspectModule } from '../../core/gomod/inspect';
import { expandHome, resolveHost } from '../../core/remote/sshConfig';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const doctorHelp = `godeploy doctor ENV [--json] [--accept-new-host-key]
  Preflight checks on every host of environment ENV, in parallel (type local: this machine):
  reachable (host key verified, authentication), platform (uname → GOOS/GOARCH, against
  build.targets), disk (free space under the base path), port (app.port free, or who holds
  it), process manager (systemd/supervisor), open files (ulimit -n), tzdata, CA
  certificates, clock skew. An unknown host key is refused unless --accept-new-host-key,
  which records it in the environment's knownHostsFile. Exit 0 when no check failed
  (warnings allowed), 1 when one did, 2 for usage or config errors.`;

export async function runDoctor(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (extra.length) throw usageError(`doctor: unexpected argument ${JSON.stringify(extra[0])}`, 'check one environment at a time');
  const { file, exists } = await resolveConfigPath(g);
  if (!exists) throw usageError(`no godeploy.yaml at ${file}`, 'run `godeploy init` next to go.mod first');
  const moduleDir = path.dirname(file);
  const inspection = await inspectModule(moduleDir);
  const { config } = await loadConfig(file, inspection);
  const environments = config.environments ?? embeddedDefaultEnvironment;
  if (!envName) throw usageError('doctor: which environment?', `environments: ${Object.keys(environments).join(', ') || '(none)'}`);
  const model = buildGenerateModel(config, inspection, { environment: envName });
  const env = environments[envName];
  if (env.type === 'docker') throw usageError('doctor for docker environments arrives with the Docker targets', 'check an ssh or local environment');
  if (env.type === 'ssh' && !env.hosts?.length) throw usageError(`environment "${envName}" has no hosts`, `add hosts to environments.${envName} in godeploy.yaml`);
  const checks = doctorChecks({
    port: model.app.port,
    basePath: model.paths.base,
    processManager: env.processManager ?? (env.type === 'ssh' ? 'systemd' : 'none'),
    targets: config.build?.targets ?? [],
    limitNOFILE: model.systemd.limitNOFILE,
  });

  const cancel = new CancellationSource();
  const onSigint = () => cancel.cancel();
  process.once('SIGINT', onSigint);
  let hosts: HostReport[];
  try {
    if (env.type === 'local') {
      const runner = localRunner();
      hosts = [{ host: 'local', address: runner.describe, checks: [{ id: 'reachable', title: 'reachable', status: 'ok', detail: 'this machine (type local)' }, ...await runChecks(runner, checks)] }];
    } else {
      const knownHostsFile = env.knownHostsFile ? expandHome(env.knownHostsFile, moduleDir) : path.join(homedir(), '.ssh', 'known_hosts');
      hosts = await Promise.all(env.hosts!.map((h) => doctorRemoteHost(
        { alias: h.host, resolve: () => resolveHost(h, { baseDir: moduleDir }) },
        checks,
        { knownHostsFile, acceptNewHostKey: flags.acceptNewHostKey, token: cancel.token },
      )));
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const all = hosts.flatMap((h) => h.checks);
  const failures = all.filter((c) => c.status === 'fail').length;
  if (flags.json) {
    io.json({ environment: envName, hosts: hosts.map((h) => ({ host: h.host, address: h.address, checks: h.checks.map((c) => ({ id: c.id, status: c.status, detail: c.detail, hint: c.hint ?? null })) })) });
  } else {
    io.out(formatDoctorReport(hosts));
    const warnings = all.filter((c) => c.status === 'warn').length;
    io.out(`${envName}: ${hosts.length} host${hosts.length === 1 ? '' : 's'}, ${failures} failed, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  }
  return failures ? 1 : 0;
}

/** `host (user@hostname:port)`, then `  ok   title  detail` per check, hints indented below. */
export function formatDoctorReport(hosts: HostReport[]): string {
  const width = Math.max(...hosts.flatMap((h) => h.checks.map((c) => c.title.length)));
  const label = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return hosts.map((h) => [
    `${h.host} (${h.address})`,
    ...h.checks.flatMap((c) => [
      `  ${label[c.status]} ${c.title.padEnd(width)}  ${c.detail}`,
      ...(c.hint ? [`${' '.repeat(width + 9)}hint: ${c.hint}`] : []),
    ]),
  ].join('\n')).join('\n\n');
}
