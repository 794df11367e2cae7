import { environmentDoctor, formatDoctorReport, usageError, type HostReport } from '../../core';
import type { CliIO } from '../io';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { withCancellation } from '../signals';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const doctorCommand = defineCommand({
  name: 'doctor',
  positionals: 'ENV',
  summary: 'preflight checks on every host of an environment',
  options: [{ ...jsonOption, description: "print every host's checks (id, status, detail, hint) as JSON" }, acceptNewHostKeyOption],
  help: `Preflight checks on every host of environment ENV, in parallel (type local: this machine):
reachable (host key verified, authentication), platform (uname → GOOS/GOARCH, against
build.targets), disk (free space under the base path), port (app.port free, or who holds
it), process manager (systemd/supervisor), open files (ulimit -n), tzdata, CA
certificates, clock skew. For a docker environment: the engine (docker.host, else
DOCKER_HOST, else the local socket) reachable and its version, its platform, free space
under its data folder, and who holds app.port. An unknown host key is refused unless --accept-new-host-key,
which records it in the environment's knownHostsFile. Exit 0 when no check failed
(warnings allowed), 1 when one did, 2 for usage or config errors.`,
  examples: [
    { line: 'godeploy doctor staging', comment: 'check every host of staging before a first deploy' },
    { line: 'godeploy doctor prod --json', comment: "every host's checks as JSON" },
  ],
  run: (io, g, args, o) => runDoctor(io, g, args, { json: o.json, acceptNewHostKey: o['accept-new-host-key'] }),
});

export async function runDoctor(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (extra.length) throw usageError(`doctor: unexpected argument ${JSON.stringify(extra[0])}`, 'check one environment at a time');
  const configFile = await resolveConfigPath(g);
  const { hosts } = await withCancellation(io, { first: 'cancelling the checks…' }, (token) =>
    environmentDoctor({ configFile, environment: envName, access: { acceptNewHostKey: flags.acceptNewHostKey, token, env: io.env } }),
  );
  return printReports(io, envName!, hosts, flags.json);
}

/** The reports as text (or JSON), then the exit code: 1 when a check failed. */
function printReports(io: CliIO, envName: string, hosts: HostReport[], json: boolean): number {
  const all = hosts.flatMap((h) => h.checks);
  const failures = all.filter((c) => c.status === 'fail').length;
  if (json) {
    io.json({
      environment: envName,
      hosts: hosts.map((h) => ({
        host: h.host,
        address: h.address,
        checks: h.checks.map((c) => ({ id: c.id, status: c.status, detail: c.detail, hint: c.hint ?? null })),
      })),
    });
  } else {
    io.out(formatDoctorReport(hosts));
    const warnings = all.filter((c) => c.status === 'warn').length;
    const noun = hosts.every((h) => h.host === 'engine') ? 'engine' : 'host';
    io.out(`${envName}: ${hosts.length} ${noun}${hosts.length === 1 ? '' : 's'}, ${failures} failed, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  }
  return failures ? 1 : 0;
}
