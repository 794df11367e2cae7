// Where a tail's lines go. By default a LogOutputChannel per environment (or host): lines are
// entries at their level (journald's error and warning priorities, Go Deploy's notices as
// warnings, the rest info) with the host as the entry's category, so the Output view's
// filter can hide a host or show only errors. By the godeploy.logs.output setting, a
// pseudoterminal instead, writing the lines as they are so a service's own colours (ANSI)
// show, with the host prefix dimmed and Go Deploy's notices in yellow; closing it stops the
// tail.
import * as vscode from 'vscode';
import type { LogLine } from '../../core/index';
import { loadEngine } from '../engine';
import { channelWrites } from './channelEntries';

/** Where a tail writes: a batch of lines (one call per batch), and Go Deploy's own notes. */
export interface LogSink {
  show(): void;
  lines(batch: LogLine[], hostWidth: number): void;
  note(text: string): void;
}

export function logChannelSink(channel: vscode.LogOutputChannel): LogSink {
  const write = { info: (t: string) => channel.info(t), warning: (t: string) => channel.warn(t), error: (t: string) => channel.error(t) };
  return {
    show: () => channel.show(true),
    lines: (batch) => {
      for (const r of channelWrites(batch)) write[r.level](r.text);
    },
    note: (text) => channel.info(`-- ${text} --`),
  };
}

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

/** A terminal showing the tail; `onClose` runs when the user closes it. */
export function terminalSink(name: string, onClose: () => void): LogSink & vscode.Disposable {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  const buffered: string[] = [];
  let open = false;
  const emit = (s: string): void => {
    if (open) write.fire(s);
    else buffered.push(s);
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      open = true;
      for (const s of buffered.splice(0)) write.fire(s);
    },
    close: () => onClose(),
  };
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('output') });
  const { formatLogLine } = loadEngine();
  // "host | rest": the host dimmed; the rest as the service wrote it (its colours kept), a
  // notice in yellow, a line journald ranks as an error in red.
  const line = (l: LogLine, width: number): string => {
    const text = formatLogLine(l, width);
    const i = text.indexOf(' | ');
    const colour = l.notice || l.level === 'warning' ? YELLOW : l.level === 'error' ? RED : '';
    return `${DIM}${text.slice(0, i + 2)}${RESET}${colour}${text.slice(i + 2)}${colour ? RESET : ''}`;
  };
  return {
    show: () => terminal.show(true),
    lines: (batch, width) => emit(`${batch.map((l) => line(l, width)).join('\r\n')}\r\n`),
    note: (text) => emit(`${YELLOW}-- ${text} --${RESET}\r\n`),
    dispose: () => {
      write.dispose();
      close.dispose();
    },
  };
}
