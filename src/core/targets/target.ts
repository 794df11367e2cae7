// What every kind of target does: ssh and local hosts (targets/hosts), docker engines and
// swarms (targets/docker). core/operations picks one from the environment's type and calls
// it; the CLI and the editor call core/operations and never a target directly.
import type { VersionInfo } from '../build/version';
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
  /** Where each host's log is read from (only the hosts in `only`, when given). */
  logSources(e: LoadedEnvironment, only?: string[]): LogSourcePlan[];
  /** How one source is read, for the --dry-run plan. */
  describeLogSource(e: LoadedEnvironment, source: LogSourcePlan, req: LogsRequest): string;
  /** Follows the sources into `queue` until done or cancelled; the errors of sources that ended failing. */
  followLogs(e: LoadedEnvironment, sources: LogSourcePlan[], queue: LineQueue, req: LogsRequest): Promise<string[]>;
}
