// strategy canary on a host: the CanarySite the driver steps, made of small sh scripts run
// over the host's runner. Every change takes the rollout lock (flock on <state file>.lock)
// and compares revisions on the host itself (grep on the state file), so a deploy's driver
// and a `rollout abort` typed on another machine never interleave and a late write never
// undoes a newer one. The include is rewritten keeping the old one until nginx -t passes and
// nginx reloaded (as FLIP_NGINX does for blue-green); the state file is replaced whole (tmp + mv).
import { GoDeployError } from '../../errors';
import { lastOutputLine, type HostRunner } from '../../remote/hostRunner';
import { shArgv as sh, shellQuote } from '../../remote/quote';
import { DRAIN, NGINX_WORKERS, workersBeforeReload } from '../nginxSwitch';
import { renderCanaryInclude, type CanaryIncludeInput } from './nginxCanary';
import type { CanarySite, RolloutState } from './types';

/** How the scripts check and reload nginx: argv run on the host. Default: the system's nginx (`nginx -t`, `systemctl reload nginx` or start it). */
export interface NginxCommands {
  test: string[];
  reload: string[];
  /** nginx's pid file: only its master's workers are drained (default: every nginx worker on the host). */
  pidFile?: string;
}

/** What a target does when a rollout ends on one of its hosts. */
export interface CanarySiteHooks {
  /** Stops the instance on `port` (the old live one after a promotion, the canary after an abort). */
  stopInstance(port: number): Promise<void>;
  /** After a promotion: the canary's instance is recorded as the live one (blue-green's state, current). */
  promoted(state: RolloutState): Promise<void>;
  /** After an abort: current points back at state.previous. */
  aborted(state: RolloutState): Promise<void>;
}

export interface HostCanarySiteOptions {
  /** The host alias (or "engine"). */
  name: string;
  runner: HostRunner;
  /** The rollout state file (its folder is created). */
  stateFile: string;
  /** model.nginx.canaryInclude */
  includePath: string;
  /** model.nginx.accessLog: the JSON access log the analysis reads. */
  accessLog: string;
  /** The app (its name names the include's upstreams); default: the state's app. */
  model?: { app: { name: string } };
  hooks: CanarySiteHooks;
  nginx?: NginxCommands;
}

/** The most of the access log one readLog returns; the driver reads on from the offset reached. */
export const LOG_READ_CAP = 4 * 1024 * 1024;

// The shell snippets that test and reload nginx: the system's, or the argv given.
const DEFAULT_TEST = 'nginx -t';
const DEFAULT_RELOAD = 'systemctl reload nginx 2>/dev/null || systemctl start nginx';
const nginxShell = (c?: NginxCommands): [string, string] => (c ? [shellQuote(c.test), shellQuote(c.reload)] : [DEFAULT_TEST, DEFAULT_RELOAD]);

// Sets $old to nginx's worker pids before a reload (the ones DRAIN waits for): NGINX_WORKERS,
// shared with blue-green's FLIP_NGINX (builtins only; only $pidfile's master's workers when given).
const OLD_WORKERS = NGINX_WORKERS;

// Shared head of the scripts that change a host: $1 state file, $2 the incoming revision,
// $3 the revision expected on the host ("" for any lower one). Takes the lock (fd 9, held
// until the script exits) and prints "stale <host's revision>" and exits 0 when the host has
// a revision at or above the incoming one, or not the expected one.
const LOCK_AND_CAS = `set -e
umask 022
st=$1
mkdir -p "\${st%/*}"
exec 9>>"$st.lock"
if ! flock -w 60 9; then echo "the rollout lock $st.lock is held by another command" >&2; exit 6; fi
cur=$(grep -o '"revision": *[0-9]*' "$st" 2>/dev/null | head -n 1 | tr -dc 0-9) || cur=
cur=\${cur:-0}
if [ "$2" -le "$cur" ] || { [ -n "$3" ] && [ "$3" != "$cur" ]; }; then echo "stale $cur"; exit 0; fi
`;

// $4 the state's JSON: written whole (tmp + mv, mode 0644).
const WRITE_STATE = `printf '%s\\n' "$4" > "$st.godeploy-tmp"
chmod 0644 "$st.godeploy-tmp"
mv -f "$st.godeploy-tmp" "$st"
echo ok`;

// $5 the include, $6 its new text, $7 the nginx -t command, $8 the reload command (sh
// snippets), $9 nginx's pid file or "". The include is replaced keeping the old one; a failed check or reload puts the
// old one back and exits 5 (check) or 7 (reload) with nginx's message on stderr. Prints
// "workers <pids>": nginx's workers before the reload (the ones DRAIN waits for).
const WRITE_INCLUDE = `inc=$5 pidfile=$9
mkdir -p "\${inc%/*}"
[ -f "$inc" ] && cp -p "$inc" "$inc.godeploy-old" || rm -f "$inc.godeploy-old"
restore() { if [ -f "$inc.godeploy-old" ]; then mv -f "$inc.godeploy-old" "$inc"; else rm -f "$inc"; fi; }
printf '%s' "$6" > "$inc.godeploy-tmp"
chmod 0644 "$inc.godeploy-tmp"
mv -f "$inc.godeploy-tmp" "$inc"
if ! out=$(eval "$7" 2>&1 9>&-); then restore; echo "$out" >&2; exit 5; fi
${OLD_WORKERS}if ! out=$(eval "$8" 2>&1 9>&-); then restore; echo "$out" >&2; exit 7; fi
rm -f "$inc.godeploy-old"
echo "workers$old"
`;

/** Writes the state when its revision is above the host's ($1..$4). */
export const CAS_WRITE_STATE = LOCK_AND_CAS + WRITE_STATE;
/** Rewrites the include, checks, reloads, then writes the state, under the lock and the revision check ($1..$9). */
export const CAS_APPLY = LOCK_AND_CAS + WRITE_INCLUDE + WRITE_STATE;

// $1 the log, $2 the offset, $3 the most bytes to read. Prints "from <offset>" (0 when the file
// is now shorter than the offset: it was rotated), then the bytes from there.
export const READ_LOG = `f=$1 off=$2
[ -f "$f" ] || { echo "from 0"; exit 0; }
size=$(wc -c < "$f")
[ "$size" -ge "$off" ] || off=0
echo "from $off"
tail -c +$((off + 1)) "$f" | head -c "$3"`;

export const LOG_SIZE = `if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi`;

// $1 the state file: "none" when there is none, else its text.
const READ_STATE = `if [ -f "$1" ]; then echo state; cat "$1"; else echo none; fi`;

// $1 site, $2 its text, $3 its enabled link, $4 include, $5 its text, $6 nginx -t, $7 reload, $8 pid file:
// installs the site and the steady include, keeping the old ones until nginx -t passes.
export const INSTALL_SITE = `set -e
umask 022
site=$1 link=$3 inc=$4 pidfile=$8
mkdir -p "\${site%/*}" "\${link%/*}" "\${inc%/*}"
for f in "$site" "$inc"; do [ -f "$f" ] && cp -p "$f" "$f.godeploy-old" || rm -f "$f.godeploy-old"; done
restore() {
  for f in "$site" "$inc"; do if [ -f "$f.godeploy-old" ]; then mv -f "$f.godeploy-old" "$f"; else rm -f "$f"; fi; done
  [ -f "$site" ] || rm -f "$link"
}
printf '%s' "$2" > "$site.godeploy-tmp"; chmod 0644 "$site.godeploy-tmp"; mv -f "$site.godeploy-tmp" "$site"
printf '%s' "$5" > "$inc.godeploy-tmp"; chmod 0644 "$inc.godeploy-tmp"; mv -f "$inc.godeploy-tmp" "$inc"
[ -L "$link" ] || ln -s "../sites-available/\${site##*/}" "$link"
if ! out=$(eval "$6" 2>&1); then restore; echo "$out" >&2; exit 5; fi
${OLD_WORKERS}if ! out=$(eval "$7" 2>&1); then restore; echo "$out" >&2; exit 7; fi
rm -f "$site.godeploy-old" "$inc.godeploy-old"
echo "workers$old"`;

/** The include for a state: its weight between the two instances while it runs, one instance once it ended. */
export function includeForState(app: string, state: RolloutState, how?: 'complete' | 'abort'): CanaryIncludeInput {
  const weight = how === 'complete' ? 100 : how === 'abort' ? 0 : state.weight;
  return {
    app,
    stable: { port: state.stablePort, release: state.previous },
    canary: { port: state.canaryPort, release: state.release },
    weight,
    sticky: state.policy.sticky,
  };
}

/** The state as the host stores it: one line of JSON, the revision first (the scripts grep it). */
const stateJson = (s: RolloutState): string => {
  const { revision, ...rest } = s;
  return JSON.stringify({ revision, ...rest });
};

function parseState(text: string, where: string): RolloutState {
  try {
    const s = JSON.parse(text) as RolloutState;
    if (s && typeof s === 'object' && typeof s.revision === 'number' && typeof s.step === 'number' && s.policy) return s;
  } catch {
    // reported below
  }
  throw new GoDeployError(`${where} is not a rollout state Go Deploy can read`, {
    hint: 'it is written by godeploy deploy (strategy canary); remove the file if nothing is being rolled out',
  });
}

/** The rollout state on a host, or null when none was ever written there. */
export async function readRolloutState(runner: HostRunner, stateFile: string): Promise<RolloutState | null> {
  const r = await runner.exec(sh(READ_STATE, stateFile));
  if (r.code !== 0) throw new GoDeployError(`could not read ${stateFile} on ${runner.describe}: ${lastOutputLine(r)}`);
  if (r.stdout.startsWith('none')) return null;
  return parseState(r.stdout.replace(/^state\n/, ''), `${stateFile} on ${runner.describe}`);
}

/** An nginx failure of the scripts (exit 5: nginx -t refused, 7: the reload failed) as the error users see. */
function nginxError(name: string, what: string, code: number | null, stderr: string, stdout: string): GoDeployError {
  const msg = (stderr || stdout).trim().split('\n').filter(Boolean).slice(-3).join(' / ') || 'no output';
  if (code === 5)
    return new GoDeployError(`${name}: nginx -t refused ${what}, the old one is back: ${msg}`, {
      hint: 'run nginx -t on the host to see the whole message; a site edited by hand or another include may be at fault',
    });
  if (code === 7)
    return new GoDeployError(`${name}: nginx did not reload with ${what}, the old one is back: ${msg}`, { hint: 'check systemctl status nginx on the host' });
  return new GoDeployError(`${name}: ${what} failed (exit ${code ?? 'signal'}): ${msg}`);
}

/**
 * Installs the environment's nginx site and the steady canary include (one live instance):
 * what a deploy with strategy canary runs before a rollout. nginx -t, then a reload; on a
 * failed check the old site and include come back. Returns nginx's workers before the reload.
 */
export async function installCanarySite(
  runner: Pick<HostRunner, 'exec' | 'describe'>,
  o: { site: { path: string; enabledLink: string; content: string }; includePath: string; include: CanaryIncludeInput; nginx?: NginxCommands; name?: string },
): Promise<{ workers: string[] }> {
  const [test, reload] = nginxShell(o.nginx);
  const r = await runner.exec(
    sh(INSTALL_SITE, o.site.path, o.site.content, o.site.enabledLink, o.includePath, renderCanaryInclude(o.include), test, reload, o.nginx?.pidFile ?? ''),
  );
  if (r.code !== 0) throw nginxError(o.name ?? runner.describe, `the nginx site ${o.site.path}`, r.code, r.stderr, r.stdout);
  return { workers: workersBeforeReload(r.stdout) };
}

/** The CanarySite of one host: the state file, the canary include and the JSON access log there. */
export function hostCanarySite(o: HostCanarySiteOptions): CanarySite {
  const { runner, name } = o;
  const [test, reload] = nginxShell(o.nginx);
  const appOf = (s: RolloutState): string => o.model?.app.name ?? s.app;

  /** true: written; false: the host had a newer (or another expected) revision. */
  const outcome = (r: { code: number | null; stdout: string; stderr: string }, what: string): { ok: boolean; workers: string[] } => {
    if (r.code === 0 && /^stale\b/m.test(r.stdout)) return { ok: false, workers: [] };
    if (r.code === 0 && /^ok$/m.test(r.stdout)) return { ok: true, workers: workersBeforeReload(r.stdout) };
    throw nginxError(name, what, r.code, r.stderr, r.stdout);
  };
  const expect = (e?: number): string => (e === undefined ? '' : String(e));

  const apply = async (state: RolloutState, how: 'complete' | 'abort' | undefined, expectRevision?: number): Promise<{ ok: boolean; workers: string[] }> => {
    const include = renderCanaryInclude(includeForState(appOf(state), state, how));
    const r = await runner.exec(
      sh(
        CAS_APPLY,
        o.stateFile,
        String(state.revision),
        expect(expectRevision),
        stateJson(state),
        o.includePath,
        include,
        test,
        reload,
        o.nginx?.pidFile ?? '',
      ),
    );
    return outcome(r, `the canary include ${o.includePath} (${how === 'complete' ? 'promotion' : how === 'abort' ? 'abort' : `${state.weight}%`})`);
  };

  return {
    name,
    readState: () => readRolloutState(runner, o.stateFile),
    writeState: async (state, expectRevision) => {
      const r = await runner.exec(sh(CAS_WRITE_STATE, o.stateFile, String(state.revision), expect(expectRevision), stateJson(state)));
      return outcome(r, `writing ${o.stateFile}`).ok;
    },
    apply: async (state, expectRevision) => (await apply(state, undefined, expectRevision)).ok,
    finish: async (state, how, expectRevision, onSwitched) => {
      const final: RolloutState = {
        ...state,
        weight: how === 'complete' ? 100 : 0,
        status: how === 'complete' ? 'promoted' : 'aborted',
        heartbeatAt: null,
      };
      const claimed = await apply(final, how, expectRevision);
      if (!claimed.ok) return false;
      // nginx sends every new request to the instance that stays: the other hosts may switch now.
      onSwitched?.();
      // nginx's old workers finish their requests to the instance that stops, then it stops.
      await runner.exec(sh(DRAIN, ...claimed.workers));
      await o.hooks.stopInstance(how === 'complete' ? state.stablePort : state.canaryPort);
      if (how === 'complete') await o.hooks.promoted(final);
      else await o.hooks.aborted(final);
      return true;
    },
    readLog: async (offset) => {
      const r = await runner.exec(sh(READ_LOG, o.accessLog, String(Math.max(0, Math.floor(offset))), String(LOG_READ_CAP)));
      const m = /^from (\d+)\n?/.exec(r.stdout);
      if (r.code !== 0 || !m) throw new GoDeployError(`${name}: could not read ${o.accessLog}: ${lastOutputLine(r)}`);
      const text = r.stdout.slice(m[0].length);
      return { text, offset: Number(m[1]) + Buffer.byteLength(text) };
    },
    logSize: async () => {
      const r = await runner.exec(sh(LOG_SIZE, o.accessLog));
      const n = Number(r.stdout.trim());
      if (r.code !== 0 || !Number.isFinite(n)) throw new GoDeployError(`${name}: could not read the size of ${o.accessLog}: ${lastOutputLine(r)}`);
      return n;
    },
  };
}
