// The notification reports made from deploy and rollback results, and the three payload
// formats built from them (exact objects), and the lines the CLI and the editor print.
import { strict as assert } from 'node:assert';
import type { DeployResult, RollbackResult } from '../../src/core/environment/types';
import { deployReport, errorReport, rollbackReport, type ReportContext } from '../../src/core/notify/notifier';
import { genericPayload, headline, notificationPayload, slackEscape, slackPayload, teamsPayload } from '../../src/core/notify/payload';
import type { NotificationReport } from '../../src/core/notify/types';
import { describeNotification } from '../../src/core/notify/webhooks';

const context: ReportContext = { environment: 'prod', app: 'shop', who: 'alice@laptop', startedAt: Date.parse('2026-12-06T10:00:00.000Z') };
const deployResult = (over: Partial<DeployResult>): DeployResult => ({
  environment: 'prod',
  releaseId: '20261206T100000.000Z-v1.2.3',
  version: 'v1.2.3',
  ok: true,
  cancelled: false,
  dryRun: false,
  alreadyLive: false,
  plan: '',
  hosts: [
    { host: 'web1', address: '10.0.0.1', result: 'live', timings: {} },
    { host: 'web2', address: '10.0.0.2', result: 'live', timings: {} },
  ],
  warnings: [],
  durationMs: 12_340,
  ...over,
});

const live: NotificationReport = {
  event: 'deploy',
  environment: 'prod',
  app: 'shop',
  release: '20261206T100000.000Z-v1.2.3',
  version: 'v1.2.3',
  who: 'alice@laptop',
  startedAt: '2026-12-06T10:00:00.000Z',
  finishedAt: '2026-12-06T10:00:12.340Z',
  durationMs: 12_340,
  result: 'live',
  ok: true,
  hosts: [
    { host: 'web1', address: '10.0.0.1', result: 'live' },
    { host: 'web2', address: '10.0.0.2', result: 'live' },
  ],
  warnings: [],
};

describe('notifications: reports and payloads', () => {
  it('a deploy that went live is a "deploy" report with every field', () => {
    assert.deepEqual(deployReport(deployResult({}), context), { kind: 'deploy', report: live });
  });

  it('a deploy whose health gate failed is a "failure" report: rolled-back, with the first host error', () => {
    const r = deployResult({
      ok: false,
      hosts: [
        {
          host: 'web1',
          address: '10.0.0.1',
          result: 'rolled-back',
          error: 'health: /healthz answered 503 for 30 s',
          previous: '20261205T090000.000Z-v1.2.2',
          timings: {},
        },
        { host: 'web2', address: '10.0.0.2', result: 'rolled-back', timings: {} },
      ],
    });
    const { kind, report } = deployReport(r, context);
    assert.equal(kind, 'failure');
    assert.deepEqual(
      { result: report.result, ok: report.ok, error: report.error, hosts: report.hosts },
      {
        result: 'rolled-back',
        ok: false,
        error: 'web1: health: /healthz answered 503 for 30 s',
        hosts: [
          { host: 'web1', address: '10.0.0.1', result: 'rolled-back', error: 'health: /healthz answered 503 for 30 s' },
          { host: 'web2', address: '10.0.0.2', result: 'rolled-back' },
        ],
      },
    );
    assert.equal(headline(report), 'Deploying shop v1.2.3 to prod failed; the switched hosts were rolled back');
  });

  it('an unchanged deploy names the live release; a cancelled one is a failure; a deploy that threw has its error and no hosts', () => {
    const unchanged = deployReport(
      deployResult({ alreadyLive: true, hosts: [{ host: 'local', address: 'this machine', result: 'unchanged', previous: 'R0', timings: {} }] }),
      context,
    );
    assert.deepEqual([unchanged.kind, unchanged.report.result, unchanged.report.release], ['deploy', 'unchanged', 'R0']);
    const cancelled = deployReport(deployResult({ ok: false, cancelled: true }), context);
    assert.deepEqual([cancelled.kind, cancelled.report.result], ['failure', 'cancelled']);
    const thrown = errorReport('deploy', new Error('go build failed: ./main.go:3: syntax error'), {
      ...context,
      version: 'v1.2.3',
      cancelled: false,
      finishedAt: context.startedAt + 2500,
    });
    assert.deepEqual(thrown, {
      kind: 'failure',
      report: {
        event: 'deploy',
        environment: 'prod',
        app: 'shop',
        release: null,
        version: 'v1.2.3',
        who: 'alice@laptop',
        startedAt: '2026-12-06T10:00:00.000Z',
        finishedAt: '2026-12-06T10:00:02.500Z',
        durationMs: 2500,
        result: 'failed',
        ok: false,
        hosts: [],
        error: 'go build failed: ./main.go:3: syntax error',
        warnings: [],
      },
    });
  });

  it('a rollback names the release the hosts went back to, per host too', () => {
    const r: RollbackResult = {
      environment: 'prod',
      ok: true,
      cancelled: false,
      targets: { web1: '20261205T090000.000Z-v1.2.2', web2: '20261205T090000.000Z-v1.2.2' },
      hosts: [
        { host: 'web1', address: '10.0.0.1', result: 'live', timings: {} },
        { host: 'web2', address: '10.0.0.2', result: 'live', timings: {} },
      ],
      durationMs: 4000,
    };
    const { kind, report } = rollbackReport(r, context);
    assert.equal(kind, 'rollback');
    assert.deepEqual(
      [report.event, report.release, report.version, report.result, report.hosts[0]],
      [
        'rollback',
        '20261205T090000.000Z-v1.2.2',
        'v1.2.2',
        'live',
        { host: 'web1', address: '10.0.0.1', result: 'live', release: '20261205T090000.000Z-v1.2.2' },
      ],
    );
    assert.equal(headline(report), 'prod was rolled back to 20261205T090000.000Z-v1.2.2 (shop)');
    const split = rollbackReport({ ...r, ok: false, targets: { web1: 'A-1', web2: 'B-2' } }, context);
    assert.deepEqual([split.kind, split.report.release, split.report.version, split.report.result], ['failure', null, null, 'failed']);
    assert.equal(headline(split.report), 'Rolling prod back failed');
  });

  it('generic: the report as is', () => {
    assert.equal(genericPayload(live), live);
    assert.equal(notificationPayload('generic', live), live);
  });

  it('slack: {text, blocks} with mrkdwn escaped', () => {
    assert.deepEqual(slackPayload(live), {
      text: ':white_check_mark: shop v1.2.3 is live on prod',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: *shop v1.2.3 is live on prod*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Environment*\nprod' },
            { type: 'mrkdwn', text: '*Release*\n`20261206T100000.000Z-v1.2.3`' },
            { type: 'mrkdwn', text: '*By*\nalice@laptop' },
            { type: 'mrkdwn', text: '*Duration*\n12.3 s' },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: '• web1 (10.0.0.1): live\n• web2 (10.0.0.2): live' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Go Deploy · deploy · started 2026-12-06T10:00:00.000Z' }] },
      ],
    });
    assert.equal(slackEscape('a <b> & c'), 'a &lt;b&gt; &amp; c');
    const failed = slackPayload({ ...live, ok: false, result: 'failed', error: 'web1: <html> & more', hosts: [] });
    assert.equal(failed.text, ':x: Deploying shop v1.2.3 to prod failed');
    assert.deepEqual(failed.blocks[2], { type: 'section', text: { type: 'mrkdwn', text: '```web1: &lt;html&gt; &amp; more```' } });
  });

  it('teams: a message with one Adaptive Card attachment', () => {
    assert.deepEqual(teamsPayload(live), {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: 'shop v1.2.3 is live on prod', weight: 'Bolder', size: 'Medium', color: 'Good', wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Environment', value: 'prod' },
                  { title: 'App', value: 'shop' },
                  { title: 'Release', value: '20261206T100000.000Z-v1.2.3' },
                  { title: 'Version', value: 'v1.2.3' },
                  { title: 'By', value: 'alice@laptop' },
                  { title: 'Duration', value: '12.3 s' },
                  { title: 'Started', value: '2026-12-06T10:00:00.000Z' },
                ],
              },
              { type: 'TextBlock', text: '- web1 (10.0.0.1): live\n- web2 (10.0.0.2): live', wrap: true, spacing: 'Medium' },
            ],
            msteams: { width: 'Full' },
          },
        },
      ],
    });
  });

  it('a chat message lists 20 hosts and counts the rest', () => {
    const many = { ...live, hosts: Array.from({ length: 23 }, (_, i) => ({ host: `web${i + 1}`, address: `web${i + 1}`, result: 'live' as const })) };
    const hostsBlock = slackPayload(many).blocks[2] as { text: { text: string } };
    const lines = hostsBlock.text.text.split('\n');
    assert.equal(lines.length, 21);
    assert.deepEqual([lines[0], lines[20]], ['• web1: live', '• …and 3 more']);
  });

  it('the lines printed for each webhook name its index, format and host, never the URL', () => {
    assert.equal(
      describeNotification({ index: 1, format: 'slack', host: 'hooks.slack.com', ok: true, status: 200, ms: 80 }),
      'notified slack webhook #1 (hooks.slack.com): 200',
    );
    assert.equal(
      describeNotification({ index: 2, format: 'generic', host: '127.0.0.1:9', ok: false, status: 500, error: 'HTTP 500: boom', ms: 3 }),
      'notification #2 (generic webhook, 127.0.0.1:9) failed: HTTP 500: boom',
    );
    assert.equal(
      describeNotification({ index: 3, format: 'teams', host: null, ok: false, error: 'notify[2].url: secret TEAMS is not set', ms: 0 }),
      'notification #3 (teams webhook) failed: notify[2].url: secret TEAMS is not set',
    );
  });
});
