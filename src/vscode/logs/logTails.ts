// The editor's log tails: one per environment (every host) or per host, each writing to a
// LogOutputChannel of its own ("Go Deploy Logs: prod", "Go Deploy Logs: prod (web1)") one
// batch at a time, or (by the godeploy.logs.output setting) to a terminal. A tail is
// "tailing" exactly while the engine's follower runs: the state changes when it starts and in
// the same place it ends (stopped, or failed), and the tree reads it from here.
import * as vscode from 'vscode';
import type { LogLine, OpenHostOptions } from '../../core/index';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { logChannelSink, terminalSink, type LogSink } from './logSinks';

/** The last lines kept per tail (what Tail Logs returns, for tests and other extensions). */
const KEPT_LINES = 2000;

/** What is followed: every host of an environment, or one of them. */
export interface TailTarget {
  configFile: string;
  environment: string;
  /** One host (an ssh alias, "engine" or "local"); the whole environment when absent. */
  host?: string;
  /** One process of the app (app.processes); every process when absent. */
  process?: string;
}

export interface TailOptions {
  lines: number;
  since?: number;
  grep?: RegExp;
  hosts: Omit<OpenHostOptions, 'token'>;
}

interface Tail {
  target: TailTarget;
  cancel: vscode.CancellationTokenSource;
  sink: LogSink;
  done: Promise<void>;
  received: number;
  kept: string[];
  width: number;
}

export interface TailState extends TailTarget {
  tailing: boolean;
  /** Lines shown since this tail started. */
  received: number;
  /** The last lines shown ("host | time text", as the CLI prints them), at most 2000. */
  lines: string[];
  channel: string;
}

const keyOf = (t: TailTarget): string => `${t.configFile}\n${t.environment}\n${t.host ?? ''}\n${t.process ?? ''}`;

/** "web1", "web1/api", "api" or nothing: the host and process a tail is narrowed to. */
const narrowed = (t: { host?: string; process?: string }): string => [t.host, t.process].filter((x) => x !== undefined).join('/');

export const channelName = (t: { environment: string; host?: string; process?: string }): string =>
  `Go Deploy Logs: ${t.environment}${narrowed(t) ? ` (${narrowed(t)})` : ''}`;

/** How a running tail is named to the user: "prod", "prod (web1)" or "prod (web1/api)". */
export const tailLabel = (t: TailTarget): string => `${t.environment}${narrowed(t) ? ` (${narrowed(t)})` : ''}`;

export class LogTails implements vscode.Disposable {
  private readonly tails = new Map<string, Tail>();
  private readonly channels = new Map<string, vscode.LogOutputChannel>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a tail starts or ends. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: GoDeployContext) {}

  isTailing(target: TailTarget): boolean {
    return this.tails.has(keyOf(target));
  }

  state(target: TailTarget): TailState {
    const tail = this.tails.get(keyOf(target));
    return { ...target, tailing: tail !== undefined, received: tail?.received ?? 0, lines: [...(tail?.kept ?? [])], channel: channelName(target) };
  }

  /** Starts following the target's hosts (or shows the output of the tail already running). */
  start(target: TailTarget, o: TailOptions): TailState {
    const key = keyOf(target);
    const running = this.tails.get(key);
    if (running) {
      running.sink.show();
      return this.state(target);
    }
    const cancel = new vscode.CancellationTokenSource();
    const name = channelName(target);
    const toTerminal =
      vscode.workspace.getConfiguration('godeploy.logs', vscode.Uri.file(target.configFile)).get<string>('output', 'outputChannel') === 'terminal';
    const terminal = toTerminal ? terminalSink(name, () => cancel.cancel()) : undefined;
    const sink = terminal ?? logChannelSink(this.channel(key, name));
    sink.show();
    const tail: Tail = { target, cancel, sink, done: Promise.resolve(), received: 0, kept: [], width: 0 };
    const engine = loadEngine();
    const what = `${target.process !== undefined ? `process ${target.process} on ` : ''}${target.host ? `${target.host} of ${target.environment}` : `every host of ${target.environment}`}`;
    sink.note(
      `following ${what} (${vscode.workspace.asRelativePath(target.configFile)}): the last ${o.lines} lines, then new ones${o.grep ? `, matching /${o.grep.source}/` : ''}`,
    );
    const onLines = (batch: LogLine[]): void => {
      tail.width = Math.max(tail.width, ...batch.map((l) => engine.logLineSource(l).length));
      sink.lines(batch, tail.width);
      tail.received += batch.length;
      tail.kept.push(...batch.map((l) => engine.formatLogLine(l, tail.width)));
      if (tail.kept.length > KEPT_LINES) tail.kept.splice(0, tail.kept.length - KEPT_LINES);
    };
    const label = tailLabel(target);
    tail.done = engine
      .tailLogs({
        configFile: { file: target.configFile, exists: true },
        environment: target.environment,
        only: target.host ? [target.host] : undefined,
        process: target.process,
        lines: o.lines,
        since: o.since,
        grep: o.grep,
        follow: true,
        hosts: { ...o.hosts, token: cancel.token },
        token: cancel.token,
        onLines,
      })
      .then(
        (r) => {
          for (const e of r.errors) sink.note(e);
          if (!r.ok)
            void vscode.window.showWarningMessage(`Go Deploy: tailing ${label} stopped: ${r.errors[0]}`, 'Show Logs').then((c) => {
              if (c) sink.show();
            });
        },
        (e: Error) => {
          sink.note(`tailing failed: ${e.message}`);
          this.ctx.log.error(`tailing ${label}: ${e.message}`);
          void vscode.window.showErrorMessage(`Go Deploy: tailing ${label} failed: ${e.message}`);
        },
      )
      .finally(() => {
        cancel.dispose();
        if (this.tails.get(key) === tail) this.tails.delete(key);
        sink.note(`stopped following ${what}`);
        terminal?.dispose();
        this.announce();
      });
    this.tails.set(key, tail);
    this.ctx.log.info(`tailing the logs of ${label} into "${name}"`);
    this.announce();
    return this.state(target);
  }

  /** Stops the target's tail and waits until it has; false when none ran. */
  async stop(target: TailTarget): Promise<boolean> {
    const tail = this.tails.get(keyOf(target));
    if (!tail) return false;
    tail.cancel.cancel();
    await tail.done;
    return true;
  }

  /** The tails running now. */
  running(): TailTarget[] {
    return [...this.tails.values()].map((t) => t.target);
  }

  dispose(): void {
    for (const t of this.tails.values()) t.cancel.cancel();
    for (const c of this.channels.values()) c.dispose();
    this.changed.dispose();
  }

  /** The tree and the palette's Stop Tailing follow the running tails. */
  private announce(): void {
    void vscode.commands.executeCommand('setContext', 'godeploy.tailing', this.tails.size > 0);
    this.changed.fire();
  }

  private channel(key: string, name: string): vscode.LogOutputChannel {
    let c = this.channels.get(key);
    if (!c) {
      c = vscode.window.createOutputChannel(name, { log: true });
      this.channels.set(key, c);
    }
    return c;
  }
}
