import * as vscode from 'vscode';
import type { DeployEvent, HostDeployResult } from '../../core/index';
import type { GoDeployContext } from '../context';

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`;
}

/** "[web1] health: healthy after 0.4 s (200 OK) (0.4 s)", as the CLI prints it; start events at trace level. */
export function logEvent(ctx: GoDeployContext, e: DeployEvent): void {
  const who = e.host === '*' ? '' : `[${e.host}] `;
  const lines = e.message.split('\n');
  if (e.state === 'start') {
    ctx.log.trace(`${who}${e.step}: ${lines[0]} …`);
    return;
  }
  const mark = e.state === 'fail' ? 'FAIL ' : e.state === 'skip' ? 'skip ' : '';
  const text = [`${who}${e.step}: ${mark}${lines[0]}${seconds(e.ms)}`, ...lines.slice(1).map((l) => `${who}  ${l}`)].join('\n');
  if (e.state === 'fail') ctx.log.error(text);
  else if (e.state === 'info' && /^warning:/.test(e.message)) ctx.log.warn(text);
  else ctx.log.block(text);
}

/**
 * The progress notification of a deploy or rollback: the current step and host as its
 * message, the bar advancing per finished step. Knows when a host has switched, so a
 * cancellation after that says what happens (the gate finishes, then the rollback).
 */
export class OperationProgress {
  /** The steps (host and step) that reported done or skip: a step reporting twice counts once. */
  private readonly finished = new Set<string>();
  private reported = 0;
  switched = false;
  cancelRequested = false;

  /** Steps the bar is divided into: the plan's steps, set when the engine reports its plan. */
  expectedSteps = 1;

  /** Also told each step as it starts (the status bar). */
  onStep?: (text: string) => void;

  constructor(
    private readonly ctx: GoDeployContext,
    private readonly progress: vscode.Progress<{ message?: string; increment?: number }>,
    token: vscode.CancellationToken,
  ) {
    token.onCancellationRequested(() => {
      this.cancelRequested = true;
      const what = this.switched
        ? 'cancel requested after the switch: the health gate finishes, then the switched hosts are rolled back'
        : 'cancel requested: stopping before the switch; nothing live changes';
      ctx.log.warn(what);
      progress.report({ message: what });
    });
  }

  readonly onEvent = (e: DeployEvent): void => {
    logEvent(this.ctx, e);
    if (e.step === 'switch' && e.state === 'done') this.switched = true;
    if (e.state === 'start') {
      const where = e.host === '*' ? '' : ` on ${e.host}`;
      this.progress.report({ message: `${this.cancelRequested ? 'cancelling… ' : ''}${e.step}${where} — ${e.message.split('\n')[0]}` });
      this.onStep?.(`${e.step}${where}`);
      return;
    }
    if (e.state === 'done' || e.state === 'skip') {
      this.finished.add(`${e.host}\0${e.step}`);
      // Never past 95% before the end: the last steps (record, unlock) are quick.
      const target = Math.min(95, (this.finished.size / Math.max(1, this.expectedSteps)) * 100);
      if (target > this.reported) {
        this.progress.report({ increment: target - this.reported });
        this.reported = target;
      }
    }
  };
}

/** One line per host, as the CLI's summary. */
export function hostSummary(h: HostDeployResult, live: string): string {
  const what = { live: `live on ${live}`, 'rolled-back': `rolled back${h.previous ? ` to ${h.previous}` : ''}`, failed: 'FAILED', unchanged: 'unchanged' }[
    h.result
  ];
  return `${h.host} (${h.address}): ${what}${h.error && h.result !== 'live' ? `: ${h.error}` : ''}${h.hint && h.result !== 'live' ? `\n  hint: ${h.hint}` : ''}`;
}
