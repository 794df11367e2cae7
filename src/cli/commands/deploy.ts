import { deploy, describeNotification, type DeployEvent, type DeployResult, environmentSources, type NotificationOutcome, usageError } from '../../core';
import type { CliIO } from '../io';
import { withCancellation } from '../signals';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { rolloutEndLines, rolloutEventLine } from './rolloutText';

export const deployCommand = defineCommand({
  name: 'deploy',
  positionals: 'ENV',
  summary: 'build, upload, switch behind the health gate, roll back on failure',
  options: [
    { name: 'dry-run', type: 'boolean', description: 'print the plan (every command and file, no secret values) and touch nothing' },
    { name: 'force', type: 'boolean', description: 'deploy even when every host already runs this build, healthy, with this environment' },
    { ...jsonOption, description: 'print the result (every host with its outcome, and switchedHosts) as JSON instead of progress lines' },
    acceptNewHostKeyOption,
  ],
  help: `Builds the module for each host's platform and deploys it to every host of environment
ENV: preflight checks, the deploy lock, the executable uploaded into a new release folder
(or linked from an earlier release with the same sha256), the env file (mode 0600), the
systemd unit or supervisor program when it changed, hooks.preDeploy, then the atomic
switch of <path>/current, a restart and the health gate. A host whose gate fails is
switched back and its last 50 log lines are shown; the other hosts are taken back too.
rollout.batch deploys in rolling batches; rollout.parallel limits hosts at once. A failing
hooks.postDeploy command is reported and makes the exit 1, but the release stays live.
--dry-run prints the plan (every command and file, no secret values) and touches nothing.
When every host's live release already runs this executable with this env file and
service definition and is healthy, nothing is switched or restarted (exit 0); --force
deploys anyway.
Ctrl-C before the switch stops cleanly; after it, the health gate finishes and the hosts
are rolled back. \${env:NAME} and \${secret:NAME} are read from this environment.
A docker environment (type: docker) deploys to its engine (docker.host, else DOCKER_HOST,
else the local socket): the image packed from the cross-compiled binary (docker.build:
binary) or built from the module's Dockerfile (dockerfile), tagged <app>:<version> and
<app>:<release>; the container <app>-<release> replaces the running one behind the health
gate (a failure removes it and starts the old one again); the lock is the container
godeploy-lock-<app> on the engine; older releases stay as stopped containers.
notify: webhooks are told how it ended (a line each: their HTTP status or why they
failed, never their URL); a webhook's failure never changes the exit code.
With strategy: canary the new release starts beside the live one and nginx sends it a
growing share of the requests, step by step (rollout.canary), each window judged on nginx's
JSON access log; \`canary:\` lines show each step and the figures of each judged window. A
breach aborts: traffic back on the live release, exit 1. Ctrl-C during a step leaves the
rollout where it is (exit 130), as does a host failing mid-rollout (exit 1): godeploy rollout
resume|promote|abort ENV goes on from there.
Exit 0 when every host is live on the new release, 1 otherwise, 2 for usage/config errors.`,
  examples: [
    { line: 'godeploy deploy dev', comment: 'build the module and deploy it to environment dev' },
    { line: 'godeploy deploy prod --dry-run', comment: 'print every command and file the deploy would run, touching nothing' },
    { line: 'godeploy deploy prod --json', comment: 'deploy; the outcome of every host as JSON (for CI)' },
    { line: 'godeploy -C services/api deploy staging --force', comment: 'deploy the module in services/api, even if staging runs this build' },
  ],
  run: (io, g, args, o) => runDeploy(io, g, args, { json: o.json, dryRun: o['dry-run'], force: o.force, acceptNewHostKey: o['accept-new-host-key'] }),
});

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`;
}

/** "[web1] upload: …" lines; start events only on a terminal's progress line. */
export function eventPrinter(io: CliIO): (e: DeployEvent) => void {
  return (e) => {
    const who = e.host === '*' ? '' : `[${e.host}] `;
    if (e.state === 'start') {
      io.progress(`${who}${e.step}: ${e.message}`);
      return;
    }
    const mark = e.state === 'fail' ? 'FAIL ' : e.state === 'skip' ? 'skip ' : '';
    const lines = e.message.split('\n');
    io.out(`${who}${e.step}: ${mark}${lines[0]}${seconds(e.ms)}`);
    for (const l of lines.slice(1)) io.out(`${who}  ${l}`);
  };
}

export function printSummary(io: CliIO, r: DeployResult, verb: string): void {
  if (r.alreadyLive) {
    for (const h of r.hosts) io.out(`${h.host} (${h.address}): live on ${h.previous} (unchanged)`);
    io.out(
      `${verb} to ${r.environment}: nothing to do, every host already runs this build with this environment (--force redeploys) (${(r.durationMs / 1000).toFixed(1)} s)`,
    );
    printNotifications(io, r.notifications);
    return;
  }
  for (const h of r.hosts) {
    const what = {
      live: `live on ${r.releaseId}`,
      'rolled-back': `rolled back${h.previous ? ` to ${h.previous}` : ''}`,
      failed: 'FAILED',
      unchanged: 'unchanged',
    }[h.result];
    io.out(
      `${h.host} (${h.address}): ${what}${h.error && h.result !== 'live' ? `: ${h.error}` : ''}${h.hint && h.result !== 'live' ? `\n  hint: ${h.hint}` : ''}`,
    );
  }
  for (const w of r.warnings) io.out(`warning: ${w}`);
  const where = deployWhere(r);
  io.out(
    r.ok
      ? `${verb} ${r.releaseId} to ${r.environment}: done in ${(r.durationMs / 1000).toFixed(1)} s; ${where}`
      : `${verb} ${r.releaseId} to ${r.environment}: ${r.cancelled ? 'cancelled' : 'FAILED'} after ${(r.durationMs / 1000).toFixed(1)} s; ${where}`,
  );
  printNotifications(io, r.notifications);
}

/** A line per webhook told (notify:): its answer, never its URL. */
export function printNotifications(io: CliIO, notifications: NotificationOutcome[] | undefined, to: 'out' | 'err' = 'out'): void {
  for (const n of notifications ?? []) io[to](describeNotification(n));
}

/**
 * Runs a deploy or rollback; when it throws after the webhooks were told (a failed build,
 * say), their lines go to stderr before the error (--json's stdout keeps only JSON).
 */
export async function withNotificationLines<T>(io: CliIO, run: (onNotifications: (n: NotificationOutcome[]) => void) => Promise<T>): Promise<T> {
  let told: NotificationOutcome[] = [];
  try {
    return await run((n) => (told = n));
  } catch (e) {
    printNotifications(io, told, 'err');
    throw e;
  }
}

/**
 * Where the release stands, for the summary line: the hosts it is live on, or none; for a canary
 * rollout that did not end promoted, what the traffic does now (an aborted canary was live at a
 * weight, so "no host switched" would not be true).
 */
export function deployWhere(r: DeployResult): string {
  const live = switchedHosts(r);
  const on = live.length ? ` on ${live.join(', ')}` : '';
  if (r.rollout?.outcome === 'aborted') return `canary rollout aborted, every request back on ${r.rollout.state.previous}${on}`;
  if (r.rollout?.outcome === 'left') return `${r.releaseId} takes ${r.rollout.state.weight}% of requests${on}, the rollout paused`;
  return live.length ? `live on ${r.releaseId}: ${live.join(', ')}` : `no host switched to ${r.releaseId}`;
}

/** The hosts that run the new release now (switched, gated and not taken back). */
export function switchedHosts(r: DeployResult): string[] {
  return r.hosts.filter((h) => h.result === 'live').map((h) => h.host);
}

export async function runDeploy(
  io: CliIO,
  g: GlobalOptions,
  args: string[],
  flags: { json: boolean; dryRun: boolean; force?: boolean; acceptNewHostKey: boolean },
): Promise<number> {
  const [envName, ...extra] = args;
  if (!envName) throw usageError('deploy: which environment?', 'godeploy deploy ENV (see `godeploy deploy --help`)');
  if (extra.length) throw usageError(`deploy: unexpected argument ${JSON.stringify(extra[0])}`, 'one environment at a time');
  const first = 'cancelling (before the switch nothing changes; a switched host finishes its health gate and is rolled back, and the locks are released)…';
  return withCancellation(io, { first }, async (token) => {
    const configFile = await resolveConfigPath(g);
    const r = await withNotificationLines(io, (onNotifications) =>
      deploy({
        configFile,
        environment: envName,
        dryRun: flags.dryRun,
        force: flags.force,
        sources: environmentSources(io.env),
        hosts: { acceptNewHostKey: flags.acceptNewHostKey },
        token,
        emit: flags.json ? undefined : eventPrinter(io),
        onRolloutEvent: flags.json ? undefined : (e) => io.out(rolloutEventLine(e)),
        buildEnv: io.env,
        onNotifications,
      }),
    );
    if (flags.json) {
      io.json({ ...r, switchedHosts: switchedHosts(r) });
    } else if (r.dryRun) {
      io.out(r.plan);
    } else {
      printSummary(io, r, 'deploy');
      // strategy canary: how the rollout ended (promoted, aborted and why, or left with what to run next).
      if (r.rollout) for (const line of rolloutEndLines(r.environment, r.rollout, token.isCancellationRequested).lines) io.out(line);
    }
    // A canary rollout left with Ctrl-C stays where it is: 130, as a shell says for an interrupted command.
    if (r.rollout?.outcome === 'left') return rolloutEndLines(r.environment, r.rollout, token.isCancellationRequested).exitCode;
    // A failing postDeploy hook leaves the release live but fails the command (CI must see it).
    return r.ok && !r.warnings.length ? 0 : 1;
  });
}
