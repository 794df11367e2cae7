// The dashboard's rollout panel from `godeploy rollout status`'s view (the chart's steps,
// step i/n, the time left, the figures, hosts that disagree), and the rollout in words as the
// page, the status bar and the tree say it.
import { strict as assert } from 'node:assert';
import type { RolloutView } from '../../src/core/environment/operations';
import type { RolloutState } from '../../src/core/release/canary/types';
import { rolloutActive, rolloutPanel } from '../../src/vscode/webview/dashboardState';
import { canaryMark, figuresCells, figuresLine, statusWords, timeLeft } from '../../src/vscode/webview/rolloutText';

const R1 = '20261206T090000Z-v1';
const R2 = '20261206T091500Z-v2';

function state(over: Partial<RolloutState> = {}): RolloutState {
  return {
    version: 1,
    app: 'deployapp',
    environment: 'prod',
    release: R2,
    previous: R1,
    stablePort: 8081,
    canaryPort: 8082,
    policy: {
      steps: [
        { weight: 5, pauseMs: 120_000 },
        { weight: 25, pauseMs: 300_000 },
        { weight: 100, pauseMs: 0 },
      ],
      analysis: { windowMs: 30_000, maxErrorRate: 0.01, maxP95LatencyRatio: 1.5, minRequests: 200 },
      sticky: 'cookie',
      onInsufficientTraffic: 'fail',
      insufficientTrafficWaitMs: 300_000,
    },
    step: 1,
    weight: 25,
    stepStartedAt: 1_000,
    pauseUntil: 301_000,
    logOffset: 0,
    status: 'progressing',
    by: 'ana@laptop',
    revision: 7,
    heartbeatAt: 2_000,
    updatedAt: 2_000,
    history: [
      { step: 0, weight: 5, startedAt: 0, endedAt: 900, result: 'passed' },
      { step: 1, weight: 25, startedAt: 1_000 },
    ],
    ...over,
  };
}

const figures = {
  stable: { requests: 300, errors: 0, errorRate: 0, p50Ms: 3, p95Ms: 8.4 },
  canary: { requests: 100, errors: 2, errorRate: 0.02, p50Ms: 4, p95Ms: null },
};

describe('dashboard: the rollout panel', () => {
  it('none: no panel', () => {
    assert.equal(rolloutPanel({ environment: 'prod', none: true }), undefined);
  });

  it('in progress at step 2 of 3: the first step done with its result, the second current, the last ahead; figures and time left', () => {
    const view: RolloutView = {
      environment: 'prod',
      none: false,
      state: state(),
      figures,
      pauseLeftMs: 185_000,
      driven: true,
      hosts: [{ host: 'web1', weight: 25 }],
    };
    const p = rolloutPanel(view, new Date('2026-12-06T09:20:00Z'))!;
    assert.deepEqual(
      [p.release, p.previous, p.status, p.active, p.step, p.steps, p.weight, p.pauseLeftMs, p.driven, p.by],
      [R2, R1, 'progressing', true, 2, 3, 25, 185_000, true, 'ana@laptop'],
    );
    assert.deepEqual(p.chart, [
      { step: 1, weight: 5, pauseMs: 120_000, phase: 'done', result: 'passed' },
      { step: 2, weight: 25, pauseMs: 300_000, phase: 'current' },
      { step: 3, weight: 100, pauseMs: 0, phase: 'next' },
    ]);
    assert.deepEqual(p.figures, figures);
    assert.deepEqual(p.hostNotes, []);
    assert.equal(p.readAt, '2026-12-06T09:20:00.000Z');
  });

  it('aborted by a breach: every step up to the current one done, the breach on it, no time left, the reason kept', () => {
    const s = state({
      status: 'aborted',
      weight: 0,
      reason: 'error rate 2.0% (2 of 100) is above 1%',
      history: [
        { step: 0, weight: 5, startedAt: 0, endedAt: 900, result: 'passed' },
        { step: 1, weight: 25, startedAt: 1_000, endedAt: 5_000, result: 'breach', figures },
      ],
    });
    const p = rolloutPanel({ environment: 'prod', none: false, state: s, pauseLeftMs: 90_000 })!;
    assert.equal(p.active, false);
    assert.equal(p.pauseLeftMs, 0);
    assert.equal(p.reason, 'error rate 2.0% (2 of 100) is above 1%');
    assert.deepEqual(
      p.chart.map((c) => `${c.phase}:${c.result ?? ''}`),
      ['done:passed', 'done:breach', 'next:'],
    );
    assert.equal(p.figures, undefined);
  });

  it('hosts that are at another weight or unreadable are noted', () => {
    const p = rolloutPanel({
      environment: 'prod',
      none: false,
      state: state(),
      hosts: [
        { host: 'web1', weight: 25 },
        { host: 'web2', weight: 5 },
        { host: 'web3', weight: null, error: 'connect ECONNREFUSED' },
      ],
    })!;
    assert.deepEqual(p.hostNotes, ['web2: at 5% (changing)', 'web3: connect ECONNREFUSED']);
  });

  it('which statuses are still to be promoted or aborted', () => {
    assert.deepEqual(['progressing', 'paused', 'promoted', 'aborted', undefined].map(rolloutActive), [true, true, false, false, false]);
  });
});

describe('dashboard: a rollout in words', () => {
  it('time left, figures, status and the canary mark', () => {
    assert.deepEqual([timeLeft(0), timeLeft(1), timeLeft(42_000), timeLeft(185_000), timeLeft(3_600_000)], ['0 s', '1 s', '42 s', '3m 05s', '60m 00s']);
    assert.equal(figuresLine(`canary ${R2}`, figures.canary), `canary ${R2}: 100 requests, 2 5xx (2.0%), p50 4 ms, p95 —`);
    assert.deepEqual(figuresCells(figures.stable), ['300', '0', '0.0%', '3 ms', '8 ms']);
    assert.equal(statusWords({ status: 'progressing', driven: true }), 'in progress');
    assert.match(statusWords({ status: 'progressing', driven: false }), /no driver running/);
    assert.match(statusWords({ status: 'paused', driven: false }), /^paused/);
    assert.equal(statusWords({ status: 'aborted', driven: false }), 'aborted');
    assert.equal(canaryMark(25), 'canary 25%');
  });
});
