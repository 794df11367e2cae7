// notify: in godeploy.yaml: where it may be (top level, each environment type), what a webhook
// takes, the located errors for bad values, the warning for a URL written in the file (never
// echoing it), and which list an environment uses.
import { strict as assert } from 'node:assert';
import { formatDiagnostic, validateConfigText, type ConfigDiagnostic } from '../../src/core/index';
import { plannedWebhooks, describeWebhookPlan, webhooksOf } from '../../src/core/notify/webhooks';
import type { GoDeployConfig } from '../../src/core/config/model';

const diagnosticsOf = (text: string): ConfigDiagnostic[] => validateConfigText('godeploy.yaml', text).diagnostics;
const lines = (ds: ConfigDiagnostic[]): string[] => ds.map((d) => formatDiagnostic(d).split('\n')[0]);

describe('notify: in godeploy.yaml', () => {
  it('is accepted at the top level and in ssh, local and docker environments, with references in the URL', () => {
    const text = [
      'app: { name: shop, port: 8080 }',
      'notify:',
      '  - url: ${secret:SLACK_WEBHOOK}',
      '    format: slack',
      '    on: [deploy, failure]',
      '  - url: "https://hooks.example.com/deploys/${env:HOOK_TOKEN}"',
      'environments:',
      '  dev: { type: local, notify: [] }',
      '  prod:',
      '    type: ssh',
      '    hosts: [{ host: web1 }]',
      '    notify:',
      '      - { url: "${env:TEAMS_WEBHOOK}", format: teams, on: [rollback], timeout: 3s }',
      '  box: { type: docker, notify: [{ url: "${secret:HOOK}" }] }',
      '',
    ].join('\n');
    assert.deepEqual(diagnosticsOf(text), []);
  });

  it('reports a URL that is not http(s), an unknown format, an unknown and a repeated on value, a missing url and a bad timeout, each at its line and column', () => {
    const text = [
      'app: { name: shop }',
      'notify:',
      '  - url: ftp://hooks.example.com/x',
      '    format: discord',
      '  - url: ${secret:H}',
      '    on: [deploy, success, deploy]',
      '  - format: slack',
      '  - { url: "${env:X}", timeout: soon }',
      '',
    ].join('\n');
    assert.deepEqual(lines(diagnosticsOf(text).filter((d) => d.severity === 'error')), [
      'godeploy.yaml:3:10: error: notify[0].url: invalid value (not shown: it may be a secret)',
      'godeploy.yaml:4:13: error: notify[0].format: unknown value "discord"; expected one of generic, slack, teams',
      'godeploy.yaml:6:18: error: notify[1].on[1]: unknown value "success"; expected one of deploy, rollback, failure',
      'godeploy.yaml:6:27: error: notify[1].on: item 3 repeats item 1',
      'godeploy.yaml:7:5: error: notify[2]: missing required key "url"',
      'godeploy.yaml:8:33: error: notify[3].timeout: invalid value "soon"',
    ]);
  });

  it('a URL written in the file is a warning at its value, never echoed; one that does not parse is an error', () => {
    const token = 'T000/B000/XXXXSECRETXXXX';
    const text = [
      'app: { name: shop }',
      'environments:',
      '  prod:',
      '    type: local',
      '    notify:',
      `      - url: https://hooks.slack.com/services/${token}`,
      '        format: slack',
      '      - url: "https://"',
      '',
    ].join('\n');
    const ds = diagnosticsOf(text);
    assert.deepEqual(lines(ds), [
      'godeploy.yaml:6:14: warning: environments.prod.notify[0].url is written in godeploy.yaml: a webhook URL usually carries its token, and this file is shared',
      'godeploy.yaml:8:14: error: environments.prod.notify[1].url is not a URL',
    ]);
    assert.match(ds[0].hint ?? '', /\$\{secret:NAME\}/);
    for (const d of ds) assert.ok(!`${d.message} ${d.hint}`.includes(token), d.message);
  });

  it('${secret:…} is allowed in a webhook URL (it is posted to from this machine), still not in a hook command', () => {
    const text =
      'app: { name: shop }\nnotify: [{ url: "${secret:A}" }]\nenvironments:\n  dev:\n    type: local\n    hooks: { preDeploy: ["echo ${secret:A}"] }\n';
    assert.deepEqual(
      diagnosticsOf(text).map((d) => `${d.line}:${d.severity}`),
      ['6:error'],
    );
  });

  it("an environment's list replaces the top-level one (an empty list sends nothing); the plan names the references or the host, never a URL", () => {
    const config = {
      app: { name: 'shop' },
      notify: [{ url: '${secret:SLACK}', format: 'slack', on: ['deploy', 'failure'] }],
      environments: {
        dev: { type: 'local', notify: [] },
        staging: { type: 'local' },
        prod: { type: 'local', notify: [{ url: 'https://hooks.example.com/t/abc123' }, { url: '${env:TEAMS}', format: 'teams', on: ['rollback'] }] },
      },
    } as unknown as GoDeployConfig;
    const envs = config.environments!;
    assert.deepEqual(webhooksOf(config, 'dev', envs.dev), []);
    assert.deepEqual(
      webhooksOf(config, 'staging', envs.staging).map((w) => w.where),
      ['notify[0]'],
    );
    assert.deepEqual(
      webhooksOf(config, 'prod', envs.prod).map((w) => w.where),
      ['environments.prod.notify[0]', 'environments.prod.notify[1]'],
    );
    assert.deepEqual(describeWebhookPlan(plannedWebhooks(config, 'prod', envs.prod), 'deploy'), [
      'notify (after the deploy):',
      '  generic webhook #1 (hooks.example.com): when it succeeds or fails',
      '  teams webhook #2 (${env:TEAMS}): not for a deploy (on: rollback)',
    ]);
    assert.deepEqual(describeWebhookPlan(plannedWebhooks(config, 'staging', envs.staging), 'rollback'), [
      'notify (after the rollback):',
      '  slack webhook #1 (${secret:SLACK}): when it fails',
    ]);
    assert.deepEqual(describeWebhookPlan(plannedWebhooks(config, 'dev', envs.dev), 'deploy'), []);
  });
});
