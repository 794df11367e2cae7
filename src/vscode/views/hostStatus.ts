// The live state of the hosts the environments view shows. Each host is asked on its own
// (godeploy status for that host, or the docker engine), with a time limit, so one dead host
// never holds the others back or freezes the view. Hosts are asked when their environment
// is expanded and again every `godeploy.environments.refreshSeconds` while the view is
// visible; requests for the same host are debounced and never overlap.
import * as vscode from 'vscode';
import type { HostOutcome, HostStatus } from '../../core/index';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import type { HostNode, HostState } from './treeNodes';

/** A host node's identity across redraws. */
export const hostKey = (n: Pick<HostNode, 'configFile' | 'environment' | 'alias'>): string => `${n.configFile}\n${n.environment}\n${n.alias}`;

export class HostStatusPoller implements vscode.Disposable {
  private readonly states = new Map<string, HostState>();
  private readonly shown = new Map<string, HostNode>();
  private readonly inFlight = new Set<string>();
  private readonly changed = new vscode.EventEmitter<HostNode>();
  /** Fires when a host's state changed (a check started or answered). */
  readonly onDidChange = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private readonly queued = new Set<string>();

  constructor(private readonly ctx: GoDeployContext) {}

  state(node: Pick<HostNode, 'configFile' | 'environment' | 'alias'>): HostState {
    return this.states.get(hostKey(node)) ?? { phase: 'unknown' };
  }

  /** The hosts of an environment the view now shows: checked soon if not known yet. */
  show(nodes: HostNode[]): void {
    for (const n of nodes) {
      const k = hostKey(n);
      this.shown.set(k, n);
      if (!this.states.has(k)) this.schedule(k);
    }
  }

  /** Checks every shown host again (after a deploy, a config change, or Refresh). */
  refresh(): void {
    for (const k of this.shown.keys()) this.schedule(k);
  }

  /** Forgets hosts no longer in the config (the view rebuilds what it shows). */
  forgetAll(): void {
    this.shown.clear();
  }

  setVisible(visible: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!visible) return;
    const seconds = vscode.workspace.getConfiguration('godeploy.environments').get<number>('refreshSeconds', 30);
    if (seconds > 0) this.timer = setInterval(() => this.refresh(), seconds * 1000);
    this.refresh();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    this.changed.dispose();
  }

  /** Debounced: what is asked for within 300 ms goes out together. */
  private schedule(key: string): void {
    this.queued.add(key);
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      const keys = [...this.queued];
      this.queued.clear();
      for (const k of keys) void this.check(k);
    }, 300);
  }

  private async check(key: string): Promise<void> {
    const node = this.shown.get(key);
    if (!node || this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const before = this.states.get(key);
    this.states.set(key, {
      phase: 'checking',
      last: before?.phase === 'unknown' ? undefined : before?.last,
      at: before?.phase === 'known' ? before.at : undefined,
    });
    this.changed.fire(node);
    const timeoutMs = vscode.workspace.getConfiguration('godeploy.environments').get<number>('hostTimeoutSeconds', 10) * 1000;
    const cancel = new vscode.CancellationTokenSource();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<HostOutcome<HostStatus>>((resolve) => {
      timer = setTimeout(() => {
        cancel.cancel();
        resolve({ alias: node.alias, address: node.alias, ok: false, stage: 'connect', error: `no answer within ${timeoutMs / 1000} s`, cause: undefined });
      }, timeoutMs);
    });
    try {
      const asked = loadEngine()
        .environmentStatus({
          configFile: { file: node.configFile, exists: true },
          environment: node.environment,
          host: node.ssh ? node.alias : undefined,
          timeoutMs,
          token: cancel.token,
        })
        .then(
          (r) =>
            r.hosts[0] ?? {
              alias: node.alias,
              address: node.alias,
              ok: false as const,
              stage: 'run' as const,
              error: 'not in the environment any more',
              cause: undefined,
            },
        );
      const outcome = await Promise.race([asked, timedOut]).catch((e: Error): HostOutcome<HostStatus> => ({
        alias: node.alias,
        address: node.alias,
        ok: false,
        stage: 'run',
        error: e.message,
        cause: e,
      }));
      this.states.set(key, { phase: 'known', last: outcome, at: Date.now() });
      if (!outcome.ok) this.ctx.log.trace(`environments view: ${node.environment}/${node.alias}: ${outcome.error}`);
    } finally {
      clearTimeout(timer);
      cancel.dispose();
      this.inFlight.delete(key);
      this.changed.fire(node);
    }
  }
}
