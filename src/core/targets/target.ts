// What every kind of target does: ssh and local hosts (targets/hosts), docker engines and
// swarms (targets/docker). core/operations picks one from the environment's type and calls
// it; the CLI and the editor call core/operations and never a target directly.
import type { VersionInfo } from '../build/version';
import type { CanarySite } from '../release/canary/types';
import type { HostRunner } from '../remote/hostRunner';
import type { LoadedEnvironment } from '../environment/load';
import type {
  DeployRequest,
  DeployResult,
  HostAccess,
  HostOutcome,
  ReleasesReport,
  RollbackRequest,
  RollbackResult,
  StatusReport,
  StatusRequest,
} from '../environment/types';
import type { LogSourcePlan, LogsRequest } from '../logs/logs';
import type { LineQueue } from '../logs/lineQueue';
import type { HostReport } from '../environment/types';
import type { LockPlace } from '../environment/types';
import type {
  ExecRequest,
  ExecResult,
  PreparedOperation,
  ServiceActionRequest,
  ServiceActionResult,
  SetupRequest,
  SetupResult,
} from '../environment/operations';

/** What the dispatcher has already started for a deploy: the clock and the version (git describe runs while the config loads). */
export interface DeployRun {
  startedAt: number;
  versionInfo(): Promise<VersionInfo>;
}

export interface Target {
  deploy(req: DeployRequest, e: LoadedEnvironment, run: DeployRun): Promise<DeployResult>;
  rollback(req: RollbackRequest, e: LoadedEnvironment, startedAt: number): Promise<RollbackResult>;
  status(req: StatusRequest, e: LoadedEnvironment): Promise<StatusReport>;
  releases(e: LoadedEnvironment, access: HostAccess): Promise<ReleasesReport>;
  /** The preflight checks, a report per host (or for the engine), "reachable" first. */
  doctor(e: LoadedEnvironment, access: HostAccess): Promise<HostReport[]>;
  /** Runs `fn` on the deploy lock of every host (or of the engine); `base` names where the locks are kept. */
  locks<T>(
    e: LoadedEnvironment,
    command: string,
    access: HostAccess,
    fn: (lock: LockPlace) => Promise<T>,
  ): Promise<{ base: string; outcomes: HostOutcome<T>[] }>;
  /** Where each host's log is read from (only the hosts in `only`, and the sources of `process`, when given). */
  logSources(e: LoadedEnvironment, only?: string[], process?: string): LogSourcePlan[];
  /** How one source is read, for the --dry-run plan. */
  describeLogSource(e: LoadedEnvironment, source: LogSourcePlan, req: LogsRequest): string;
  /** Follows the sources into `queue` until done or cancelled; the errors of sources that ended failing. */
  followLogs(e: LoadedEnvironment, sources: LogSourcePlan[], queue: LineQueue, req: LogsRequest): Promise<string[]>;
  /** `godeploy exec`: per selected host, the command in the live release with its environment; the plan first. */
  exec(e: LoadedEnvironment, req: ExecRequest): Promise<PreparedOperation<ExecResult>>;
  /** `godeploy restart|stop|start`: the live release's service on the selected hosts, health-gated after a (re)start; the plan first. */
  serviceAction(e: LoadedEnvironment, req: ServiceActionRequest): Promise<PreparedOperation<ServiceActionResult>>;
  /** `godeploy setup`: per host (or the engine) the items a first deploy needs, checked and made when missing; the plan first. */
  setup(e: LoadedEnvironment, req: SetupRequest): Promise<PreparedOperation<SetupResult>>;
  /**
   * Where nginx fronts the app, connected: each ssh host that runs the process nginx proxies
   * to, or the docker engine's host. `godeploy rollout` (strategy canary: each has a
   * CanarySite) and `godeploy maintenance` act through these. close() disconnects.
   */
  nginxHosts(e: LoadedEnvironment, access: HostAccess): Promise<NginxHosts>;
}

/** One place where nginx fronts the app. */
export interface NginxHost {
  /** The host's alias, or "engine". */
  name: string;
  address: string;
  /** Runs commands there (as root, or through the target's sudo rules). */
  runner: HostRunner;
  /** strategy canary: the rollout's place on that host (null for the other strategies). */
  canary: CanarySite | null;
}

export interface NginxHosts {
  hosts: NginxHost[];
  /** Hosts that could not be reached, each with why. */
  unreachable: { name: string; address: string; error: string; hint?: string }[];
  close(): Promise<void>;
}
