// The deployment dashboard: a webview panel per environment (webview-ui/ is the page, its own
// esbuild bundle in dist/webview). Strict CSP: scripts only with this load's nonce, nothing
// from outside dist/webview (localResourceRoots). The page says "ready" once it listens;
// then it gets the state, and again after every action and refresh. Actions (Deploy,
// Rollback to a chosen release, Tail Logs, Refresh) are requests with ids that run the
// extension's own commands and get one reply each. A serializer reopens the panels after a
// window reload from the state the page keeps (which environment). For a canary environment
// the state carries its rollout (`godeploy rollout status`), read again every 2 s while one is
// in progress and the panel is visible; Promote and Abort run the editor's commands (Abort
// asks first, in a modal).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { ACTIVE_POLL_MS, IDLE_POLL_MS, isCanaryEnvironment, readRolloutView, type Rollouts } from '../rollouts';
import { dashboardState, rolloutPanel } from './dashboardState';
import type { DashboardAction, DashboardPersisted, DashboardState, FromDashboard, RenderedRollout, RolloutPanel, ToDashboard } from './protocol';

export const DASHBOARD_VIEW_TYPE = 'godeploy.dashboard';

/** What a dashboard has seen, for Open Dashboard's result (tests, other extensions). */
export interface DashboardSnapshot {
  environment: string;
  ready: boolean;
  state?: DashboardState;
  /** What the page last reported rendering (and of a rollout, the text it shows). */
  rendered?: { hosts: number; history: number; theme: string; rollout?: RenderedRollout };
  /** Content Security Policy violations the page reported (should stay empty). */
  cspViolations: string[];
  /** The replies to the page's requests, oldest first (what its status line said). */
  replies: { action: DashboardAction; ok: boolean; message: string }[];
}

class Dashboard {
  readonly snapshot: DashboardSnapshot;
  private loading: Promise<void> | undefined;
  private rolloutTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** The environment uses strategy canary (or a host reported a rollout): its rollout is polled. */
  private canary = false;
  /** A press() waiting for the page's click to be handled. */
  private pressing: { action: DashboardAction; done: (r: { ok: boolean; message: string }) => void } | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly target: DashboardPersisted,
    private readonly ctx: GoDeployContext,
    private readonly rollouts: Rollouts,
    extensionUri: vscode.Uri,
    onDispose: () => void,
  ) {
    this.snapshot = { environment: target.environment, ready: false, cspViolations: [], replies: [] };
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.title = `Go Deploy: ${target.environment}`;
    panel.webview.html = dashboardHtml(panel.webview, vscode.Uri.joinPath(root, 'dashboard.js'), target);
    panel.webview.onDidReceiveMessage((m: FromDashboard) => this.onMessage(m));
    panel.onDidDispose(() => {
      this.disposed = true;
      if (this.rolloutTimer) clearTimeout(this.rolloutTimer);
      onDispose();
    });
  }

  /** The environment's rollout, when it is a canary environment or a host named one: the panel, or why it could not be read. */
  private async readRollout(hostsNamedOne: boolean): Promise<{ rollout?: RolloutPanel; rolloutError?: string }> {
    this.canary = hostsNamedOne || (await isCanaryEnvironment(this.target));
    if (!this.canary) return {};
    try {
      const view = await readRolloutView(this.target);
      const rollout = rolloutPanel(view);
      this.rollouts.set(this.target, rollout);
      return rollout ? { rollout } : {};
    } catch (e) {
      this.ctx.log.warn(`dashboard ${this.target.environment}: the rollout could not be read: ${(e as Error).message}`);
      return { rolloutError: (e as Error).message };
    }
  }

  /**
   * A canary environment's rollout is read again: every 2 s while one is in progress, every
   * 10 s otherwise (a rollout another machine starts shows up); nothing for other environments.
   */
  private scheduleRollout(): void {
    if (this.rolloutTimer) clearTimeout(this.rolloutTimer);
    this.rolloutTimer = undefined;
    if (this.disposed || !this.canary) return;
    this.rolloutTimer = setTimeout(() => void this.pollRollout(), this.snapshot.state?.rollout?.active ? ACTIVE_POLL_MS : IDLE_POLL_MS);
  }

  private async pollRollout(): Promise<void> {
    this.rolloutTimer = undefined;
    const state = this.snapshot.state;
    if (this.disposed || !state) return;
    // A hidden panel has no page; it reads everything again when shown (the page says ready).
    if (!this.panel.visible || this.loading) return this.scheduleRollout();
    const before = state.rollout;
    const read = await this.readRollout(true);
    if (this.disposed || this.snapshot.state !== state) return;
    // Started or ended (the hosts' releases and live instance change then): everything again.
    const changed = (before?.active ?? false) !== (read.rollout?.active ?? false) || before?.release !== read.rollout?.release;
    if (changed && !read.rolloutError) return this.refresh();
    this.snapshot.state = { ...state, rollout: read.rollout ?? before, rolloutError: read.rolloutError, updatedAt: new Date().toISOString() };
    await this.post({ type: 'state', state: this.snapshot.state });
    this.scheduleRollout();
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
        const state = dashboardState(this.target.configFile, report);
        const rollout = await this.readRollout(report.hosts.some((h) => h.ok && h.value.rollout));
        this.snapshot.state = { ...state, ...rollout };
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
      this.scheduleRollout();
    });
    return this.loading;
  }

  /**
   * Has the page click its button of `action` (as a user would); resolves with the reply to
   * the request that click sends, or not ok when the page shows no such button.
   */
  press(action: DashboardAction): Promise<{ ok: boolean; message: string }> {
    this.pressing?.done({ ok: false, message: 'another press came first' });
    return new Promise((done) => {
      this.pressing = { action, done };
      void this.post({ type: 'press', action });
    });
  }

  private settlePress(action: DashboardAction, r: { ok: boolean; message: string }): void {
    if (this.pressing?.action !== action) return;
    this.pressing.done(r);
    this.pressing = undefined;
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
      this.snapshot.rendered = { hosts: m.hosts, history: m.history, theme: m.theme, ...(m.rollout ? { rollout: m.rollout } : {}) };
      return;
    }
    if (m.type === 'cspViolation') {
      this.snapshot.cspViolations.push(m.detail);
      this.ctx.log.warn(`dashboard: Content Security Policy violation: ${m.detail}`);
      return;
    }
    if (m.type === 'pressed') {
      if (!m.found) this.settlePress(m.action, { ok: false, message: `the page shows no ${m.action} button` });
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
      } else if (m.action === 'promote') {
        const r = await vscode.commands.executeCommand<{ ok: boolean; message: string } | undefined>('godeploy.promoteRollout', { ...args, full: false });
        message = !r ? 'cancelled' : r.message;
      } else if (m.action === 'abort') {
        // The command asks first (a modal naming the releases).
        const r = await vscode.commands.executeCommand<{ ok: boolean; message: string } | undefined>('godeploy.abortRollout', args);
        message = !r ? 'cancelled' : r.message;
      } else if (m.action === 'tailLogs') {
        await vscode.commands.executeCommand('godeploy.tailLogs', args);
        message = 'tailing in the output panel';
      }
      await this.refresh();
      this.snapshot.replies.push({ action: m.action, ok: true, message });
      await this.post({ type: 'reply', id: m.id, ok: true, message });
      this.settlePress(m.action, { ok: true, message });
    } catch (e) {
      const message = (e as Error).message;
      this.snapshot.replies.push({ action: m.action, ok: false, message });
      await this.post({ type: 'reply', id: m.id, ok: false, message });
      this.settlePress(m.action, { ok: false, message });
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

  constructor(
    private readonly ctx: GoDeployContext,
    private readonly rollouts: Rollouts,
  ) {
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

  /** Has the open dashboard of `target` click its button of `action` (tests, automation); see Dashboard.press. */
  press(target: DashboardPersisted, action: DashboardAction): Promise<{ ok: boolean; message: string }> {
    const d = this.open.get(`${target.configFile}\n${target.environment}`);
    if (!d) return Promise.reject(new Error(`no dashboard of ${target.environment} is open`));
    return d.press(action);
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
    const d = new Dashboard(panel, target, this.ctx, this.rollouts, this.ctx.extension.extensionUri, () => {
      if (this.open.get(key) === d) this.open.delete(key);
    });
    this.open.set(key, d);
    return d;
  }
}
