// The processes of an app as data, built with the model (buildGenerateModel calls
// buildProcesses): app.processes in order, or the one process app.main describes, named,
// serviced and built as app.name. processes.ts turns one into a model of its own.
import type { AppConfig, EnvironmentConfig, GoDeployConfig, HealthCheckType, ProcessConfig } from '../config/model';
import { portReach } from '../config/launch';
import { scanReferences } from '../config/references';

/** The app-level values buildGenerateModel resolved: each process's defaults. */
export interface AppDefaults {
  name: string;
  /** Main package, "./cmd/api" or ".". */
  main: string;
  args: string[];
  argsFrom: string;
  argsPending: boolean;
  port: number;
  portEnv: string | null;
  portFlag: string | null;
  healthType: HealthCheckType;
  healthPath: string;
  healthForMs: number;
  healthTimeoutSeconds: number;
  healthIntervalMs: number;
}

/** One process: the app's defaults with its own values over them (args: its own, else the app's after the environment's). */
export interface ProcessModel extends Omit<AppDefaults, 'name' | 'port'> {
  /** The key in app.processes; app.name for the one-process form. */
  name: string;
  /** Unit, program, container and Deployment name: <app.name>-<name>; app.name for the one-process form. */
  service: string;
  /** The executable's file name in a release: shared by the processes that build the same main. */
  executable: string;
  /** The port it listens on; null for a process without one (a worker). */
  port: number | null;
  /** Plain values of its own env (over the app's), and the names resolved at deploy time. */
  env: Record<string, string>;
  runtimeEnvNames: string[];
  systemd: { memoryMax: string | null; goMaxProcs: number | null; limitNOFILE: number | null };
  kubernetesReplicas: number | null;
}

/** True when the app is several processes (app.processes). */
export function hasProcesses(config: Pick<GoDeployConfig, 'app'>): boolean {
  return config.app.processes !== undefined && Object.keys(config.app.processes).length > 0;
}

/**
 * Builds the process list from the config (called by buildGenerateModel with the app-level
 * values it resolved; they are the defaults of each process).
 */
export function buildProcesses(
  config: Pick<GoDeployConfig, 'app'>,
  env: EnvironmentConfig | undefined,
  app: AppDefaults,
  appEnv: { plain: Record<string, string>; runtime: string[] },
  resolveMain: (main: string | undefined) => string,
  splitEnv: (env: Record<string, string | number | boolean>) => { plain: Record<string, string>; runtime: string[] },
  parseDuration: (d: string) => number | undefined,
): ProcessModel[] {
  const systemdOf = () => ({ memoryMax: null, goMaxProcs: null, limitNOFILE: null });
  if (!hasProcesses(config)) {
    return [
      {
        name: app.name,
        service: app.name,
        executable: app.name,
        main: app.main,
        args: app.args,
        argsFrom: app.argsFrom,
        argsPending: app.argsPending,
        port: app.port,
        portEnv: app.portEnv,
        portFlag: app.portFlag,
        healthType: app.healthType,
        healthPath: app.healthPath,
        healthForMs: app.healthForMs,
        healthTimeoutSeconds: app.healthTimeoutSeconds,
        healthIntervalMs: app.healthIntervalMs,
        env: appEnv.plain,
        runtimeEnvNames: appEnv.runtime,
        systemd: systemdOf(),
        kubernetesReplicas: null,
      },
    ];
  }
  const entries = Object.entries(config.app.processes as Record<string, ProcessConfig>);
  const mains = entries.map(([, p]) => resolveMain(p.main ?? config.app.main));
  const executables = executableNames(mains);
  return entries.map(([name, p], i): ProcessModel => {
    const port = p.port ?? null;
    const reach = portReach({ portEnv: p.portEnv ?? config.app.portEnv, portFlag: p.portFlag ?? config.app.portFlag });
    const ownArgs = p.args !== undefined;
    const args = ownArgs ? [...p.args!] : app.args;
    const argsPending = ownArgs ? args.some((a) => scanReferences(a).references.length > 0) : app.argsPending;
    const health = { ...(port !== null ? config.app.healthCheck : {}), ...(port !== null ? env?.healthCheck : {}), ...p.healthCheck };
    const healthType: HealthCheckType = health.type ?? (port === null ? 'process' : app.healthType);
    const own = splitEnv({ ...envOf(config.app), ...(env?.env ?? {}), ...(p.env ?? {}) });
    return {
      name,
      service: `${app.name}-${name}`,
      executable: executables[i],
      main: mains[i],
      args: ownArgs && !argsPending ? args.map((a) => a.replace(/\$\$/g, '$')) : args,
      argsFrom: ownArgs ? `app.processes.${name}.args` : app.argsFrom,
      argsPending,
      port,
      portEnv: port === null ? null : reach.env,
      portFlag: port === null ? null : reach.flag,
      healthType,
      healthPath: health.path ?? app.healthPath,
      healthForMs: health.for !== undefined ? (parseDuration(health.for) ?? 5000) : app.healthForMs,
      healthTimeoutSeconds: health.timeout !== undefined ? Math.max(1, Math.ceil((parseDuration(health.timeout) ?? 30000) / 1000)) : app.healthTimeoutSeconds,
      healthIntervalMs: health.interval !== undefined ? (parseDuration(health.interval) ?? 1000) : app.healthIntervalMs,
      env: own.plain,
      runtimeEnvNames: own.runtime,
      systemd: { memoryMax: p.systemd?.memoryMax ?? null, goMaxProcs: p.systemd?.goMaxProcs ?? null, limitNOFILE: p.systemd?.limitNOFILE ?? null },
      kubernetesReplicas: p.kubernetes?.replicas ?? null,
    };
  });
}

function envOf(app: AppConfig): Record<string, string | number | boolean> {
  return app.env ?? {};
}

/**
 * One executable name per distinct main: the main's last path element (go build's name;
 * the module's last element for "."), made unique with -2, -3… when two mains end alike.
 */
export function executableNames(mains: string[]): string[] {
  const byMain = new Map<string, string>();
  const taken = new Set<string>();
  return mains.map((main) => {
    const known = byMain.get(main);
    if (known) return known;
    const last = main.replace(/\/+$/, '').split('/').pop() ?? '';
    const base = last === '.' || last === '' || last === '..' ? 'app' : last.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    byMain.set(main, name);
    return name;
  });
}
