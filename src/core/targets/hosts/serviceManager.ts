// How a release's service is installed, restarted, stopped and read on a host: systemd, a
// supervisord program, or (type local, processManager none) a detached process with a pid
// file. Each is data: the definition file to install and the argv of each operation, so a
// deploy plan can print them and the runners execute them unchanged.
import { serviceArguments } from '../../generate/args';
import type { GenerateModel } from '../../generate/model';
import { programLogFiles } from '../../generate/supervisor';
import { NO_LINK } from './baseLayout';
import type { ProcessObservation } from '../../release/healthGate';
import { parseProcessObservation, parseSupervisorObservation, parseSystemdObservation, supervisorWatchArgv, systemdWatchArgv } from './processWatch';
import { shArgv as sh } from '../../remote/quote';

export type ServiceManagerKind = 'systemd' | 'supervisor' | 'process';

export interface ServiceDefinition {
  /** Where it is installed on the host. */
  path: string;
  content: string;
  /** Run after the file changed (daemon-reload, supervisorctl reread/update). */
  reload: string[][];
}

export interface ServiceState {
  /** running, stopped, failed, starting, unknown… as the manager says it. */
  state: string;
  running: boolean;
  /** Seconds since the service (re)started, when known. */
  uptimeSeconds: number | null;
  pid: number | null;
}

export interface ServiceManager {
  kind: ServiceManagerKind;
  /** The unit, program or process name (for messages). */
  name: string;
  definition: ServiceDefinition | null;
  /** Starts the live release (`current`), stopping the running one first. */
  restart: string[];
  stop: string[];
  /** Prints the state; parse with parseState. */
  state: string[];
  parseState(stdout: string): ServiceState;
  /** Prints what a process watch (healthCheck.type process) reads; parse with parseObservation. */
  observe: string[];
  parseObservation(stdout: string): ProcessObservation;
  /**
   * The last `lines` log lines of the release that was started last, none of an earlier
   * one's: systemd by the unit's current invocation, a process or supervisor program by its
   * log files' byte `offsets` its restart printed (`log-offset N…`, between stopping the old
   * run and starting the new); else since the host's epoch second `since`.
   */
  logs(lines: number, since?: number, offsets?: number[]): string[];
  /** Owner the env file is given to (supervisor programs read it as their user), or null. */
  envFileOwner: string | null;
}

/** `systemctl show --property=ActiveState,SubState,MainPID` output as a ServiceState. */
export function parseSystemctlShow(out: string): ServiceState {
  const kv = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    state: kv.ActiveState ? `${kv.ActiveState} (${kv.SubState ?? '?'})` : 'unknown',
    running: kv.ActiveState === 'active',
    uptimeSeconds: null,
    pid: Number(kv.MainPID) || null,
  };
}

/** The last `lines` journal lines of `unit` (a pattern such as name@* works), since a host epoch second. */
export function journalArgv(unit: string, lines: number, since?: number): string[] {
  return ['journalctl', '--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'short-iso', ...(since ? ['--since', `@${since}`] : [])];
}

// $1 unit, $2 lines, $3 host epoch second of the switch (or empty). The unit's current
// invocation is the release started last (a restart or an automatic restart each begin one;
// the old release's stop lines belong to the one before): its own lines (_SYSTEMD_INVOCATION_ID)
// and systemd's about it (INVOCATION_ID). Without an invocation id (systemd < 232): by time.
const RELEASE_JOURNAL = `id=$(systemctl show --property=InvocationID --value "$1" 2>/dev/null) || id=
case "$id" in
  *[!0-9a-f]*|'') exec journalctl --unit "$1" --lines "$2" --no-pager --output short-iso \${3:+--since "@$3"};;
  *) exec journalctl "_SYSTEMD_INVOCATION_ID=$id" + "INVOCATION_ID=$id" --lines "$2" --no-pager --output short-iso;;
esac`;

/** The last `lines` journal lines of the current run of `unit` (see RELEASE_JOURNAL). */
export function releaseJournalArgv(unit: string, lines: number, since?: number): string[] {
  return sh(RELEASE_JOURNAL, unit, String(lines), since ? String(since) : '');
}

export function systemdManager(model: GenerateModel, unitText: string): ServiceManager {
  const unit = `${model.app.name}.service`;
  return {
    kind: 'systemd',
    name: unit,
    definition: {
      path: `/etc/systemd/system/${unit}`,
      content: unitText,
      reload: [
        ['systemctl', 'daemon-reload'],
        ['systemctl', 'enable', '--quiet', unit],
      ],
    },
    // A deploy is a deliberate start: clear the unit's start rate limit (StartLimitBurst)
    // first, or a few deploys and rollbacks in a row would be refused.
    restart: sh('systemctl reset-failed "$1" 2>/dev/null; systemctl restart "$1"', unit),
    stop: ['systemctl', 'stop', unit],
    state: ['systemctl', 'show', unit, '--property=ActiveState,SubState,MainPID,ActiveEnterTimestampMonotonic', '--timestamp=unix'],
    parseState: parseSystemctlShow,
    observe: systemdWatchArgv(unit),
    parseObservation: parseSystemdObservation,
    logs: (lines, since) => releaseJournalArgv(unit, lines, since),
    envFileOwner: null,
  };
}

/** `supervisorctl status NAME` output ("hello  RUNNING   pid 123, uptime 0:01:02") as a ServiceState. */
export function parseSupervisorStatus(out: string): ServiceState {
  const m = /^\S+\s+([A-Z]+)\s*(?:pid (\d+), uptime (?:(\d+) days?, )?(\d+):(\d+):(\d+))?/m.exec(out);
  if (!m) return { state: 'unknown', running: false, uptimeSeconds: null, pid: null };
  const up = m[4] !== undefined ? Number(m[3] ?? 0) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) : null;
  return { state: m[1].toLowerCase(), running: m[1] === 'RUNNING', uptimeSeconds: up, pid: m[2] ? Number(m[2]) : null };
}

/** The last `lines` lines of each existing file, each headed "==> FILE <==". */
export function tailFiles(lines: number, files: string[]): string[] {
  return sh('n=$1; shift; for f in "$@"; do [ -f "$f" ] && { echo "==> $f <=="; tail -n "$n" "$f"; }; done; true', String(lines), ...files);
}

/** Like tailFiles, each file read from its byte offset (where a run's lines begin). */
export function tailFilesFrom(lines: number, files: string[], offsets: number[]): string[] {
  return sh(
    'n=$1; shift; while [ $# -ge 2 ]; do [ -f "$1" ] && { echo "==> $1 <=="; tail -c "+$(($2 + 1))" "$1" | tail -n "$n"; }; shift 2; done; true',
    String(lines),
    ...files.flatMap((f, i) => [f, String(offsets[i] ?? 0)]),
  );
}

// $1 supervisord.conf, $2 program, then its log files. A restart in three parts, so that the
// logs' sizes are read after the old run's last line and before the new run's first.
const SUPERVISOR_RESTART = `c=$1 p=$2; shift 2
supervisorctl -c "$c" stop "$p" >/dev/null 2>&1
printf 'log-offset'; for f; do printf ' %s' "$({ wc -c < "$f"; } 2>/dev/null || echo 0)"; done; echo
exec supervisorctl -c "$c" start "$p"`;

/** supervisorctl with the environment's supervisord.conf, and the conf.d folder programs go into. */
export function supervisorControl(model: GenerateModel): { ctl: (...args: string[]) => string[]; confDir: string } {
  const conf = model.supervisor.configFile;
  return { ctl: (...args) => ['supervisorctl', '-c', conf, ...args], confDir: `${conf.slice(0, conf.lastIndexOf('/')) || ''}/conf.d` };
}

export function supervisorManager(model: GenerateModel, programText: string): ServiceManager {
  const name = model.app.name;
  const { ctl, confDir } = supervisorControl(model);
  const logs = programLogFiles(model, name);
  return {
    kind: 'supervisor',
    name: `supervisor program ${name}`,
    definition: { path: `${confDir}/${name}.conf`, content: programText, reload: [ctl('reread'), ctl('update', name)] },
    // `start` reports a spawn error with a non-zero exit; the health gate decides anyway.
    restart: sh(SUPERVISOR_RESTART, model.supervisor.configFile, name, ...logs),
    stop: ctl('stop', name),
    state: ctl('status', name),
    parseState: parseSupervisorStatus,
    observe: supervisorWatchArgv(model.supervisor.configFile, name),
    parseObservation: parseSupervisorObservation,
    logs: (lines, _since, offsets) => (offsets ? tailFilesFrom(lines, logs, offsets) : tailFiles(lines, logs)),
    envFileOwner: model.supervisor.user,
  };
}

// A process that exists and is not a zombie waiting to be reaped.
const ALIVE = `alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }`;

// $1 base, $2 env file, $3 executable (under current), $4 log file, $5 pid file, $6 stop seconds.
const PROCESS_STOP = `${ALIVE}
pidf=$5
[ -f "$pidf" ] || exit 0
pid=$(cat "$pidf" 2>/dev/null)
case "$pid" in ''|*[!0-9]*) rm -f "$pidf"; exit 0;; esac
# Only a process running an executable of this base (pids get reused); /proc/PID/exe is
# resolved, so compare with the resolved base too.
exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
real=$(readlink -f "$1" 2>/dev/null || echo "$1")
case "$exe" in "$1"/releases/*|"$real"/releases/*) ;; *) rm -f "$pidf"; exit 0;; esac
kill -TERM "$pid" 2>/dev/null || { rm -f "$pidf"; exit 0; }
i=0
while alive "$pid" && [ $i -lt $(($6 * 10)) ]; do sleep 0.1; i=$((i+1)); done
alive "$pid" && kill -KILL "$pid" 2>/dev/null
rm -f "$pidf"
exit 0`;

// Before stop and restart: exit 6 when shared/, the log folder, the log, the pid file, the
// exit file or their temporary names is a symlink (the log is appended to, the others written).
const PROCESS_FILES = `${NO_LINK}
nolink "$1/shared" "\${4%/*}" "$4" "$5" "$5.tmp" "$5.exit" "$5.exit.tmp" || exit 6`;

// Runs after stop: starts `current` detached (own session, stdin from /dev/null, output
// appended to the log) with only the env file's variables (plus PATH and HOME), as systemd
// would: nothing of the deploying shell's environment leaks in. Arguments after $6 are the
// service's own (app.args, the port flag). A small sh stays as the service's parent: it puts
// the service's pid into a fresh file (noclobber: never through a link) renamed over the pid
// file, waits for it, and records "PID STATUS" in the exit file when it ends, so a process
// that exits is reported with its status. Waits for the pid file.
const PROCESS_RESTART = `set -e
cd "$1/current"
mkdir -p "\${4%/*}"
rm -f "$5.tmp" "$5.exit" "$5.exit.tmp"
echo "log-offset $({ wc -c < "$4"; } 2>/dev/null || echo 0)"
envf=$2 exe=$3 log=$4 pidf=$5
shift 6
env -i PATH="\${PATH:-/usr/local/bin:/usr/bin:/bin}" HOME="\${HOME:-/}" setsid sh -c 'set -a; . "$2"; set +a
godeploy_pidf=$1 godeploy_exe=$3; shift 3
(set -C; : > "$godeploy_pidf.tmp") || exit 1
"$godeploy_exe" "$@" </dev/null &
godeploy_child=$!
{ echo "$godeploy_child" > "$godeploy_pidf.tmp" && mv -f -T "$godeploy_pidf.tmp" "$godeploy_pidf"; } || { kill -KILL "$godeploy_child"; exit 1; }
trap "" HUP
wait "$godeploy_child"; godeploy_status=$?
rm -f "$godeploy_pidf.exit.tmp"
(set -C; echo "$godeploy_child $godeploy_status" > "$godeploy_pidf.exit.tmp") && mv -f -T "$godeploy_pidf.exit.tmp" "$godeploy_pidf.exit"' godeploy-start "$pidf" "$envf" "$exe" "$@" >>"$log" 2>&1 </dev/null &
i=0
while [ ! -s "$pidf" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$pidf" ] || { echo "the process did not start (no pid file $pidf)" >&2; exit 1; }`;

// $1 pid file: "running <pid> <uptime seconds>", "exited <pid> <status>" (its launcher
// recorded how the process the pid file names ended) or "stopped".
const PROCESS_STATE = `${ALIVE}
pid=$(cat "$1" 2>/dev/null || true)
case "$pid" in ''|*[!0-9]*) echo stopped; exit 0;; esac
if alive "$pid"; then echo "running $pid $(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ')"; exit 0; fi
# Gone: its launcher writes the exit file right after reaping it.
i=0
while [ $i -lt 10 ]; do
  read -r p st < "$1.exit" 2>/dev/null && [ "$p" = "$pid" ] && { echo "exited $pid $st"; exit 0; }
  sleep 0.1; i=$((i+1))
done
echo stopped`;

/** The model's arguments must be resolved (resolveModelArgs): they follow the executable, the port flag first. */
export function processManager(model: GenerateModel): ServiceManager {
  const name = model.app.name;
  const base = model.paths.base;
  const log = `${base}/shared/logs/${name}.log`;
  const pid = `${base}/shared/${name}.pid`;
  const args = [base, model.paths.envFile, `${base}/current/${model.app.executable}`, log, pid, String(model.systemd.stopTimeoutSeconds)];
  return {
    kind: 'process',
    name: `process ${name}`,
    definition: null,
    restart: sh(`${PROCESS_FILES}\n${stopThen(PROCESS_STOP)}\n${PROCESS_RESTART}`, ...args, ...serviceArguments(model, String(model.app.port))),
    stop: sh(PROCESS_STOP, ...args),
    state: sh(PROCESS_STATE, pid),
    parseState: (out) => {
      const [state, p, up] = out.trim().split(/\s+/);
      return {
        state: state === 'running' ? 'running' : 'stopped',
        running: state === 'running',
        pid: state === 'running' && p ? Number(p) : null,
        uptimeSeconds: state === 'running' && up && /^\d+$/.test(up) ? Number(up) : null,
      };
    },
    observe: sh(PROCESS_STATE, pid),
    parseObservation: parseProcessObservation,
    // From the offset the restart printed: the old process's lines (its shutdown included) are before it.
    logs: (lines, _since, offsets) =>
      offsets ? sh('tail -c "+$(($2 + 1))" "$3" | tail -n "$1"', String(lines), String(offsets[0]), log) : ['tail', '-n', String(lines), log],
    envFileOwner: null,
  };
}

/** The stop script as the first part of another: its `exit 0`s end a subshell, not the whole script. */
function stopThen(stop: string): string {
  return `(\n${stop}\n)`;
}
