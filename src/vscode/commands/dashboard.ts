import { resolveEnvironment } from '../deploy/target';
import type { DashboardSnapshot } from '../webview/dashboardPanel';
import type { CommandDeps, CommandFactory } from './registry';

/** Go Deploy: Open Dashboard: the environment's panel (or the open one, revealed); returns what it has shown so far. */
async function openDashboard(deps: CommandDeps, arg: unknown): Promise<DashboardSnapshot | undefined> {
  const t = await resolveEnvironment(deps.ctx, arg, 'opening the dashboard', 'show the dashboard of');
  if (!t) return undefined;
  return deps.dashboards.show({ configFile: t.configFile, environment: t.environment });
}

export const openDashboardCommand: CommandFactory = {
  id: 'godeploy.openDashboard',
  title: 'Open Dashboard',
  runsCode: true,
  create: (deps) => (arg?: unknown) => openDashboard(deps, arg),
};
