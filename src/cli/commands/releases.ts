import { formatReleaseListing, listReleases } from '../../core/targets/hosts/releases';
import { usageError } from '../../core/errors';
import type { CliIO } from '../io';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { loadEnvironment } from '../../core/environment/load';
import { dockerReleases, formatDockerReleases } from '../../core/targets/docker/dockerStatus';
import { onEnvironmentHosts } from './lock';

export const releasesCommand = defineCommand({
  name: 'releases',
  positionals: 'ENV',
  summary: 'the releases on every host, the live one marked',
  options: [{ ...jsonOption, description: "print every host's releases (or its error) as JSON" }, acceptNewHostKeyOption],
  help: `The releases on every host of environment ENV, in parallel: <base>/releases/<id>, sorted
by id, the one <base>/current points to marked live, with the size of each release's
executable. "no releases yet" when <base>/releases does not exist. Exit 0, or 1 when a
host could not be read. A docker environment: the app's release containers on its
engine (<app>-<release>), the running one live, the others stopped for a rollback.`,
  run: (io, g, args, o) => runReleases(io, g, args, { json: o.json, acceptNewHostKey: o['accept-new-host-key'] }),
});

export async function runReleases(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (extra.length) throw usageError(`releases: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  const loaded = await loadEnvironment(await resolveConfigPath(g), envName, 'releases');
  if (loaded.env.type === 'docker') {
    const { address, outcome } = await dockerReleases(loaded, { acceptNewHostKey: flags.acceptNewHostKey });
    if (flags.json)
      io.json({
        environment: envName,
        engine: address,
        hosts: [
          outcome.ok
            ? { host: outcome.alias, address, releases: outcome.value, error: null }
            : { host: outcome.alias, address, releases: [], error: outcome.error },
        ],
      });
    else for (const line of formatDockerReleases(loaded, outcome)) io.out(line);
    return outcome.ok ? 0 : 1;
  }
  const { base, outcomes } = await onEnvironmentHosts(
    g,
    envName,
    'releases',
    flags.acceptNewHostKey,
    (h, b, d) => listReleases(h.runner, b, d.model.app.name),
    loaded,
  );
  const failed = outcomes.filter((o) => !o.ok).length;
  if (flags.json) {
    io.json({
      environment: envName,
      base,
      hosts: outcomes.map((o) => ({
        host: o.alias,
        address: o.address,
        ...(o.ok ? { ...o.value, error: null } : { exists: null, releases: [], currentTarget: null, error: o.error }),
      })),
    });
    return failed ? 1 : 0;
  }
  for (const line of formatReleaseListing(
    base,
    outcomes.map((o) => ({ ...o, head: `${o.alias} (${o.address})` })),
    'oldest-first',
  ))
    io.out(line);
  return failed ? 1 : 0;
}
