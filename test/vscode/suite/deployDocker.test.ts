// Go Deploy: Deploy, Show Releases and Rollback on a docker environment, in a real VS Code
// against the real Docker Engine (started by the integration fixture when none runs): the
// environment picked in the quick pick, the image packed from the binary and run as the
// release's container, its answer on the port, the image steps in the log; then a second
// release, the releases listing, and a rollback that starts the first container again.
import * as assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { ShowReleasesResult } from '../../../src/vscode/commands/releases';
import type { RollbackCommandResult } from '../../../src/vscode/commands/rollback';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { docker, ensureDockerEngine, type DockerEngine } from '../../integration/fixtures/docker';
import { freePort, httpGet, sleep } from '../../integration/fixtures/util';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const APP = 'vsdockerapp';
const ENV = 'box';

describe('Go Deploy: Deploy / Rollback on a docker environment (a real Docker Engine)', function () {
  this.timeout(300_000);
  let engine: DockerEngine | undefined;
  let moduleDir = '';
  let port = 0;
  let first: DeployCommandResult | undefined;

  const removeContainers = async (): Promise<void> => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.app=${APP}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
  };
  const build = async (): Promise<string> => {
    const r = await httpGet(port, '/info');
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { build: string }).build;
  };

  before(async function () {
    this.timeout(120_000);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    engine = await ensureDockerEngine();
    await removeContainers();
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'deployapp-docker-deploy');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      [
        'app:',
        `  name: ${APP}`,
        `  port: ${port}`,
        'docker:',
        '  runtime: scratch',
        'environments:',
        `  ${ENV}:`,
        '    type: docker',
        '    docker:',
        `      host: unix://${engine.socketPath}`,
        '      network: host',
        '',
      ].join('\n'),
    );
  });
  after(async function () {
    this.timeout(60_000);
    await removeContainers();
    const images = (await docker(['images', '-q', APP])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    await engine?.stop();
  });

  it('Deploy with the environment picked: the release container answers; the log shows the image and the health gate', async () => {
    // As from the explorer or the palette with the module known: the environment picker opens; accept it.
    let settled = false;
    const running = vscode.commands
      .executeCommand<DeployCommandResult | undefined>('godeploy.deploy', vscode.Uri.file(path.join(moduleDir, 'go.mod')))
      .then((r) => {
        settled = true;
        return r;
      });
    const deadline = Date.now() + 30_000;
    let accepted = false;
    while (!settled && !accepted && Date.now() < deadline) {
      await sleep(500);
      const containers = (await docker(['ps', '-aq', '--filter', `label=godeploy.app=${APP}`])).stdout.trim();
      const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
      accepted = containers !== '' || log.text.includes(`deploy ${APP} to ${ENV}`);
      if (!settled && !accepted) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    first = await withTimeout('godeploy.deploy', running, 180_000);
    assert.ok(first, 'the deploy returned no result');
    assert.equal(first.environment, ENV);
    assert.equal(first.ok, true, JSON.stringify(first.hosts));
    assert.deepEqual(
      first.hosts.map((h) => [h.host, h.address, h.result]),
      [['engine', `unix://${engine!.socketPath}`, 'live']],
    );
    const inspect = JSON.parse((await docker(['inspect', `${APP}-${first.releaseId}`])).stdout) as {
      State: { Running: boolean };
      Config: { Labels: Record<string, string> };
    }[];
    assert.equal(inspect[0].State.Running, true);
    assert.equal(inspect[0].Config.Labels['godeploy.release'], first.releaseId);
    assert.equal(await build(), 'build-0');
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(
      log.text,
      new RegExp(`\\[engine\\] image: ${APP}:${first.releaseId.replace(/\./g, '\\.')}, ${APP}:\\S+ \\([0-9a-f]{12}\\)`),
      log.text.slice(-3000),
    );
    assert.match(log.text, /\[engine\] health: healthy/);
    assert.match(log.text, /\d+\. switch: stop the running vsdockerapp container/, 'the plan was not logged');
  });

  it('a second release, Show Releases lists both, Rollback starts the first container again', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const main = path.join(moduleDir, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('const build = "build-0"', 'const build = "build-1"'));
    const second = await withTimeout(
      'godeploy.deploy',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: ENV }),
      180_000,
    );
    assert.equal(second?.ok, true, JSON.stringify(second?.hosts));
    assert.equal(await build(), 'build-1');

    const listed = await withTimeout(
      'godeploy.showReleases',
      vscode.commands.executeCommand<ShowReleasesResult | undefined>('godeploy.showReleases', { module: moduleDir, environment: ENV }),
      60_000,
    );
    const engineReleases = listed?.hosts[0];
    assert.ok(engineReleases?.ok, JSON.stringify(listed));
    assert.equal(engineReleases.host, 'engine');
    assert.deepEqual(
      engineReleases.value.map((r) => [r.id, r.live]),
      [
        [first.releaseId, false],
        [second!.releaseId, true],
      ],
    );

    const back = await withTimeout(
      'godeploy.rollback',
      vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.rollback', { module: moduleDir, environment: ENV, to: 'previous' }),
      120_000,
    );
    assert.equal(back?.ok, true, JSON.stringify(back?.hosts));
    assert.deepEqual(back.targets, { engine: first.releaseId });
    assert.equal(await build(), 'build-0');
  });
});
