// Rules for the shape of app.processes that the schema cannot express: the health check of a
// process without a port, two processes on one port, the length of <app>-<process> (a unit,
// program, container and Kubernetes name), and app-level keys that no process uses.
import { isObject, type RawObject } from './raw';
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument } from './document';

/** Kubernetes object names (RFC 1035 labels) and Docker hostnames stop at 63 characters. */
const MAX_SERVICE_NAME = 63;

export function processShapeDiagnostics(document: ConfigDocument, data: RawObject, out: ConfigDiagnostic[]): void {
  const app = isObject(data.app) ? data.app : undefined;
  if (!app || !isObject(app.processes)) return;
  const processes = Object.entries(app.processes).filter((e): e is [string, RawObject] => isObject(e[1]));
  if (!processes.length) return;
  const at = (name: string, ...rest: string[]) => ['app', 'processes', name, ...rest];
  const portOf = (p: RawObject): number | undefined => (typeof p.port === 'number' ? p.port : undefined);

  const byPort = new Map<number, string>();
  for (const [name, p] of processes) {
    const port = portOf(p);
    const type = isObject(p.healthCheck) ? p.healthCheck.type : undefined;
    if (port === undefined && (type === 'http' || type === 'tcp')) {
      out.push(
        document.diagnosticAt(
          at(name, 'healthCheck', 'type'),
          'value',
          'error',
          `app.processes.${name} has no port, so its health check cannot be ${type}: nothing listens for it`,
          `give it a port (app.processes.${name}.port), or use type: process (healthy while it stays up for healthCheck.for)`,
        ),
      );
    }
    if (port !== undefined) {
      const first = byPort.get(port);
      if (first !== undefined) {
        out.push(
          document.diagnosticAt(
            at(name, 'port'),
            'value',
            'error',
            `app.processes.${name}.port ${port} is already the port of app.processes.${first}: two processes cannot listen on one port`,
            'give each process a port of its own',
          ),
        );
      } else byPort.set(port, name);
    }
    if (typeof app.name === 'string') {
      const service = `${app.name}-${name}`;
      if (service.length > MAX_SERVICE_NAME || !/^[a-z0-9][a-z0-9._-]*$/.test(service)) {
        out.push(
          document.diagnosticAt(
            at(name),
            'key',
            'error',
            service.length > MAX_SERVICE_NAME
              ? `the process ${name} would run as ${service} (${service.length} characters): unit, container and Kubernetes names stop at ${MAX_SERVICE_NAME}`
              : `the process ${name} would run as ${JSON.stringify(service)}, which is not a valid unit or container name`,
            `shorten the process name or app.name (at most ${MAX_SERVICE_NAME} characters together, with the "-" between them)`,
          ),
        );
      }
    }
  }

  checkUpstreams(document, data, new Set(processes.filter(([, p]) => portOf(p) !== undefined).map(([n]) => n)), out);

  // App-level keys that no process reads: each is the default of a process that leaves it out,
  // except app.port, which no process inherits.
  const ports = processes.map(([name, p]) => `${name}: ${portOf(p) ?? 'none'}`).join(', ');
  if (app.port !== undefined) {
    out.push(
      document.diagnosticAt(
        ['app', 'port'],
        'key',
        'warning',
        `app.port is not used with app.processes: each process listens on its own port (${ports})`,
        'set the port on the process that listens (app.processes.NAME.port) and remove app.port',
      ),
    );
  }
  if (app.main !== undefined && processes.every(([, p]) => p.main !== undefined)) {
    out.push(
      document.diagnosticAt(
        ['app', 'main'],
        'key',
        'warning',
        `app.main is not used: every process of app.processes sets its own main (${processes.map(([n, p]) => `${n}: ${String(p.main)}`).join(', ')})`,
        'remove app.main, or leave main out of the processes that run it',
      ),
    );
  }
  if (processes.every(([, p]) => p.args !== undefined)) {
    const own = `every process of app.processes sets its own args (${processes.map(([n]) => `app.processes.${n}.args`).join(', ')})`;
    if (app.args !== undefined) {
      out.push(
        document.diagnosticAt(
          ['app', 'args'],
          'key',
          'warning',
          `app.args is not used: ${own}`,
          'remove app.args, or leave args out of the processes that take them',
        ),
      );
    }
    const environments = isObject(data.environments) ? data.environments : {};
    for (const [env, e] of Object.entries(environments)) {
      if (isObject(e) && e.args !== undefined) {
        out.push(
          document.diagnosticAt(
            ['environments', env, 'args'],
            'key',
            'warning',
            `environments.${env}.args is not used: ${own}`,
            "an environment's args replace app.args, which only processes without args of their own take",
          ),
        );
      }
    }
  }
}

/**
 * nginx.upstreams written by hand in an ssh environment whose hosts have roles: an upstream on
 * a host that runs no process with a port (a worker-only host) would get traffic nothing answers.
 */
function checkUpstreams(document: ConfigDocument, data: RawObject, listening: Set<string>, out: ConfigDiagnostic[]): void {
  const environments = isObject(data.environments) ? data.environments : {};
  const top = isObject(data.nginx) && Array.isArray(data.nginx.upstreams) ? data.nginx.upstreams : undefined;
  for (const [env, e] of Object.entries(environments)) {
    if (!isObject(e) || !Array.isArray(e.hosts)) continue;
    const own = isObject(e.nginx) && Array.isArray(e.nginx.upstreams) ? e.nginx.upstreams : undefined;
    const upstreams = own ?? top;
    if (!upstreams) continue;
    const path = own ? ['environments', env, 'nginx', 'upstreams'] : ['nginx', 'upstreams'];
    const workerOnly = new Map<string, string[]>();
    for (const h of e.hosts) {
      if (!isObject(h) || typeof h.host !== 'string' || !Array.isArray(h.roles)) continue;
      const roles = h.roles.filter((r): r is string => typeof r === 'string');
      if (!roles.some((r) => listening.has(r))) workerOnly.set(h.host, roles);
    }
    upstreams.forEach((u, i) => {
      if (!isObject(u) || typeof u.address !== 'string') return;
      const host = /^\[?([^\]]+?)\]?(?::\d+)?$/.exec(u.address)?.[1];
      const roles = host === undefined ? undefined : workerOnly.get(host);
      if (!roles) return;
      out.push(
        document.diagnosticAt(
          [...path, i, 'address'],
          'value',
          'error',
          `${path.join('.')}[${i}] sends traffic to ${host}, which runs only ${roles.join(', ')} in environments.${env}: no process with a port runs there`,
          `list the hosts whose roles include ${[...listening].join(' or ') || 'a process with a port'}, or leave nginx.upstreams out (nginx then proxies to 127.0.0.1 on each of those hosts)`,
        ),
      );
    });
  }
}
