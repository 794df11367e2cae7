// End to end, as a user: right-click go.mod → Go Deploy → Generate Dockerfile on a module
// whose Dockerfile was edited by hand; see the diff; press Write in the diff's title bar.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const handEdited = 'FROM scratch\n# edited by hand\n';

describe('e2e: Generate Dockerfile from the explorer context menu, with a diff preview', function () {
  this.timeout(180_000);
  const session = useE2eSession('e2e-generate', (workspace) => {
    writeFileSync(join(workspace, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\n');
    writeFileSync(join(workspace, 'Dockerfile'), handEdited);
  });

  it('shows the diff against the hand-edited Dockerfile and writes it only on Write', async () => {
    const { page, workspace } = session;
    // Right-click go.mod until the menu carries the extension's submenu (contributions of a
    // development extension are registered a moment after the explorer appears).
    const menu = page.locator('.context-view.monaco-menu-container .monaco-menu');
    const submenu = page.getByRole('menuitem', { name: 'Go Deploy', exact: true });
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'go.mod' }).click({ button: 'right' });
      if (
        await submenu.waitFor({ state: 'visible', timeout: 2_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new Error(`the explorer menu of go.mod never offered "Go Deploy": ${await menu.innerText().catch(() => '(no menu)')}`);
      await page.keyboard.press('Escape');
    }
    await submenu.hover();
    const item = page.getByRole('menuitem', { name: 'Generate Dockerfile', exact: true });
    await item.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // As a person would: straight right into the submenu, then down to the item (a diagonal
    // path crosses the parent menu, which closes the submenu).
    await page.getByRole('menuitem', { name: 'Initialize', exact: true }).hover();
    await item.hover();
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-generate-context-menu.png') });
    await item.click();

    // A diff editor opens: on disk ↔ generated; the file on disk is untouched.
    const tab = page.locator('.tabs-container .tab', { hasText: 'on disk ↔ generated' });
    await tab.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.locator('.monaco-diff-editor .modified-in-monaco-diff-editor .view-lines', { hasText: 'FROM' }).first().waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.monaco-diff-editor .editor.original .view-lines', { hasText: 'edited by hand' }).first().waitFor({ timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-generate-diff.png') });
    assert.equal(readFileSync(join(workspace, 'Dockerfile'), 'utf8'), handEdited);

    // Write (the check mark in the editor's title bar) replaces the file.
    await page.locator('.editor-actions .action-label[aria-label^="Write Generated File"]').click({ timeout: UI_TIMEOUT });
    await page.locator('.tabs-container .tab', { hasText: 'Dockerfile' }).first().waitFor({ timeout: UI_TIMEOUT });
    const writeDeadline = Date.now() + 20_000;
    while (readFileSync(join(workspace, 'Dockerfile'), 'utf8') === handEdited && Date.now() < writeDeadline) await new Promise((r) => setTimeout(r, 200));
    const written = readFileSync(join(workspace, 'Dockerfile'), 'utf8');
    assert.doesNotMatch(written, /edited by hand/);
    assert.match(written, /^FROM /m);
  });
});
