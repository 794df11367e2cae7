// Tailed logs in a terminal instead of an output channel (godeploy.logs.output: terminal): a
// pseudoterminal that writes the lines as they are, so a service's own colours (ANSI) show,
// with the host prefix dimmed and Go Deploy's notices in yellow. Closing the terminal stops
// the tail.
import * as vscode from 'vscode';

/** Where a tail writes: its lines (already formatted) and Go Deploy's own notes. */
export interface LogSink {
  show(): void;
  lines(text: string[]): void;
  note(text: string): void;
}

export function outputChannelSink(channel: vscode.OutputChannel): LogSink {
  return {
    show: () => channel.show(true),
    lines: (text) => channel.append(`${text.join('\n')}\n`),
    note: (text) => channel.appendLine(`-- ${text} --`),
  };
}

const DIM = '\x1b[2m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

/** A terminal showing the tail; `onClose` runs when the user closes it. */
export function terminalSink(name: string, onClose: () => void): LogSink & vscode.Disposable {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  const buffered: string[] = [];
  let open = false;
  const emit = (s: string): void => { if (open) write.fire(s); else buffered.push(s); };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => { open = true; for (const s of buffered.splice(0)) write.fire(s); },
    close: () => onClose(),
  };
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('output') });
  return {
    show: () => terminal.show(true),
    // "host | rest": the host dimmed; the rest as the service wrote it (its colours kept).
    lines: (text) => emit(text.map((l) => { const i = l.indexOf(' | '); return i < 0 ? l : `${DIM}${l.slice(0, i + 2)}${RESET}${l.slice(i + 2)}`; }).join('\r\n') + '\r\n'),
    note: (text) => emit(`${YELLOW}-- ${text} --${RESET}\r\n`),
    dispose: () => { write.dispose(); close.dispose(); },
  };
}
