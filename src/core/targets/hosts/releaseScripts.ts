// The fixed shell scripts a deploy runs on a host. Values reach them only as positional
// arguments ($1…), never inside the script text, so quoting is the ssh layer's job alone.
// A release is assembled in releases/.<id>.partial and renamed into place when complete, so
// an interrupted deploy never leaves a release that looks whole.

import { IS_RELEASE_ID, NO_LINK } from './baseLayout';
import { RELEASE_OWNED_SCRIPT } from './lock';

// `df -Pk PATH | awk …`: the Avail column (1K blocks) as df prints it, found as the number
// before the Capacity percentage, so that spaces in the file system's or the mount's name
// cannot shift it.
export const DF_AVAILABLE_AWK = `awk 'NR==2 {for (i = NF; i > 1; i--) if ($i ~ /^[0-9]+%$/) {print $(i-1); exit}}'`;

// $1 base, $2 release id. Prints "free <kB available>" for the upload's disk check. Exit 6:
// a part of the layout is a symlink.
export const PREPARE = `set -e
b=$1
${NO_LINK}
nolink "$b/releases" "$b/shared" "$b/shared/logs" "$b/.godeploy" || exit 6
mkdir -p "$b/releases" "$b/shared/logs" "$b/.godeploy"
[ ! -e "$b/releases/$2" ] || { echo "release $2 already exists" >&2; exit 3; }
p="$b/releases/.$2.partial"
rm -rf "$p"
mkdir "$p"
echo "free $(df -Pk -- "$b/releases" | ${DF_AVAILABLE_AWK})"`;

// sha FILE: its sha256. OpenSSL's (SHA extensions where the CPU has them) is several times
// faster than coreutils' sha256sum for a 20 MB executable; sha256sum where it is missing.
const SHA = `sha() { h=$(openssl dgst -sha256 -r "$1" 2>/dev/null) && [ -n "$h" ] || h=$(sha256sum "$1") || return 1; printf '%s\\n' "\${h%% *}"; }`;

// $1 base, $2 id, $3 executable name, $4 sha256. Links (or copies) the executable from an
// earlier release with the same sha256 and prints "reused <id>", or prints "missing".
export const REUSE_BINARY = `${SHA}
b=$1 p="$1/releases/.$2.partial" n=$3
for d in "$b"/releases/*/; do
  [ ! -L "\${d%/}" ] && [ -f "$d.sha256" ] && [ -f "$d$n" ] || continue
  [ "$(cat "$d.sha256")" = "$4" ] || continue
  rm -f "$p/.$n.copy"
  ln "$d$n" "$p/.$n.copy" 2>/dev/null || cp -p "$d$n" "$p/.$n.copy" || continue
  if [ "$(sha "$p/.$n.copy")" = "$4" ]; then
    mv -f "$p/.$n.copy" "$p/$n" && printf '%s\\n' "$4" > "$p/.sha256" && d=\${d%/} && echo "reused \${d##*/}" && exit 0
  fi
  rm -f "$p/.$n.copy"
done
echo missing`;

// $1 base, $2 id, $3 executable name, $4 sha256: PREPARE, then REUSE_BINARY, in one round
// trip (each in a subshell, so neither's set -e or exit reaches the other). Prints "free
// <kB>" then "reused <id>" or "missing"; fails as PREPARE does.
export const OPEN_RELEASE = `# create the partial release folder, then link an earlier identical executable into it
(
${PREPARE}
) || exit $?
(
${REUSE_BINARY}
)`;

// $1 base, $2 id, $3 executable name, $4 sha256: checks the uploaded temporary file, then renames it.
export const VERIFY_UPLOAD = `# check the sha256 of the uploaded executable, then rename it
${SHA}
p="$1/releases/.$2.partial" n=$3
got=$(sha "$p/.$n.upload") || exit 3
[ "$got" = "$4" ] || { echo "sha256 of the uploaded file is $got, expected $4" >&2; rm -f "$p/.$n.upload"; exit 4; }
mv -f "$p/.$n.upload" "$p/$n" && printf '%s\\n' "$4" > "$p/.sha256"`;

// $1 base, $2 id, $3 executable name, $4 sha256, $5 the release holding the base executable,
// then (b|l, offset, length) per piece: writes the temporary file from ranges of the base
// executable (b) and of the uploaded literal bytes (l), then checks it as VERIFY_UPLOAD does.
// Exit 5: the pieces could not be read (a dd without skip_bytes, say); 4: wrong sha256.
// Either way nothing is left behind and the caller uploads the whole file.
export const ASSEMBLE_UPLOAD = `# assemble the executable from pieces of the live one and the literal bytes sent, check its sha256, rename it
${SHA}
p="$1/releases/.$2.partial" n=$3 want=$4 src="$1/releases/$5/$3"
lit="$p/.$n.literal" out="$p/.$n.upload"
shift 5
fail() { rm -f "$out" "$lit"; exit "$1"; }
[ -f "$src" ] && [ -f "$lit" ] || fail 5
while [ $# -ge 3 ]; do
  case $1 in b) f=$src ;; l) f=$lit ;; *) fail 5 ;; esac
  dd if="$f" bs=262144 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none || fail 5
  shift 3
done > "$out" || fail 5
rm -f "$lit"
got=$(sha "$out") || fail 5
[ "$got" = "$want" ] || { echo "sha256 of the assembled file is $got, expected $want" >&2; fail 4; }
chmod 755 "$out" && mv -f "$out" "$p/$n" && printf '%s\\n' "$want" > "$p/.sha256"`;

// $1 base, $2 id: the partial folder becomes the release.
export const FINISH_RELEASE = `mv -T "$1/releases/.$2.partial" "$1/releases/$2"`;

// $1 base, $2 id, $3 env file name, $4 owner of the env file (or empty).
// Installs the release's env file as shared/<name>.env (a fresh temporary file renamed over
// it; shared/ is made again when it went missing), then points current at the release: a new
// symlink under a temporary name renamed over current (rename(2) is atomic; ln -sfn is
// not). Prints "previous <id or empty>" and "since <host epoch>" (for the new release's logs).
// Exit 6: a symlink where Go Deploy writes, or a current that is not a symlink.
export const SWITCH = `set -e
b=$1 r="releases/$2" e=$3
${NO_LINK}
nolink "$b/releases" "$b/shared" "$b/shared/$e" "$b/shared/.$e.tmp" || exit 6
if [ -e "$b/current" ] && [ ! -L "$b/current" ]; then echo "$b/current is not the symlink Go Deploy keeps there: Go Deploy will not replace it; move it away" >&2; exit 6; fi
[ -d "$b/$r" ] || { echo "$b/$r does not exist" >&2; exit 3; }
prev=$(readlink "$b/current" 2>/dev/null || true)
mkdir -p "$b/shared"
rm -f "$b/shared/.$e.tmp"
cp -p "$b/$r/$e" "$b/shared/.$e.tmp"
[ -z "$4" ] || chown "$4" "$b/shared/.$e.tmp"
mv -f -T "$b/shared/.$e.tmp" "$b/shared/$e"
if [ -e "$b/.current.tmp" ] || [ -L "$b/.current.tmp" ]; then rm -f "$b/.current.tmp"; fi
ln -s "$r" "$b/.current.tmp"
mv -T "$b/.current.tmp" "$b/current"
echo "previous \${prev#releases/}"
echo "since $(date +%s)"`;

// $1 base: the first release failed with nothing to go back to; no current at all (only a
// symlink is removed: a file named current is not Go Deploy's).
export const UNSWITCH = '[ ! -L "$1/current" ] || rm -f "$1/current"';

// $1 base, $2 keep, $3… ids never to remove (live, previous). Removes the oldest of Go
// Deploy's releases beyond $2 and its leftover partial folders; prints "pruned <id>" for
// each. Go Deploy's: a folder (not a symlink) named by a release id that holds .sha256 (as
// every release Go Deploy placed does) or is named in .godeploy/history.jsonl; anything
// else in releases/ is left alone and not counted. Nothing when releases/ is a symlink.
// Written to run as a function's body (returns, never exits).
export const PRUNE = `b=$1 keep=$2
shift 2
${IS_RELEASE_ID}
[ ! -L "$b/releases" ] || { echo "$b/releases is a symlink: not pruning" >&2; return 0; }
ours() {
  [ -d "$1" ] && [ ! -L "$1" ] && isid "\${1##*/}" || return 1
  { [ -f "$1/.sha256" ] && [ ! -L "$1/.sha256" ]; } || grep -qF "\\"release\\":\\"\${1##*/}\\"" "$b/.godeploy/history.jsonl" 2>/dev/null
}
for d in "$b"/releases/.*.partial; do
  p=\${d##*/.}
  [ -d "$d" ] && [ ! -L "$d" ] && isid "\${p%.partial}" && rm -rf "$d"
done
n=0
for d in "$b"/releases/*; do ours "$d" && n=$((n+1)); done
for d in "$b"/releases/*; do
  ours "$d" || continue
  id=\${d##*/}
  [ "$n" -gt "$keep" ] || break
  skip=
  for k in "$@"; do [ "$id" = "$k" ] && skip=1; done
  [ -n "$skip" ] && continue
  rm -rf "$b/releases/$id" && echo "pruned $id" && n=$((n-1))
done
true`;

// $1 base, $2 one JSON line (never through a symlink: exit 6).
export const RECORD = `${NO_LINK}
nolink "$1/.godeploy" "$1/.godeploy/history.jsonl" || exit 6
printf '%s\\n' "$2" >> "$1/.godeploy/history.jsonl"`;

// $1 file: prints its sha256, or "none".
export const FILE_SHA = '[ -f "$1" ] && h=$(sha256sum < "$1") && echo "${h%% *}" || echo none';

// $1 base, $2 id, $3 the service definition's path ('' for none). In one round trip: the
// partial folder becomes the release, then prints "definition <sha256 or none>" (when $3 is
// given) and "current <what current points at, or empty>" (the way back, read before the switch).
export const COMPLETE_RELEASE = `finish() { ${FINISH_RELEASE}; }
filesha() { ${FILE_SHA}; }
finish "$1" "$2" || exit 3
[ -z "$3" ] || echo "definition $(filesha "$3")"
echo "current $(readlink "$1/current" 2>/dev/null)"`;

// $1 base, $2 id, $3 executable name, $4 sha256, $5 the service definition's path ('' for
// none), then what `place` takes after its first four (ASSEMBLE_UPLOAD's base release and
// pieces): `place` (VERIFY_UPLOAD or ASSEMBLE_UPLOAD) and, when it succeeded,
// COMPLETE_RELEASE, in one round trip. Exits with place's code, or 7 when completing failed;
// prints what COMPLETE_RELEASE prints.
export const placeThenComplete = (place: string): string => `# ${place.split('\n')[0].replace(/^# /, '')}; then complete the release
def=$5
(
b=$1 i=$2 n=$3 w=$4
shift 5
set -- "$b" "$i" "$n" "$w" "$@"
${place}
) || exit $?
set -- "$1" "$2" "$def"
(
${COMPLETE_RELEASE}
) || exit 7`;

// $1 uploaded temporary file, $2 final path: rename into place.
export const INSTALL_FILE = 'mv -f "$1" "$2"';

// $1 base, $2 release id, $3 env file, $4 command: a hook, in the release, with the service's environment.
export const HOOK = 'cd "$1/releases/$2" && set -a && . "$3" && set +a && eval "$4"';

// $1 base, $2 id: marks a release that passed its health gate (rollback only goes back to those).
export const MARK_LIVE = ': > "$1/releases/$2/.went-live"';

// After every host passed, in one round trip: $1 base, $2 id, $3 history line, $4 keep,
// $5 lock owner.json text ('' keeps the lock), then the ids never pruned. Marks the release
// live, appends to the history log (prints "recorded" or "not recorded: …"), prunes (prints
// "pruned <id>" lines), then prints "unlock" and what RELEASE_OWNED_SCRIPT prints.
export const FINISH_DEPLOY = `mark() { ${MARK_LIVE}; }
record() { ${RECORD}; }
prune() {
${PRUNE}
}
unlock() {
${RELEASE_OWNED_SCRIPT}
}
b=$1 id=$2 line=$3 keep=$4 owner=$5
shift 5
mark "$b" "$id" 2>/dev/null
if e=$(record "$b" "$line" 2>&1); then echo recorded; else echo "not recorded: $e"; fi
prune "$b" "$keep" "$@"
[ -z "$owner" ] || { echo unlock; unlock "$b" "$owner"; }`;

// $1 base, $2 id: removes a release that did not go live (unfinished, or complete but
// never switched to, or switched back from); never the one current points at.
export const DISCARD_RELEASE =
  '[ ! -L "$1/releases" ] || exit 6; rm -rf "$1/releases/.$2.partial"; c=$(readlink "$1/current" 2>/dev/null); [ "$c" = "releases/$2" ] || rm -rf "$1/releases/$2"';
