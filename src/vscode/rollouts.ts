// What the editor knows of each environment's canary rollout (strategy canary): the last
// `godeploy rollout status` read by the dashboard, a command, or this watcher, or the
// rollout state a host reported to the environments view. The status bar shows the active
// environment's rollout from here; the watcher reads it every few seconds while one is in
// progress, and at the view's refresh interval otherwise (only for a canary environment).
import * as vscode from 'vscode';
import type { RolloutState } from '../core/release/canary/types';
import type { RolloutView } from '../core/environment/operations';
import type { GoDeployContext } from './context';
import { loadEngine } from './engine';
import { rolloutActive, rolloutPanel } from './webview/dashboardState';
import type { RolloutPanel } from './webview/protocol';

export interface EnvironmentKey {
  configFile: string;
  environment: string;
}

const keyOf = (e: EnvironmentKey): string => `${e.configFile}\n${e.environment}`;

/** Read every 2 s while a rollout is in progress (the dashboard's pace too). */
export const ACTIVE_POLL_MS = 2_000;
/** An open dashboard of a canary environment reads its rollout this often when none is in progress. */
export const IDLE_POLL_MS = 10_000;

/** Whether the environment's strategy is canary (from godeploy.yaml as it is on disk). */
export async function isCanaryEnvironment(e: EnvironmentKey): Promise<boolean> {
  try {
    const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(e.configFile))).toString('utf8');
    const engine = loadEngine();
    const { config } = engine.validateConfigText(e.configFile, text);
    const env = engine.environmentNamed(config, e.environment) as { strategy?: string } | undefined;
    return env?.strategy === 'canary';
  } catch {
    return false;
  }
}

/** `godeploy rollout status ENV`, as the editor reads it (no prompt: an unknown host key fails the read). */
export function readRolloutView(e: EnvironmentKey, token?: vscode.CancellationToken): Promise<RolloutView> {
  return loadEngine()
    .rollout({ configFile: { file: e.configFile, exists: true }, environment: e.environment, action: 'status', token })
    .then((r) => r.view);
}

export class Rollouts implements vscode.Disposable {
  private readonly known = new Map<string, RolloutPanel>();
  private readonly changed = new vscode.EventEmitter<EnvironmentKey>();
  /** Fires when an environment's rollout changed (started, stepped, ended, or read for the first time). */
  readonly onDidChange = this.changed.event;
  private watched: EnvironmentKey | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(private readonly ctx: GoDeployContext) {}

  get(e: EnvironmentKey): RolloutPanel | undefined {
    return this.known.get(keyOf(e));
  }

  /** A rollout as read (undefined: the environment has none). */
  set(e: EnvironmentKey, panel: RolloutPanel | undefined): void {
    const before = this.known.get(keyOf(e));
    if (panel) this.known.set(keyOf(e), panel);
    else this.known.delete(keyOf(e));
    const summary = (p: RolloutPanel | undefined): string => (p ? `${p.release} ${p.status} ${p.step} ${p.weight} ${p.driven}` : '');
    if (summary(before) !== summary(panel)) {
      this.changed.fire(e);
      if (panel && this.watched && keyOf(this.watched) === keyOf(e)) this.schedule();
    }
  }

  setFromView(e: EnvironmentKey, view: RolloutView): RolloutPanel | undefined {
    const panel = rolloutPanel(view);
    this.set(e, panel);
    return panel;
  }

  /** A host's status named its rollout state (the environments view's poll): kept unless a newer read is known. */
  setFromHostState(e: EnvironmentKey, state: RolloutState | undefined): void {
    if (!state) return;
    const before = this.get(e);
    if (before && before.release === state.release && before.status === state.status && before.weight === state.weight) return;
    this.set(e, rolloutPanel({ environment: e.environment, none: false, state }));
  }

  /** Reads the environment's rollout now. */
  async read(e: EnvironmentKey, token?: vscode.CancellationToken): Promise<RolloutPanel | undefined> {
    return this.setFromView(e, await readRolloutView(e, token));
  }

  /** Keeps the active environment's rollout fresh for the status bar (nothing for one that is not canary). */
  watch(e: EnvironmentKey | undefined): void {
    this.watched = e;
    this.schedule(0);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watched = undefined;
    this.changed.dispose();
  }

  private schedule(delayMs?: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const e = this.watched;
    if (!e) return;
    const idleSeconds = vscode.workspace.getConfiguration('godeploy.environments').get<number>('refreshSeconds', 30);
    const ms = delayMs ?? (rolloutActive(this.get(e)?.status) ? ACTIVE_POLL_MS : idleSeconds > 0 ? idleSeconds * 1000 : undefined);
    if (ms === undefined) return;
    this.timer = setTimeout(() => void this.poll(e), ms);
  }

  private async poll(e: EnvironmentKey): Promise<void> {
    if (this.reading || this.watched !== e) return;
    this.reading = true;
    try {
      if (await isCanaryEnvironment(e)) await this.read(e);
      else this.set(e, undefined);
    } catch (err) {
      this.ctx.log.trace(`rollout of ${e.environment}: ${(err as Error).message}`);
    } finally {
      this.reading = false;
      if (this.watched === e) this.schedule();
    }
  }
}
