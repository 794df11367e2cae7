// Pure helpers for choosing build targets in the editor (no vscode import, so they are
// easy to test): the order the picker lists them in and what it preselects.

/** The targets most deployments need, listed first in the picker. */
export const COMMON_TARGETS: readonly string[] = ['linux/amd64', 'linux/arm64', 'linux/arm/7', 'darwin/arm64', 'darwin/amd64', 'windows/amd64'];

/** The workspaceState key of the last targets chosen in Go Deploy: Cross-Compile. */
export const LAST_TARGETS_KEY = 'godeploy.crossCompile.lastTargets';

/** The common targets, then every other one of the toolchain (sorted), each once. */
export function orderTargets(available: readonly string[]): string[] {
  const rest = [...new Set(available)].filter((t) => !COMMON_TARGETS.includes(t)).sort();
  return [...COMMON_TARGETS, ...rest];
}

/**
 * What the picker checks at first: the last choice remembered for the workspace, else
 * build.targets of godeploy.yaml, else nothing. Targets the list does not offer are
 * dropped, except "os/arch/variant" ids whose os/arch is offered (the list has variants
 * only for the common ones, yet a remembered or configured variant stays valid).
 */
export function initialSelection(offered: readonly string[], remembered: readonly string[] | undefined, configured: readonly string[] | undefined): string[] {
  const usable = (t: string) => offered.includes(t) || (t.split('/').length === 3 && offered.includes(t.split('/').slice(0, 2).join('/')));
  for (const source of [remembered, configured]) {
    const picked = [...new Set(source ?? [])].filter(usable);
    if (picked.length) return picked;
  }
  return [];
}

/** The picker's list: `orderTargets`, plus any preselected variant it does not list yet. */
export function pickerTargets(available: readonly string[], selected: readonly string[]): string[] {
  const ordered = orderTargets(available);
  return [...ordered, ...selected.filter((t) => !ordered.includes(t))];
}

/** Whether a value is a list of target ids, as remembered or passed to the command. */
export function isTargetList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((t) => typeof t === 'string' && /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9.]+)?$/.test(t));
}

/** 1536 → "1.5 KiB", 7340032 → "7.0 MiB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
