// Rules for hosts[].roles (Kamal's roles): a role must name a process of app.processes (the
// one-process form has one, named after the app), and every process must run somewhere: a
// process no host of an ssh environment runs is an error at its hosts (the deploy would
// leave it out without a word).
import { isObject, type RawObject } from './raw';
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument } from './document';

export function processRoleDiagnostics(document: ConfigDocument, data: RawObject, out: ConfigDiagnostic[]): void {
  const app = isObject(data.app) ? data.app : undefined;
  const environments = isObject(data.environments) ? data.environments : undefined;
  if (!app || !environments) return;
  const several = isObject(app.processes) && Object.keys(app.processes).length > 0;
  const names = several ? Object.keys(app.processes as RawObject) : typeof app.name === 'string' ? [app.name] : [];
  for (const [env, raw] of Object.entries(environments)) {
    if (!isObject(raw) || raw.type !== 'ssh' || !Array.isArray(raw.hosts)) continue;
    const run = new Set<string>();
    let allRoles = false;
    raw.hosts.forEach((h, i) => {
      if (!isObject(h) || !Array.isArray(h.roles)) {
        allRoles = true;
        return;
      }
      h.roles.forEach((r, j) => {
        if (typeof r !== 'string') return;
        run.add(r);
        if (names.length && !names.includes(r))
          out.push(
            document.diagnosticAt(
              ['environments', env, 'hosts', i, 'roles', j],
              'value',
              'error',
              `environments.${env}.hosts[${i}].roles: no process is named ${JSON.stringify(r)} (${several ? `app.processes has ${names.join(', ')}` : `the app is one process, ${names[0]}`})`,
              several
                ? `use one of ${names.join(', ')}, or add ${r} to app.processes`
                : 'roles name processes of app.processes; leave roles out for the one-process form',
            ),
          );
      });
    });
    if (!several || allRoles) continue;
    const idle = names.filter((n) => !run.has(n));
    if (idle.length)
      out.push(
        document.diagnosticAt(
          ['environments', env, 'hosts'],
          'key',
          'error',
          `environments.${env}: no host runs ${idle.join(', ')} (every host's roles leave ${idle.length === 1 ? 'it' : 'them'} out)`,
          `add ${idle.join(', ')} to the roles of a host, or give a host no roles (it then runs every process)`,
        ),
      );
  }
}
