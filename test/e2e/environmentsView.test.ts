// End to end, as a user: the Go Deploy view on a workspace whose `remote` environment is a
// real systemd host with the service running. The environment opens to its host with the
// live release; the host's context menu offers its actions; Tail Logs then Deploy from the
// environment's menu shows the new release's log lines in the output panel while the deploy
// runs (log entries with the host as category, which the Output view's filter offers); Open
// Dashboard shows the host and the history in dark and light themes, its Rollback button
// takes the host back to the first release, the panel comes back after a window reload, and
// no Content Security Policy violation reaches the console. Last, a broken godeploy.yaml
// turns the view into its Show Problems welcome, and no godeploy.yaml into Initialize.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleMessage, Frame, Page } from 'playwright-core';
import { copyDeployapp, setDeployappBuild } from '../integration/fixtures/deployApp';
import { startSystemdHost, type SystemdHost } from '../integration/fixtures/systemdHost';
import { freePort, REPO_ROOT } from '../support/codeServer';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const OP_MS = 240_000;

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

describe('e2e: the Go Deploy view, its context menus, logs during a deploy, and the dashboard', function () {
  this.timeout(OP_MS + 300_000);
  let host: SystemdHost | undefined;
  let port = 0;
  let firstRelease = '';
  const cli = (workspace: string, args: string[]): string =>
    execFileSync(process.execPath, [join(REPO_ROOT, 'out', 'src', 'cli', 'main.js'), '-C', workspace, ...args], { encoding: 'utf8', stdio: 'pipe' });

  before(async function () {
    this.timeout(300_000);
    host = await startSystemdHost();
    port = await freePort();
  });
  const session = useE2eSession('e2e-environments-view', (workspace) => {
    rmSync(join(workspace, 'main.go'));
    copyDeployapp(workspace, [host!]);
    writeFileSync(
      join(workspace, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    timeout: 20s',
        '    interval: 250ms',
        'environments:',
        '  remote:',
        '    type: ssh',
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host!.port}\n        user: root\n        identityFile: ${host!.identityFile}`,
        '',
      ].join('\n'),
    );
    // The service runs before the editor opens (a deploy from the CLI).
    firstRelease = /^deploy (\S+) to remote: done/m.exec(cli(workspace, ['deploy', 'remote']))![1];
  });
  after(async () => {
    await host?.stop();
  });

  it("shows the host with its live release, the host's context menu, the logs during a deploy, and the dashboard in both themes with no CSP violation", async () => {
    const { page, workspace } = session;
    const csp: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) csp.push(m.text());
    });

    await page.locator('.activitybar .action-item a[aria-label^="Go Deploy"]').click();
    const tree = page.locator('.pane', { hasText: 'Environments' });
    const envRow = tree.locator('.monaco-list-row', { hasText: 'remote' }).first();
    await envRow.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await envRow.click();
    const hostRow = tree.locator('.monaco-list-row', { hasText: '127.0.0.1' }).first();
    await hostRow.filter({ hasText: firstRelease }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-environments-view.png') });

    await hostRow.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    for (const item of ['Check Health', 'Open SSH Terminal', 'Copy Host', 'Edit in godeploy.yaml']) {
      await menu.locator('.action-item', { hasText: item }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-environments-context-menu.png') });
    await page.keyboard.press('Escape');

    // Tail Logs, then a deploy of a new build: its start shows in the output panel as it happens.
    const menuItem = async (row: typeof envRow, label: string): Promise<void> => {
      await row.click({ button: 'right' });
      // Monaco's menus act on a focused item: hover it, then Enter (a synthetic click can miss).
      await menu.locator('.action-item', { hasText: label }).first().hover();
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    };
    await menuItem(envRow, 'Tail Logs');
    await page.locator('.part.panel .view-line', { hasText: 'following every host of remote' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    setDeployappBuild(workspace, 'e2e-2');
    await menuItem(envRow, 'Deploy');
    // A log output channel: lines are entries at their level with the host as the category.
    // (Read as the panel's text: the Output view wraps a long entry over several view lines.)
    const panelText = async (): Promise<string> => ((await page.locator('.part.panel .view-lines').first().textContent()) ?? '').replace(/\u00a0/g, ' ');
    const entry = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[info\] \[127\.0\.0\.1\]\s+\S+Z\s+deployapp\[\d+\]:.*deployapp\s+e2e-2\s+\S+\s+listening/;
    for (const deadline = Date.now() + OP_MS; !entry.test(await panelText()); await new Promise((r) => setTimeout(r, 500))) {
      if (Date.now() > deadline) throw new Error(`no entry matching ${entry} in the output panel:\n${await panelText()}`);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-logs-during-deploy.png') });
    // So the Output view's filter offers the log levels and each host to show or hide.
    await page.locator('.part.panel .action-label[aria-label="More Filters..."]').first().click();
    for (const item of ['Error', 'Warning', '127.0.0.1']) {
      await menu.locator('.action-item', { hasText: item }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-logs-filter-by-host.png') });
    await page.keyboard.press('Escape');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'is live on remote' }).waitFor({ state: 'visible', timeout: OP_MS });

    const theme = (name: string): void => {
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'workbench.colorTheme': name })}\n`);
    };
    theme('Default Dark Modern');
    await menuItem(envRow, 'Open Dashboard');
    const frame = await webviewFrame(page, 'vscode-table[aria-label="hosts"]', UI_TIMEOUT);
    await frame.locator('vscode-table-row[data-host="127.0.0.1"]').waitFor({ timeout: UI_TIMEOUT });
    await frame.locator('vscode-table[aria-label="deploy history"] vscode-table-row').nth(1).waitFor({ timeout: UI_TIMEOUT });
    // Each history row: finished, host, release, version (the binary's), result, by, duration, steps.
    assert.equal(
      (await frame.locator('vscode-table[aria-label="deploy history"] vscode-table-row').first().locator('vscode-table-cell').nth(3).textContent())?.trim(),
      'dev',
    );
    await frame.locator('body.vscode-dark').waitFor({ timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-dashboard-dark.png') });

    theme('Default Light Modern');
    await frame.locator('body.vscode-light').waitFor({ timeout: UI_TIMEOUT });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-dashboard-light.png') });

    // The dashboard's own Rollback (the previous release picked): a request the extension
    // runs and answers; the table then shows the first release live again.
    await frame.locator('vscode-button', { hasText: 'Rollback' }).click();
    await frame.locator('[role="status"]', { hasText: 'Rollback: back on the previous release' }).waitFor({ timeout: OP_MS });
    await frame.locator('vscode-table-row[data-host="127.0.0.1"]', { hasText: firstRelease.slice(0, 16) }).waitFor({ timeout: UI_TIMEOUT });

    // A window reload: the serializer brings the panel back, and the page asks for its state again.
    // As the user does it (the workbench saves its editors first; a bare page reload may not).
    await runFromPalette(page, 'Developer: Reload Window');
    await page.waitForLoadState('domcontentloaded');
    await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
    const restored = await webviewFrame(page, 'vscode-table[aria-label="hosts"]', UI_TIMEOUT);
    await restored.locator('vscode-table-row[data-host="127.0.0.1"]').waitFor({ timeout: UI_TIMEOUT });

    assert.deepEqual(csp, [], 'Content Security Policy messages in the console');

    // A godeploy.yaml that cannot be read: the view says so and offers Show Problems, which
    // opens the Problems panel at the error; with no godeploy.yaml at all it offers Initialize.
    const config = join(workspace, 'godeploy.yaml');
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `${good}\nbroken: [unclosed\n`);
    const welcome = page.locator('.pane', { hasText: 'Environments' }).locator('.welcome-view');
    await welcome.getByText('godeploy.yaml has errors').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-environments-config-errors.png') });
    await welcome.getByRole('button', { name: 'Show Problems' }).click();
    await page.locator('.part.panel .markers-panel .monaco-list-row', { hasText: 'godeploy.yaml' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    rmSync(config);
    await welcome.getByRole('button', { name: 'Initialize Go Deploy' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await welcome.getByRole('button', { name: 'Initialize Go Deploy' }).click();
    await page
      .locator('.pane', { hasText: 'Environments' })
      .locator('.monaco-list-row', { hasText: 'dev' })
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.match(readFileSync(config, 'utf8'), /^app:/m);
  });
});
