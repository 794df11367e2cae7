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
export * from './build/build';
export * from './build/types';
export { inspectBinary } from './build/binary/inspect';
export * from './project';
export * from './format';
// Deploy, rollback, releases and doctor, for the editor (the CLI imports the modules directly).
export { deploy, type DeployRequest, type DeployResult, type HostDeployResult, type HostResultKind } from './deploy/deploy';
export { rollback, type RollbackRequest, type RollbackResult } from './deploy/rollback';
export { formatReleaseListing, listReleases, type HostReleases, type ReleaseInfo, type ReleaseList } from './deploy/releases';
export { openHosts, type OpenedHost, type OpenHostOptions } from './deploy/connectHosts';
export {
  deployEnvironmentOf,
  knownHostsFileOf,
  loadDeployEnvironment,
  loadEnvironment,
  sshConfigFileOf,
  type DeployEnvironment,
  type LoadedEnvironment,
} from './deploy/hosts';
export { doctorChecks, formatDoctorReport, runChecks, type CheckReport, type HostReport } from './deploy/doctor';
export { doctorDockerEnvironment } from './docker/doctor';
export { dockerReleases, formatDockerReleases } from './docker/dockerStatus';
export { describeHeldLock, onEnvironmentLocks, type HeldLock, type LockPlace } from './deploy/environmentLocks';
export type { LockOwner, LockStatus } from './deploy/lock';
export type { DockerRelease } from './docker/dockerReleases';
export type { DeployEvent, DeployEventState, DeployHost } from './deploy/hostDeploy';
export { tailLogs, logSources, type LogsRequest, type LogsResult } from './logs/logs';
export { formatLogLine, parseSince, type LogLine } from './logs/logLine';
export { environmentStatus, type HistoryEntry, type HostStatus, type StatusReport, type StatusRequest } from './deploy/status';
export type { HostOutcome } from './deploy/hosts';
export { locateInConfig } from './config/document';
export { resolveHost, type ResolvedHost } from './remote/sshConfig';
