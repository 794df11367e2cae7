// Rules for how the service is started (launch.ts): its arguments, the variable its port
// reaches it by, and health settings that only mean something for one health check type.
import { isObject, type RawObject } from './raw';
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument, PathSegment } from './document';
import { portReach } from './launch';
import { healthCheckTypes } from './model';
import { scanReferences } from './references';

/** `app.args` / `environments.NAME.args` item paths: [..., 'args', i]. */
export function isArgumentPath(path: readonly PathSegment[]): boolean {
  const n = path.length;
  if (n < 3 || path[n - 2] !== 'args' || typeof path[n - 1] !== 'number') return false;
  return (n === 3 && path[0] === 'app') || (n === 4 && path[0] === 'environments');
}

export function launchDiagnostics(document: ConfigDocument, data: RawObject, out: ConfigDiagnostic[]): void {
  const app = isObject(data.app) ? data.app : {};
  const environments = isObject(data.environments) ? data.environments : {};
  checkArgs(document, app.args, ['app', 'args'], out);
  for (const [name, env] of Object.entries(environments)) if (isObject(env)) checkArgs(document, env.args, ['environments', name, 'args'], out);
  // A malformed portEnv/portFlag was reported by the schema; the rule then speaks of PORT.
  const reach = portReach({
    portEnv: typeof app.portEnv === 'string' ? app.portEnv : undefined,
    portFlag: typeof app.portFlag === 'string' ? app.portFlag : undefined,
  });
  checkPortVariable(document, app.env, ['app', 'env'], reach.env, out);
  for (const [name, env] of Object.entries(environments))
    if (isObject(env)) checkPortVariable(document, env.env, ['environments', name, 'env'], reach.env, out);
  const appType = isObject(app.healthCheck) ? app.healthCheck.type : undefined;
  checkHealth(document, app.healthCheck, ['app', 'healthCheck'], undefined, out);
  for (const [name, env] of Object.entries(environments))
    if (isObject(env)) checkHealth(document, env.healthCheck, ['environments', name, 'healthCheck'], appType, out);
}

/** ${secret:…} in an argument: argv is world-readable (ps, /proc/PID/cmdline), an env file is not. */
function checkArgs(document: ConfigDocument, args: unknown, path: PathSegment[], out: ConfigDiagnostic[]): void {
  if (!Array.isArray(args)) return;
  args.forEach((arg, i) => {
    if (typeof arg !== 'string') return;
    const secret = scanReferences(arg).references.find((r) => r.kind === 'secret');
    if (!secret) return;
    out.push(
      document.diagnosticAt(
        [...path, i],
        'value',
        'error',
        `${path.join('.')}[${i}]: ${secret.raw} cannot be an argument: argv is visible to every user of the host (ps, /proc)`,
        `put it in app.env (for example ${secret.name}: "${secret.raw}") and read it in the program; \${env:NAME} is fine in arguments`,
      ),
    );
  });
}

/** The port's variable comes from app.port; setting it again in an env map would make two sources of truth. */
function checkPortVariable(document: ConfigDocument, env: unknown, path: PathSegment[], name: string | null, out: ConfigDiagnostic[]): void {
  if (name === null || !isObject(env) || !Object.hasOwn(env, name)) return;
  const how = name === 'PORT' ? 'PORT from app.port' : `${name} from app.port (app.portEnv)`;
  out.push(
    document.diagnosticAt(
      [...path, name],
      'key',
      'error',
      `${path.join('.')}.${name}: the service gets ${how}`,
      `set app.port instead, and remove ${name} here`,
    ),
  );
}

/** Keys of a health check that its type (its own, else the inherited one, else http) never reads. */
function checkHealth(document: ConfigDocument, health: unknown, path: PathSegment[], inherited: unknown, out: ConfigDiagnostic[]): void {
  if (!isObject(health)) return;
  const type = health.type ?? inherited ?? 'http';
  if (!healthCheckTypes.includes(type)) return;
  const unused = (key: string, why: string): void => {
    if (health[key] !== undefined)
      out.push(document.diagnosticAt([...path, key], 'key', 'warning', `${path.join('.')}.${key} is ignored: ${why}`, 'remove it, or change healthCheck.type'));
  };
  if (type !== 'http') unused('path', `the health check type is ${type}, which sends no HTTP request`);
  if (type !== 'process') unused('for', `the health check type is ${type}; only type process waits for the process to stay up`);
}
