// The ssh and local target: releases in <base>/releases on each host, a `current` symlink,
// the service under systemd, supervisor or a pid file; everything over ssh (or on this
// machine for type local).
import { deployEnvironmentOf, type LoadedEnvironment } from '../../environment/load';
import type { HostAccess, ReleasesReport } from '../../environment/types';
import { doctorHostReport, runChecks } from '../../release/doctorReport';
import { nginxModulesCheck } from '../../release/checks';
import { onOpenedHosts } from '../../remote/hostAccess';
import { selectedHosts } from '../../logs/logs';
import type { Target } from '../target';
import { deployToHosts } from './deploy';
import { doctorChecks } from './doctor';
import { acquireLock, lockStatus, releaseLock } from './lock';
import { describeHostLogSource, followHostLogs, hostLogSources } from './logs';
import { formatReleaseListing, listReleases } from './releases';
import { rollbackHosts } from './rollback';
import { hostsStatus } from './status';
import { hostsNginxHosts } from './nginxHosts';
import { processManagerOf } from '../../config/model';
import { hostsExec, hostsServiceAction } from './operations';
import { hostsSetup, setupChecks, setupInputs, setupItems } from './setup';

async function hostsReleases(e: LoadedEnvironment, access: HostAccess): Promise<ReleasesReport> {
  const d = deployEnvironmentOf(e, 'releases');
  const outcomes = await onOpenedHosts(d, access, (h) => listReleases(h.runner, d.base, d.model.app.name));
  return {
    environment: e.name,
    base: d.base,
    noun: 'host',
    hosts: outcomes.map((o) => (o.ok ? { ...o, value: o.value.releases.map((r) => ({ id: r.id, live: r.current, complete: r.binarySize !== null })) } : o)),
    lines: (order) =>
      formatReleaseListing(
        d.base,
        outcomes.map((o) => ({ ...o, head: `${o.alias} (${o.address})` })),
        order,
      ),
    json: () => ({
      environment: e.name,
      base: d.base,
      hosts: outcomes.map((o) => ({
        host: o.alias,
        address: o.address,
        ...(o.ok ? { ...o.value, error: null } : { exists: null, releases: [], currentTarget: null, error: o.error }),
      })),
    }),
  };
}

export const hostsTarget: Target = {
  nginxHosts: hostsNginxHosts,
  deploy: deployToHosts,
  rollback: rollbackHosts,
  status: hostsStatus,
  releases: hostsReleases,
  async doctor(e, access) {
    const d = deployEnvironmentOf(e, 'doctor');
    const checks = doctorChecks({
      port: d.model.app.port,
      basePath: d.base,
      processManager: processManagerOf(d.env),
      targets: d.config.build?.targets ?? [],
      limitNOFILE: d.model.systemd.limitNOFILE,
      appName: d.model.app.name,
    });
    // strategy canary: nginx on each host, built with what the canary site needs.
    if (d.model.canary) checks.push(nginxModulesCheck());
    // Then what `godeploy setup` prepares (user, folders, units, nginx site, logrotate, journald): ok or missing.
    const aliases = d.env.type === 'ssh' ? (d.env.hosts ?? []).map((h) => h.host) : ['local'];
    // (A definition that cannot be rendered is the deploy's error to report: doctor then leaves these out.)
    const inputs = await setupInputs(d, aliases).catch(() => undefined);
    const extra = (alias: string) => (inputs ? setupChecks(setupItems(inputs, alias), d.name) : []);
    return (await onOpenedHosts(d, access, (h) => runChecks(h.runner, [...checks, ...extra(h.alias)]))).map(doctorHostReport);
  },
  async locks(e, command, access, fn) {
    const d = deployEnvironmentOf(e, command);
    const outcomes = await onOpenedHosts(d, access, (h) =>
      fn({
        alias: h.alias,
        status: () => lockStatus(h.runner, d.base),
        acquire: (info, o) => acquireLock(h.runner, d.base, info, { environment: d.name, onTakeOver: o?.onTakeOver }),
        release: (owner) => releaseLock(h.runner, d.base, owner),
      }),
    );
    return { base: d.base, outcomes };
  },
  logSources: (e, only, process) => hostLogSources(e, selectedHosts(e, only), process),
  describeLogSource: (_e, s, req) => describeHostLogSource(s, req),
  followLogs: followHostLogs,
  exec: hostsExec,
  serviceAction: hostsServiceAction,
  setup: hostsSetup,
};
