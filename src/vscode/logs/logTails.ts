// The editor's log tails: one per environment, each writing to an output channel of its own
// ("Go Deploy Logs: prod", log syntax colouring) in batches, one append per batch, or (by the
// godeploy.logs.output setting) to a terminal that keeps the service's colours. A tail is
// "tailing" exactly while the engine's follower runs: the state changes when it starts and in
// the same place it ends (stopped, or failed), and the tree reads it from here.
import * as vscode from 'vscode';
import type { LogLine, OpenHostOptions } from '../../core/index';
import type { GoDeployContext } from '../context';
import { loadEngine } from '../engine';
import { outputChannelSink, terminalSink, type LogSink } from './logTerminal';

/** The last lines kept per tail (what Tail Logs returns, for tests and other extensions). */
const KEPT_LINES = 2000;

export interface TailOptions {
  lines: number;
  since?: number;
  grep?: RegExp;
  hosts: Omit<OpenHostOptions, 'token'>;
}

interface Tail {
  cancel: vscode.CancellationTokenSource;
  sink: LogSink;
  done: Promise<void>;
  received: number;
  kept: string[];
  width: number;
}

export interface TailState {
  environment: string;
  configFile: string;
  tailing: boolean;
  /** Lines shown since this tail started. */
  received: number;
  /** The last lines shown (formatted as in the channel), at most 2000. */
  lines: string[];
  channel: string;
}

const keyOf = (configFile: string, environment: string): string => `${configFile}\n${environment}`;

export class LogTails implements vscode.Disposable {
  private readonly tails = new Map<string, Tail>();
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a tail starts or ends. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: GoDeployContext) {}

  isTailing(configFile: string, environment: string): boolean {
    return this.tails.has(keyOf(configFile, environment));
  }

  state(configFile: string, environment: string): TailState {
    const tail = this.tails.get(keyOf(configFile, environment));
    return { environment, configFile, tailing: tail !== undefined, received: tail?.received ?? 0, lines: [...(tail?.kept ?? [])], channel: channelName(environment) };
  }

  /** Starts following every host of the environment (or shows the channel of the tail already running). */
  start(configFile: string, environment: string, o: TailOptions): TailState {
    const key = keyOf(configFile, environment);
    const running = this.tails.get(key);
    if (running) {
      running.sink.show();
      return this.state(configFile, environment);
    }
    const cancel = new vscode.CancellationTokenSource();
    const toTerminal = vscode.workspace.getConfiguration('godeploy.logs', vscode.Uri.file(configFile)).get<string>('output', 'outputChannel') === 'terminal';
    const terminal = toTerminal ? terminalSink(channelName(environment), () => cancel.cancel()) : undefined;
    const sink = terminal ?? outputChannelSink(this.channel(key, environment));
    sink.show();
    const tail: Tail = { cancel, sink, done: Promise.resolve(), received: 0, kept: [], width: 0 };
    const engine = loadEngine();
    sink.note(`following ${environment} (${vscode.workspace.asRelativePath(configFile)}): the last ${o.lines} lines, then new ones${o.grep ? `, matching /${o.grep.source}/` : ''}`);
    const onLines = (batch: LogLine[]): void => {
      tail.width = Math.max(tail.width, ...batch.map((l) => l.host.length));
      const text = batch.map((l) => engine.formatLogLine(l, tail.width));
      sink.lines(text);
      tail.received += batch.length;
      tail.kept.push(...text);
      if (tail.kept.length > KEPT_LINES) tail.kept.splice(0, tail.kept.length - KEPT_LINES);
    };
    tail.done = engine.tailLogs({
      configFile: { file: configFile, exists: true }, environment, lines: o.lines, since: o.since, grep: o.grep, follow: true,
      hosts: { ...o.hosts, token: cancel.token }, token: cancel.token, onLines,
    }).then((r) => {
      for (const e of r.errors) sink.note(e);
      if (!r.ok) void vscode.window.showWarningMessage(`Go Deploy: tailing ${environment} stopped: ${r.errors[0]}`, 'Show Logs').then((c) => { if (c) sink.show(); });
    }, (e: Error) => {
      sink.note(`tailing failed: ${e.message}`);
      this.ctx.log.error(`tailing ${environment}: ${e.message}`);
      void vscode.window.showErrorMessage(`Go Deploy: tailing ${environment} failed: ${e.message}`);
    }).finally(() => {
      cancel.dispose();
      if (this.tails.get(key) === tail) this.tails.delete(key);
      sink.note(`stopped following ${environment}`);
      terminal?.dispose();
      this.announce();
    });
    this.tails.set(key, tail);
    this.ctx.log.info(`tailing the logs of ${environment} into "${channelName(environment)}"`);
    this.announce();
    return this.state(configFile, environment);
  }

  /** Stops the tail of the environment and waits until it has; false when none ran. */
  async stop(configFile: string, environment: string): Promise<boolean> {
    const tail = this.tails.get(keyOf(configFile, environment));
    if (!tail) return false;
    tail.cancel.cancel();
    await tail.done;
    return true;
  }

  /** The environments being tailed. */
  running(): { configFile: string; environment: string }[] {
    return [...this.tails.keys()].map((k) => { const [configFile, environment] = k.split('\n'); return { configFile, environment }; });
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

  private channel(key: string, environment: string): vscode.OutputChannel {
    let c = this.channels.get(key);
    if (!c) {
      c = vscode.window.createOutputChannel(channelName(environment), 'log');
      this.channels.set(key, c);
    }
    return c;
  }
}

export const channelName = (environment: string): string => `Go Deploy Logs: ${environment}`;
