// The user a host's services run as (systemd.user, a supervisor program's user), and the
// deploy's preflight check that it exists: a deploy never creates a user, \`godeploy setup\` does.
import { processManagerOf } from '../../config/model';
import type { DeployEnvironment } from '../../environment/load';
import type { DoctorCheck } from '../../release/checks';

/** The user services run as on a host, when one is named: systemd.user, or a supervisor program's user. */
export function serviceUserOf(d: DeployEnvironment): string | null {
  const pm = processManagerOf(d.env);
  if (pm === 'systemd') return d.model.systemd.user;
  if (pm === 'supervisor') return d.model.supervisor.user;
  return null;
}

/** The deploy's preflight check: the user the service runs as exists (a deploy never creates one). */
export function serviceUserCheck(user: string, envName: string): DoctorCheck {
  return {
    id: 'service-user',
    title: 'service user',
    argv: ['getent', 'passwd', user],
    interpret: (r) =>
      r.code === 0
        ? { status: 'ok', detail: `${user} exists` }
        : {
            status: 'fail',
            detail: `the service runs as user ${user}, who does not exist on this host`,
            hint: `run \`godeploy setup ${envName}\` (it creates ${user} as a system user without a login shell), or create the user yourself`,
          },
  };
}
