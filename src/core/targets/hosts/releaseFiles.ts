// app.files and app.shared on a host, before the release is completed: each file is linked
// (or copied) from an earlier release that holds the same sha256 — so an unchanged config
// file is never sent again — else uploaded by SFTP and checked by sha256 on the host; each
// shared folder is made under <base>/shared/ (owned by the service user when one is set) and
// linked into the release as a relative symlink. Every release lists its files in .files
// ("<sha256> <mode> <path>" lines), which is what the next deploy looks for. The scripts are
// fixed text; values reach them only as $1….
import { GoDeployError } from '../../errors';
import { formatBytes } from '../../format';
import type { CancellationTokenLike } from '../../cancellation';
import { lastOutputLine, type HostRunner } from '../../remote/hostRunner';
import { shArgv as sh } from '../../remote/quote';
import { sharedLinkTarget, type ReleaseFile } from '../../release/releaseFiles';
import { NO_LINK } from './baseLayout';

/** What the plan knows of a file (a templated file's sha256 only at deploy time). */
export interface PlannedReleaseFile {
  dest: string;
  size: number;
  mode: number;
  sha256: string | null;
  template: boolean;
}

const SHA = `sha() { h=$(openssl dgst -sha256 -r "$1" 2>/dev/null) && [ -n "$h" ] || h=$(sha256sum "$1") || return 1; printf '%s\\n' "\${h%% *}"; }`;

// $1 base, $2 id, $3 owner of the shared folders and files ('' for none), $4 number of
// shared folders, then per shared folder (path, link target), then per file (path, sha256,
// mode in octal). In the partial release: makes and links each shared folder (exit 8: the
// release holds a real folder or file there), writes .files (releaseFilesManifest), links or copies each file from
// an earlier release whose .files names the same sha256 (checked again after the copy) and
// prints "reused <path> <release>", else "missing <path>".
export const FILES_OPEN = `# link the shared folders into the release, and each file from an earlier release with the same sha256
${SHA}
${NO_LINK}
b=$1 rp="$1/releases/.$2.partial" o=$3 n=$4
shift 4
# (nolink's loop variable is p: this script's are other names)
nolink "$b/shared" || exit 6
mkdir -p "$b/shared"
: > "$rp/.files"
while [ "$n" -gt 0 ]; do
  s="$b/shared/$1"
  if [ ! -d "$s" ]; then mkdir -p "$s" && { [ -z "$o" ] || chown "$o" "$s"; } || exit 3; fi
  if [ -e "$rp/$1" ] || [ -L "$rp/$1" ]; then echo "the release holds $1, which app.shared links to $s" >&2; exit 8; fi
  mkdir -p "$(dirname "$rp/$1")" && ln -s "$2" "$rp/$1" || exit 3
  printf 'shared %s\\n' "$1" >> "$rp/.files"
  shift 2; n=$((n-1))
done
while [ $# -ge 3 ]; do
  f=$1 w=$2 m=$3
  shift 3
  printf '%s %s %s\\n' "$w" "$m" "$f" >> "$rp/.files"
  t="$rp/$f"
  mkdir -p "$(dirname "$t")" || exit 3
  done=
  for d in "$b"/releases/*/; do
    [ ! -L "\${d%/}" ] && [ -f "$d.files" ] || continue
    src=$(awk -v w="$w" '$1 == w { sub(/^[^ ]+ [^ ]+ /, ""); print; exit }' "$d.files")
    [ -n "$src" ] && [ -f "$d$src" ] && [ ! -L "$d$src" ] || continue
    rm -f "$t.copy"
    ln "$d$src" "$t.copy" 2>/dev/null && [ "$(stat -c %a "$t.copy")" = "$m" ] || { rm -f "$t.copy"; cp "$d$src" "$t.copy" && chmod "$m" "$t.copy"; } || continue
    if [ "$(sha "$t.copy")" = "$w" ]; then
      { [ -z "$o" ] || chown "$o" "$t.copy"; } && mv -f "$t.copy" "$t" && d=\${d%/} && echo "reused $f \${d##*/}" && done=1 && break
    fi
    rm -f "$t.copy"
  done
  [ -n "$done" ] || echo "missing $f"
done`;

// $1 base, $2 id, $3 owner ('' for none), then per uploaded file (path, sha256, mode): checks
// each uploaded <path>.upload and renames it into place. Exit 4: a wrong sha256.
export const FILES_PLACE = `# check the sha256 of each uploaded file, then rename it into the release
${SHA}
p="$1/releases/.$2.partial" o=$3
shift 3
while [ $# -ge 3 ]; do
  t="$p/$1"
  got=$(sha "$t.upload") || exit 3
  [ "$got" = "$2" ] || { echo "sha256 of the uploaded $1 is $got, expected $2" >&2; rm -f "$t.upload"; exit 4; }
  chmod "$3" "$t.upload" && { [ -z "$o" ] || chown "$o" "$t.upload"; } && mv -f "$t.upload" "$t" || exit 3
  shift 3
done`;

/** The text FILES_OPEN writes to the release's .files: what a deploy compares to tell whether the live release has these files and shared folders. */
export function releaseFilesManifest(files: { dest: string; sha256: string; mode: number }[], shared: string[]): string {
  return [...shared.map((d) => `shared ${d}\n`), ...files.map((f) => `${f.sha256} ${f.mode.toString(8)} ${f.dest}\n`)].join('');
}

/** The owner of shared folders and files: the service's user when one is set (systemd.user, supervisor's user). */
export interface ReleaseFilesTarget {
  base: string;
  releaseId: string;
  shared: string[];
  owner: string | null;
}

function openArgv(t: ReleaseFilesTarget, files: { dest: string; sha256: string; mode: number }[]): string[] {
  return sh(
    FILES_OPEN,
    t.base,
    t.releaseId,
    t.owner ?? '',
    String(t.shared.length),
    ...t.shared.flatMap((s) => [s, sharedLinkTarget(s)]),
    ...files.flatMap((f) => [f.dest, f.sha256, f.mode.toString(8)]),
  );
}

function placeArgv(t: ReleaseFilesTarget, files: { dest: string; sha256: string; mode: number }[]): string[] {
  return sh(FILES_PLACE, t.base, t.releaseId, t.owner ?? '', ...files.flatMap((f) => [f.dest, f.sha256, f.mode.toString(8)]));
}

/** The plan's files step, in the shape of deployPlan.ts's HostStep (not imported: deployPlan imports this module). */
export interface FilesStep {
  id: 'files';
  title: string;
  commands: string[][];
  files: { path: string; mode: number; what: string }[];
  note: string;
}

/** The plan's `files` step (null when there are neither files nor shared folders). */
export function releaseFilesStep(t: ReleaseFilesTarget, files: PlannedReleaseFile[]): FilesStep | null {
  if (!files.length && !t.shared.length) return null;
  const partial = `${t.base}/releases/.${t.releaseId}.partial`;
  const withSha = files.map((f) => ({ ...f, sha256: f.sha256 ?? '<sha256 of the templated text>' }));
  return {
    id: 'files',
    title: [
      files.length
        ? `place ${files.length} file${files.length === 1 ? '' : 's'} of app.files: ${files.map((f) => `${f.dest} (${formatBytes(f.size)})`).join(', ')}`
        : '',
      t.shared.length ? `link ${t.shared.map((s) => `${s} -> ${t.base}/shared/${s}`).join(', ')} (app.shared)` : '',
    ]
      .filter(Boolean)
      .join('; '),
    commands: [
      openArgv(t, withSha),
      ...(files.length ? [placeArgv(t, withSha.map((f) => ({ ...f, dest: '<each file not found in an earlier release>' })).slice(0, 1))] : []),
    ],
    files: files.map((f) => ({
      path: `${partial}/${f.dest}.upload`,
      mode: f.mode,
      what: `${f.dest}${f.template ? ' (templated: ${env:}/${secret:} replaced at deploy time, values not shown)' : ''}, only when no earlier release holds the same sha256`,
    })),
    note: `shared folders are made on the first deploy${t.owner ? ` (owner ${t.owner})` : ''} and never pruned or rolled back; a file of an earlier release with the same sha256 is linked instead of sent`,
  };
}

/**
 * Places the files and links the shared folders in the partial release. Returns the step's
 * message (how many files were sent, how many reused). A failure throws; the caller removes
 * the partial release.
 */
export async function placeReleaseFiles(
  runner: HostRunner,
  alias: string,
  t: ReleaseFilesTarget,
  files: ReleaseFile[],
  redact: (s: string) => string,
  token?: CancellationTokenLike,
): Promise<{ message: string; uploaded: string[]; reused: string[] }> {
  const open = await runner.exec(openArgv(t, files));
  if (open.code !== 0)
    throw new GoDeployError(`${alias}: placing app.files and app.shared failed (exit ${open.code ?? 'signal'}): ${redact(lastOutputLine(open))}`, {
      hint: open.code === 8 ? 'a folder of app.shared is also a path of the release (app.files): give the file another destination with to:' : undefined,
    });
  const missing = new Set(open.stdout.split('\n').flatMap((l) => /^missing (.+)$/.exec(l)?.[1] ?? []));
  const reused = open.stdout.split('\n').flatMap((l) => /^reused (.+) [^ ]+$/.exec(l)?.[1] ?? []);
  const send = files.filter((f) => missing.has(f.dest));
  const partial = `${t.base}/releases/.${t.releaseId}.partial`;
  await Promise.all(
    send.map((f) => runner.upload(f.content ?? f.source, `${partial}/${f.dest}.upload`, { mode: f.mode, token, label: `app.files ${f.dest}` })),
  );
  if (send.length) {
    const r = await runner.exec(placeArgv(t, send));
    if (r.code !== 0) throw new GoDeployError(`${alias}: checking the uploaded app.files failed (exit ${r.code ?? 'signal'}): ${redact(lastOutputLine(r))}`);
  }
  const bytes = send.reduce((n, f) => n + f.size, 0);
  const parts = [
    files.length
      ? `${files.length} file${files.length === 1 ? '' : 's'}: ${send.length} uploaded (${formatBytes(bytes)}, sha256 checked on the host), ${reused.length} reused`
      : '',
    t.shared.length ? `${t.shared.length} shared folder${t.shared.length === 1 ? '' : 's'} linked` : '',
  ].filter(Boolean);
  return { message: parts.join('; '), uploaded: send.map((f) => f.dest), reused };
}
