// End to end, as a user who installed the .vsix: the Extensions view lists Go Deploy, and its
// details page shows the icon, the description and the README (rendered from the package).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { SCREENSHOTS, UI_TIMEOUT, useE2eSession, runFromPalette } from '../support/e2eSession';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { displayName: string; description: string; version: string };

describe('e2e: the installed extension in the Extensions view', function () {
  this.timeout(180_000);
  const session = useE2eSession('e2e-extension-details');

  it('shows the details page with the icon, the description and the README', async () => {
    const { page } = session;
    await runFromPalette(page, 'Extensions: Show Enabled Extensions');
    const row = page.locator('.extensions-viewlet .monaco-list-row', { hasText: pkg.displayName });
    await row.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await row.first().click();

    const editor = page.locator('.extension-editor');
    await editor.locator('.header .name', { hasText: pkg.displayName }).waitFor({ timeout: UI_TIMEOUT });
    assert.equal((await editor.locator('.header .description').innerText()).trim(), pkg.description);
    // The icon is the packaged PNG, loaded (not the placeholder a missing icon gets).
    const icon = editor.locator('.header .icon-container img.icon');
    await icon.waitFor({ timeout: UI_TIMEOUT });
    const width = await page.waitForFunction(
      (img) => {
        const i = img as unknown as { complete: boolean; naturalWidth: number };
        return i.complete && i.naturalWidth;
      },
      await icon.elementHandle(),
      { timeout: UI_TIMEOUT },
    );
    assert.ok(Number(await width.jsonValue()) >= 128, 'the icon is smaller than 128 px');

    // The README renders in the details webview (VS Code lays webviews over the editor, outside its DOM).
    const readme = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    await readme.locator('h1', { hasText: 'Go Deploy' }).waitFor({ timeout: UI_TIMEOUT });
    await readme.locator('h2', { hasText: 'Install' }).first().waitFor({ timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-extension-details.png') });
  });
});
