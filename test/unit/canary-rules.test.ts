// The config rules for strategy: canary and rollout.canary (canaryRules.ts), through
// validateConfigText as `godeploy validate` runs it: each problem a located diagnostic on the
// line of the value it is about, saying what is wrong and what to do.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import type { ConfigDiagnostic } from '../../src/core/config/diagnostic';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from '../support/paths';

async function validate(yaml: string): Promise<ConfigDiagnostic[]> {
  const inspection = await inspectModule(path.join(fixtureModules, 'shop'));
  return validateConfigText('godeploy.yaml', yaml, inspection).diagnostics;
}

/** "line:col severity: message" of every diagnostic. */
async function diagnostics(yaml: string): Promise<string[]> {
  return (await validate(yaml)).map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

/** The 1-based line holding `text` (the first one at or after the line holding `after`). */
const lineOf = (yaml: string, text: string, after?: string): number => {
  const lines = yaml.split('\n');
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, n) => n >= from && l.includes(text));
  assert.ok(i >= 0, `no line with ${text}`);
  return i + 1;
};
/** "line:col" of `value` on the line holding `text`. */
const at = (yaml: string, text: string, value = text): string => {
  const line = lineOf(yaml, text);
  return `${line}:${yaml.split('\n')[line - 1].indexOf(value) + 1}`;
};

const APP = 'app:\n  name: shop\n  main: ./cmd/api\n  port: 8080\n';
const ssh = (rest: string): string => `${APP}environments:\n  prod:\n    type: ssh\n    hosts: [{ host: web1 }]\n${rest}`;
const docker = (rest: string): string => `${APP}environments:\n  prod:\n    type: docker\n${rest}`;

describe('config rules for strategy canary and rollout.canary', () => {
  it('a canary on systemd hosts and on a docker engine over ssh, default steps or steps of its own: no diagnostic', async () => {
    assert.deepEqual(await diagnostics(ssh('    strategy: canary\n')), []);
    const steps = [
      '    strategy: canary',
      '    processManager: supervisor',
      '    rollout:',
      '      batch: 1',
      '      canary:',
      '        steps:',
      '          - { weight: 5, pause: 2m }',
      '          - weight: 25',
      '            pause: 90s',
      '          - { weight: 100 }',
      '        analysis: { window: 1m, maxErrorRate: "0.5%", maxP95LatencyRatio: 1.5, minRequests: 20 }',
      '        sticky: none',
      '',
    ].join('\n');
    assert.deepEqual(await diagnostics(ssh(steps)), []);
    assert.deepEqual(
      await diagnostics(
        docker('    docker: { host: "ssh://deploy@engine1" }\n    strategy: canary\n    rollout: { canary: { analysis: { maxErrorRate: 2 } } }\n'),
      ),
      [],
    );
  });

  it('strategy canary on type local: an error at the strategy (beside the schema\'s "ignored")', async () => {
    const yaml = `${APP}environments:\n  dev:\n    type: local\n    strategy: canary\n`;
    const found = await validate(yaml);
    const error = found.find((d) => d.severity === 'error');
    assert.ok(error, found.map((d) => d.message).join('\n'));
    assert.equal(`${error.line}:${error.col}`, at(yaml, 'strategy: canary', 'canary'));
    assert.equal(
      error.message,
      'environments.dev.strategy: canary needs nginx in front of two instances of the service, and a local environment runs one process on this machine',
    );
    assert.match(error.hint ?? '', /ssh environment \(systemd or supervisor\) or a docker one/);
    assert.deepEqual(
      found.filter((d) => d !== error).map((d) => `${d.severity}: ${d.message}`),
      ['warning: environments.dev.strategy is ignored: strategy applies to types ssh and docker, not local'],
    );
  });

  it('strategy canary with processManager none: an error at processManager', async () => {
    const yaml = ssh('    processManager: none\n    strategy: canary\n');
    const [d, ...rest] = await validate(yaml);
    assert.deepEqual(rest, []);
    assert.equal(`${d.line}:${d.col}`, at(yaml, 'processManager: none', 'none'));
    assert.equal(
      d.message,
      'environments.prod.strategy: canary needs processManager systemd or supervisor: it runs two instances of the service behind nginx, and processManager none runs one',
    );
    assert.equal(d.hint, 'set processManager: systemd (or supervisor), or use strategy: restart here');
  });

  it('strategy canary on a swarm and on a tcp:// engine: an error at each (both shown)', async () => {
    const yaml = docker('    docker:\n      mode: swarm\n      host: tcp://10.0.0.5:2375\n    strategy: canary\n');
    assert.deepEqual(await diagnostics(yaml), [
      `${at(yaml, 'mode: swarm', 'swarm')} error: environments.prod.strategy: canary cannot be used with docker.mode: swarm: Swarm's routing mesh, not nginx, picks the task each request goes to`,
      `${at(yaml, 'host: tcp', 'tcp')} error: environments.prod.strategy: canary splits traffic in nginx on the engine's host, and a tcp:// engine gives Go Deploy no way onto that host`,
    ]);
    const hints = (await validate(yaml)).map((d) => d.hint);
    assert.match(hints[0] ?? '', /use docker\.mode: container/);
    assert.match(hints[1] ?? '', /ssh:\/\/user@host/);
  });

  it('strategy canary with app.processes: an error at the strategy naming the processes', async () => {
    const yaml = [
      'app:',
      '  name: shop',
      '  processes:',
      '    api: { main: ./cmd/api, port: 8080 }',
      '    worker: { main: ./cmd/worker }',
      'environments:',
      '  prod:',
      '    type: ssh',
      '    hosts: [{ host: web1 }]',
      '    strategy: canary',
      '',
    ].join('\n');
    const [d, ...rest] = await validate(yaml);
    assert.deepEqual(rest, []);
    assert.equal(`${d.line}:${d.col}`, at(yaml, 'strategy: canary', 'canary'));
    assert.equal(
      d.message,
      'environments.prod.strategy: canary deploys the one-process form only (two instances of one service behind nginx); this app has app.processes (api, worker)',
    );
    assert.match(d.hint ?? '', /strategy: restart/);
  });

  it('steps: weights that do not increase, a last step short of 100, a step without pause, a pause shorter than the window — each at its line', async () => {
    const yaml = ssh(
      [
        '    strategy: canary',
        '    rollout:',
        '      canary:',
        '        steps:',
        '          - weight: 20',
        '            pause: 10s',
        '          - weight: 20',
        '            pause: 1m',
        '          - { weight: 40 }',
        '          - weight: 90',
        '',
      ].join('\n'),
    );
    const where = 'environments.prod.rollout.canary';
    assert.deepEqual(await diagnostics(yaml), [
      `${at(yaml, 'pause: 10s', '10s')} error: ${where}.steps[0].pause (10s) is shorter than analysis.window (30s, the default): the step would end before one window of its traffic is judged`,
      `${lineOf(yaml, 'weight: 20', 'pause: 10s')}:21 error: ${where}.steps[1].weight 20 is not above steps[0].weight (20): each step gives the canary a larger share`,
      `${at(yaml, '{ weight: 40 }', '{')} error: ${where}.steps[2] has no pause: every step before the last holds for a pause while its traffic is judged`,
      `${at(yaml, 'weight: 90', '90')} error: ${where}.steps[3].weight is 90: the last step must send all traffic (100) to the canary, which is how a rollout completes`,
    ]);
    const hints = (await validate(yaml)).map((d) => d.hint);
    assert.deepEqual(hints, [
      'make the pause at least 30s, or shorten analysis.window',
      'order the steps by weight, each above the one before, ending at 100',
      'add pause: to the step, at least analysis.window (30s, the default); for example { weight: 40, pause: 1m }',
      'end the steps with { weight: 100 }',
    ]);
  });

  it('a pause shorter than a window of its own, the default steps with a window over 1m, and a pause on the last step', async () => {
    const own = ssh(
      '    strategy: canary\n    rollout:\n      canary:\n        analysis: { window: 2m }\n        steps: [{ weight: 50, pause: 90s }, { weight: 100, pause: 5m }]\n',
    );
    const line = lineOf(own, 'steps:');
    assert.deepEqual(await diagnostics(own), [
      `${line}:${own.split('\n')[line - 1].indexOf('90s') + 1} error: environments.prod.rollout.canary.steps[0].pause (90s) is shorter than analysis.window (2m): the step would end before one window of its traffic is judged`,
      `${line}:${own.split('\n')[line - 1].lastIndexOf('pause') + 1} warning: environments.prod.rollout.canary.steps[1].pause is ignored: the last step ends the rollout (the canary takes all traffic and becomes the live release)`,
    ]);
    const defaults = ssh('    strategy: canary\n    rollout:\n      canary:\n        analysis:\n          window: 2m\n');
    const [d] = await validate(defaults);
    assert.equal(`${d.line}:${d.col}`, at(defaults, 'window: 2m', '2m'));
    assert.equal(
      d.message,
      'environments.prod.rollout.canary.analysis.window (2m) is longer than the pauses of the default steps (10% and 50%, each held 1m, then 100%): no step would last one window',
    );
    assert.equal(d.hint, 'set rollout.canary.steps with pauses of at least 2m, or shorten analysis.window');
  });

  it('maxErrorRate outside 0–100%: the string form here, the number form by the schema, both at the value', async () => {
    const text = ssh('    strategy: canary\n    rollout:\n      canary:\n        analysis:\n          maxErrorRate: "150 %"\n');
    const [s, ...rest] = await validate(text);
    assert.deepEqual(rest, []);
    assert.equal(`${s.line}:${s.col}`, at(text, 'maxErrorRate', '"150'));
    assert.equal(s.message, 'environments.prod.rollout.canary.analysis.maxErrorRate: 150 % is out of range; expected 0% to 100%');
    assert.match(s.hint ?? '', /such as 1% or 0\.5%/);
    const number = ssh('    strategy: canary\n    rollout:\n      canary:\n        analysis:\n          maxErrorRate: 150\n');
    assert.deepEqual(await diagnostics(number), [
      `${at(number, 'maxErrorRate', '150')} error: environments.prod.rollout.canary.analysis.maxErrorRate: 150 is out of range; expected 0 to 100`,
    ]);
    for (const ok of ['"100%"', '"0%"', '0', '100', '"0.25 %"'])
      assert.deepEqual(await diagnostics(ssh(`    strategy: canary\n    rollout: { canary: { analysis: { maxErrorRate: ${ok} } } }\n`)), [], ok);
  });

  it('a preDeploy hook on: primary (a migration before the canary starts): an error at its `on`, as with blue-green', async () => {
    const yaml = ssh(
      '    strategy: canary\n    hooks:\n      preDeploy:\n        - run: ./api migrate\n          on: primary\n      postDeploy: [{ run: ./api warm, on: primary }]\n',
    );
    const [d, ...rest] = await validate(yaml);
    assert.deepEqual(rest, []);
    assert.equal(`${d.line}:${d.col}`, at(yaml, 'on: primary', 'primary'));
    assert.equal(
      d.message,
      'environments.prod.hooks.preDeploy[0] runs on: primary before the canary starts, but strategy: canary keeps the live release serving beside it (and as the way back) until the rollout is promoted',
    );
    assert.match(d.hint ?? '', /backward compatible/);
  });

  it('rollout.canary under another strategy, rollout.parallel/batch on docker: a warning at the key', async () => {
    const restart = ssh('    rollout:\n      canary:\n        steps: [{ weight: 100 }]\n');
    assert.deepEqual(await diagnostics(restart), [
      `${at(restart, 'canary:')} warning: environments.prod.rollout.canary is ignored: strategy is not set (restart), not canary`,
    ]);
    const blueGreen = ssh('    strategy: blue-green\n    rollout:\n      canary: {}\n');
    const [w] = await validate(blueGreen);
    assert.equal(w.message, 'environments.prod.rollout.canary is ignored: strategy is blue-green, not canary');
    assert.equal(w.hint, 'set strategy: canary to release in these steps, or remove rollout.canary');
    const batch = docker('    strategy: canary\n    rollout:\n      parallel: 2\n      batch: 1\n');
    assert.deepEqual(await diagnostics(batch), [
      `${at(batch, 'parallel:')} warning: environments.prod.rollout.parallel is ignored: a docker environment deploys to one engine, not to a set of hosts`,
      `${at(batch, 'batch:')} warning: environments.prod.rollout.batch is ignored: a docker environment deploys to one engine, not to a set of hosts`,
    ]);
    // On ssh they apply: no warning.
    assert.deepEqual(await diagnostics(ssh('    rollout: { parallel: 2, batch: 1 }\n')), []);
  });
});
