// Rules for strategy: canary and rollout.canary that the schema cannot express. A canary runs
// the new release as a second instance beside the live one, behind nginx, and moves a share of
// the traffic to it step by step: so it needs what blue-green needs (two instances of one
// service that Go Deploy starts and stops, nginx it can rewrite and reload), and steps that
// make sense (weights that grow to 100, each step before the last held long enough to judge
// a window of its traffic). rollout.canary under another strategy, and rollout.parallel/batch
// on a docker environment (one engine, no hosts to spread over), are warned about: ignored.
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument, PathSegment } from './document';
import { parseDuration } from './duration';
import { isObject, type RawObject } from './raw';
import { DEFAULT_CANARY_STEPS, percentOf } from '../release/canary/policy';

/** analysis.window when it is not set. */
const DEFAULT_WINDOW = '30s';

export function canaryDiagnostics(document: ConfigDocument, config: RawObject, out: ConfigDiagnostic[]): void {
  if (!isObject(config.environments)) return;
  const processes = isObject(config.app) && isObject(config.app.processes) ? Object.keys(config.app.processes) : [];
  for (const [name, env] of Object.entries(config.environments)) {
    if (!isObject(env)) continue;
    const at = (...rest: PathSegment[]): PathSegment[] => ['environments', name, ...rest];
    const where = `environments.${name}`;
    const rollout = isObject(env.rollout) ? env.rollout : undefined;
    if (env.strategy === 'canary') placeDiagnostics(document, name, env, processes, out);
    if (rollout && isObject(rollout.canary) && env.strategy !== 'canary' && env.type !== 'local') {
      const strategy = typeof env.strategy === 'string' ? `strategy is ${env.strategy}` : 'strategy is not set (restart)';
      out.push(
        document.diagnosticAt(
          at('rollout', 'canary'),
          'key',
          'warning',
          `${where}.rollout.canary is ignored: ${strategy}, not canary`,
          'set strategy: canary to release in these steps, or remove rollout.canary',
        ),
      );
    }
    if (rollout && env.type === 'docker')
      for (const key of ['parallel', 'batch'])
        if (key in rollout)
          out.push(
            document.diagnosticAt(
              at('rollout', key),
              'key',
              'warning',
              `${where}.rollout.${key} is ignored: a docker environment deploys to one engine, not to a set of hosts`,
              'remove it; rollout.parallel and rollout.batch spread a deploy over the hosts of an ssh environment',
            ),
          );
    if (rollout && isObject(rollout.canary) && env.strategy === 'canary' && env.type !== 'local') stepDiagnostics(document, name, rollout.canary, out);
  }
}

/**
 * Where strategy canary cannot run: a local environment, processManager none, a swarm or a
 * tcp:// engine, app.processes. Each at the value that rules it out (the strategy's for the
 * type and app.processes), so two of them on one environment are both shown.
 */
function placeDiagnostics(document: ConfigDocument, name: string, env: RawObject, processes: string[], out: ConfigDiagnostic[]): void {
  const where = `environments.${name}.strategy: canary`;
  const refuse = (at: PathSegment[], message: string, hint: string): void =>
    void out.push(document.diagnosticAt(['environments', name, ...at], 'value', 'error', `${where} ${message}`, hint));
  if (env.type === 'local') {
    refuse(
      ['strategy'],
      'needs nginx in front of two instances of the service, and a local environment runs one process on this machine',
      'deploy canaries to an ssh environment (systemd or supervisor) or a docker one, or remove strategy here',
    );
    return;
  }
  if (env.type === 'ssh' && env.processManager === 'none')
    refuse(
      ['processManager'],
      'needs processManager systemd or supervisor: it runs two instances of the service behind nginx, and processManager none runs one',
      'set processManager: systemd (or supervisor), or use strategy: restart here',
    );
  if (env.type === 'docker' && isObject(env.docker)) {
    if (env.docker.mode === 'swarm')
      refuse(
        ['docker', 'mode'],
        "cannot be used with docker.mode: swarm: Swarm's routing mesh, not nginx, picks the task each request goes to",
        "use docker.mode: container (nginx on the engine's host splits the traffic), or strategy: restart (Swarm's own start-first update)",
      );
    if (typeof env.docker.host === 'string' && /^tcp:\/\//.test(env.docker.host))
      refuse(
        ['docker', 'host'],
        "splits traffic in nginx on the engine's host, and a tcp:// engine gives Go Deploy no way onto that host",
        'reach the same engine as ssh://user@host (the API then goes through ssh, and nginx is changed there), or use strategy: restart',
      );
  }
  if (processes.length && (env.type === 'ssh' || env.type === 'docker'))
    refuse(
      ['strategy'],
      `deploys the one-process form only (two instances of one service behind nginx); this app has app.processes (${processes.join(', ')})`,
      'use strategy: restart (each process restarted and health-gated in order), or deploy the process that serves HTTP as an app of its own',
    );
}

/** rollout.canary.steps and analysis: weights that grow to 100, pauses before the last step at least analysis.window, maxErrorRate 0–100%. */
function stepDiagnostics(document: ConfigDocument, name: string, canary: RawObject, out: ConfigDiagnostic[]): void {
  const base: PathSegment[] = ['environments', name, 'rollout', 'canary'];
  const where = `environments.${name}.rollout.canary`;
  const analysis = isObject(canary.analysis) ? canary.analysis : {};
  const windowText = typeof analysis.window === 'string' && parseDuration(analysis.window) !== undefined ? analysis.window : DEFAULT_WINDOW;
  const windowMs = parseDuration(windowText) ?? 30_000;
  const windowSaid =
    windowText === DEFAULT_WINDOW && analysis.window === undefined ? `analysis.window (${DEFAULT_WINDOW}, the default)` : `analysis.window (${windowText})`;
  const rate = analysis.maxErrorRate;
  if (typeof rate === 'string') {
    const fraction = percentOf(rate);
    if (Number.isFinite(fraction) && fraction > 1)
      out.push(
        document.diagnosticAt(
          [...base, 'analysis', 'maxErrorRate'],
          'value',
          'error',
          `${where}.analysis.maxErrorRate: ${rate.trim()} is out of range; expected 0% to 100%`,
          "the highest share of the canary's requests answered with a 5xx before it is aborted, such as 1% or 0.5%",
        ),
      );
  }
  if (!Array.isArray(canary.steps)) {
    // The default steps pause 1m: a longer window would never close within a step.
    const shortest = Math.min(...DEFAULT_CANARY_STEPS.filter((s) => 'pause' in s).map((s) => parseDuration((s as { pause: string }).pause) ?? 0));
    if (canary.steps === undefined && windowMs > shortest)
      out.push(
        document.diagnosticAt(
          [...base, 'analysis', 'window'],
          'value',
          'error',
          `${where}.analysis.window (${windowText}) is longer than the pauses of the default steps (10% and 50%, each held 1m, then 100%): no step would last one window`,
          `set rollout.canary.steps with pauses of at least ${windowText}, or shorten analysis.window`,
        ),
      );
    return;
  }
  const steps = canary.steps as unknown[];
  const weightOf = (s: unknown): number | undefined => (isObject(s) && typeof s.weight === 'number' ? s.weight : undefined);
  let previous: { index: number; weight: number } | undefined;
  steps.forEach((step, i) => {
    const w = weightOf(step);
    const at = (...rest: PathSegment[]): PathSegment[] => [...base, 'steps', i, ...rest];
    const last = i === steps.length - 1;
    if (w !== undefined) {
      if (previous && w <= previous.weight)
        out.push(
          document.diagnosticAt(
            at('weight'),
            'value',
            'error',
            `${where}.steps[${i}].weight ${w} is not above steps[${previous.index}].weight (${previous.weight}): each step gives the canary a larger share`,
            'order the steps by weight, each above the one before, ending at 100',
          ),
        );
      previous = { index: i, weight: w };
      if (last && w !== 100)
        out.push(
          document.diagnosticAt(
            at('weight'),
            'value',
            'error',
            `${where}.steps[${i}].weight is ${w}: the last step must send all traffic (100) to the canary, which is how a rollout completes`,
            'end the steps with { weight: 100 }',
          ),
        );
    }
    if (!isObject(step)) return;
    if (last) {
      if (step.pause !== undefined)
        out.push(
          document.diagnosticAt(
            at('pause'),
            'key',
            'warning',
            `${where}.steps[${i}].pause is ignored: the last step ends the rollout (the canary takes all traffic and becomes the live release)`,
            'remove it',
          ),
        );
      return;
    }
    if (step.pause === undefined) {
      out.push(
        document.diagnosticAt(
          at(),
          'value',
          'error',
          `${where}.steps[${i}] has no pause: every step before the last holds for a pause while its traffic is judged`,
          `add pause: to the step, at least ${windowSaid}; for example { weight: ${w ?? 10}, pause: ${windowMs >= 60_000 ? windowText : '1m'} }`,
        ),
      );
      return;
    }
    const pauseMs = typeof step.pause === 'string' ? parseDuration(step.pause) : undefined;
    if (pauseMs !== undefined && pauseMs < windowMs)
      out.push(
        document.diagnosticAt(
          at('pause'),
          'value',
          'error',
          `${where}.steps[${i}].pause (${step.pause}) is shorter than ${windowSaid}: the step would end before one window of its traffic is judged`,
          `make the pause at least ${windowText}, or shorten analysis.window`,
        ),
      );
  });
}
