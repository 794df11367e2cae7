// End to end, as a user: open the Go module in VS Code (code-server in headless Chromium),
// run "Go Deploy: Initialize" from the command palette, and see godeploy.yaml open.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

describe('e2e: Go Deploy: Initialize from the command palette', function () {
  this.timeout(180_000);
  const session = useE2eSession('e2e-initialize');

  it('lists "Go Deploy: Initialize" in the palette and opens the godeploy.yaml it writes', async () => {
    const { page, workspace } = session;
    const target = join(workspace, 'godeploy.yaml');
    assert.equal(existsSync(target), false, 'the fresh workspace already has a godeploy.yaml');

    // Open the command palette and look for the command.
    await findInPalette(page, 'Go Deploy: Initialize');
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-initialize-palette.png') });

    // The highlighted (first) entry must be Initialize, since Enter runs it.
    const focused = page.locator('.quick-input-list .monaco-list-row.focused');
    assert.match((await focused.innerText()).replace(/\s+/g, ' '), /Go Deploy: Initialize/);
    await page.keyboard.press('Enter');

    // The editor shows godeploy.yaml with the generated content.
    const tab = page.locator('.tabs-container .tab', { hasText: 'godeploy.yaml' });
    await tab.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.match((await tab.getAttribute('class')) ?? '', /\bactive\b/, 'the godeploy.yaml tab is not the active tab');
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
