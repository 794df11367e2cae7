// End to end, as a user: "Go Deploy: Deploy…" from the command palette on a docker
// environment whose image is built from the module's Dockerfile (the generated multi-stage
// one, with a locally imported Go builder image), on the real Docker Engine. The progress
// notification follows the image build step by step ("Step N/M : …"); it ends with the
// release live and its container answering.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilderImage } from '../integration/fixtures/builderImage';
import { docker, ensureDockerEngine, type DockerEngine } from '../integration/fixtures/docker';
import { freePort, REPO_ROOT } from '../support/codeServer';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const DEPLOY_MS = 300_000;
const APP = 'e2edockerapp';

describe('e2e: Go Deploy: Deploy… to a docker environment, the image build in the progress notification', function () {
  this.timeout(DEPLOY_MS + 240_000);
  let engine: DockerEngine | undefined;
  let builder = '';
  let port = 0;
  const removeContainers = async (): Promise<void> => {
    const ids = (await docker(['ps', '-aq', '--filter', `label=godeploy.app=${APP}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '--force', ...ids]);
  };
  // Registered before the session's hooks: the engine, the builder image and the port exist when it prepares the workspace.
  before(async function () {
    this.timeout(900_000);
    engine = await ensureDockerEngine();
    builder = await ensureBuilderImage('1.19');
    port = await freePort();
    await removeContainers();
  });
  const session = useE2eSession('e2e-deploy-docker', (workspace) => {
    rmSync(join(workspace, 'main.go'));
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'modules', 'deployapp'), workspace, { recursive: true });
    writeFileSync(
      join(workspace, 'godeploy.yaml'),
      [
        'app:',
        `  name: ${APP}`,
        `  port: ${port}`,
        'docker:',
        '  runtime: scratch',
        '  buildkit: false',
        `  builderImage: ${builder.split(':')[0]}`,
        'environments:',
        '  box:',
        '    type: docker',
        '    docker:',
        `      host: unix://${engine!.socketPath}`,
        '      network: host',
        '      build: dockerfile',
        '',
      ].join('\n'),
    );
    // The Dockerfile the user would generate first.
    execFileSync(process.execPath, [join(REPO_ROOT, 'out', 'src', 'cli', 'main.js'), '-C', workspace, 'generate', 'dockerfile', '--env', 'box'], {
      stdio: 'pipe',
    });
  });
  after(async () => {
    await removeContainers();
    const images = (await docker(['images', '-q', APP])).stdout.split('\n').filter(Boolean);
    if (images.length) await docker(['rmi', '--force', ...new Set(images)]);
    await engine?.stop();
  });

  it('shows each build step in the notification, then the release is live and answers', async () => {
    const { page } = session;
    await runFromPalette(page, 'Go Deploy: Deploy…');
    const picker = page.locator('.quick-input-widget', { hasText: 'which environment?' });
    await picker.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'box' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.keyboard.press('Enter');

    // The go build inside the builder stage takes seconds: the notification shows that step.
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: `deploying ${APP} to box` });
    await progress.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await progress.filter({ hasText: /image on engine — Step \d+\/\d+ : RUN .*go build/ }).waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await progress.getByRole('button', { name: 'Cancel' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-docker-build-progress.png') });

    const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'is live on box' });
    await done.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-docker-done.png') });
    const releaseId = /(\d{8}T\d{6}\.\d{3}Z-\S+) is live/.exec(await done.innerText())?.[1];
    assert.ok(releaseId);
    const running = (await docker(['inspect', '--format', '{{.State.Running}}', `${APP}-${releaseId}`])).stdout.trim();
    assert.equal(running, 'true');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
  });
});
