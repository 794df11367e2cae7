import { formatReleaseListing, listReleases } from '../../core/deploy/releases';
import { usageError } from '../../core/errors';
import type { CliIO } from '../io';
import type { GlobalOptions } from '../context';
import { onEnvironmentHosts } from './lock';

export const releasesHelp = `godeploy releases ENV [--json] [--accept-new-host-key]
  The releases on every host of environment ENV, in parallel: <base>/releases/<id>, sorted
  by id, the one <base>/current points to marked live, with the size of each release's
  executable. "no releases yet" when <base>/releases does not exist. Exit 0, or 1 when a
  host could not be read.`;

export async function runReleases(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (extra.length) throw usageError(`releases: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  const { base, outcomes } = await onEnvironmentHosts(g, envName, 'releases', flags.acceptNewHostKey, (h, b, d) => listReleases(h.runner, b, d.model.app.name));
  const failed = outcomes.filter((o) => !o.ok).length;
  if (flags.json) {
    io.json({
      environment: envName, base,
      hosts: outcomes.map((o) => ({ host: o.alias, address: o.address, ...(o.ok ? { ...o.value, error: null } : { exists: null, releases: [], currentTarget: null, error: o.error }) })),
    });
    return failed ? 1 : 0;
  }
  for (const line of formatReleaseListing(base, outcomes.map((o) => ({ ...o, head: `${o.alias} (${o.address})` })), 'oldest-first')) io.out(line);
  return failed ? 1 : 0;
}
