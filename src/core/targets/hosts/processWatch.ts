// healthCheck.type process on a host: how each service manager is asked about the release's
// main process (one command per look) and how its answer reads as a ProcessObservation:
// systemd by the unit's ActiveState, MainPID, NRestarts and ExecMain status; a supervisord
// program by `supervisorctl status` (and the exit status supervisord logged); a detached
// process (type local) by its pid file and the exit file its launcher writes.
import { exitWords, type ProcessObservation } from '../../release/healthGate';
import { shArgv as sh } from '../../remote/quote';

export const SYSTEMD_WATCH_PROPERTIES = 'ActiveState,SubState,MainPID,NRestarts,ExecMainStatus,ExecMainCode';

/** `systemctl show UNIT` with the properties a process watch reads. */
export const systemdWatchArgv = (unit: string): string[] => ['systemctl', 'show', unit, `--property=${SYSTEMD_WATCH_PROPERTIES}`];

function keyValues(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

/** systemd's ExecMainCode (CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3) and ExecMainStatus in words. */
function systemdExit(kv: Record<string, string>): string | undefined {
  const code = Number(kv.ExecMainCode);
  const status = Number(kv.ExecMainStatus);
  if (code === 1) return exitWords(status);
  if (code === 2) return exitWords(null, status);
  if (code === 3) return `${exitWords(null, status)} (core dumped)`;
  return undefined;
}

export function parseSystemdObservation(out: string): ProcessObservation {
  const kv = keyValues(out);
  const state = kv.ActiveState ? `${kv.ActiveState} (${kv.SubState ?? '?'})` : 'unknown';
  const pid = Number(kv.MainPID) || null;
  const restarts = kv.NRestarts !== undefined && kv.NRestarts !== '' && /^\d+$/.test(kv.NRestarts) ? Number(kv.NRestarts) : null;
  const exit = systemdExit(kv);
  if ((kv.ActiveState === 'active' || kv.ActiveState === 'reloading') && pid !== null) return { phase: 'running', pid, restarts, exit, state };
  // activating (start, start-pre…) is on its way; activating (auto-restart) has exited and waits for RestartSec.
  if (kv.ActiveState === 'activating' && kv.SubState !== 'auto-restart') return { phase: 'starting', pid, restarts, state };
  return { phase: 'down', pid, restarts, exit, state };
}

// $1 supervisord.conf, $2 program: its status line, then the last "exited: PROGRAM (…)" line
// of supervisord's own log (the exit status lives there, not in supervisorctl status).
const SUPERVISOR_WATCH = `supervisorctl -c "$1" status "$2"
supervisorctl -c "$1" maintail -16000 2>/dev/null | grep -F "exited: $2 (" | tail -n 1
true`;

export const supervisorWatchArgv = (configFile: string, program: string): string[] => sh(SUPERVISOR_WATCH, configFile, program);

export function parseSupervisorObservation(out: string): ProcessObservation {
  const m = /^\S+\s+([A-Z]+)\s*(?:pid (\d+),)?(.*)$/m.exec(out);
  const logged = /exited: \S+ \((?:exit status (\d+)|terminated by (SIG[A-Z0-9]+))/.exec(out);
  const exit = logged ? (logged[1] !== undefined ? exitWords(Number(logged[1])) : exitWords(null, logged[2])) : undefined;
  if (!m) return { phase: 'down', pid: null, restarts: null, exit, state: out.trim().split('\n')[0] || 'unknown' };
  const state = `${m[1]}${m[3]?.trim() && !m[2] ? ` ${m[3].trim()}` : ''}`;
  const pid = m[2] ? Number(m[2]) : null;
  if (m[1] === 'RUNNING') return { phase: 'running', pid, restarts: null, state };
  if (m[1] === 'STARTING') return { phase: 'starting', pid, restarts: null, state };
  return { phase: 'down', pid, restarts: null, exit, state };
}

/** The local process manager's state line: "running PID UPTIME", "exited PID STATUS" or "stopped". */
export function parseProcessObservation(out: string): ProcessObservation {
  const [state, p, n] = out.trim().split(/\s+/);
  const pid = p && /^\d+$/.test(p) ? Number(p) : null;
  if (state === 'running') return { phase: 'running', pid, restarts: null, state: 'running' };
  if (state === 'exited') {
    const status = Number(n);
    return {
      phase: 'down',
      pid,
      restarts: null,
      exit: status > 128 ? exitWords(null, status - 128) : exitWords(Number.isFinite(status) ? status : null),
      state: 'exited',
    };
  }
  return { phase: 'down', pid: null, restarts: null, state: state || 'stopped' };
}
