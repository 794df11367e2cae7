// `godeploy doctor`: preflight checks on every host of an environment, in parallel. The
// checks are data (doctorChecks); this file lists them for an environment and runs them.
import { type DoctorCheck, type DoctorInputs, diskCheck, platformCheck, portCheck } from '../../release/checks';
import { type CheckOutcome } from '../../environment/types';
import { layoutCheck } from './layoutCheck';

export type { DoctorCheck, DoctorInputs } from '../../release/checks';
export type { CheckOutcome, CheckStatus } from '../../environment/types';

function processManagerCheck(pm: DoctorInputs['processManager']): DoctorCheck {
  const missing = (what: string): CheckOutcome => ({
    status: 'fail',
    detail: `${what} not found`,
    hint: `this environment's processManager is ${pm}: install it on the host, or set processManager in godeploy.yaml`,
  });
  if (pm === 'none')
    return { id: 'process-manager', title: 'process manager', argv: null, interpret: () => ({ status: 'ok', detail: 'none (processManager: none)' }) };
  if (pm === 'systemd') {
    return {
      id: 'process-manager',
      title: 'process manager',
      argv: ['systemctl', '--version'],
      interpret: (r) => {
        const m = /^systemd (\d+)/.exec(r.stdout);
        return r.code === 0 && m ? { status: 'ok', detail: `systemd ${m[1]}` } : missing('systemctl');
      },
    };
  }
  return {
    id: 'process-manager',
    title: 'process manager',
    argv: ['sh', '-c', 'supervisorctl version 2>/dev/null || supervisord --version'],
    interpret: (r) => {
      const v = r.stdout.trim().split('\n')[0];
      return r.code === 0 && v ? { status: 'ok', detail: `supervisor ${v}` } : missing('supervisorctl/supervisord');
    },
  };
}

function openFilesCheck(pm: DoctorInputs['processManager'], limitNOFILE: number): DoctorCheck {
  const hints = {
    systemd: `the service gets LimitNOFILE=${limitNOFILE} from its unit; this is the login limit (raise it in /etc/security/limits.conf if you start the app by hand)`,
    supervisor: 'supervisord passes its own limit to programs: raise minfds in supervisord.conf',
    none: 'raise it (ulimit -n, /etc/security/limits.conf) for whatever starts the app',
  };
  return {
    id: 'open-files',
    title: 'open files',
    argv: ['sh', '-c', 'ulimit -n'],
    interpret: (r) => {
      const v = r.stdout.trim();
      if (r.code !== 0 || !/^(\d+|unlimited)$/.test(v)) return { status: 'warn', detail: `could not read ulimit -n: ${(r.stderr || v).trim()}` };
      return v !== 'unlimited' && Number(v) < 4096 ? { status: 'warn', detail: `${v} (below 4096)`, hint: hints[pm] } : { status: 'ok', detail: v };
    },
  };
}

function fileCheck(id: string, title: string, file: string, why: string): DoctorCheck {
  return {
    id,
    title,
    argv: ['test', '-e', file],
    interpret: (r) => (r.code === 0 ? { status: 'ok', detail: file } : { status: 'warn', detail: `${file} is missing`, hint: why }),
  };
}

/** Seconds the host's clock is ahead (+) or behind (−), and how sure that is (half the round trip, plus `date +%s` truncation). */
export function clockSkew(remote: string, t: { startMs: number; endMs: number }): { skew: number; uncertainty: number } {
  const seconds = Number(remote.trim());
  const whole = /^\d+$/.test(remote.trim());
  const mid = (t.startMs + t.endMs) / 2000;
  return { skew: seconds + (whole ? 0.5 : 0) - mid, uncertainty: (t.endMs - t.startMs) / 2000 + (whole ? 0.5 : 0) };
}

function clockCheck(): DoctorCheck {
  return {
    id: 'clock',
    title: 'clock',
    argv: ['date', '+%s'],
    interpret: (r, t) => {
      if (r.code !== 0 || !/^\d+(\.\d+)?$/.test(r.stdout.trim())) return failed('date', r.stdout, r.stderr);
      const { skew, uncertainty } = clockSkew(r.stdout, t);
      const off = Math.max(0, Math.abs(skew) - uncertainty);
      const detail = off === 0 ? `in sync (±${uncertainty.toFixed(1)} s)` : `${off.toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} this machine`;
      const hint = 'enable time synchronisation on the host (timedatectl set-ntp true, chrony or systemd-timesyncd)';
      return off > 30 ? { status: 'fail', detail, hint } : off > 2 ? { status: 'warn', detail, hint } : { status: 'ok', detail };
    },
  };
}

const failed = (what: string, stdout: string, stderr: string): CheckOutcome => ({
  status: 'fail',
  detail: `${what} failed: ${(stderr || stdout).trim().split('\n')[0] || 'no output'}`,
});

/** The checks run on every host (after `reachable`), in order. */
export function doctorChecks(inputs: DoctorInputs): DoctorCheck[] {
  return [
    platformCheck(inputs.targets),
    diskCheck(inputs.basePath),
    layoutCheck(inputs.basePath, inputs.appName, inputs.repairLayout),
    portCheck(inputs.port, inputs.basePath),
    processManagerCheck(inputs.processManager),
    openFilesCheck(inputs.processManager, inputs.limitNOFILE),
    fileCheck('tzdata', 'tzdata', '/usr/share/zoneinfo/UTC', 'install tzdata (or build with -tags timetzdata) so time.LoadLocation works'),
    fileCheck('ca-certificates', 'CA certificates', '/etc/ssl/certs/ca-certificates.crt', 'install ca-certificates: Go programs need them for HTTPS'),
    clockCheck(),
  ];
}
