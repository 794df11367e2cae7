import { environmentReleases, usageError } from '../../core';
import type { CliIO } from '../io';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { withCancellation } from '../signals';
import { resolveConfigPath, type GlobalOptions } from '../context';

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
  examples: [
    { line: 'godeploy releases prod', comment: 'the releases on each host of prod, the live one marked' },
    { line: 'godeploy releases prod --json', comment: "every host's releases as JSON" },
  ],
  run: (io, g, args, o) => runReleases(io, g, args, { json: o.json, acceptNewHostKey: o['accept-new-host-key'] }),
});

export async function runReleases(io: CliIO, g: GlobalOptions, args: string[], flags: { json: boolean; acceptNewHostKey: boolean }): Promise<number> {
  const [envName, ...extra] = args;
  if (extra.length) throw usageError(`releases: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  const configFile = await resolveConfigPath(g);
  const report = await withCancellation(io, {}, (token) =>
    environmentReleases({ configFile, environment: envName, access: { acceptNewHostKey: flags.acceptNewHostKey, token, env: io.env } }),
  );
  if (flags.json) io.json(report.json());
  else for (const line of report.lines('oldest-first')) io.out(line);
  return report.hosts.some((o) => !o.ok) ? 1 : 0;
}
