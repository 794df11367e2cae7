// The releases on a host: `<base>/releases/<id>/` (id: UTC timestamp plus version,
// 20261121T101500Z-v1.2.3), and `<base>/current`, a symlink to the live one.
import { GoDeployError } from '../../errors';
import { formatBytes } from '../../format';
import type { HostRunner } from '../../remote/hostRunner';
import { RELEASE_ID } from '../../release/releaseId';

export interface ReleaseInfo {
  id: string;
  /** Whether `current` resolves to this release. */
  current: boolean;
  /** Size in bytes of the release's executable (<release>/<app name>), null when it is missing. */
  binarySize: number | null;
  /** Whether it once passed its health gate (a release left by an interrupted deploy did not). */
  wentLive: boolean;
}

export interface ReleaseList {
  /** False when <base>/releases does not exist (nothing deployed yet). */
  exists: boolean;
  releases: ReleaseInfo[];
  /** What `current` points to as written (readlink), null when there is no `current`. */
  currentTarget: string | null;
}

// $1 base, $2 executable name. Tab-separated lines: "none" | "current\t<readlink>\t<resolved>",
// then "release\t<id>\t<resolved path>\t<size or ->\t<1 if it went live, else 0>" per folder under releases/
// (not a symlink; parseReleaseList keeps those named by a release id).
const LIST_SCRIPT = `b="$1"
[ -d "$b/releases" ] || { echo none; exit 0; }
echo exists
if [ -L "$b/current" ] || [ -e "$b/current" ]; then
  printf 'current\\t%s\\t%s\\n' "$(readlink "$b/current" 2>/dev/null)" "$(readlink -f "$b/current" 2>/dev/null)"
fi
for d in "$b"/releases/*; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  s=$(stat -c %s "$d/$2" 2>/dev/null) || s=-
  l=0; [ -e "$d/.went-live" ] && l=1
  printf 'release\\t%s\\t%s\\t%s\\t%s\\n' "\${d##*/}" "$(readlink -f "$d" 2>/dev/null)" "$s" "$l"
done`;

export function parseReleaseList(stdout: string): ReleaseList {
  const lines = stdout.split('\n').filter((l) => l !== '');
  if (lines[0] === 'none') return { exists: false, releases: [], currentTarget: null };
  let currentTarget: string | null = null;
  let currentResolved: string | null = null;
  const found: { id: string; resolved: string; size: number | null; live: boolean }[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    if (f[0] === 'current') {
      currentTarget = f[1] || null;
      currentResolved = f[2] || null;
    } else if (f[0] === 'release' && f.length >= 4 && RELEASE_ID.test(f[1])) {
      found.push({ id: f[1], resolved: f[2], size: /^\d+$/.test(f[3]) ? Number(f[3]) : null, live: f[4] === '1' });
    }
  }
  found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    exists: true,
    currentTarget,
    releases: found.map((r) => ({ id: r.id, current: currentResolved !== null && r.resolved === currentResolved, binarySize: r.size, wentLive: r.live })),
  };
}

/** The releases under `base` on the host, sorted by id, the live one marked. */
export async function listReleases(runner: HostRunner, base: string, binaryName: string): Promise<ReleaseList> {
  const r = await runner.exec(['sh', '-c', LIST_SCRIPT, 'sh', base, binaryName]);
  const first = r.stdout.split('\n')[0];
  if (r.code !== 0 || !/^(none|exists)$/.test(first)) {
    throw new GoDeployError(
      `${runner.describe}: listing ${base}/releases failed (exit ${r.code ?? 'signal'}): ${(r.stderr || r.stdout).trim().split('\n')[0] || 'no output'}`,
    );
  }
  return parseReleaseList(r.stdout);
}

/** One host's listing, or why it could not be read. */
export type HostReleases = { head: string } & ({ ok: true; value: ReleaseList } | { ok: false; error: string; hint?: string });

/**
 * `godeploy releases ENV` as text: per host, the releases with the live one marked (oldest
 * first, or newest first where the reader looks at the top).
 */
export function formatReleaseListing(base: string, hosts: HostReleases[], order: 'oldest-first' | 'newest-first'): string[] {
  const out: string[] = [];
  for (const o of hosts) {
    if (!o.ok) {
      out.push(`${o.head}: FAIL ${o.error}${o.hint ? `\n  hint: ${o.hint}` : ''}`);
      continue;
    }
    const l = o.value;
    if (!l.exists || !l.releases.length) {
      out.push(`${o.head}: no releases yet (${base}/releases ${l.exists ? 'is empty' : 'does not exist'})`);
      continue;
    }
    out.push(`${o.head}: ${l.releases.length} release${l.releases.length === 1 ? '' : 's'} in ${base}/releases`);
    const width = Math.max(...l.releases.map((r) => r.id.length));
    for (const r of order === 'newest-first' ? [...l.releases].reverse() : l.releases) {
      out.push(
        `  ${r.current ? '*' : ' '} ${r.id.padEnd(width)}  ${r.binarySize === null ? 'no executable' : formatBytes(r.binarySize)}${r.current ? '  (live)' : ''}`,
      );
    }
    if (l.currentTarget && !l.releases.some((r) => r.current)) out.push(`  current -> ${l.currentTarget} (not one of these releases)`);
    if (!l.currentTarget) out.push('  no current release (no current symlink)');
  }
  return out;
}
