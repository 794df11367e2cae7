// End to end, as a user: open the Go module in VS Code (code-server in headless Chromium),
// run "Go Deploy: Initialize" from the command palette, and see godeploy.yaml open.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HeadlessBrowser, openInChromium } from '../support/browser';
import { CodeServer, copyFixtureWorkspace, REPO_ROOT, startCodeServer } from '../support/codeServer';

const SCREENSHOTS = join(REPO_ROOT, 'screenshots');
const UI_TIMEOUT = 60_000;

describe('e2e: Go Deploy: Initialize from the command palette', function () {
  this.timeout(180_000);
  let workspace: string;
  let server: CodeServer | undefined;
  let browser: HeadlessBrowser | undefined;
  let page: Page;

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    workspace = copyFixtureWorkspace('single');
    server = await startCodeServer();
    browser = await openInChromium(server.url(workspace, { extensionDevelopmentPath: REPO_ROOT }));
    page = browser.page;
    // The workbench is up and the explorer lists the module.
    await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'go.mod' }).waitFor({ timeout: UI_TIMEOUT });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      if (page) await page.screenshot({ path: join(SCREENSHOTS, 'e2e-initialize-failure.png') }).catch(() => undefined);
      if (server) console.log(server.diagnostics());
      if (browser?.errors.length) console.log(`--- browser errors ---\n${browser.errors.slice(-20).join('\n')}`);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true, maxRetries: 3 });
  });

  it('lists "Go Deploy: Initialize" in the palette and opens the godeploy.yaml it writes', async () => {
    const target = join(workspace, 'godeploy.yaml');
    assert.equal(existsSync(target), false, 'the fresh workspace already has a godeploy.yaml');

    // Open the command palette and look for the command.
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await input.pressSequentially('Go Deploy: Initialize');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Go Deploy: Initialize' });
    await row.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-initialize-palette.png') });

    // The highlighted (first) entry must be Initialize, since Enter runs it.
    const focused = page.locator('.quick-input-list .monaco-list-row.focused');
    assert.match((await focused.innerText()).replace(/\s+/g, ' '), /Go Deploy: Initialize/);
    await page.keyboard.press('Enter');

    // The editor shows godeploy.yaml with the generated content.
    const tab = page.locator('.tabs-container .tab', { hasText: 'godeploy.yaml' });
    await tab.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.match(await tab.getAttribute('class') ?? '', /\bactive\b/, 'the godeploy.yaml tab is not the active tab');
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines');
    await editor.filter({ hasText: 'name: hello' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-initialize-file.png') });

    assert.ok(existsSync(target), 'godeploy.yaml is not on disk');
    const text = readFileSync(target, 'utf8');
    assert.match(text, /^app:$/m);
    assert.match(text, /^\s+name: hello\b/m);
    assert.match(text, /^\s+port: 8081\b/m);
  });
});
