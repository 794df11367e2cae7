// The service's environment at deploy time: app.env and the environment's env, with
// ${env:…}/${secret:…} resolved on this machine, plus the port in the variable it reaches the
// service as (app.portEnv, default PORT; none when it goes only by flag: launch.ts). Written to the host as a file
// of KEY="value" lines (mode 0600) that systemd's EnvironmentFile= and sh's `.` read the
// same way, so the service, supervisor's sh wrapper and the hooks agree. Double quotes are
// the common ground: inside them both take \, ", $ and ` escaped by a backslash and keep
// newlines; single quotes are not (systemd ends a value at a newline after '\'').
import { portReach } from '../config/launch';
import type { EnvironmentConfig, GoDeployConfig } from '../config/model';
import { Redactor, resolveReferences, scanReferences, type ReferenceSources } from '../config/references';
import { GoDeployError } from '../errors';
import { type LoadedEnvironment } from '../environment/load';

export interface ResolvedEnvironment {
  /** Sorted by name; the port variable included. */
  values: Record<string, string>;
  /** Every value that came from a ${secret:…} (and ${env:…}: it may be a CI secret), for redaction. */
  redactor: Redactor;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Resolves the environment of `envName`'s service; a missing variable or secret names the key. */
/** `port` null: the service gets its port elsewhere (blue-green instances: from their unit, PORT=%i or the flag). */
export async function resolveServiceEnvironment(
  config: GoDeployConfig,
  envName: string,
  env: EnvironmentConfig,
  port: number | null,
  sources: ReferenceSources,
): Promise<ResolvedEnvironment> {
  const redactor = new Redactor();
  // The environment's entries replace app.env's before anything is resolved, so a secret
  // that an environment overrides is never required.
  const merged = new Map<string, [string | number | boolean, string]>();
  for (const [k, v] of Object.entries(config.app.env ?? {})) merged.set(k, [v, `app.env.${k}`]);
  for (const [k, v] of Object.entries(env.env ?? {})) merged.set(k, [v, `environments.${envName}.env.${k}`]);
  const values: Record<string, string> = {};
  for (const [key, [raw, where]] of merged) {
    if (!NAME.test(key)) throw new GoDeployError(`${where}: "${key}" is not a valid environment variable name`);
    if (typeof raw !== 'string' || !scanReferences(raw).references.length) {
      values[key] = String(raw).replace(/\$\$/g, '$');
      continue;
    }
    try {
      const r = await resolveReferences(raw, sources, where);
      // Secrets are hidden in all output; ${env:…} values are often CI secrets too, hidden
      // unless they are too short to be one (hiding "true" or "8080" would garble output).
      for (const s of r.secrets) if (s.length >= 3) redactor.add(s);
      if (scanReferences(raw).references.some((ref) => ref.kind === 'env') && r.value.length >= 6) redactor.add(r.value);
      values[key] = r.value;
    } catch (e) {
      throw new GoDeployError((e as Error).message, {
        hint: "the CLI reads ${env:NAME} and ${secret:NAME} from its environment (export NAME=… or your CI's secret store); the editor keeps secrets in its SecretStorage",
      });
    }
  }
  const portEnv = portReach(config.app).env;
  if (port !== null && portEnv !== null) values[portEnv] = String(port);
  const sorted = Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { values: sorted, redactor };
}

/** KEY="value" lines: \ " $ ` escaped with a backslash, newlines kept inside the quotes. */
export function renderEnvFile(values: Record<string, string>, header = 'written by Go Deploy at each deploy; mode 0600'): string {
  const lines = [`# ${header}`];
  for (const [k, v] of Object.entries(values)) {
    if (!NAME.test(k)) throw new GoDeployError(`"${k}" is not a valid environment variable name`);
    if (v.includes('\0')) throw new GoDeployError(`the value of ${k} contains a NUL byte, which no environment can hold`);
    lines.push(`${k}="${v.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** Hides the secret values this machine can resolve (a missing one is simply not known). */
export async function bestEffortRedactor(
  d: Pick<LoadedEnvironment, 'config' | 'name' | 'env'>,
  sources: ReferenceSources | undefined,
): Promise<(t: string) => string> {
  if (!sources) return (t) => t;
  const soft: ReferenceSources = { env: async (n) => (await sources.env(n)) ?? '', secret: async (n) => (await sources.secret(n)) ?? '' };
  const r = await resolveServiceEnvironment(d.config, d.name, d.env, null, soft).catch(() => undefined);
  return (t) => r?.redactor.redact(t) ?? t;
}
