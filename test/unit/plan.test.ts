import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationSource } from '../../src/core/cancellation';
import { ConfigError, loadConfig } from '../../src/core/config/load';
import { describePlan, type Plan } from '../../src/core/plan/plan';
import { executePlan, LocalRunner } from '../../src/core/plan/runner';

describe('plans and the local runner', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'godeploy-plan-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const plan = (): Plan => ({
    title: 'demo',
    steps: [
      { kind: 'write-file', description: 'write the env file', path: path.join(dir, 'env'), content: 'A=1\n', mode: 0o600, overwrite: false },
      { kind: 'exec', description: 'copy it', argv: ['sh', '-c', 'cp env "copy of env" && test "$TOKEN" = t0k3n'], cwd: dir, envNames: ['TOKEN'] },
    ],
  });

  it('describes every step without executing anything, and never shows environment values', () => {
    const text = describePlan(plan());
    assert.match(text, /1\. write the env file\n {5}write .*env \(4 bytes, mode 0600, refusing to replace an existing file\)/);
    assert.match(text, /2\. copy it\n {5}run sh -c 'cp env "copy of env" && test "\$TOKEN" = t0k3n' in /);
    assert.throws(() => readFileSync(path.join(dir, 'env')));
  });

  it('runs steps in order, with run-time environment values and arguments passed without a shell', async () => {
    const progress: string[] = [];
    await executePlan(plan(), new LocalRunner(), { env: { TOKEN: 't0k3n' }, progress: { report: (v) => progress.push(v.message ?? '') } });
    assert.equal(readFileSync(path.join(dir, 'copy of env'), 'utf8'), 'A=1\n');
    assert.deepEqual(progress, ['write the env file', 'copy it']);
  });

  it('a failing step names itself, its exit code and the output tail', async () => {
    const failing: Plan = { title: 'x', steps: [{ kind: 'exec', description: 'check the disk', argv: ['sh', '-c', 'echo no space left >&2; exit 3'] }] };
    await assert.rejects(executePlan(failing, new LocalRunner()), (e: Error & { hint?: string }) => {
      assert.equal(e.message, 'check the disk: sh exited with 3');
      assert.match(e.hint ?? '', /no space left/);
      return true;
    });
  });

  it('a missing run-time value fails before the process starts', async () => {
    await assert.rejects(executePlan(plan(), new LocalRunner()), /copy it: no value for environment variable TOKEN/);
  });

  it('cancellation stops before the next step, and kills a running process', async () => {
    const source = new CancellationSource();
    source.cancel();
    await assert.rejects(executePlan(plan(), new LocalRunner(), { token: source.token }), /cancelled before step 1 of 2: write the env file/);
    const running = new CancellationSource();
    const slow: Plan = { title: 'x', steps: [{ kind: 'exec', description: 'wait', argv: ['sleep', '30'] }] };
    const started = Date.now();
    const done = executePlan(slow, new LocalRunner(), { token: running.token });
    setTimeout(() => running.cancel(), 100);
    await assert.rejects(done, /wait: sleep was stopped by SIGTERM/);
    assert.ok(Date.now() - started < 10_000, 'the process was stopped, not waited for');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'godeploy-load-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the typed config of a valid file', async () => {
    writeFileSync(path.join(dir, 'godeploy.yaml'), 'app:\n  port: 9000\n');
    const { config } = await loadConfig(path.join(dir, 'godeploy.yaml'));
    assert.equal(config.app.port, 9000);
  });

  it('throws a ConfigError that formats every problem as FILE:LINE:COL, exit code 2', async () => {
    const file = path.join(dir, 'godeploy.yaml');
    writeFileSync(file, 'app:\n  port: x\n  nmae: y\n');
    await assert.rejects(loadConfig(file), (e: ConfigError) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.exitCode, 2);
      assert.equal(e.message, `2 problems in ${file}`);
      assert.deepEqual(
        e
          .format()
          .split('\n')
          .filter((l) => !l.startsWith(' '))
          .map((l) => l.split(': error')[0]),
        [`${file}:2:9`, `${file}:3:3`],
      );
      return true;
    });
  });

  it('a missing file is a usage error that says how to create one', async () => {
    await assert.rejects(loadConfig(path.join(dir, 'godeploy.yaml')), (e: Error & { hint?: string; exitCode?: number }) => {
      assert.equal(e.exitCode, 2);
      assert.match(e.hint ?? '', /godeploy init/);
      return true;
    });
  });
});
