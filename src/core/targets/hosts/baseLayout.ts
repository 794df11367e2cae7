// What Go Deploy may touch in a base folder (`path`): only a folder that does not exist, is
// empty, or is already Go Deploy's. Its mark is `.godeploy/base.json` (the app and when it
// was adopted), written by the first deploy; a deployment of an earlier Go Deploy, which had
// no mark, is recognized (LEGACY below) and marked. Inside a base, the entries Go Deploy
// writes (releases, shared, shared/logs, .godeploy, the lock, history.jsonl, the env file,
// the pid and log files) must not be symlinks, and `current` must be a symlink or absent:
// Go Deploy never writes through a link, and never replaces a file it did not make.
// The shell here is fixed text; values are positional arguments, as in releaseScripts.
import { GoDeployError } from '../../errors';

/** The mark of a base folder that Go Deploy adopted. */
export const BASE_MARKER = '.godeploy/base.json';

/** Exit code of a script that refused to touch something that is not Go Deploy's. */
export const REFUSED_EXIT = 6;

// isid NAME: whether NAME is a release id (RELEASE_ID in releaseScripts.ts, as a shell pattern).
export const IS_RELEASE_ID = `isid() {
  case $1 in *[!A-Za-z0-9._+-]*) return 1 ;; esac
  case $1 in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z-?*) return 0 ;;
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9].[0-9][0-9][0-9]Z-?*) return 0 ;;
  esac
  return 1
}`;

// nolink PATH…: fails (exit status 6, a line on stderr) at the first PATH that is a symlink.
export const NO_LINK = `nolink() {
  for p in "$@"; do
    if [ -L "$p" ]; then
      printf '%s is a symlink (to %s): Go Deploy does not write through symlinks; move the link away and let Go Deploy make its own\\n' "$p" "$(readlink "$p")" >&2
      return 6
    fi
  done
}`;

// The mark's app name (JSON written by CLAIM_BASE below), or nothing.
const MARKED_APP = `sed -n 's/.*"app":"\\([^"]*\\)".*/\\1/p' "$b/${BASE_MARKER}" 2>/dev/null | head -n 1`;

// layout BASE APP (APP may be empty: then the app's own files are not looked at). Prints, one
// per line: "refuse KIND MESSAGE" (KIND: notdir, symlink, notlink, otherapp, foreign), then
// one of "marked", "adopt absent", "adopt empty", "adopt legacy", then "missing PART" per
// missing part of the layout. Reads only.
// EMPTY: nothing in it, or only a .godeploy folder holding nothing but the deploy lock (a lock
// taken there, by a rollback say, before any deploy marked the base).
// LEGACY: no mark, but .godeploy/history.jsonl is a file, or current is a symlink reading
// releases/<release id> whose folder holds .sha256 (what every Go Deploy release holds).
export const LAYOUT = `${IS_RELEASE_ID}
layout() {
  b=$1 app=$2
  if [ ! -e "$b" ] && [ ! -L "$b" ]; then echo "adopt absent"; return 0; fi
  [ -d "$b" ] || { echo "refuse notdir $b is not a folder"; return 0; }
  set -- releases shared shared/logs .godeploy .godeploy/lock .godeploy/history.jsonl ${BASE_MARKER} .godeploy/active-port
  [ -z "$app" ] || set -- "$@" "shared/$app.env" "shared/.$app.env.tmp" "shared/$app.pid" "shared/$app.pid.tmp" "shared/logs/$app.log"
  for p in "$@"; do
    [ -L "$b/$p" ] && echo "refuse symlink $b/$p is a symlink (to $(readlink "$b/$p")): Go Deploy does not write through symlinks; move the link away"
  done
  if [ -e "$b/current" ] && [ ! -L "$b/current" ]; then
    echo "refuse notlink $b/current is a $( [ -d "$b/current" ] && echo folder || echo file), not the symlink Go Deploy keeps there: Go Deploy will not replace it; move it away"
  fi
  if [ -f "$b/${BASE_MARKER}" ] && [ ! -L "$b/${BASE_MARKER}" ]; then
    a=$(${MARKED_APP})
    if [ -n "$app" ] && [ -n "$a" ] && [ "$a" != "$app" ]; then
      echo "refuse otherapp $b is the base of the app $a, not of $app"
    else
      echo marked
    fi
  elif [ -z "$(ls -A "$b" 2>/dev/null)" ] || { [ "$(ls -A "$b")" = .godeploy ] && [ -d "$b/.godeploy" ] && [ ! -L "$b/.godeploy" ] &&
    [ -z "$(ls -A "$b/.godeploy" | grep -v -x -e lock -e 'lock\\.released\\..*')" ]; }; then
    echo "adopt empty"; return 0
  elif { [ -f "$b/.godeploy/history.jsonl" ] && [ ! -L "$b/.godeploy/history.jsonl" ]; } || {
    c=$(readlink "$b/current" 2>/dev/null) && case $c in releases/*/*) false ;; releases/*) isid "\${c#releases/}" ;; *) false ;; esac &&
    [ -d "$b/$c" ] && [ ! -L "$b/$c" ] && [ -f "$b/$c/.sha256" ]; }; then
    echo "adopt legacy"
  else
    echo "refuse foreign $b is not empty and not a Go Deploy base (no ${BASE_MARKER}); it holds $(ls -A "$b" | head -n 5 | tr '\\n' ' ' | sed 's/ $//; s/ /, /g')$( [ "$(ls -A "$b" | wc -l)" -gt 5 ] && echo ', …'): choose an empty folder for path, or move those entries away"
    return 0
  fi
  for p in releases shared shared/logs .godeploy; do
    [ -d "$b/$p" ] || [ -L "$b/$p" ] || echo "missing $p"
  done
}`;

// $1 base: exits 6 (the reason on stderr) when Go Deploy may not write into the base. For
// scripts that know no app name (the lock); no write of its own.
export const BASE_GUARD = `guard() (
${LAYOUT}
out=$(layout "$1" "")
r=$(printf '%s\\n' "$out" | sed -n 's/^refuse [a-z]* //p' | head -n 1)
[ -z "$r" ] || { printf '%s\\n' "$r" >&2; exit 6; }
)
guard "$1" || exit 6`;

// $1 base, $2 app name. Run under the deploy lock: refuses (exit 6, the reason on stderr)
// what LAYOUT refuses; otherwise marks the base when it is not marked yet (printing
// "adopted absent|empty|legacy") and makes the missing parts of the layout (printing
// "recreated PART" for each part missing from a base that already held a deployment).
export const CLAIM_BASE = `claim() (
${LAYOUT}
b=$1 app=$2
out=$(layout "$b" "$app")
r=$(printf '%s\\n' "$out" | sed -n 's/^refuse [a-z]* //p' | head -n 1)
[ -z "$r" ] || { printf '%s\\n' "$r" >&2; exit 6; }
how=$(printf '%s\\n' "$out" | sed -n 's/^adopt //p')
if [ -n "$how" ]; then
  mkdir -p "$b/.godeploy" || exit 6
  t="$b/.godeploy/.base.json.tmp"
  rm -f "$t"
  (set -C; printf '{"app":"%s","adoptedAt":"%s","adopted":"%s","by":"Go Deploy"}\\n' "$app" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$how" > "$t") && mv -f -T "$t" "$b/${BASE_MARKER}" || exit 6
  echo "adopted $how"
fi
for p in $(printf '%s\\n' "$out" | sed -n 's/^missing //p'); do echo "recreated $p"; done
mkdir -p "$b/releases" "$b/shared/logs" "$b/.godeploy" || exit 6
exit 0
)`;

export type LayoutKind = 'notdir' | 'symlink' | 'notlink' | 'otherapp' | 'foreign';

const HINTS: Record<LayoutKind, string> = {
  notdir: 'set path in godeploy.yaml to a folder',
  symlink: 'replace the link with a folder or file of its own (move the link away); Go Deploy never writes through a symlink inside its base',
  notlink: 'move it away: Go Deploy keeps a symlink named current there and does not replace what it did not make',
  otherapp: 'give each app a path of its own: the releases of one would be pruned by the other',
  foreign:
    'choose an empty folder (or one that does not exist yet) for path in godeploy.yaml, or move those entries away; Go Deploy adopts only a folder that is empty or already its own',
};

export interface LayoutReport {
  refusals: { kind: LayoutKind; message: string }[];
  state: 'marked' | 'absent' | 'empty' | 'legacy' | null;
  missing: string[];
}

/** LAYOUT's output as data. */
export function parseLayout(stdout: string): LayoutReport {
  const report: LayoutReport = { refusals: [], state: null, missing: [] };
  for (const line of stdout.split('\n')) {
    const refuse = /^refuse (notdir|symlink|notlink|otherapp|foreign) (.*)$/.exec(line);
    if (refuse) report.refusals.push({ kind: refuse[1] as LayoutKind, message: refuse[2] });
    else if (line === 'marked') report.state = 'marked';
    else if (/^adopt (absent|empty|legacy)$/.test(line)) report.state = line.slice(6) as LayoutReport['state'];
    else if (line.startsWith('missing ')) report.missing.push(line.slice(8));
  }
  return report;
}

/** The hint for a refusal of LAYOUT (recognized by its message). */
export function layoutHint(kind: LayoutKind): string {
  return HINTS[kind];
}

/** The error for a script that exited REFUSED_EXIT: its first line of stderr, with the hint that fits. */
export function refusedError(where: string, stderr: string): GoDeployError {
  const message = stderr.trim().split('\n')[0] || "refused to write into a folder that is not Go Deploy's";
  const kind: LayoutKind = /is a symlink/.test(message)
    ? 'symlink'
    : /not the symlink/.test(message)
      ? 'notlink'
      : /not a folder$/.test(message)
        ? 'notdir'
        : /is the base of the app/.test(message)
          ? 'otherapp'
          : 'foreign';
  return new GoDeployError(`${where}: ${message}`, { hint: layoutHint(kind), exitCode: 1 });
}
