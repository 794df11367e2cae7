// Blue-green: two instances take turns, systemd template units (<name>@<port>) or two
// supervisor programs (<name>-<port>). A release starts on the idle port while the live one
// keeps serving, is health-gated there, then nginx's upstream include is rewritten to it
// (nginx -t, reload), the old nginx workers drain, and the old instance stops. Until nginx
// reloads, a failing release never receives a request: the live instance was never touched.
import type { GenerateModel } from '../../generate/model';
import { programLogFiles, renderSupervisorProgram, supervisorInstanceName } from '../../generate/supervisor';
import { renderSystemdUnit } from '../../generate/systemd';
import { NO_LINK } from './baseLayout';
import type { ProcessObservation } from '../../release/healthGate';
import { parseSupervisorObservation, parseSystemdObservation, supervisorWatchArgv, systemdWatchArgv } from './processWatch';
import { shArgv as sh } from '../../remote/quote';
import {
  journalArgv,
  releaseJournalArgv,
  parseSupervisorStatus,
  parseSystemctlShow,
  supervisorControl,
  tailFiles,
  type ServiceDefinition,
  type ServiceManager,
} from './serviceManager';
import { NginxSwitchTarget, nginxSwitchTarget } from '../../release/nginxSwitch';

/** How the instance on a port is driven (argv builders; a port may be a placeholder in a plan). */
export interface Instances {
  kind: 'systemd' | 'supervisor';
  /** The unit or program of the instance on `port`. */
  name(port: number | string): string;
  start(port: number | string): string[];
  /** Stops it (systemd: and keeps it from starting at boot). */
  stop(port: number | string): string[];
  /** Makes the live instance start at boot, or null when that needs nothing (supervisor programs autostart). */
  keep(port: number): string[] | null;
  logs(port: number, lines: number, since?: number): string[];
  /** What a process watch reads of the instance on `port` (healthCheck.type process); parse with parseObservation. */
  observe(port: number | string): string[];
  parseObservation(stdout: string): ProcessObservation;
}

export function systemdInstances(app: string): Instances {
  const unit = (p: number | string): string => `${app}@${p}.service`;
  return {
    kind: 'systemd',
    name: unit,
    start: (p) => sh(START_INSTANCE, unit(p)),
    stop: (p) => sh(STOP_INSTANCE, unit(p)),
    keep: (p) => ['systemctl', 'enable', '--quiet', unit(p)],
    logs: (p, lines, since) => releaseJournalArgv(unit(p), lines, since),
    observe: (p) => systemdWatchArgv(unit(p)),
    parseObservation: parseSystemdObservation,
  };
}

export function supervisorInstances(model: GenerateModel): Instances {
  const { ctl } = supervisorControl(model);
  const program = (p: number | string): string => supervisorInstanceName(model.app.name, p);
  return {
    kind: 'supervisor',
    name: (p) => `supervisor program ${program(p)}`,
    // restart: a stopped, exited or FATAL program starts; a running one restarts.
    start: (p) => ctl('restart', program(p)),
    stop: (p) => ctl('stop', program(p)),
    keep: () => null,
    logs: (p, lines) => tailFiles(lines, programLogFiles(model, program(p))),
    observe: (p) => supervisorWatchArgv(model.supervisor.configFile, program(p)),
    parseObservation: parseSupervisorObservation,
  };
}

/** <base>/.godeploy/active-port: the port nginx sends traffic to. */
export const activePortFile = (base: string): string => `${base}/.godeploy/active-port`;

export interface BlueGreenPlan extends NginxSwitchTarget {
  ports: [number, number];
  instances: Instances;
  /** <base>/.godeploy/active-port: the port nginx sends traffic to. */
  stateFile: string;
  /**
   * strategy canary: nginx goes through the canary include (`include` is then its path), so a
   * switch outside a rollout (a rollback, a switch back) installs the site with that include in
   * its one-server form (installCanarySite) instead of FLIP_NGINX's blue-green include.
   */
  canary?: { app: string; sticky: 'cookie' | 'none' };
}

export function blueGreenPlan(model: GenerateModel, base: string, siteText: string, instances: Instances): BlueGreenPlan {
  const target = nginxSwitchTarget(model, siteText);
  const canary = model.canary && model.nginx.canaryInclude ? { app: model.app.name, sticky: model.canary.sticky } : undefined;
  return {
    ports: model.blueGreen!.ports,
    instances,
    stateFile: activePortFile(base),
    ...target,
    ...(canary ? { include: model.nginx.canaryInclude!, canary } : {}),
  };
}

// $1 base, $2 state file: "current <link>" and "active <port or empty>".
export const READ_STATE = 'echo "current $(readlink "$1/current" 2>/dev/null)"; echo "active $(cat "$2" 2>/dev/null)"';

// $1 unit (deployapp@8082.service): a fresh start, rate limit cleared.
export const START_INSTANCE = 'systemctl reset-failed "$1" 2>/dev/null; systemctl restart "$1"';

// $1 unit: stopped and not started at boot.
export const STOP_INSTANCE = 'systemctl stop "$1"; systemctl disable --quiet "$1" 2>/dev/null; true';

// $1 state file, $2 port.
export const WRITE_STATE = `${NO_LINK}
nolink "$1" "$1.tmp" || exit 6
rm -f "$1.tmp" && (set -C; printf '%s\\n' "$2" > "$1.tmp") && mv -f -T "$1.tmp" "$1"`;

/**
 * The blue-green service: its definition (a template unit, or one supervisor program per
 * port, carrying no environment: that is the release's env file) and restart/stop/state
 * acting on the live instance (its port in the state file).
 */
export function blueGreenService(model: GenerateModel, base: string, instances: Instances): ServiceManager {
  const name = model.app.name;
  const clean = { ...model, env: {} };
  const programs = model.blueGreen!.ports.map((p) => supervisorInstanceName(name, p));
  const { ctl, confDir } = supervisorControl(model);
  const definition: ServiceDefinition =
    instances.kind === 'systemd'
      ? { path: `/etc/systemd/system/${name}@.service`, content: renderSystemdUnit(clean, { portTemplate: true }), reload: [['systemctl', 'daemon-reload']] }
      : {
          path: `${confDir}/${name}.conf`,
          content: renderSupervisorProgram(clean, { instancePorts: model.blueGreen!.ports }),
          reload: [ctl('reread'), ctl('update', ...programs)],
        };
  // $1 state file, then the argv of the operation with @PORT@ where the live port goes.
  const onActive = (argv: string[]): string[] =>
    sh(
      'p=$(cat "$1" 2>/dev/null) || { echo "no live instance ($1 is missing)" >&2; exit 3; }; shift; n=$#; while [ $n -gt 0 ]; do a=$1; shift; case "$a" in *@PORT@*) a="${a%%@PORT@*}$p${a#*@PORT@}";; esac; set -- "$@" "$a"; n=$((n-1)); done; exec "$@"',
      activePortFile(base),
      ...argv,
    );
  if (instances.kind === 'systemd') {
    return {
      kind: 'systemd',
      name: `${name}@<live port>`,
      definition,
      restart: onActive(instances.start('@PORT@')),
      stop: onActive(['systemctl', 'stop', instances.name('@PORT@')]),
      state: onActive(['systemctl', 'show', instances.name('@PORT@'), '--property=ActiveState,SubState,MainPID']),
      parseState: parseSystemctlShow,
      observe: onActive(instances.observe('@PORT@')),
      parseObservation: instances.parseObservation,
      logs: (lines, since) => journalArgv(`${name}@*`, lines, since),
      envFileOwner: null,
    };
  }
  return {
    kind: 'supervisor',
    name: `supervisor program ${supervisorInstanceName(name, '<live port>')}`,
    definition,
    restart: onActive(instances.start('@PORT@')),
    stop: onActive(instances.stop('@PORT@')),
    state: onActive(ctl('status', supervisorInstanceName(name, '@PORT@'))),
    parseState: parseSupervisorStatus,
    observe: onActive(instances.observe('@PORT@')),
    parseObservation: instances.parseObservation,
    logs: (lines) =>
      tailFiles(
        lines,
        programs.flatMap((p) => programLogFiles(model, p)),
      ),
    envFileOwner: model.supervisor.user,
  };
}
