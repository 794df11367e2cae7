// The status bar: the active environment (the one last deployed or picked in this
// workspace), a click away from switching it; during a deploy or rollback, its current step
// with a spinner, a click away from the Go Deploy log. Beside it, while a canary rollout of
// the active environment is in progress, `canary 25%` (a click opens its dashboard); hidden
// otherwise.
import * as vscode from 'vscode';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import type { RolloutPanel } from '../webview/protocol';
import { canaryMark, timeLeft } from '../webview/rolloutText';

export const ACTIVE_ENVIRONMENT_KEY = 'godeploy.activeEnvironment';

export interface ActiveEnvironment {
  configFile: string;
  environment: string;
  type: string;
  hosts: number;
}

export interface OperationStatus {
  step(text: string): void;
  end(): void;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<ActiveEnvironment | undefined>();
  readonly onDidChangeActive = this.changed.event;
  private operation: { environment: string; verb: string; step: string } | undefined;
  private readonly rolloutItem: vscode.StatusBarItem;

  constructor(private readonly ctx: GoDeployContext) {
    this.item = vscode.window.createStatusBarItem('godeploy.active', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Go Deploy: active environment';
    this.rolloutItem = vscode.window.createStatusBarItem('godeploy.rollout', vscode.StatusBarAlignment.Left, 49);
    this.rolloutItem.name = 'Go Deploy: canary rollout';
    this.render();
  }

  /** The active environment's rollout (undefined, or one that has ended: the item is hidden). */
  showRollout(environment: { configFile: string; environment: string } | undefined, r: RolloutPanel | undefined): void {
    const item = this.rolloutItem;
    if (!environment || !r || !r.active) {
      item.hide();
      item.text = '';
      return;
    }
    item.text = `$(git-compare) ${canaryMark(r.weight)}`;
    const pause = r.pauseLeftMs > 0 ? `, ${timeLeft(r.pauseLeftMs)} left in the pause` : '';
    item.tooltip = `Go Deploy: canary rollout on ${environment.environment}: ${r.release} takes ${r.weight}% of requests (step ${r.step}/${r.steps}${pause}); ${r.previous} is live. ${r.status === 'paused' || !r.driven ? 'Waiting for promote, abort or resume. ' : ''}Click for the dashboard.`;
    item.command = {
      command: 'godeploy.openDashboard',
      title: 'Open Dashboard',
      arguments: [{ module: environment.configFile, environment: environment.environment }],
    };
    item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    item.show();
  }

  /** What the rollout item shows now: its text and tooltip, or undefined while hidden. */
  get rolloutShown(): { text: string; tooltip: string } | undefined {
    return this.rolloutItem.text ? { text: this.rolloutItem.text, tooltip: String(this.rolloutItem.tooltip ?? '') } : undefined;
  }

  get active(): ActiveEnvironment | undefined {
    const v = this.ctx.extension.workspaceState.get<ActiveEnvironment>(ACTIVE_ENVIRONMENT_KEY);
    return v && typeof v.configFile === 'string' && typeof v.environment === 'string' ? v : undefined;
  }

  async setActive(a: ActiveEnvironment | undefined): Promise<void> {
    await this.ctx.extension.workspaceState.update(ACTIVE_ENVIRONMENT_KEY, a);
    this.render();
    this.changed.fire(a);
  }

  /** Makes `environment` of `configFile` active (a deploy or rollback there does). */
  async use(configFile: string, environment: string): Promise<void> {
    const a = this.active;
    if (a?.configFile === configFile && a.environment === environment) return;
    const env = await environmentOf(configFile, environment);
    if (env) await this.setActive({ configFile, environment, type: env.type, hosts: loadEngine().hostsOf(env).length });
  }

  /** What the item shows now (its text and what a click runs). */
  get shown(): { text: string; command: string | undefined } {
    return { text: this.item.text, command: typeof this.item.command === 'string' ? this.item.command : this.item.command?.command };
  }

  /** Shows an operation's steps with a spinner until end(). */
  begin(environment: string, verb: string): OperationStatus {
    const op = { environment, verb, step: 'starting' };
    this.operation = op;
    this.render();
    return {
      step: (text) => {
        if (this.operation === op) {
          op.step = text;
          this.render();
        }
      },
      end: () => {
        if (this.operation === op) {
          this.operation = undefined;
          this.render();
        }
      },
    };
  }

  dispose(): void {
    this.item.dispose();
    this.rolloutItem.dispose();
    this.changed.dispose();
  }

  private render(): void {
    const op = this.operation;
    if (op) {
      this.item.text = `$(sync~spin) ${op.environment}: ${op.verb} · ${op.step}`;
      this.item.tooltip = `Go Deploy is ${op.verb} ${op.environment} (${op.step}). Click for the log.`;
      this.item.command = 'godeploy.showLog';
      this.item.show();
      return;
    }
    const a = this.active;
    this.item.text = a ? `$(rocket) ${a.environment}` : '$(rocket) Go Deploy';
    this.item.tooltip = a
      ? `Active environment: ${a.environment} (${a.type}${a.type === 'ssh' ? `, ${a.hosts} host${a.hosts === 1 ? '' : 's'}` : ''}) in ${vscode.workspace.asRelativePath(a.configFile)}. Click to switch.`
      : 'Go Deploy: pick the active environment';
    this.item.command = 'godeploy.selectEnvironment';
    this.item.show();
  }
}

async function environmentOf(configFile: string, environment: string) {
  try {
    const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(configFile))).toString('utf8');
    const { config } = loadEngine().validateConfigText(configFile, text);
    return loadEngine().environmentNamed(config, environment);
  } catch {
    return undefined;
  }
}
