// The processes of an app (app.processes, or the one process app.main describes) as models:
// each process is deployed as a service of its own (unit, program, container, Deployment)
// named <app>-<process>, with its own main, arguments, port and health check. A process's
// GenerateModel (modelOfProcess) is what every generator and service manager takes, so the
// one-process form and each process of the several-process form go through the same code.
import { ninetyPercent, type GenerateModel } from './model';
import type { ProcessModel } from './processList';

export { buildProcesses, executableNames, hasProcesses, type ProcessModel } from './processList';

/**
 * The processes of `model` (built by buildGenerateModel) in the order app.processes lists
 * them: the order they are restarted in. The one-process form is one process named and
 * serviced as app.name, its executable app.name, so nothing it produces changes.
 */
export function processesOf(model: GenerateModel): ProcessModel[] {
  return model.processes;
}

/** The names of the processes, in order. */
export function processNames(model: GenerateModel): string[] {
  return model.processes.map((p) => p.name);
}

/** The process named `name`, or undefined. */
export function processNamed(model: GenerateModel, name: string): ProcessModel | undefined {
  return model.processes.find((p) => p.name === name);
}

/**
 * The GenerateModel of one process: app.name is its service name, app.main/args/port/health
 * its own, env its own merged over the app's, paths.binary its executable under current and
 * paths.envFile shared/<service>.env. For the one-process form it is the model itself.
 * A process without a port has app.port 0 and app.listens false.
 */
export function modelOfProcess(model: GenerateModel, process: ProcessModel | string): GenerateModel {
  const p = typeof process === 'string' ? processNamed(model, process) : process;
  if (!p) throw new Error(`no process ${String(process)} in the model`);
  // The one-process form, or a model modelOfProcess already made (it stays as it is, its env too).
  if (model.processes.length === 1 && p.service === model.app.name && p.executable === model.app.executable) return model;
  const base = model.paths.base;
  return {
    ...model,
    app: {
      ...model.app,
      name: p.service,
      main: p.main,
      args: p.args,
      argsFrom: p.argsFrom,
      argsPending: p.argsPending,
      port: p.port ?? 0,
      listens: p.port !== null,
      portEnv: p.portEnv,
      portFlag: p.portFlag,
      healthType: p.healthType,
      healthPath: p.healthPath,
      healthForMs: p.healthForMs,
      healthTimeoutSeconds: p.healthTimeoutSeconds,
      healthIntervalMs: p.healthIntervalMs,
      executable: p.executable,
    },
    env: p.env,
    runtimeEnvNames: p.runtimeEnvNames,
    processes: [p],
    paths: { ...model.paths, binary: `${base}/current/${p.executable}`, envFile: `${base}/shared/${p.service}.env` },
    systemd: {
      ...model.systemd,
      memoryMax: p.systemd.memoryMax ?? model.systemd.memoryMax,
      // GOMEMLIMIT follows the process's own MemoryMax (90% of it), else the app's.
      goMemLimit: p.systemd.memoryMax ? ninetyPercent(p.systemd.memoryMax, 'binary') : model.systemd.goMemLimit,
      goMaxProcs: p.systemd.goMaxProcs ?? model.systemd.goMaxProcs,
      limitNOFILE: p.systemd.limitNOFILE ?? model.systemd.limitNOFILE,
    },
    kubernetes: { ...model.kubernetes, replicas: p.kubernetesReplicas ?? model.kubernetes.replicas },
  };
}

/** The processes a host runs: its roles, else all of them (in the app's order). */
export function processesForRoles(model: GenerateModel, roles: readonly string[] | undefined): ProcessModel[] {
  return roles ? model.processes.filter((p) => roles.includes(p.name)) : model.processes;
}

/**
 * The hosts that serve the app's HTTP: those whose roles include a process with a port (no
 * roles: every host). nginx runs on each of them and proxies to 127.0.0.1:<port> there, so
 * a host that runs only workers gets no site and is never an upstream.
 */
export function hostsServingPort<H extends { roles?: readonly string[] }>(model: GenerateModel, hosts: readonly H[]): H[] {
  return hosts.filter((h) => processesForRoles(model, h.roles).some((p) => p.port !== null));
}
