import * as vscode from 'vscode';

const KEPT_LINES = 5000;

/** The one output channel of the extension; secrets registered here never reach it. */
export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly redactions = new Set<string>();
  /** The last lines written (after redaction), as "[level] text", for Go Deploy: Show Log's result. */
  private readonly kept: string[] = [];

  constructor(name = 'Go Deploy') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  /** Values resolved from secrets: replaced by *** in everything logged from now on. */
  redact(secret: string): void {
    if (secret) this.redactions.add(secret);
  }

  trace(message: string): void {
    this.channel.trace(this.keep('trace', this.scrub(message)));
  }
  info(message: string): void {
    this.channel.info(this.keep('info', this.scrub(message)));
  }
  warn(message: string): void {
    this.channel.warn(this.keep('warning', this.scrub(message)));
  }
  error(message: string | Error): void {
    this.channel.error(this.keep('error', this.scrub(message instanceof Error ? (message.stack ?? message.message) : message)));
  }
  /** A block of plain text (a plan, a report), line by line. */
  block(text: string): void {
    for (const line of this.scrub(text).split('\n')) this.channel.info(this.keep('info', line));
  }

  /** The last lines written to the channel (redacted as written), "[level] text" each. */
  text(): string {
    return this.kept.join('\n');
  }

  show(preserveFocus = true): void {
    this.channel.show(preserveFocus);
  }

  dispose(): void {
    this.channel.dispose();
  }

  private keep(level: string, line: string): string {
    this.kept.push(`[${level}] ${line}`);
    if (this.kept.length > KEPT_LINES) this.kept.splice(0, this.kept.length - KEPT_LINES);
    return line;
  }

  private scrub(text: string): string {
    for (const s of this.redactions) text = text.split(s).join('***');
    return text;
  }
}
