// Hooks by where they run: on: all on every host, on: primary once on the first host of the
// list (its own steps in that host's plan only), local: true on this machine (steps on "*",
// run with sh in the module folder with GODEPLOY_*); and the blue-green rule refusing a
// preDeploy on: primary, located at its `on`.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import type { EnvironmentConfig } from '../../src/core/config/model';
import type { DeployEvent, DeployPlan, PlannedStep } from '../../src/core/environment/types';
import { inspectModule } from '../../src/core/gomod/inspect';
import { deploy } from '../../src/core/operations';
import { localHookVariables, runLocalHooks } from '../../src/core/release/localHooks';
import * as scripts from '../../src/core/targets/hosts/releaseScripts';
import { deployHooks } from '../../src/core/targets/hosts/hooks';
import { fixtureModules } from '../support/paths';

const HOOKS = [
  '    hooks:',
  '      preDeploy:',
  '        - ./deployapp check',
  '        - { run: ./deployapp migrate, on: primary }',
  '        - { run: "echo built > built.txt", local: true }',
  '      postDeploy:',
  '        - { run: ./deployapp warm, on: primary }',
  '        - { run: "echo done", local: true, on: primary }',
  '        - { run: ./deployapp ping, on: all }',
];

async function dryRunPlan(dir: string, environment: string): Promise<DeployPlan> {
  let plan: DeployPlan | undefined;
  await deploy({
    configFile: { file: path.join(dir, 'godeploy.yaml'), exists: true },
    environment,
    dryRun: true,
    sources: { env: () => undefined, secret: () => undefined },
    onPlan: (p) => (plan = p),
  });
  assert.ok(plan);
  return plan;
}

const idsOn = (steps: PlannedStep[], host: string): string[] => steps.filter((s) => s.host === host).map((s) => s.id);

describe('hooks: on all, on primary, local', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-hooks-'));
    cpSync(path.join(fixtureModules, 'deployapp'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    path: /srv/deployapp',
        ...HOOKS,
        '    hosts:',
        '      - host: web1',
        '      - host: web2',
        '      - host: web3',
        '  here:',
        '    type: local',
        '    path: /tmp/godeploy-hooks-local',
        '    hooks:',
        '      preDeploy: [{ run: ./deployapp migrate, on: primary }]',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('splits the hooks by where they run, each with its index in its list', () => {
    const env = {
      type: 'ssh',
      hooks: {
        preDeploy: ['a', { run: 'b', on: 'primary' }, { run: 'c', local: true }],
        postDeploy: [
          { run: 'd', on: 'primary' },
          { run: 'e', local: true, on: 'primary' },
          { run: 'f', on: 'all' },
        ],
      },
    } as unknown as EnvironmentConfig;
    assert.deepEqual(deployHooks(env), {
      all: { preDeploy: ['a'], postDeploy: ['f'] },
      primary: { preDeploy: [{ index: 1, run: 'b' }], postDeploy: [{ index: 0, run: 'd' }] },
      local: { preDeploy: [{ index: 2, run: 'c' }], postDeploy: [{ index: 1, run: 'e' }] },
    });
  });

  it('the plan: on: primary only on the first host (before the switch; before the on: all postDeploy), local ones on this machine', async () => {
    const plan = await dryRunPlan(dir, 'prod');
    assert.deepEqual(idsOn(plan.steps, '*'), ['connect', 'pre-deploy', 'build', 'post-deploy']);
    const others = [
      'preflight',
      'lock',
      'prepare',
      'binary',
      'env-file',
      'service',
      'pre-deploy',
      'switch',
      'restart',
      'health',
      'post-deploy',
      'finish',
      'unlock',
    ];
    const primary = [
      'preflight',
      'lock',
      'prepare',
      'binary',
      'env-file',
      'service',
      'pre-deploy',
      'pre-deploy-primary',
      'switch',
      'restart',
      'health',
      'post-deploy-primary',
      'post-deploy',
      'finish',
      'unlock',
    ];
    assert.deepEqual(idsOn(plan.steps, 'web1'), primary);
    assert.deepEqual(idsOn(plan.steps, 'web2'), others);
    assert.deepEqual(idsOn(plan.steps, 'web3'), others);
    const step = (host: string, id: string): PlannedStep => plan.steps.find((s) => s.host === host && s.id === id)!;
    // The primary's hook: HOOK in the new release with its env file, the command a positional argument.
    const [migrate] = step('web1', 'pre-deploy-primary').commands;
    assert.equal(migrate[2], scripts.HOOK);
    assert.deepEqual(migrate.slice(4, 5), ['/srv/deployapp']);
    assert.match(migrate[6], /^\/srv\/deployapp\/releases\/.+\/deployapp\.env$/);
    assert.equal(migrate[7], './deployapp migrate');
    assert.deepEqual(
      step('web1', 'post-deploy-primary').commands.map((c) => c.at(-1)),
      ['./deployapp warm'],
    );
    // on: all hooks stay on every host, without the on: primary or local ones.
    for (const h of ['web1', 'web2', 'web3']) {
      assert.deepEqual(
        step(h, 'pre-deploy').commands.map((c) => c.at(-1)),
        ['./deployapp check'],
      );
      assert.deepEqual(
        step(h, 'post-deploy').commands.map((c) => c.at(-1)),
        ['./deployapp ping'],
      );
    }
    assert.deepEqual(step('*', 'pre-deploy').commands, [['sh', '-c', 'echo built > built.txt']]);
    assert.deepEqual(step('*', 'post-deploy').commands, [['sh', '-c', 'echo done']]);
    // The text says where each runs.
    const text = plan.text;
    assert.match(
      text,
      /this machine: on this machine, in .+, before the build: hooks\.preDeploy with local: true\n {2}\$ sh -c 'echo built > built\.txt' {3}\(hooks\.preDeploy\[2\]\)/,
    );
    assert.match(
      text,
      /this machine: on this machine, in .+, after every host went live: hooks\.postDeploy with local: true\n {2}\$ sh -c 'echo done' {3}\(hooks\.postDeploy\[1\]\)/,
    );
    assert.ok(text.indexOf('this machine: ') < text.indexOf('build: '), 'local preDeploy hooks come before the build');
    const web1 = text.slice(text.indexOf('\nweb1:'), text.indexOf('\nweb2:'));
    const web2 = text.slice(text.indexOf('\nweb2:'), text.indexOf('\nweb3:'));
    assert.match(
      web1,
      /once per deploy, on this host \(the primary\), when every host holds the complete release and before any switch: hooks\.preDeploy on: primary \(hooks\.preDeploy\[1\]\)/,
    );
    assert.match(web1, /when every host went live: hooks\.postDeploy on: primary \(hooks\.postDeploy\[0\]\)/);
    assert.doesNotMatch(web2, /primary|migrate/);
  });

  it('type local: on: primary is the one host', async () => {
    const plan = await dryRunPlan(dir, 'here');
    assert.deepEqual(idsOn(plan.steps, '*'), ['connect', 'build']);
    assert.ok(idsOn(plan.steps, 'local').includes('pre-deploy-primary'));
    assert.ok(!idsOn(plan.steps, 'local').includes('pre-deploy'));
  });

  describe('local hooks run with sh in the module folder', () => {
    it('with GODEPLOY_ENVIRONMENT, GODEPLOY_RELEASE, GODEPLOY_VERSION and this process environment; output as events, redacted', async () => {
      const events: DeployEvent[] = [];
      await runLocalHooks(
        [
          {
            index: 0,
            run: 'printf "%s %s %s %s\\n" "$GODEPLOY_ENVIRONMENT" "$GODEPLOY_RELEASE" "$GODEPLOY_VERSION" "$HOOK_TEST_VALUE" > out.txt; pwd; echo token=s3cr3t >&2',
          },
        ],
        {
          phase: 'preDeploy',
          moduleDir: dir,
          variables: localHookVariables('prod', '20261206T060000.000Z-v1', 'v1'),
          emit: (e) => events.push(e),
          redact: (t) => t.replace(/s3cr3t/g, '***'),
          baseEnv: { ...process.env, HOOK_TEST_VALUE: 'from-the-caller' },
        },
      );
      assert.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'prod 20261206T060000.000Z-v1 v1 from-the-caller\n');
      assert.deepEqual(
        events.map((e) => [e.host, e.step, e.state]),
        [
          ['*', 'pre-deploy', 'start'],
          ['*', 'pre-deploy', 'info'],
          ['*', 'pre-deploy', 'info'],
          ['*', 'pre-deploy', 'done'],
        ],
      );
      const infos = events.filter((e) => e.state === 'info').map((e) => e.message);
      assert.ok(infos.includes(dir), infos.join('|'));
      assert.ok(infos.includes('token=***'), infos.join('|'));
    });

    it('the first failing one throws naming its index and exit code; the next is not run', async () => {
      const events: DeployEvent[] = [];
      await assert.rejects(
        runLocalHooks(
          [
            { index: 3, run: 'echo about to fail; exit 7' },
            { index: 4, run: 'touch never.txt' },
          ],
          { phase: 'postDeploy', moduleDir: dir, variables: {}, emit: (e) => events.push(e), redact: (t) => t },
        ),
        /hooks\.postDeploy\[3\] \(local: echo about to fail; exit 7\) failed on this machine with exit 7/,
      );
      assert.throws(() => readFileSync(path.join(dir, 'never.txt')));
      assert.deepEqual(
        events.map((e) => `${e.step} ${e.state}`),
        ['post-deploy start', 'post-deploy info', 'post-deploy fail'],
      );
    });
  });

  describe('the blue-green rule', () => {
    const yaml = (strategy: string, hooks: string[]): string =>
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        'environments:',
        '  prod:',
        '    type: ssh',
        `    strategy: ${strategy}`,
        '    hooks:',
        ...hooks,
        '    hosts:',
        '      - host: web1',
        '',
      ].join('\n');
    async function diagnostics(text: string): Promise<string[]> {
      const inspection = await inspectModule(path.join(fixtureModules, 'deployapp'));
      return validateConfigText('godeploy.yaml', text, inspection)
        .diagnostics.filter((d) => d.severity === 'error')
        .map((d) => `${d.line} ${d.message}`);
    }

    it('a preDeploy hook on: primary with strategy blue-green is an error at its `on`', async () => {
      const text = yaml('blue-green', ['      preDeploy:', '        - ./deployapp check', '        - run: ./deployapp migrate', '          on: primary']);
      const line = text.split('\n').findIndex((l) => l.includes('on: primary')) + 1;
      assert.deepEqual(await diagnostics(text), [
        `${line} environments.prod.hooks.preDeploy[1] runs on: primary before the new colour is up, but strategy: blue-green keeps the live colour serving (and the way back) until the new one passed its gate`,
      ]);
    });

    it('allowed: postDeploy on: primary and local preDeploy with blue-green, preDeploy on: primary with restart', async () => {
      assert.deepEqual(
        await diagnostics(
          yaml('blue-green', [
            '      preDeploy: [./deployapp check, { run: make assets, local: true, on: primary }]',
            '      postDeploy: [{ run: ./deployapp migrate, on: primary }]',
          ]),
        ),
        [],
      );
      assert.deepEqual(await diagnostics(yaml('restart', ['      preDeploy: [{ run: ./deployapp migrate, on: primary }]'])), []);
    });
  });
});
