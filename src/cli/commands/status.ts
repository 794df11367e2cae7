import { environmentStatus, formatAge, usageError } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';

export const statusCommand = defineCommand({
  name: 'status',
  positionals: 'ENV',
  summary: 'live release, service state, uptime and health per host',
  options: [{ ...jsonOption, description: "print every host's status (or its error) as JSON" }, acceptNewHostKeyOption],
  help: `Per host of environment ENV, in parallel: the live release and its version, the number of
releases, the service's state, pid and uptime, and one health check of the live release
(through an ssh port forward). A docker environment: its engine, the running release
container's state, pid, uptime and image. Exit 0 when every host is running and healthy, 1 otherwise.`,
  examples: [
    { line: 'godeploy status prod', comment: 'the live release, service state and health of every host of prod' },
    { line: 'godeploy status prod --json', comment: 'the same as JSON; exit 1 when a host is down or unhealthy' },
  ],
  run: (io, g, args, o) => runStatus(io, g, args, { json: o.json, acceptNewHostKey: o['accept-new-host-key'] }),
});

export async function runStatus(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (!envName) throw usageError('status: which environment?', 'godeploy status ENV');
  if (extra.length) throw usageError(`status: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  const s = await environmentStatus({ configFile: await resolveConfigPath(g), environment: envName, acceptNewHostKey: flags.acceptNewHostKey });
  const good = s.hosts.every(
    (h) => h.ok && h.value.service.running && h.value.health.healthy && (h.value.processes ?? []).every((p) => p.running && p.health?.healthy !== false),
  );
  if (flags.json) {
    io.json({
      environment: s.environment,
      base: s.base,
      hosts: s.hosts.map((h) =>
        h.ok ? { host: h.alias, address: h.address, ...h.value, error: null } : { host: h.alias, address: h.address, error: h.error },
      ),
    });
    return good ? 0 : 1;
  }
  for (const h of s.hosts) {
    if (!h.ok) {
      io.out(`${h.alias} (${h.address}): FAIL ${h.error}${h.hint ? `\n  hint: ${h.hint}` : ''}`);
      continue;
    }
    const v = h.value;
    io.out(`${h.alias} (${h.address})`);
    io.out(`  live     ${v.live ?? 'none'}${v.version ? ` (version ${v.version})` : ''}, ${v.releases} release${v.releases === 1 ? '' : 's'} on the host`);
    io.out(
      `  service  ${v.service.state}${v.service.pid ? `, pid ${v.service.pid}` : ''}${v.service.uptimeSeconds !== null ? `, up ${formatAge(v.service.uptimeSeconds)}` : ''}`,
    );
    if (v.image) io.out(`  image    ${v.image}`);
    io.out(`  health   ${v.health.healthy ? 'healthy' : 'UNHEALTHY'} (${v.health.answer})`);
    // strategy canary: a rollout in progress (or left) on the host; maintenance mode when on.
    const r = v.rollout;
    if (r && (r.status === 'progressing' || r.status === 'paused'))
      io.out(`  canary   ${r.release} at ${r.weight}% (step ${r.step + 1}/${r.policy.steps.length}, ${r.status}): godeploy rollout status ${s.environment}`);
    if (v.maintenance) io.out(`  maintenance on: nginx answers 503 (godeploy maintenance off ${s.environment})`);
    // Several processes: one line each (service and health above are the first's).
    if ((v.processes?.length ?? 0) > 1)
      for (const p of v.processes!)
        io.out(
          `  process  ${p.name} (${p.service}): ${p.state}${p.pid ? `, pid ${p.pid}` : ''}${p.uptimeSeconds !== null ? `, up ${formatAge(p.uptimeSeconds)}` : ''}${p.health ? `, ${p.health.healthy ? 'healthy' : 'UNHEALTHY'}` : ''}${p.port ? `, port ${p.port}` : ''}`,
        );
  }
  return good ? 0 : 1;
}
