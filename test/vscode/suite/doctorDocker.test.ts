// Go Deploy: Run Doctor on a docker environment, in a real VS Code against the real Docker
// Engine (started by the integration fixture when none runs): the engine's report in the
// command's result and the log, as `godeploy doctor` gives it.
import * as assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DoctorResult } from '../../../src/vscode/commands/doctor';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { ensureDockerEngine, type DockerEngine } from '../../integration/fixtures/docker';
import { freePort } from '../../integration/fixtures/util';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

describe('Go Deploy: Run Doctor on a docker environment (a real Docker Engine)', function () {
  this.timeout(180_000);
  let engine: DockerEngine | undefined;
  let moduleDir = '';
  let port = 0;

  before(async function () {
    this.timeout(120_000);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    engine = await ensureDockerEngine();
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'deployapp-docker');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        'environments:',
        '  box:',
        '    type: docker',
        '    docker:',
        `      host: unix://${engine.socketPath}`,
        '',
      ].join('\n'),
    );
  });
  after(async function () {
    this.timeout(60_000);
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    await engine?.stop();
  });

  it('reports the engine (version, platform, disk, port) in its result and the log', async () => {
    const r = await withTimeout(
      'godeploy.runDoctor',
      vscode.commands.executeCommand<DoctorResult | undefined>('godeploy.runDoctor', { module: moduleDir, environment: 'box' }),
      60_000,
    );
    assert.ok(r);
    assert.equal(r.hosts.length, 1);
    assert.equal(r.hosts[0].address, `unix://${engine!.socketPath}`);
    assert.deepEqual(
      r.hosts[0].checks.map((c) => c.id),
      ['reachable', 'platform', 'disk', 'port'],
    );
    assert.equal(r.failures, 0, JSON.stringify(r.hosts[0].checks));
    assert.match(r.hosts[0].checks[0].detail, new RegExp(`^Docker Engine ${engine!.version.replace(/[.+]/g, '\\$&')} \\(API \\d+\\.\\d+\\)$`));
    assert.equal(r.hosts[0].checks[3].detail, `${port} is free`);
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(log.text, /doctor box: 1 engine, 0 failed/);
  });
});
