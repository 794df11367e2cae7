// Hooks with `local: true` (hooks.preDeploy / hooks.postDeploy of an environment): commands
// run on the deploying machine with sh, in the module's folder, with this process's
// environment plus GODEPLOY_ENVIRONMENT, GODEPLOY_RELEASE and GODEPLOY_VERSION (never the
// service's env file: its secrets stay on the hosts). preDeploy ones run before the build, so
// a failure stops the deploy before any host is touched; postDeploy ones after the deploy put
// its release live (a failure is a warning). Their output reaches the deploy's events line by
// line (host "*", this machine), redacted.
import { spawn } from 'node:child_process';
import type { CancellationTokenLike } from '../cancellation';
import type { DeployEvent, PlannedStep } from '../environment/types';
import { GoDeployError } from '../errors';

/** A hook as written, with its place in its list (hooks.preDeploy[index]). */
export interface IndexedHook {
  index: number;
  run: string;
}

export type HookPhase = 'preDeploy' | 'postDeploy';

/** The step a phase's local hooks report: pre-deploy or post-deploy, on host "*" (this machine). */
export const localHookStep = (phase: HookPhase): 'pre-deploy' | 'post-deploy' => (phase === 'preDeploy' ? 'pre-deploy' : 'post-deploy');

/** The variables a local hook gets on top of this process's environment. */
export function localHookVariables(environment: string, releaseId: string, version: string): Record<string, string> {
  return { GODEPLOY_ENVIRONMENT: environment, GODEPLOY_RELEASE: releaseId, GODEPLOY_VERSION: version };
}

/** The planned step of a phase's local hooks (none without any). */
export function localHooksStep(phase: HookPhase, hooks: IndexedHook[], moduleDir: string): PlannedStep[] {
  if (!hooks.length) return [];
  const when = phase === 'preDeploy' ? 'before the build' : 'after every host went live';
  return [
    {
      host: '*',
      id: localHookStep(phase),
      title: `on this machine, in ${moduleDir}, ${when}: hooks.${phase} with local: true`,
      commands: hooks.map((h) => ['sh', '-c', h.run]),
    },
  ];
}

/** The plan's lines for a phase's local hooks (none without any). */
export function describeLocalHooks(phase: HookPhase, hooks: IndexedHook[], moduleDir: string): string[] {
  const [step] = localHooksStep(phase, hooks, moduleDir);
  if (!step) return [];
  return [
    `this machine: ${step.title}`,
    ...hooks.map((h) => `  $ sh -c ${quoteForDisplay(h.run)}   (hooks.${phase}[${h.index}])`),
    `  (environment: this process's, plus GODEPLOY_ENVIRONMENT, GODEPLOY_RELEASE, GODEPLOY_VERSION; ${phase === 'preDeploy' ? 'a failure stops the deploy before any host is touched' : 'a failure is a warning: the release stays live'})`,
  ];
}

function quoteForDisplay(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface LocalHookOptions {
  phase: HookPhase;
  moduleDir: string;
  /** GODEPLOY_* (localHookVariables). */
  variables: Record<string, string>;
  emit: (e: DeployEvent) => void;
  redact: (text: string) => string;
  token?: CancellationTokenLike;
  /** The environment the variables are added to; default: this process's. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Runs a phase's local hooks in order; the first that fails (or cannot start) throws, naming its index and exit code. */
export async function runLocalHooks(hooks: IndexedHook[], o: LocalHookOptions): Promise<void> {
  if (!hooks.length) return;
  const step = localHookStep(o.phase);
  const t0 = Date.now();
  o.emit({ host: '*', step, state: 'start', message: `hooks.${o.phase} on this machine` });
  try {
    for (const h of hooks) {
      if (o.token?.isCancellationRequested) throw new GoDeployError(`hooks.${o.phase}[${h.index}] not run: the deploy was cancelled`);
      const code = await runOne(h.run, o, (line) => o.emit({ host: '*', step, state: 'info', message: o.redact(line) }));
      if (code !== 0)
        throw new GoDeployError(`hooks.${o.phase}[${h.index}] (local: ${o.redact(h.run)}) failed on this machine with exit ${code ?? 'signal'}`, {
          exitCode: 1,
        });
    }
  } catch (e) {
    o.emit({ host: '*', step, state: 'fail', message: o.redact((e as Error).message), ms: Date.now() - t0 });
    throw e;
  }
  o.emit({ host: '*', step, state: 'done', message: `hooks.${o.phase} on this machine`, ms: Date.now() - t0 });
}

/** sh -c `command` in the module folder, each output line to `line`; the exit code (null: killed by a signal). */
function runOne(command: string, o: LocalHookOptions, line: (text: string) => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: o.moduleDir, env: { ...(o.baseEnv ?? process.env), ...o.variables }, stdio: ['ignore', 'pipe', 'pipe'] });
    const sub = o.token?.onCancellationRequested(() => child.kill('SIGTERM'));
    const pump = (from: NodeJS.ReadableStream): void => {
      let rest = '';
      from.setEncoding('utf8');
      from.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const p of parts) line(p.replace(/\r$/, ''));
      });
      from.on('end', () => {
        if (rest) line(rest);
        rest = '';
      });
    };
    pump(child.stdout);
    pump(child.stderr);
    child.once('error', (e) => {
      sub?.dispose();
      reject(new GoDeployError(`could not start sh for a local hook: ${e.message}`, { exitCode: 1 }));
    });
    child.once('close', (code) => {
      sub?.dispose();
      resolve(code);
    });
  });
}
