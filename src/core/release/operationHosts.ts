// What `godeploy exec` and `godeploy restart|stop|start` share on every target: which hosts
// a request selects (--host, --primary, --process), and a running command's output turned
// into lines for one host with its exit code (a signal as 128+N, as a shell reports it).
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { parse } from 'shell-quote';
import { hostNamesOf, hostsOf } from '../config/model';
import { processesForRoles, processNames } from '../generate/processes';
import type { LoadedEnvironment } from '../environment/load';
import type { ExecOutputLine, OperationSelection, ServiceActionHostResult } from '../environment/operations';
import type { DeployEvent } from '../environment/types';
import { usageError } from '../errors';
import { LineSplitter } from '../logs/logLine';

/** A host's processes: those of its roles (hosts[].roles), all of them when it lists none (local and docker: all). */
export function hostProcessNames(e: Pick<LoadedEnvironment, 'env' | 'model'>, alias: string): string[] {
  const roles = hostsOf(e.env).find((h) => h.host === alias)?.roles;
  return processesForRoles(e.model, roles).map((p) => p.name);
}

/**
 * The hosts `sel` names, in the environment's order: those given (--host), the first
 * (--primary), or all; with --process P or --role R, only those that run P (or R: roles are
 * process names). A host, process or role the environment does not have is a usage error
 * naming the ones it has, and so is a host named with --host that does not run P.
 */
export function selectOperationHosts(e: Pick<LoadedEnvironment, 'name' | 'env' | 'model'>, sel: OperationSelection, command: string): string[] {
  const known = hostNamesOf(e.env);
  const processes = processNames(e.model);
  const quoted = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
  if (sel.process !== undefined && !processes.includes(sel.process))
    throw usageError(
      `${command}: ${e.name} has no process ${JSON.stringify(sel.process)}`,
      processes.length === 1
        ? `a release of ${e.model.app.name} runs one process, ${JSON.stringify(processes[0])}: leave --process out, or give that name`
        : `its processes: ${processes.join(', ')}`,
    );
  if (sel.role !== undefined && !processes.includes(sel.role))
    throw usageError(`${command}: ${e.name} has no role ${JSON.stringify(sel.role)}`, `its roles (the app's processes): ${processes.join(', ')}`);
  if (sel.role !== undefined && sel.process !== undefined && sel.role !== sel.process)
    throw usageError(`${command}: --role ${sel.role} and --process ${sel.process} name different processes`, 'give one of them');
  const only = sel.only ?? [];
  if (only.length && sel.primary) throw usageError(`${command}: --host and --primary both name hosts`, 'give one of them');
  const unknown = only.filter((h) => !known.includes(h));
  if (unknown.length) throw usageError(`${command}: ${e.name} has no host ${quoted(unknown)}`, `its hosts: ${known.join(', ')}`);
  const wanted = sel.process ?? sel.role;
  const runs = (h: string): boolean => wanted === undefined || hostProcessNames(e, h).includes(wanted);
  if (only.length) {
    const idle = only.filter((h) => !runs(h));
    if (idle.length)
      throw usageError(
        `${command}: ${quoted(idle)} ${idle.length === 1 ? 'does' : 'do'} not run ${JSON.stringify(wanted)} (hosts[].roles)`,
        `the hosts that run it: ${known.filter(runs).join(', ') || 'none'}`,
      );
    return known.filter((h) => only.includes(h));
  }
  const hosts = known.filter(runs);
  return sel.primary ? hosts.slice(0, 1) : hosts;
}

/**
 * The processes an operation acts on, on host `alias`: --process P alone, else every
 * process the host runs (its roles), in the app's order (the restart order).
 */
export function operationProcesses(e: Pick<LoadedEnvironment, 'env' | 'model'>, alias: string, sel: OperationSelection): string[] {
  const runs = hostProcessNames(e, alias);
  return sel.process !== undefined ? runs.filter((p) => p === sel.process) : runs;
}

/** The one process exec takes its environment from on host `alias`: --process, else --role, else the first the host runs. */
export function execProcess(e: Pick<LoadedEnvironment, 'env' | 'model'>, alias: string, sel: OperationSelection): string {
  return sel.process ?? sel.role ?? hostProcessNames(e, alias)[0] ?? e.model.processes[0].name;
}

/** "web1, web2" or "web1" for a plan's heading. */
export const hostList = (hosts: readonly string[]): string => `${hosts.join(', ')} (${hosts.length} host${hosts.length === 1 ? '' : 's'})`;

/** The exit code a shell would give: the code, or 128+N for signal N ("TERM", "SIGTERM"); 255 when neither is known. */
export function exitCodeOf(code: number | null | undefined, signal?: string | null): number {
  if (typeof code === 'number') return code;
  if (signal) {
    const n = (constants.signals as Record<string, number>)[signal.startsWith('SIG') ? signal : `SIG${signal}`];
    if (n) return 128 + n;
  }
  return 255;
}

/** Reads `stdout` and `stderr` to their ends, handing over each line (redacted) for `host`. */
export async function forwardLines(
  host: string,
  streams: { stdout: Readable; stderr: Readable },
  onOutput: (line: ExecOutputLine) => void,
  redact: (t: string) => string = (t) => t,
): Promise<void> {
  const pump = (stream: 'stdout' | 'stderr', from: Readable): Promise<void> =>
    new Promise((resolve) => {
      const lines = new LineSplitter();
      const send = (texts: string[]): void => {
        for (const text of texts) onOutput({ host, stream, text: redact(text) });
      };
      from.on('data', (c: Buffer | string) => send(lines.push(Buffer.isBuffer(c) ? c : Buffer.from(c))));
      const done = (): void => {
        send(lines.end());
        resolve();
      };
      from.once('end', done);
      from.once('close', done);
      from.once('error', done);
    });
  await Promise.all([pump('stdout', streams.stdout), pump('stderr', streams.stderr)]);
}

/** A host's result before anything was done there (not ok), with `extra` (an error, say) over it. */
export function hostResult(host: string, address: string, extra: Partial<ServiceActionHostResult> = {}): ServiceActionHostResult {
  return { host, address, ok: false, release: null, before: null, after: null, health: null, durationMs: 0, ...extra };
}

/**
 * Reports a host's steps through `emit` (messages redacted), remembering the step under way:
 * the one a failure is reported under (the unlock aside, which comes last whatever happened).
 */
export function stepReporter(
  host: string,
  emit: ((e: DeployEvent) => void) | undefined,
  redact: (t: string) => string,
  first: DeployEvent['step'],
): { event(step: DeployEvent['step'], state: DeployEvent['state'], message: string, ms?: number): void; stage(): DeployEvent['step'] } {
  let stage = first;
  return {
    event: (step, state, message, ms) => {
      if (step !== 'unlock') stage = step;
      emit?.({ host, step, state, message: redact(message), ...(ms !== undefined ? { ms } : {}) });
    },
    stage: () => stage,
  };
}

/**
 * A command line a person typed (the editor's Run Command…), as argv: its words, quotes
 * honoured, when it is a plain command (so it also runs where there is no shell, as in a
 * distroless container); `sh -c LINE` when it uses shell syntax (pipes, redirections,
 * variables, globs, `;`, `&&`, a leading NAME=value…).
 */
export function commandLineArgv(line: string): string[] {
  const text = line.trim();
  if (/[|&;<>()$`*?[\]{}~!#\\\n]/.test(text)) return ['sh', '-c', text];
  const words = parse(text);
  if (!words.length || !words.every((w): w is string => typeof w === 'string') || words[0].includes('=')) return ['sh', '-c', text];
  return words;
}
