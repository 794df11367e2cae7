// The deployment dashboard: a webview panel per environment (webview-ui/ is the page, its own
// esbuild bundle in dist/webview). Strict CSP: scripts only with this load's nonce, nothing
// from outside dist/webview (localResourceRoots). The page says "ready" once it listens;
// then it gets the state, and again after every action and refresh. Actions (Deploy,
// Rollback to a chosen release, Tail Logs, Refresh) are requests with ids that run the
// extension's own commands and get one reply each. A serializer reopens the panels after a
// window reload from the state the page keeps (which environment).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { dashboardState } from './dashboardState';
import type { DashboardPersisted, DashboardState, FromDashboard, ToDashboard } from './protocol';

export const DASHBOARD_VIEW_TYPE = 'godeploy.dashboard';

/** What a dashboard has seen, for Open Dashboard's result (tests, other extensions). */
export interface DashboardSnapshot {
  environment: string;
  ready: boolean;
  state?: DashboardState;
  /** What the page last reported rendering. */
  rendered?: { hosts: number; history: number; theme: string };
  /** Content Security Policy violations the page reported (should stay empty). */
  cspViolations: string[];
}

class Dashboard {
  readonly snapshot: DashboardSnapshot;
  private loading: Promise<void> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly target: DashboardPersisted,
    private readonly ctx: GoDeployContext,
    extensionUri: vscode.Uri,
    onDispose: () => void,
  ) {
    this.snapshot = { environment: target.environment, ready: false, cspViolations: [] };
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.title = `Go Deploy: ${target.environment}`;
    panel.webview.html = dashboardHtml(panel.webview, vscode.Uri.joinPath(root, 'dashboard.js'), target);
    panel.webview.onDidReceiveMessage((m: FromDashboard) => this.onMessage(m));
    panel.onDidDispose(onDispose);
  }

  /** Reads every host again and sends the page the new state. */
  refresh(): Promise<void> {
    this.loading ??= (async () => {
      if (this.snapshot.state) void this.post({ type: 'state', state: { ...this.snapshot.state, loading: true } });
      try {
        const report = await loadEngine().environmentStatus({
          configFile: { file: this.target.configFile, exists: true },
          environment: this.target.environment,
          timeoutMs: 10_000,
        });
        this.snapshot.state = dashboardState(this.target.configFile, report);
      } catch (e) {
        this.ctx.log.error(`dashboard ${this.target.environment}: ${(e as Error).message}`);
        this.snapshot.state = {
          environment: this.target.environment,
          configFile: this.target.configFile,
          type: '?',
          hosts: [],
          history: [],
          updatedAt: new Date().toISOString(),
          loading: false,
        };
      }
      await this.post({ type: 'state', state: this.snapshot.state });
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private post(m: ToDashboard): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private async onMessage(m: FromDashboard): Promise<void> {
    if (m.type === 'ready') {
      this.snapshot.ready = true;
      await this.refresh();
      return;
    }
    if (m.type === 'rendered') {
      this.snapshot.rendered = { hosts: m.hosts, history: m.history, theme: m.theme };
      return;
    }
    if (m.type === 'cspViolation') {
      this.snapshot.cspViolations.push(m.detail);
      this.ctx.log.warn(`dashboard: Content Security Policy violation: ${m.detail}`);
      return;
    }
    const args = { module: this.target.configFile, environment: this.target.environment };
    try {
      let message = 'done';
      if (m.action === 'deploy') {
        const r = await vscode.commands.executeCommand<{ ok: boolean; releaseId: string } | undefined>('godeploy.deploy', args);
        message = !r ? 'cancelled' : r.ok ? `${r.releaseId} is live` : 'the deploy failed (see the log)';
      } else if (m.action === 'rollback') {
        const r = await vscode.commands.executeCommand<{ ok: boolean } | undefined>('godeploy.rollback', { ...args, to: m.release ?? 'previous' });
        message = !r ? 'cancelled' : r.ok ? `back on ${m.release ?? 'the previous release'}` : 'the rollback failed (see the log)';
      } else if (m.action === 'tailLogs') {
        await vscode.commands.executeCommand('godeploy.tailLogs', args);
        message = 'tailing in the output panel';
      }
      await this.refresh();
      await this.post({ type: 'reply', id: m.id, ok: true, message });
    } catch (e) {
      await this.post({ type: 'reply', id: m.id, ok: false, message: (e as Error).message });
    }
  }
}

function dashboardHtml(webview: vscode.Webview, script: vscode.Uri, target: DashboardPersisted): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Go Deploy: ${esc(target.environment)}</title>
</head>
<body data-environment="${esc(target.environment)}" data-config-file="${esc(target.configFile)}">
<main id="app" aria-busy="true">Loading ${esc(target.environment)}…</main>
<script nonce="${nonce}" src="${webview.asWebviewUri(script)}"></script>
</body>
</html>`;
}

/** Every open dashboard; restores them after a reload. */
export class DashboardPanels implements vscode.Disposable {
  private readonly open = new Map<string, Dashboard>();
  private readonly registration: vscode.Disposable;

  constructor(private readonly ctx: GoDeployContext) {
    this.registration = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = state as Partial<DashboardPersisted> | undefined;
        if (typeof s?.configFile !== 'string' || typeof s.environment !== 'string') {
          panel.dispose();
          return;
        }
        this.adopt(panel, { configFile: s.configFile, environment: s.environment });
      },
    });
  }

  /** Opens (or reveals) the dashboard of the environment. */
  show(target: DashboardPersisted): DashboardSnapshot {
    const key = `${target.configFile}\n${target.environment}`;
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing.snapshot;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, `Go Deploy: ${target.environment}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [],
    });
    return this.adopt(panel, target).snapshot;
  }

  /** Reads the hosts again in every open dashboard (after an operation elsewhere). */
  refreshAll(): void {
    for (const d of this.open.values()) if (d.snapshot.ready) void d.refresh();
  }

  dispose(): void {
    this.registration.dispose();
    for (const d of [...this.open.values()]) d.panel.dispose();
  }

  private adopt(panel: vscode.WebviewPanel, target: DashboardPersisted): Dashboard {
    const key = `${target.configFile}\n${target.environment}`;
    const d = new Dashboard(panel, target, this.ctx, this.ctx.extension.extensionUri, () => {
      if (this.open.get(key) === d) this.open.delete(key);
    });
    this.open.set(key, d);
    return d;
  }
}
