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
export { deploy, type HostDeployResult, type HostResultKind } from './targets/hosts/deploy';
export { type DeployRequest, type DeployResult } from './environment/types';
export { rollback } from './targets/hosts/rollback';
export { type RollbackRequest, type RollbackResult } from './environment/types';
export { formatReleaseListing, listReleases, type HostReleases, type ReleaseInfo, type ReleaseList } from './targets/hosts/releases';
export { openHosts, type OpenedHost, type OpenHostOptions } from './remote/openHosts';
export {
  deployEnvironmentOf,
  knownHostsFileOf,
  loadDeployEnvironment,
  loadEnvironment,
  sshConfigFileOf,
  type DeployEnvironment,
  type LoadedEnvironment,
} from './environment/load';
export { doctorChecks } from './targets/hosts/doctor';
export { formatDoctorReport, runChecks, type CheckReport, type HostReport } from './release/doctorReport';
export { doctorDockerEnvironment } from './targets/docker/doctor';
export { dockerReleases, formatDockerReleases } from './targets/docker/dockerStatus';
export { onEnvironmentLocks } from './operations/locks';
export { describeHeldLock, type HeldLock, type LockPlace } from './release/lockOwner';
export type { LockOwner, LockStatus } from './release/lockOwner';
export type { DockerRelease } from './targets/docker/dockerReleases';
export type { DeployEvent, DeployEventState } from './environment/types';
export type { DeployHost } from './remote/openHosts';
export { tailLogs, logSources, type LogsRequest, type LogsResult } from './logs/logs';
export { formatLogLine, parseSince, type LogLine } from './logs/logLine';
export { environmentStatus } from './targets/hosts/status';
export { type HistoryEntry, type HostStatus, type StatusReport, type StatusRequest } from './environment/types';
export type { HostOutcome } from './environment/types';
export { locateInConfig } from './config/document';
export { resolveHost, type ResolvedHost } from './remote/sshConfig';
// The rest of what the CLI uses (src/cli imports core only through this file).
export { checkTemplates } from './generate/templates';
export { fileError } from './fs/fileErrors';
export type { BinaryInfo } from './build/binary/types';
export { formatAge } from './release/lockOwner';
