/** The human-readable inspection report: the same text in `godeploy inspect` and the editor's Inspect Module. */
import type { ModuleInspection } from './inspect';
import type { Finding, MainPackageInspection } from './types';

const at = (f: Finding | null | undefined): string => (f ? `${f.file}:${f.line} ${f.reason}` : '');

/** The module's facts, then each main's, the deployed one marked. */
export function formatInspection(r: ModuleInspection): string {
  const lines = [
    `module     ${r.module}`,
    `go         ${r.goVersion ?? '(not set)'}${r.toolchain ? ` (toolchain ${r.toolchain})` : ''}`,
    `targets    ${r.targets.join(', ')}`,
    `read by    ${r.via === 'go list' ? 'go list' : `reading build constraints in the files (${r.viaReason ?? 'go list did not answer'})`}`,
    `vendored   ${r.vendored ? 'yes: builds use -mod=vendor' : 'no'}`,
  ];
  if (r.work) {
    lines.push(`go.work    ${r.work.file}: ${r.work.use.join(', ')}`);
    for (const m of r.work.members ?? [])
      if (m.dir !== '.')
        lines.push(
          `  member   ${m.dir} (${m.module ?? 'no go.mod'}): mains ${m.mains.join(', ') || '(none)'}${m.mains.length ? `; deploy them from there: godeploy -C ${m.dir} init` : ''}`,
        );
  }
  if (r.mainPackages.length === 0) lines.push(`mains      ${r.mains.length ? r.mains.join(', ') : '(none)'}`);
  for (const m of r.mainPackages) lines.push('', ...formatMain(m, m.path === r.main));
  return lines.join('\n');
}

/** One main's facts with their evidence. */
export function formatMain(m: MainPackageInspection, chosen: boolean): string[] {
  const settings = m.port.settings
    .filter((s) => s.kind !== 'fixed')
    .map((s) => (s.kind === 'flag' ? `flag ${s.name}${s.address ? ' (an address)' : ''}` : `env ${s.name}`));
  const fixed = m.port.port !== null && settings.length === 0 ? '; fixed in the code' : '';
  const serve = m.serve.kind === 'none' ? 'does not listen' : `${m.serve.kind === 'http' ? 'HTTP' : 'TCP (not HTTP)'}: ${m.serve.evidence.map(at).join('; ')}`;
  const lines = [
    `main ${m.path}  (binary ${m.binaryName})${chosen ? '  <- deployed' : ''}`,
    `  serves     ${serve}`,
    `  port       ${m.port.port ?? 'none found'}${m.port.source ? ` (${at(m.port.source)})` : ''}${settings.length ? `; set by ${settings.join(', ')}` : fixed}`,
    `  health     ${m.health.path ? `${m.health.path} (${at(m.health.source)})` : 'no HTTP route that answers 2xx found'}`,
    ...m.health.rejected.map((f) => `             not ${at(f)}`),
    `  cgo        ${m.cgo ? `yes: ${m.cgoReasons.map(at).join('; ')}` : 'no'}`,
  ];
  if (m.startArgs) lines.push(`  args       ${m.startArgs.args.join(' ')} (${at(m.startArgs.source)})`);
  if (m.sdNotify) lines.push(`  sd_notify  yes (${at(m.sdNotify)})`);
  if (m.embedFiles.length) lines.push(`  embed      ${m.embedFiles.join(', ')}`);
  return lines;
}
