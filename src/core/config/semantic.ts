import { systemFolderHint, systemFolderProblem } from './basePath';
import { isObject, type RawObject } from './raw';
import { supervisorValueProblem } from './characters';
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument, PathSegment } from './document';
import { canaryDiagnostics } from './canaryRules';
import { parseDuration } from './duration';
import { filesDiagnostics } from './filesRules';
import { hookDiagnostics } from './hookRules';
import { isArgumentPath, launchDiagnostics } from './launchRules';
import { processShapeDiagnostics } from './processShapeRules';
import { processRoleDiagnostics } from './processRules';
import type { AnyEnvironmentConfig, GoDeployConfig } from './model';
import { isNotifyUrlPath, notifyDiagnostics } from './notifyRules';
import { scanReferences } from './references';
import { valueDiagnostics } from './valueRules';

/**
 * Rules the schema cannot express. They run on whatever parsed, so every check guards
 * its own input's shape; the schema has already reported wrong types.
 */
export function semanticDiagnostics(document: ConfigDocument, data: unknown): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  checkReferences(document, data, [], out);
  out.push(...valueDiagnostics(document, data));
  if (!isObject(data)) return out;
  const config = data as Partial<GoDeployConfig>;
  const environments = isObject(config.environments) ? (config.environments as Record<string, unknown>) : {};
  for (const [name, raw] of Object.entries(environments)) {
    if (isObject(raw)) checkEnvironment(document, name, raw as Partial<AnyEnvironmentConfig>, out);
  }
  launchDiagnostics(document, config as RawObject, out);
  processShapeDiagnostics(document, config as RawObject, out);
  processRoleDiagnostics(document, config as RawObject, out);
  filesDiagnostics(document, config as RawObject, out);
  notifyDiagnostics(document, config, out);
  hookDiagnostics(document, config as RawObject, out);
  canaryDiagnostics(document, config as RawObject, out);
  checkNginx(document, (config as Record<string, unknown>).nginx, ['nginx'], out);
  for (const [name, raw] of Object.entries(environments))
    if (isObject(raw)) checkNginx(document, raw.nginx, ['environments', name, 'nginx'], out, (config as RawObject).nginx);
  const scaling = isObject((config as RawObject).kubernetes) ? (config as RawObject).kubernetes.autoscaling : undefined;
  if (isObject(scaling) && typeof scaling.minReplicas === 'number' && typeof scaling.maxReplicas === 'number' && scaling.maxReplicas < scaling.minReplicas) {
    out.push(
      document.diagnosticAt(
        ['kubernetes', 'autoscaling', 'maxReplicas'],
        'value',
        'error',
        `kubernetes.autoscaling.maxReplicas (${scaling.maxReplicas}) is below minReplicas (${scaling.minReplicas})`,
      ),
    );
  }
  const health = isObject(config.app) ? config.app.healthCheck : undefined;
  if (isObject(health) && typeof health.timeout === 'string' && typeof health.interval === 'string') {
    const timeout = parseDuration(health.timeout);
    const interval = parseDuration(health.interval);
    if (timeout !== undefined && interval !== undefined && interval > timeout) {
      out.push(
        document.diagnosticAt(
          ['app', 'healthCheck', 'interval'],
          'value',
          'warning',
          `app.healthCheck.interval (${health.interval}) is longer than the timeout (${health.timeout}); the check would run once`,
        ),
      );
    }
  }
  return out;
}

// A key of another type (hosts in a local environment) is reported by the schema: each type's definition names its keys.
function checkEnvironment(document: ConfigDocument, name: string, env: Partial<AnyEnvironmentConfig>, out: ConfigDiagnostic[]): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['environments', name, ...rest];
  checkBasePath(document, name, env, out);
  if (Array.isArray(env.hosts)) {
    const seen = new Map<string, number>();
    env.hosts.forEach((h, i) => {
      if (!isObject(h) || typeof h.host !== 'string') return;
      const key = `${h.user ?? ''}@${h.host}:${h.port ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        out.push(
          document.diagnosticAt(
            at('hosts', i),
            'value',
            'error',
            `environments.${name}.hosts[${i}] repeats hosts[${first}] (${h.host})`,
            'each host may appear once per environment',
          ),
        );
      } else {
        seen.set(key, i);
      }
    });
  }
}

/** Why systemd cannot run an executable under this path, if it cannot (it refuses quotes and backslashes in ExecStart='s path). */
export function executablePathProblem(p: string): string | undefined {
  if (/['"]/.test(p)) return 'a quote';
  if (p.includes('\\')) return 'a backslash';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x00-\x1f\x7f]/.test(p)) return 'a control character';
  return undefined;
}

/**
 * The base path must be a folder of the service's own (never a system folder: a deploy
 * creates releases/, shared/, current and .godeploy/ in it) that the process manager can
 * run the service from.
 */
function checkBasePath(document: ConfigDocument, name: string, env: Partial<AnyEnvironmentConfig>, out: ConfigDiagnostic[]): void {
  if (typeof env.path !== 'string' || (env.type !== 'ssh' && env.type !== 'local')) return;
  const system = systemFolderProblem(env.path);
  if (system) {
    out.push(
      document.diagnosticAt(
        ['environments', name, 'path'],
        'value',
        'error',
        `environments.${name}.path ${JSON.stringify(env.path)} is ${system}, not a folder to deploy into`,
        systemFolderHint,
      ),
    );
    return;
  }
  const manager = env.type === 'local' ? 'none' : (env.processManager ?? 'systemd');
  const problem = manager === 'systemd' ? executablePathProblem(env.path) : manager === 'supervisor' ? supervisorValueProblem(env.path) : undefined;
  if (!problem) return;
  out.push(
    document.diagnosticAt(
      ['environments', name, 'path'],
      'value',
      'error',
      `environments.${name}.path holds ${problem}, which ${manager} cannot take in a path`,
      manager === 'systemd'
        ? 'choose a path without quotes or backslashes (spaces, $ and parentheses are fine), or use processManager: supervisor or none'
        : 'choose a path without " ;" or " #"',
    ),
  );
}

/** certbot's paths are named after the server: it needs a real server name. */
function checkNginx(document: ConfigDocument, nginx: unknown, path: PathSegment[], out: ConfigDiagnostic[], base?: RawObject): void {
  if (!isObject(nginx) || !isObject(nginx.tls) || nginx.tls.certbot !== true) return;
  const serverName = nginx.serverName ?? base?.serverName;
  if ((serverName === undefined || serverName === '_') && (nginx.tls.certificate === undefined || nginx.tls.certificateKey === undefined)) {
    out.push(
      document.diagnosticAt(
        [...path, 'tls', 'certbot'],
        'key',
        'error',
        `${path.join('.')}.tls.certbot needs ${path.join('.')}.serverName`,
        "certbot keeps certificates under /etc/letsencrypt/live/<serverName>/; set serverName to the site's domain",
      ),
    );
  }
}

/** Malformed references anywhere, and secrets outside env maps (they would end up in commands or file names). */
function checkReferences(document: ConfigDocument, value: unknown, path: PathSegment[], out: ConfigDiagnostic[]): void {
  if (typeof value === 'string') {
    const { references, problems } = scanReferences(value);
    for (const p of problems) out.push(document.diagnosticAt(path, 'value', 'error', p.message));
    const inEnvMap = path.length >= 2 && path[path.length - 2] === 'env';
    // Registry credentials go to the engine in the API's auth header, never into a command or a file.
    const registryCredential =
      path.length === 4 && path[0] === 'environments' && path[2] === 'docker' && (path[3] === 'registryUser' || path[3] === 'registryPassword');
    // Arguments have a rule of their own (launchRules.ts), with its own hint.
    if (isArgumentPath(path)) return;
    // A webhook URL is posted to from this machine, never written to a host: a secret belongs there.
    if (isNotifyUrlPath(path)) return;
    for (const r of references) {
      if (r.kind === 'secret' && !inEnvMap && !registryCredential) {
        out.push(
          document.diagnosticAt(
            path,
            'value',
            'error',
            `${r.raw} is only allowed in env maps (app.env or environments.NAME.env), docker.registryUser/registryPassword and notify[].url`,
            'secrets reach the service through its 0600 env file; they must not appear in hosts, paths or commands',
          ),
        );
      }
    }
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkReferences(document, v, [...path, i], out));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) checkReferences(document, v, [...path, k], out);
}

export { parseDuration } from './duration';
