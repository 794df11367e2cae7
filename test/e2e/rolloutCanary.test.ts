// End to end, as a user: a canary rollout on a real systemd host with nginx (in a network
// namespace of its own) sits at step 1 of 3 (25%) — the CLI deployed it with long pauses —
// while a steady load runs through nginx. The environment's menu offers the rollout and
// maintenance commands; the status bar shows `canary 25%` for the active environment, and its
// click opens the dashboard with the rollout panel (canary against live, step, weight, time
// left, each version's requests, 5xx, error rate, p50 and p95, the chart of the weight over the
// steps, Promote and Abort). Screenshot: the rollout at 25%. Then the page's Abort, confirmed
// in the editor's modal, aborts it: the panel says aborted and the live release answers again.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleMessage, Frame, Page } from 'playwright-core';
import { CanaryLoad, getOnce } from '../integration/fixtures/canaryLoad';
import { copyDeployapp, setDeployappBuild } from '../integration/fixtures/deployApp';
import { goEnv } from '../integration/fixtures/go';
import { startSystemdHost, type SystemdHost } from '../integration/fixtures/systemdHost';
import { REPO_ROOT } from '../support/codeServer';
import { SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const OP_MS = 240_000;
const CLI = join(REPO_ROOT, 'out', 'src', 'cli', 'main.js');

/** The frame of a webview whose document has `selector` (code-server nests each webview in two iframes). */
async function webviewFrame(page: Page, selector: string, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (
        await f
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview frame with ${selector}`);
    await page.waitForTimeout(250);
  }
}

describe('e2e: a canary rollout at 25% on the dashboard, in the status bar, and its Abort', function () {
  this.timeout(OP_MS + 300_000);
  let host: SystemdHost | undefined;
  let load: CanaryLoad | undefined;
  let deploy: { out: () => string; done: Promise<number> } | undefined;
  const firstBuild = 'e2e-canary-1';

  before(async function () {
    this.timeout(300_000);
    host = await startSystemdHost({ network: 'private' });
  });
  const session = useE2eSession('e2e-rollout-canary', (workspace) => {
    rmSync(join(workspace, 'main.go'));
    copyDeployapp(workspace, [host!]);
    writeFileSync(
      join(workspace, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        '  port: 8080',
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 5s',
        '    interval: 200ms',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        `      - host: ${host!.host}\n        port: ${host!.port}\n        user: root\n        identityFile: ${host!.identityFile}`,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    strategy: canary',
        '    blueGreen:',
        '      ports: [8081, 8082]',
        '    nginx:',
        '      listen: 80',
        '    rollout:',
        '      canary:',
        '        steps: [{weight: 25, pause: 15m}, {weight: 50, pause: 15m}, {weight: 100}]',
        '        analysis: {window: 3s, maxErrorRate: 1%, minRequests: 20}',
        '',
      ].join('\n'),
    );
    // The live release, before the editor opens (a first deploy: no steps).
    setDeployappBuild(workspace, firstBuild);
    execFileSync(process.execPath, [CLI, '-C', workspace, 'deploy', 'prod'], { encoding: 'utf8', stdio: 'pipe', env: goEnv() });
  });
  // (afterEach: the session's own after hook removes the workspace first.)
  afterEach(async function () {
    this.timeout(120_000);
    await load?.stop();
    if (deploy) {
      const code = await Promise.race([deploy.done, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
      if (code === null) execFileSync(process.execPath, [CLI, '-C', session.workspace, 'rollout', 'abort', 'prod'], { stdio: 'pipe', env: goEnv() });
      await Promise.race([deploy.done, new Promise((r) => setTimeout(r, 30_000))]);
    }
  });
  after(async () => {
    await host?.stop();
  });

  it('shows the rollout at 25% with its figures and chart, canary 25% in the status bar; Abort (confirmed in the modal) aborts it', async () => {
    const { page, workspace } = session;
    const csp: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) csp.push(m.text());
    });
    // The canary deploy from the CLI, left at step 1 (its 15-minute pause) with traffic flowing.
    setDeployappBuild(workspace, 'e2e-canary-2');
    load = new CanaryLoad(host!.address, 80, { rate: 60, connections: 3 });
    let out = '';
    const child = spawn(process.execPath, [CLI, '-C', workspace, 'deploy', 'prod'], { env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    deploy = { out: () => out, done: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))) };

    await page.locator('.activitybar .action-item a[aria-label^="Go Deploy"]').click();
    const tree = page.locator('.pane', { hasText: 'Environments' });
    const envRow = tree.locator('.monaco-list-row', { hasText: 'prod' }).first();
    await envRow.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // prod becomes the active environment: the status bar item's click offers the environments.
    await page.locator('.statusbar-item', { hasText: 'Go Deploy' }).first().click({ timeout: UI_TIMEOUT });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'prod' }).first().click();
    await page.locator('.statusbar-item', { hasText: 'prod' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const menu = page.locator('.context-view .monaco-menu');
    await envRow.click({ button: 'right' });
    for (const item of ['Promote Rollout', 'Abort Rollout…', 'Maintenance On…', 'Maintenance Off']) {
      await menu.locator('.action-item', { hasText: item }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });

    // The status bar shows the active environment's rollout once it has begun; a click opens its dashboard.
    const statusItem = page.locator('.statusbar-item', { hasText: 'canary 25%' }).first();
    await statusItem.waitFor({ state: 'visible', timeout: OP_MS }).catch((e: Error) => {
      throw new Error(`${e.message}\nthe deploy said:\n${deploy!.out()}`);
    });
    await statusItem.click();

    // The rollout panel, once the canary took traffic at 25% (read every 2 s).
    const frame = await webviewFrame(page, 'section[aria-label="canary rollout"]', OP_MS).catch((e: Error) => {
      throw new Error(`${e.message}\nthe deploy said:\n${deploy!.out()}`);
    });
    const panel = frame.locator('section[aria-label="canary rollout"][data-status="progressing"][data-weight="25"]');
    await panel.waitFor({ timeout: OP_MS });
    assert.equal((await panel.locator('[data-role="step"]').textContent())?.trim(), 'step 1/3');
    const canaryRequests = async (): Promise<number> =>
      Number((await panel.locator('vscode-table-row[data-version="canary"] vscode-table-cell').nth(2).textContent())?.trim());
    for (const deadline = Date.now() + OP_MS; !((await canaryRequests()) >= 20); await page.waitForTimeout(1000)) {
      if (Date.now() > deadline) throw new Error(`the canary row never showed 20 requests:\n${await panel.innerText()}`);
    }
    await panel.locator('svg.weights circle.step.current').waitFor({ timeout: UI_TIMEOUT });
    // The host in the view says canary 25% too.
    await envRow.click();
    await tree.locator('.monaco-list-row', { hasText: 'canary 25%' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-dashboard-canary-25.png') });

    // Abort: the editor asks in a modal, then the rollout ends with traffic back on the live release.
    await panel.locator('vscode-button[data-action="abort"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.match(await dialog.innerText(), /Abort the canary rollout of prod\?/);
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-dashboard-canary-abort-modal.png') });
    await dialog.getByRole('button', { name: 'Abort Rollout' }).click();
    await frame.locator('section[aria-label="canary rollout"][data-status="aborted"]').waitFor({ timeout: OP_MS });
    await frame.locator('[role="status"]', { hasText: /^Abort: / }).waitFor({ timeout: OP_MS });
    await page.locator('.statusbar-item', { hasText: 'canary 25%' }).waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-dashboard-canary-aborted.png') });
    assert.equal(await deploy.done, 1, deploy.out());
    for (let i = 0; i < 10; i++) assert.equal((await getOnce(host!.address, 80, '/', false)).build, firstBuild);
    await load.stop();
    assert.deepEqual(load.failures, [], JSON.stringify(load.failures.slice(0, 5)));
    assert.deepEqual(csp, [], 'Content Security Policy messages in the console');
  });
});
