import { environmentSources, rollout, usageError, type RolloutAction, type RolloutResult } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { formatRolloutView, rolloutEndLines, rolloutEventLine } from './rolloutText';

const actions: readonly RolloutAction[] = ['status', 'promote', 'abort', 'resume'];

export const rolloutCommand = defineCommand({
  name: 'rollout',
  positionals: 'status|promote|abort|resume ENV',
  forms: [
    { positionals: 'status ENV', options: ['json', 'accept-new-host-key'] },
    { positionals: 'promote ENV', options: ['full', 'json', 'accept-new-host-key'] },
    { positionals: 'abort ENV', options: ['json', 'accept-new-host-key'] },
    { positionals: 'resume ENV', options: ['json', 'accept-new-host-key'] },
  ],
  summary: 'a canary rollout (strategy: canary): its step and figures, promote, abort, resume',
  options: [
    { name: 'full', type: 'boolean', description: 'promote: straight to 100% (the old release drains and stops) instead of the next step' },
    { ...jsonOption, description: 'print the rollout (its state, the figures of the current step per version, per host) as JSON' },
    acceptNewHostKeyOption,
  ],
  help: `The canary rollout of environment ENV (strategy: canary), as kept on each host where nginx
fronts the app (<path>/.godeploy/rollout.json; a docker environment keeps it on the engine's
host). A deploy starts it and drives it: nginx sends each step's share of the requests to the
new release, the JSON access log is judged per window (5xx rate, p95 latency), a breach
aborts, the last step (100%) promotes.
status: the canary release and the live one, the step (i/n) and its weight, how long its
pause has left, who drives it (a deploy or a resume, or nobody after Ctrl-C); per version the
requests, 5xx answers, error rate, p50 and p95 of the current step; each step with its result.
Exit 0.
promote: the next step now, without waiting for its pause or analysis (with --full: 100%,
the old release drains and stops). A driver still running follows the new step.
abort: every request back on the live release, the canary drains and stops.
promote and abort need every host: exit 0, or 1 when no rollout is in progress (or a host
could not be reached).
resume: drives a rollout left with Ctrl-C (or whose deploy died) from where it is, under the
deploy lock, printing its steps and figures as a deploy does. Exit 0 when it was promoted, 1
when it was aborted (or left paused because a host failed), 130 when left again with Ctrl-C.
Argo Rollouts users: this is \`kubectl argo rollouts get|promote|abort\` for a host's nginx.`,
  examples: [
    { line: 'godeploy rollout status prod', comment: 'the step, its weight, time left and per-version figures of the rollout on prod' },
    { line: 'godeploy rollout promote prod', comment: 'go on to the next step now' },
    { line: 'godeploy rollout promote prod --full', comment: 'send all the traffic to the canary now; the old release stops' },
    { line: 'godeploy rollout abort prod', comment: 'back to the live release; the canary stops' },
    { line: 'godeploy rollout resume prod', comment: 'drive a rollout left with Ctrl-C to its end' },
  ],
  run: (io, g, args, o) => runRollout(io, g, args, { full: o.full, json: o.json, acceptNewHostKey: o['accept-new-host-key'] }),
});

/** The exit code of a rollout command: status 0; promote, abort 0 (their refusal is an error, 1); resume 0 promoted, 1 aborted, 130 left. */
export function rolloutExitCode(r: Pick<RolloutResult, 'action' | 'ok' | 'outcome'>, interrupted = true): number {
  if (r.action === 'resume') return r.outcome === 'left' && interrupted ? 130 : r.outcome === 'promoted' ? 0 : 1;
  return r.ok ? 0 : 1;
}

/** Reads `rollout ACTION ENV` (a usage error otherwise). */
export function rolloutArguments(args: string[], flags: { full: boolean }): { action: RolloutAction; envName: string } {
  const [action, envName, ...extra] = args;
  if (!actions.includes(action as RolloutAction))
    throw usageError(
      action ? `rollout: unknown subcommand "${action}"` : 'rollout: status, promote, abort or resume?',
      'godeploy rollout status|promote|abort|resume ENV (see `godeploy rollout --help`)',
    );
  if (!envName) throw usageError(`rollout ${action}: which environment?`, `godeploy rollout ${action} ENV`);
  if (extra.length) throw usageError(`rollout ${action}: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  if (flags.full && action !== 'promote') throw usageError(`rollout ${action} does not take --full`, 'only promote does: godeploy rollout promote ENV --full');
  return { action: action as RolloutAction, envName };
}

export async function runRollout(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: { full: boolean; json: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const { action, envName } = rolloutArguments(args, flags);
  const first =
    action === 'resume'
      ? 'leaving the rollout where it is (the canary keeps its share; nothing is stopped) and releasing the locks…'
      : 'cancelling (a step being applied finishes on every host)…';
  return withCancellation(io, { first }, async (token) => {
    const r = await rollout({
      configFile: await resolveConfigPath(g),
      environment: envName,
      action,
      full: flags.full,
      hosts: { acceptNewHostKey: flags.acceptNewHostKey, env: io.env },
      token,
      sources: environmentSources(io.env),
      onRolloutEvent: flags.json ? undefined : (e) => io.out(rolloutEventLine(e)),
    });
    if (flags.json) {
      io.json(r);
      return rolloutExitCode(r, token.isCancellationRequested);
    }
    if (action === 'resume' && r.outcome && r.view.state) {
      // As a deploy ends its rollout: promoted, aborted with the reason and figures, or left with what to run next.
      const state = r.view.state;
      for (const line of rolloutEndLines(r.environment, { outcome: r.outcome, state, reason: state.reason }, token.isCancellationRequested).lines) io.out(line);
      return rolloutExitCode(r, token.isCancellationRequested);
    }
    if (action !== 'status' && r.message) io.out(`rollout ${action} ${r.environment}: ${r.message}`);
    io.out(formatRolloutView(r.view));
    return rolloutExitCode(r);
  });
}
