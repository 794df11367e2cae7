/** The engine's public surface, bundled as dist/core.js and loaded by the extension on first use. */
export * from './errors';
export * from './cancellation';
export * from './config/diagnostic';
export * from './config/document';
export * from './config/load';
export * from './config/model';
export * from './config/references';
export { configSchema } from './config/schema';
export * from './gomod/inspect';
export * from './init/template';
export { servingMains, describeMain } from './init/chooseMain';
export { formatInspection } from './gomod/report';
export * from './init/plan';
export * from './plan/plan';
export * from './plan/runner';
export * from './fs/atomic';
export { renderConfigReference } from './config/reference';
export * from './generate/model';
export * from './generate/kinds';
export * from './generate/generate';
export { findCiRepository, godeployVersion, defaultCiEnvironment, type CiModel, type CiDeploy, type CiRepository } from './generate/ci/model';
export * from './build/build';
export * from './build/types';
export { inspectBinary } from './build/binary/inspect';
export * from './project';
export * from './format';
// Operations on environments (deploy, rollback, status, releases, doctor, locks, logs): core/operations picks the target.
export { deploy, rollback, environmentStatus, environmentReleases, environmentDoctor, onEnvironmentLocks, logSources, tailLogs, targetOf } from './operations';
// Day-2 operations on the live release: exec, restart, stop, start.
export { execCommand, serviceAction, setupHosts } from './operations';
// strategy canary and maintenance mode, through the environment's nginx hosts.
export { rollout, maintenance } from './operations';
export type {
  MaintenanceHostResult,
  MaintenanceRequest,
  MaintenanceResult,
  RolloutAction,
  RolloutRequest,
  RolloutResult,
  RolloutView,
} from './environment/operations';
export type { Figures, RolloutEvent, RolloutOutcome, RolloutState, StepRecord, VersionFigures } from './release/canary/types';
export { formatFigures } from './release/canary/analysis';
export { durationText } from './release/canary/states';
export { UNREACHABLE_EXIT, worstExitCode } from './environment/operations';
export { commandLineArgv } from './release/operationHosts';
export type {
  ExecHostResult,
  ExecOutputLine,
  ExecRequest,
  ExecResult,
  OperationPlan,
  OperationStep,
  ServiceAction,
  ServiceActionHostResult,
  ServiceActionRequest,
  ServiceActionResult,
  ServiceSnapshot,
  SetupHostResult,
  SetupItemResult,
  SetupRequest,
  SetupResult,
} from './environment/operations';
export type { HostDeployResult, HostResultKind, HostAccess, ReleaseSummary, ReleasesReport } from './environment/types';
export { type DeployRequest, type DeployResult } from './environment/types';
export { type RollbackRequest, type RollbackResult } from './environment/types';
export {
  environmentKindLabel,
  describeEnvironment,
  knownHostsFileOf,
  loadEnvironment,
  sshConfigFileOf,
  type DeployEnvironment,
  type LoadedEnvironment,
} from './environment/load';
export { formatDoctorReport } from './release/doctorReport';
export { type CheckReport, type HostReport } from './environment/types';
export { describeHeldLock, releaseIfAllowed } from './release/lockOwner';
export { type HeldLock, type LockPlace, type LockReleaseResult } from './environment/types';
export type { LockOwner, LockStatus } from './environment/types';
export type { DeployEvent, DeployEventState, DeployPlan, PlannedStep } from './environment/types';
export type { DeployHost, OpenHostOptions } from './remote/openHosts';
export { describeLogPlan } from './operations';
export { type LogsRequest, type LogsResult, type LogSourcePlan } from './logs/logs';
export { formatLogLine, logLineSource, parseSince, type LogLine } from './logs/logLine';
export { type HistoryEntry, type HostStatus, type ProcessStatus, type StatusReport, type StatusRequest } from './environment/types';
export type { HostOutcome } from './environment/types';
export { locateInConfig } from './config/document';
export { resolveHost, type ResolvedHost } from './remote/sshConfig';
// The rest of what the CLI uses (src/cli imports core only through this file).
export { checkTemplates } from './generate/templates';
export { fileError } from './fs/fileErrors';
export type { BinaryInfo } from './build/binary/types';
export { formatAge } from './release/lockOwner';
export { describeNotification } from './notify/webhooks';
export type { NotificationOutcome, NotificationReport } from './notify/types';
