import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HeadlessBrowser, openInChromium } from './browser';
import { CodeServer, copyFixtureWorkspace, REPO_ROOT, startCodeServer } from './codeServer';
import { packagedArtifacts } from './installedCli';

export const SCREENSHOTS = join(REPO_ROOT, 'screenshots');
export const UI_TIMEOUT = 60_000;

export interface E2eSession {
  readonly workspace: string;
  readonly page: Page;
}

/**
 * Mocha hooks for an e2e suite: a fresh copy of a fixture module (prepared by `prepare`),
 * code-server with the packaged .vsix installed into a fresh extensions folder (as a user
 * installs it; nothing is loaded from this checkout), and Chromium showing the
 * workbench with the explorer listing go.mod. A failed test leaves `<name>-failure.png`
 * and the server's log; everything is stopped and removed afterwards.
 */
export function useE2eSession(
  name: string,
  prepare: (workspace: string) => void = () => undefined,
  options: { env?: Record<string, string> } = {},
): E2eSession {
  let workspace = '';
  let server: CodeServer | undefined;
  let browser: HeadlessBrowser | undefined;
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    workspace = copyFixtureWorkspace('single');
    prepare(workspace);
    server = await startCodeServer({ install: [packagedArtifacts().vsix], env: options.env });
    browser = await openInChromium(server.url(workspace));
    await browser.page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
    await browser.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'go.mod' }).waitFor({ timeout: UI_TIMEOUT });
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    if (browser) await browser.page.screenshot({ path: join(SCREENSHOTS, `${name}-failure.png`) }).catch(() => undefined);
    if (server) console.log(server.diagnostics());
    if (browser?.errors.length) console.log(`--- browser errors ---\n${browser.errors.slice(-20).join('\n')}`);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true, maxRetries: 3 });
  });
  return {
    get workspace() {
      return workspace;
    },
    get page() {
      if (!browser) throw new Error('the e2e session has not started');
      return browser.page;
    },
  };
}

/**
 * Opens the command palette with `title` typed and waits until it lists the command. Opened
 * too early (before the window has the extension's contributions) the palette says "No
 * matching commands" and never looks again, so it is closed and opened anew until it does.
 */
export async function findInPalette(page: E2eSession['page'], title: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const command = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  const deadline = Date.now() + UI_TIMEOUT;
  for (;;) {
    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 450 } })
      .catch(() => undefined);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await input.pressSequentially(title.replace(/…$/, ''));
    if (
      await command
        .first()
        .waitFor({ state: 'visible', timeout: 3_000 })
        .then(
          () => true,
          () => false,
        )
    )
      return;
    if (Date.now() > deadline) throw new Error(`the palette never listed "${title}"`);
    await page.keyboard.press('Escape');
  }
}

/** Runs the command titled `title` from the command palette, as a user does. */
export async function runFromPalette(page: E2eSession['page'], title: string): Promise<void> {
  await findInPalette(page, title);
  await page.keyboard.press('Enter');
}
