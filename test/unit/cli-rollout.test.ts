// `godeploy rollout` and `godeploy maintenance` as the CLI reads and prints them: usage errors
// (exit 2, before anything is connected), their help, the status table rendered from a
// RolloutView, the lines a deploy prints for its rollout's events and end (with the exit code
// each end calls for), and maintenance's --dry-run plan from a real config. What they do on
// hosts is tested end to end by the targets' integration tests through these commands.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deployWhere } from '../../src/cli/commands/deploy';
import { maintenanceHostLine } from '../../src/cli/commands/maintenance';
import { rolloutExitCode } from '../../src/cli/commands/rollout';
import { formatRolloutView, rolloutEndLines, rolloutEventLine } from '../../src/cli/commands/rolloutText';
import { canaryPolicyOf } from '../../src/core/release/canary/policy';
import type { Figures, RolloutState } from '../../src/core/release/canary/types';
import type { DeployResult } from '../../src/core/environment/types';
import { runCli } from '../integration/fixtures/cli';
import { fixtureModules } from '../support/paths';

const figures = (canary: Partial<Figures['canary']> = {}): Figures => ({
  stable: { requests: 812, errors: 0, errorRate: 0, p50Ms: 3, p95Ms: 12 },
  canary: { requests: 270, errors: 1, errorRate: 1 / 270, p50Ms: 4, p95Ms: 15, ...canary },
});

const T0 = Date.parse('2026-12-06T09:30:00Z');

function rolloutState(over: Partial<RolloutState> = {}): RolloutState {
  return {
    version: 1,
    app: 'hello',
    environment: 'dev',
    release: '20261206T093000Z-v1.3.0',
    previous: '20261205T120000Z-v1.2.0',
    stablePort: 8082,
    canaryPort: 8083,
    policy: canaryPolicyOf({
      steps: [{ weight: 5, pause: '1m' }, { weight: 25, pause: '5m' }, { weight: 100 }],
    } as Parameters<typeof canaryPolicyOf>[0]),
    step: 1,
    weight: 25,
    stepStartedAt: T0 + 70_000,
    pauseUntil: T0 + 370_000,
    logOffset: 1234,
    status: 'progressing',
    by: 'alice@laptop',
    revision: 7,
    heartbeatAt: T0 + 99_000,
    updatedAt: T0 + 99_000,
    history: [
      { step: 0, weight: 5, startedAt: T0, endedAt: T0 + 70_000, result: 'passed', figures: figures({ requests: 60, errors: 0, errorRate: 0 }) },
      { step: 1, weight: 25, startedAt: T0 + 70_000 },
    ],
    ...over,
  };
}

describe('CLI: godeploy rollout and godeploy maintenance', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-cli-rollout-'));
    cpSync(path.join(fixtureModules, 'single'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: hello',
        '  port: 8081',
        'environments:',
        '  dev:',
        '    type: local',
        '  prod:',
        '    type: ssh',
        '    path: /srv/hello',
        '    hosts:',
        '      - host: web1',
        '    nginx:',
        '      listen: 80',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => runCli(dir, args, { PATH: process.env.PATH });

  describe('usage errors: exit 2, one line and a hint, nothing connected', () => {
    const cases: [string[], RegExp][] = [
      [['rollout'], /^godeploy: rollout: status, promote, abort or resume\?\n {2}hint: godeploy rollout status\|promote\|abort\|resume ENV/],
      [['rollout', 'pause', 'dev'], /^godeploy: rollout: unknown subcommand "pause"/],
      [['rollout', 'status'], /^godeploy: rollout status: which environment\?\n {2}hint: godeploy rollout status ENV/],
      [['rollout', 'abort', 'dev', 'prod'], /^godeploy: rollout abort: unexpected argument "prod"/],
      [['rollout', 'status', 'dev', '--full'], /^godeploy: rollout status does not take --full\n {2}hint: only promote does/],
      [['rollout', 'resume', 'dev', '--full'], /^godeploy: rollout resume does not take --full/],
      [['rollout', 'status', 'dev', '--message', 'x'], /^godeploy: rollout does not take --message/],
      [['maintenance'], /^godeploy: maintenance: on, off or status\?/],
      [['maintenance', 'up', 'prod'], /^godeploy: maintenance: unknown subcommand "up"/],
      [['maintenance', 'on'], /^godeploy: maintenance on: which environment\?/],
      [['maintenance', 'on', 'prod', 'Back', 'soon'], /^godeploy: maintenance on: unexpected argument "Back"\n {2}hint: .*quote the message/],
      [['maintenance', 'off', 'prod', '--message', 'x'], /^godeploy: maintenance off does not take --message/],
      [['maintenance', 'status', 'prod', '--retry-after', '60'], /^godeploy: maintenance status does not take --retry-after/],
      [['maintenance', 'status', 'prod', '--dry-run'], /^godeploy: maintenance status does not take --dry-run/],
      [['maintenance', 'on', 'prod', '--retry-after', 'soon'], /^godeploy: maintenance on --retry-after: "soon" is not a number of seconds/],
      [['maintenance', 'on', 'prod', '--retry-after', '0'], /is not a number of seconds\n {2}hint: give whole seconds, at least 1/],
      [['maintenance', 'on', 'prod', '--full'], /^godeploy: maintenance does not take --full/],
    ];
    for (const [args, message] of cases) {
      it(args.join(' '), async () => {
        const r = await cli(...args);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, message);
        assert.equal(r.out, '');
      });
    }

    it('--json: the usage error is also one JSON line on stdout', async () => {
      const r = await cli('rollout', 'status', '--json');
      assert.equal(r.code, 2);
      assert.equal(JSON.parse(r.out).error.message, 'rollout status: which environment?');
    });

    it('an environment without strategy canary is refused by name (exit 2), before any host is connected', async () => {
      for (const env of ['dev', 'prod']) {
        const r = await cli('rollout', 'status', env);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, new RegExp(`^godeploy: rollout status: environment ${env} does not use strategy canary\\n {2}hint: set strategy: canary`));
      }
    });
  });

  describe('help', () => {
    it('godeploy help rollout: a usage line per subcommand, what each does and exits with, the options, the examples', async () => {
      const r = await cli('help', 'rollout');
      assert.equal(r.code, 0, r.err);
      for (const line of [
        'godeploy rollout status ENV [--json] [--accept-new-host-key]',
        'godeploy rollout promote ENV [--full] [--json] [--accept-new-host-key]',
        'godeploy rollout abort ENV [--json] [--accept-new-host-key]',
        'godeploy rollout resume ENV [--json] [--accept-new-host-key]',
      ])
        assert.ok(r.out.startsWith(line) || r.out.includes(`\n${line}\n`), line);
      assert.match(r.out, /Exit 0 when it was promoted, 1\s+when it was aborted \(or left paused because a host failed\), 130 when left again/);
      assert.match(r.out, /^ {2}--full {2,}promote: straight to 100%/m);
      assert.match(r.out, /^ {2}# go on to the next step now\n {2}godeploy rollout promote prod$/m);
      assert.equal((await cli('rollout', '--help')).out, r.out);
    });

    it('godeploy help maintenance: on, off and status with their options', async () => {
      const r = await cli('help', 'maintenance');
      assert.equal(r.code, 0, r.err);
      assert.ok(r.out.startsWith('godeploy maintenance on ENV [--message TEXT] [--retry-after SECONDS] [--dry-run] [--json] [--accept-new-host-key]\n'), r.out);
      assert.match(r.out, /^godeploy maintenance off ENV \[--dry-run\] \[--json\] \[--accept-new-host-key\]$/m);
      assert.match(r.out, /^godeploy maintenance status ENV \[--json\] \[--accept-new-host-key\]$/m);
      assert.match(r.out, /^ {2}--retry-after SECONDS {2,}on: the Retry-After header/m);
      assert.match(r.out, /godeploy maintenance on prod --message "Back at 14:00 UTC"/);
    });

    it('godeploy --help lists both', async () => {
      const r = await cli('--help');
      assert.match(r.out, /^ {2}rollout status\|promote\|abort\|resume ENV .*\n.*canary rollout/m);
      assert.match(r.out, /^ {2}maintenance on\|off\|status ENV .*\n.*maintenance mode/m);
    });
  });

  describe('maintenance --dry-run: the plan from the config, no host touched', () => {
    it('on: the files, the message, Retry-After and the nginx commands; --json holds the plan', async () => {
      const r = await cli('maintenance', 'on', 'prod', '--message', 'Back at 14:00', '--retry-after', '600', '--dry-run');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^maintenance on prod: on each host where nginx fronts the app/);
      assert.match(r.out, /write \/etc\/nginx\/godeploy\/hello\.maintenance\.html \(503 page: hello, "Back at 14:00"\)/);
      assert.match(r.out, /write \/etc\/nginx\/godeploy\/hello\.maintenance\.conf \(.*Retry-After 600\)/);
      assert.match(r.out, /nginx -t .*reload nginx/);
      const j = await cli('maintenance', 'off', 'prod', '--dry-run', '--json');
      assert.equal(j.code, 0, j.err);
      const parsed = JSON.parse(j.out);
      assert.equal(parsed.dryRun, true);
      assert.deepEqual(parsed.hosts, []);
      assert.match(parsed.plan.text, /remove \/etc\/nginx\/godeploy\/hello\.maintenance\.conf/);
    });
  });

  describe('rollout status: the view as text', () => {
    const now = T0 + 100_000;

    it('in progress: a header (release vs live, step i/n, weight, time left, driver), the table per version, each step with its result', () => {
      const text = formatRolloutView(
        {
          environment: 'dev',
          none: false,
          state: rolloutState(),
          figures: figures(),
          pauseLeftMs: 270_000,
          driven: true,
          hosts: [{ host: 'web1', weight: 25 }],
        },
        now,
      );
      const lines = text.split('\n');
      assert.equal(
        lines[0],
        'rollout dev: canary 20261206T093000Z-v1.3.0 vs live 20261205T120000Z-v1.2.0, step 2/3 (25%), driven by alice@laptop, 4m30s left in the step',
      );
      assert.equal(lines[1], 'traffic in the analysis window being collected (the step began 2026-12-06T09:31:10Z):');
      assert.deepEqual(lines.slice(2, 5), [
        '          requests  5xx  error rate   p50    p95',
        '  live         812    0       0.00%  3 ms  12 ms',
        '  canary       270    1       0.37%  4 ms  15 ms',
      ]);
      assert.equal(lines[5], 'steps:');
      assert.match(lines[6], /^ {2}1\/3 {3,}5% {2}for 1m {4,}passed at 2026-12-06T09:31:10Z: .*60/);
      assert.match(lines[7], /^ {2}2\/3 {3,}25% {2}for 5m {4,}current, since 2026-12-06T09:31:10Z$/);
      assert.match(lines[8], /^ {2}3\/3 {2,}100% {2,}to come$/);
      assert.equal(lines.length, 9);
    });

    it('left with Ctrl-C, driver gone, promoted, aborted, none: what to run next, or how it ended', () => {
      const paused = formatRolloutView(
        {
          environment: 'dev',
          none: false,
          state: rolloutState({ status: 'paused', heartbeatAt: null, reason: 'left at step 2 (25%) by alice@laptop' }),
          figures: figures(),
          pauseLeftMs: 0,
          driven: false,
        },
        now,
      );
      assert.match(
        paused,
        /step 2\/3 \(25%\), paused, nobody drives it \(left at step 2 \(25%\) by alice@laptop\): godeploy rollout resume dev, promote dev or abort dev$/m,
      );
      const gone = formatRolloutView(
        { environment: 'dev', none: false, state: rolloutState(), figures: figures(), pauseLeftMs: 0, driven: false },
        T0 + 160_000,
      );
      assert.match(gone, /its driver is gone \(last heard of 1m 1s ago\), the pause is over .*: godeploy rollout resume dev continues it$/m);
      const promoted = formatRolloutView(
        {
          environment: 'dev',
          none: false,
          state: rolloutState({ status: 'promoted', step: 2, weight: 100, updatedAt: T0 + 500_000 }),
          figures: figures(),
          driven: false,
        },
        now,
      );
      assert.match(promoted, /step 3\/3 \(100%\), promoted at 2026-12-06T09:38:20Z by alice@laptop: 20261206T093000Z-v1.3.0 is live$/m);
      assert.match(promoted, /^traffic in the last analysis window:$/m);
      const aborted = formatRolloutView(
        {
          environment: 'dev',
          none: false,
          state: rolloutState({ status: 'aborted', weight: 0, reason: 'error rate 4.8% (24 of 500) is above 1%' }),
          figures: figures({ errors: 24, requests: 500, errorRate: 0.048 }),
        },
        now,
      );
      assert.match(aborted, /aborted at .* by alice@laptop: traffic back on 20261205T120000Z-v1.2.0; error rate 4\.8% \(24 of 500\) is above 1%$/m);
      assert.match(aborted, /^ {2}3\/3 .*not reached$/m);
      assert.equal(
        formatRolloutView({ environment: 'dev', none: true }),
        'rollout dev: no canary rollout on this environment (a deploy with strategy: canary starts one)',
      );
    });

    it('hosts that disagree on the weight (a step being applied) or could not be read are listed', () => {
      const text = formatRolloutView(
        {
          environment: 'prod',
          none: false,
          state: rolloutState(),
          figures: figures(),
          pauseLeftMs: 1000,
          driven: true,
          hosts: [
            { host: 'web1', weight: 25 },
            { host: 'web2', weight: 5 },
            { host: 'web3', weight: null, error: 'ssh: connect to host web3 port 22: Connection refused' },
          ],
        },
        now,
      );
      assert.match(text, /\nhosts:\n {2}web1: 25%\n {2}web2: 5%\nweb3: FAIL ssh: connect to host web3 port 22: Connection refused$/);
    });
  });

  describe("a deploy's rollout lines and exit code", () => {
    it('events: the step line as the driver says it, a figures line per judged window, info as it comes', () => {
      assert.equal(rolloutEventLine({ kind: 'step', step: 1, weight: 25, pauseMs: 60_000, message: 'step 2/3: 25% for 1m' }), 'canary: step 2/3: 25% for 1m');
      const line = rolloutEventLine({ kind: 'figures', step: 1, weight: 25, figures: figures(), message: 'x' });
      assert.match(line, /^canary: {3}\S/);
      assert.match(line, /270/);
      assert.equal(rolloutEventLine({ kind: 'info', message: 'took over a stale lock' }), 'canary: took over a stale lock');
      assert.equal(rolloutEventLine({ kind: 'info', message: 'canary R2 promoted: it takes every request' }), 'canary: R2 promoted: it takes every request');
    });

    it('the end: promoted (0), aborted with the reason and the figures (1), left with what to run next (130)', () => {
      const promoted = rolloutEndLines('dev', { outcome: 'promoted', state: rolloutState({ status: 'promoted', step: 2, weight: 100 }) });
      assert.equal(promoted.exitCode, 0);
      assert.deepEqual(promoted.lines, ['canary: promoted: 20261206T093000Z-v1.3.0 takes all the traffic; 20261205T120000Z-v1.2.0 drained and stopped']);
      const aborted = rolloutEndLines('dev', {
        outcome: 'aborted',
        state: rolloutState({ status: 'aborted' }),
        reason: 'error rate 4.8% (24 of 500) is above 1%',
        figures: figures({ errors: 24, requests: 500, errorRate: 0.048 }),
      });
      assert.equal(aborted.exitCode, 1);
      assert.equal(aborted.lines[0], 'canary: aborted at step 2 (25%): error rate 4.8% (24 of 500) is above 1%; traffic back on 20261205T120000Z-v1.2.0');
      assert.match(aborted.lines[1], /^canary: {3}.*500/);
      // The driver's reasons name the step; the state's weight after an abort is 0 and is not shown.
      const breach = rolloutEndLines('dev', {
        outcome: 'aborted',
        state: rolloutState({ status: 'aborted', step: 0, weight: 0 }),
        reason: 'error rate 21.48% (29 of 135 requests) is above maxErrorRate 1% at step 1 (5%)',
      });
      assert.equal(
        breach.lines[0],
        'canary: aborted: error rate 21.48% (29 of 135 requests) is above maxErrorRate 1% at step 1 (5%); traffic back on 20261205T120000Z-v1.2.0',
      );
      const byHand = rolloutEndLines('dev', {
        outcome: 'aborted',
        state: rolloutState({ status: 'aborted', weight: 0 }),
        reason: 'aborted by bob@box at step 2 (25%)',
      });
      assert.equal(byHand.lines[0], 'canary: aborted by bob@box at step 2 (25%); traffic back on 20261205T120000Z-v1.2.0');
      const left = rolloutEndLines('dev', { outcome: 'left', state: rolloutState({ status: 'paused' }) });
      assert.deepEqual(left, {
        lines: ['left the canary rollout at step 2 (25%): run godeploy rollout resume dev, promote dev or abort dev'],
        exitCode: 130,
      });
      // Left because a host failed (not interrupted): its reason, and exit 1.
      const failed = rolloutEndLines(
        'dev',
        { outcome: 'left', state: rolloutState({ status: 'paused', reason: 'web2: reading the access log: connection lost' }) },
        false,
      );
      assert.deepEqual(failed, {
        lines: [
          'canary: web2: reading the access log: connection lost',
          'left the canary rollout at step 2 (25%): run godeploy rollout resume dev, promote dev or abort dev',
        ],
        exitCode: 1,
      });
    });

    it('the deploy summary says where the traffic is: back on the live release after an abort, the weight when left, the hosts when promoted', () => {
      const result = (rollout: DeployResult['rollout'], hosts: string[]): DeployResult => ({
        environment: 'dev',
        releaseId: '20261206T093000Z-v1.3.0',
        version: 'v1.3.0',
        ok: rollout?.outcome === 'promoted',
        cancelled: rollout?.outcome === 'left',
        dryRun: false,
        alreadyLive: false,
        plan: '',
        hosts: hosts.map((host) => ({ host, address: `root@${host}:22`, result: 'live', timings: {} })),
        warnings: [],
        durationMs: 1000,
        rollout,
      });
      assert.equal(
        deployWhere(result({ outcome: 'aborted', state: rolloutState({ status: 'aborted', weight: 0 }) }, [])),
        'canary rollout aborted, every request back on 20261205T120000Z-v1.2.0',
      );
      assert.equal(
        deployWhere(result({ outcome: 'left', state: rolloutState({ status: 'paused', weight: 50 }) }, ['web1', 'web2'])),
        '20261206T093000Z-v1.3.0 takes 50% of requests on web1, web2, the rollout paused',
      );
      assert.equal(
        deployWhere(result({ outcome: 'promoted', state: rolloutState({ status: 'promoted', step: 2, weight: 100 }) }, ['web1'])),
        'live on 20261206T093000Z-v1.3.0: web1',
      );
      assert.equal(deployWhere(result(undefined, [])), 'no host switched to 20261206T093000Z-v1.3.0');
    });

    it('rollout exit codes: status 0; promote and abort 0; resume 0 promoted, 1 aborted, 130 left', () => {
      assert.equal(rolloutExitCode({ action: 'status', ok: true }), 0);
      assert.equal(rolloutExitCode({ action: 'promote', ok: true }), 0);
      assert.equal(rolloutExitCode({ action: 'abort', ok: true }), 0);
      assert.equal(rolloutExitCode({ action: 'resume', ok: true, outcome: 'promoted' }), 0);
      assert.equal(rolloutExitCode({ action: 'resume', ok: false, outcome: 'aborted' }), 1);
      assert.equal(rolloutExitCode({ action: 'resume', ok: false, outcome: 'left' }), 130);
      assert.equal(rolloutExitCode({ action: 'resume', ok: false, outcome: 'left' }, false), 1);
    });
  });

  it('maintenance host lines: on with the message, off, unchanged, a failure with its hint', () => {
    assert.equal(maintenanceHostLine({ host: 'web1', ok: true, on: true, message: 'Back soon' }), 'web1: on ("Back soon")');
    assert.equal(maintenanceHostLine({ host: 'web1', ok: true, on: false, unchanged: true }), 'web1: off (unchanged)');
    assert.equal(
      maintenanceHostLine({ host: 'web2', ok: false, on: false, error: 'the nginx site on web2 predates maintenance mode', hint: 'run godeploy setup prod' }),
      'web2: FAILED: the nginx site on web2 predates maintenance mode\n  hint: run godeploy setup prod',
    );
  });
});
