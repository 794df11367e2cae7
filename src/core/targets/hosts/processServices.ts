// The processes a host runs (app.processes filtered by the host's roles; type local: all),
// each with its own service manager: systemd unit <app>-<process>.service, supervisor
// program <app>-<process>, or (processManager none) a process with its own pid file and log
// under shared/. Each is built from the process's own model (modelOfProcess) through the
// same generators and service managers as the one-process form, which stays one entry
// named after the app.
import type { Redactor, ReferenceSources } from '../../config/references';
import { referencesAsWritten } from '../../config/references';
import { resolveModelArgs } from '../../generate/args';
import type { GenerateModel } from '../../generate/model';
import { modelOfProcess, processesForRoles, type ProcessModel } from '../../generate/processes';
import type { DeployEnvironment } from '../../environment/load';
import * as path from 'node:path';
import { processManagerOf } from '../../config/model';
import { renderFiles } from '../../generate/generate';
import { blueGreenService, supervisorInstances, systemdInstances, type Instances } from './blueGreen';
import { processManager, supervisorManager, systemdManager } from './serviceManager';
import type { ServiceManager } from './serviceManager';
import type { ProcessStatus } from '../../environment/types';
import { gateSpecOf } from '../../release/healthGate';
import type { HostRunner } from '../../remote/hostRunner';
import { runHostGate } from './hostGate';

/** The service manager of `model` (the app's, or one process's from modelOfProcess, its arguments resolved). */
export async function managerOfModel(d: DeployEnvironment, model: GenerateModel): Promise<ServiceManager> {
  const pm = processManagerOf(d.env);
  if (pm === 'none')
    return processManager({
      ...model,
      paths: {
        ...model.paths,
        base: d.base,
        envFile: `${d.base}/shared/${model.app.name}.env`,
        binary: `${d.base}/current/${model.app.executable}`,
        logDir: `${d.base}/shared/logs`,
      },
    });
  // Every variable reaches a deployed service through its release's env file, so that a
  // rollback brings back the old values too: the installed definition carries none itself.
  if (model.blueGreen) return blueGreenService(model, d.base, blueGreenInstances(d));
  const templatesDir = d.config.templates ? path.resolve(d.moduleDir, d.config.templates) : undefined;
  const [file] = await renderFiles([pm], { ...model, env: {} }, d.moduleDir, { templatesDir });
  return pm === 'systemd' ? systemdManager(model, file.content) : supervisorManager(model, file.content);
}

/** strategy blue-green: the two instances of the environment's process manager. */
export function blueGreenInstances(d: DeployEnvironment): Instances {
  return processManagerOf(d.env) === 'supervisor' ? supervisorInstances(d.model) : systemdInstances(d.model.app.name);
}

/** One process a host runs: its model (arguments resolved) and its service manager. */
export interface ProcessService {
  process: ProcessModel;
  model: GenerateModel;
  manager: ServiceManager;
}

/**
 * The processes a host with `roles` runs (undefined: all), in app.processes order (the
 * restart order), each with its model and service manager, their ${env:…} arguments read
 * from `sources` (default: left as written).
 */
export async function serviceManagersFor(
  d: DeployEnvironment,
  roles: readonly string[] | undefined,
  sources: ReferenceSources = referencesAsWritten,
  redactor?: Redactor,
): Promise<ProcessService[]> {
  const out: ProcessService[] = [];
  for (const p of processesForRoles(d.model, roles)) {
    const model = await resolveModelArgs(modelOfProcess(d.model, p), sources, redactor);
    out.push({ process: p, model, manager: await managerOfModel(d, model) });
  }
  return out;
}

/** Whether the app uses app.processes (services named <app>-<process>), not the one-process form. */
export function hasSeveralProcessForm(model: GenerateModel): boolean {
  return !(model.processes.length === 1 && model.processes[0].service === model.app.name && model.processes[0].executable === model.app.name);
}

/** The roles of the host named `alias` in an ssh environment (undefined: all processes; type local: all). */
export function rolesOfHost(d: DeployEnvironment, alias: string): string[] | undefined {
  if (d.env.type !== 'ssh') return undefined;
  return (d.env.hosts ?? []).find((h) => h.host === alias)?.roles;
}

/**
 * Each process's state (its service manager's) and one look of its health gate (its own
 * port, or its process watch), in order; for `godeploy status`.
 */
export async function processStatuses(runner: HostRunner, services: ProcessService[]): Promise<ProcessStatus[]> {
  return Promise.all(
    services.map(async ({ process: p, model, manager }): Promise<ProcessStatus> => {
      const out = await runner.exec(manager.state);
      const s = manager.parseState(out.stdout);
      if (s.uptimeSeconds === null && manager.kind === 'systemd' && s.pid) {
        const up = await runner.exec(['ps', '-o', 'etimes=', '-p', String(s.pid)]);
        if (up.code === 0 && /^\s*\d+\s*$/.test(up.stdout)) s.uptimeSeconds = Number(up.stdout.trim());
      }
      const h = await runHostGate({
        runner,
        spec: gateSpecOf(model),
        port: model.app.port,
        what: manager.name,
        observe: manager.observe,
        parseObservation: manager.parseObservation,
        once: true,
      });
      return { name: p.name, service: p.service, ...s, health: { healthy: h.healthy, answer: h.last }, port: p.port };
    }),
  );
}
