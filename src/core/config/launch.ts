/**
 * How a service is started: the arguments after its executable and how its port reaches it.
 * One place for the rule, so every generator and every deploy type passes the port the same way.
 */
import type { AppConfig, EnvironmentConfig } from './model';

export interface PortReach {
  /** Environment variable set to the port, or null when the port goes only by flag. */
  env: string | null;
  /** Flag given the port (as written in app.portFlag), or null. */
  flag: string | null;
}

/** app.portEnv / app.portFlag with their defaults: PORT unless only a flag is set. */
export function portReach(app: Pick<AppConfig, 'portEnv' | 'portFlag'>): PortReach {
  const flag = app.portFlag ?? null;
  return { env: app.portEnv ?? (flag ? null : 'PORT'), flag };
}

/** `-port` → `-port=8080`; `--listen=:{port}` → `--listen=:8080`. `port` may be a placeholder (`%i`). */
export function portFlagArgument(flag: string, port: string): string {
  const eq = flag.indexOf('=');
  return eq < 0
    ? `${flag}=${port}`
    : `${flag.slice(0, eq + 1)}${flag
        .slice(eq + 1)
        .split('{port}')
        .join(port)}`;
}

/** The service's arguments as configured (an environment's `args` replaces app.args); ${env:…} not yet expanded. */
export function configuredArgs(app: Pick<AppConfig, 'args'>, environment?: Pick<EnvironmentConfig, 'args'>): string[] {
  return [...(environment?.args ?? app.args ?? [])];
}

/** Where the arguments of `environmentName` come from, for messages: `environments.X.args` when it sets its own, else `app.args`. */
export function argsSource(environment: Pick<EnvironmentConfig, 'args'> | undefined, environmentName: string | undefined): string {
  return environment?.args !== undefined && environmentName !== undefined ? `environments.${environmentName}.args` : 'app.args';
}

/** Everything after the executable: the port flag (when the port goes by flag) first, then the arguments. */
export function launchArguments(
  app: Pick<AppConfig, 'args' | 'portEnv' | 'portFlag'>,
  environment: Pick<EnvironmentConfig, 'args'> | undefined,
  port: string,
): string[] {
  return launchArgumentsOf(portReach(app), configuredArgs(app, environment), port);
}

/** The same rule for arguments already resolved (${env:…} expanded): the port flag first, then `args`. */
export function launchArgumentsOf(reach: Pick<PortReach, 'flag'>, args: readonly string[], port: string): string[] {
  return [...(reach.flag ? [portFlagArgument(reach.flag, port)] : []), ...args];
}
