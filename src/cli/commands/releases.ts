import { listReleases } from '../../core/deploy/releases';
import { formatBytes } from '../../core/format';
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
  for (const o of outcomes) {
    const head = `${o.alias} (${o.address})`;
    if (!o.ok) {
      io.out(`${head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`);
      continue;
    }
    const l = o.value;
    if (!l.exists || !l.releases.length) {
      io.out(`${head}: no releases yet (${base}/releases ${l.exists ? 'is empty' : 'does not exist'})`);
      continue;
    }
    io.out(`${head}: ${l.releases.length} release${l.releases.length === 1 ? '' : 's'} in ${base}/releases`);
    const width = Math.max(...l.releases.map((r) => r.id.length));
    for (const r of l.releases) {
      io.out(`  ${r.current ? '*' : ' '} ${r.id.padEnd(width)}  ${r.binarySize === null ? 'no executable' : formatBytes(r.binarySize)}${r.current ? '  (live)' : ''}`);
    }
    if (l.currentTarget && !l.releases.some((r) => r.current)) io.out(`  current -> ${l.currentTarget} (not one of these releases)`);
    if (!l.currentTarget) io.out('  no current release (no current symlink)');
  }
  return failed ? 1 : 0;
}
