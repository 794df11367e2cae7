/**
 * Which main package `init` writes into godeploy.yaml: the one that serves. Several that serve
 * are a question for the user (the editor asks with a quick pick; the CLI lists them for --main).
 */
import { usageError } from '../errors';
import type { MainPackageInspection, WorkspaceMember } from '../gomod/types';

/** The part of an inspection the choice needs. */
export interface MainsOfModule {
  module: string;
  mains: string[];
  mainPackages: MainPackageInspection[];
  work?: { members?: WorkspaceMember[] } | null;
}

/** A main asked for that lives in another module of the workspace: which member, and the -C that reaches it. */
export function otherMemberMain(inspection: Pick<MainsOfModule, 'work'>, requested: string): { member: WorkspaceMember; main: string } | null {
  const wanted = normalizeMain(requested);
  for (const member of inspection.work?.members ?? []) {
    if (member.dir === '.') continue;
    const prefix = member.dir.startsWith('..') ? member.dir : `./${member.dir}`;
    if (wanted !== prefix && !wanted.startsWith(`${prefix}/`)) continue;
    const main = wanted === prefix ? '.' : `./${wanted.slice(prefix.length + 1)}`;
    return { member, main };
  }
  return null;
}

/** One line of evidence for a main: how it serves, its port and health, or that it does not serve. */
export function describeMain(m: MainPackageInspection): string {
  const serve = m.serve.evidence[0];
  const how =
    m.serve.kind === 'none' ? 'does not listen' : `${m.serve.kind === 'http' ? 'serves HTTP' : 'listens'}${serve ? ` (${serve.file}:${serve.line})` : ''}`;
  const port = m.port.port !== null ? `, port ${m.port.port}` : '';
  const health = m.health.path ? `, health ${m.health.path}` : '';
  const args = m.startArgs ? `, runs as \`${[m.binaryName, ...m.startArgs.args].join(' ')}\`` : '';
  return `${m.path}: ${how}${port}${health}${args}`;
}

/** The mains that serve: listen on a port, or run a long-lived subcommand. */
export function servingMains(inspection: Pick<MainsOfModule, 'mainPackages'>): MainPackageInspection[] {
  return inspection.mainPackages.filter((m) => m.serve.kind !== 'none' || m.startArgs !== null);
}

/** chooseMain without a request and without throwing: null where chooseMain would ask. */
export function defaultMainOf(inspection: MainsOfModule): string | null {
  try {
    return chooseMain(inspection);
  } catch {
    return null;
  }
}

/** Normalizes `cmd/api`, `./cmd/api/` to `./cmd/api`. */
export function normalizeMain(requested: string): string {
  const normalized = requested.replace(/\/+$/, '') || '.';
  return normalized === '.' || normalized.startsWith('./') || normalized.startsWith('../') ? normalized : `./${normalized}`;
}

/**
 * The requested main (checked), else the only serving main, else the main named like the module
 * or the only main. Several serving mains without a choice throw a usage error listing each with
 * its evidence; the editor asks first (servingMains) and passes the answer as `requested`.
 */
export function chooseMain(inspection: MainsOfModule, requested?: string): string {
  const all = inspection.mainPackages.length ? inspection.mainPackages.map((m) => m.path) : inspection.mains;
  if (requested) {
    const wanted = normalizeMain(requested);
    if (!all.includes(wanted)) {
      const other = otherMemberMain(inspection, requested);
      if (other) {
        const known = other.member.mains.includes(other.main);
        throw usageError(
          `${requested} is in the workspace module ${other.member.module ?? other.member.dir} (${other.member.dir}), not in ${inspection.module}`,
          known
            ? `a godeploy.yaml deploys a main of the module it sits beside: from this module's folder run \`godeploy -C ${other.member.dir} init --main ${other.main}\``
            : `its main packages: ${other.member.mains.join(', ') || '(none)'}; from this module's folder run \`godeploy -C ${other.member.dir} init\``,
        );
      }
      throw usageError(
        `${requested} is not a main package of ${inspection.module}`,
        all.length ? `main packages: ${all.join(', ')}` : 'the module has no main package',
      );
    }
    return wanted;
  }
  if (all.length === 0) throw usageError(`${inspection.module} has no main package to deploy`, 'add a package main with a func main() first');
  const serving = servingMains(inspection);
  if (serving.length === 1) return serving[0].path;
  if (serving.length > 1) {
    throw usageError(
      `${serving.length} main packages of ${inspection.module} serve:\n${serving.map((m) => `  ${describeMain(m)}`).join('\n')}`,
      `choose one with --main, for example: godeploy init --main ${serving[0].path}`,
    );
  }
  if (all.length === 1) return all[0];
  const moduleName = inspection.mainPackages.find((m) => m.path === '.')?.binaryName ?? inspection.module.split('/').pop();
  const named = inspection.mainPackages.find((m) => m.binaryName === moduleName);
  if (named) return named.path;
  throw usageError(
    `none of the ${all.length} main packages of ${inspection.module} listens on a port:\n${inspection.mainPackages.map((m) => `  ${describeMain(m)}`).join('\n')}`,
    `choose the one to deploy with --main, for example: godeploy init --main ${all[0]}`,
  );
}
