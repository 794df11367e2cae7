// End to end, as a user: run "Go Deploy: Cross-Compile…" from the command palette, see
// the multi-select target picker (build.targets of godeploy.yaml checked), check a second
// target, press OK, and find both binaries and SHA256SUMS in dist/.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const BUILD_MS = 240_000;

describe('e2e: Go Deploy: Cross-Compile… from the command palette', function () {
  this.timeout(BUILD_MS + 180_000);
  const session = useE2eSession('e2e-cross-compile', (workspace) => {
    writeFileSync(join(workspace, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\nbuild:\n  targets: [linux/amd64]\n');
  });

  it('picks targets with checkboxes and builds them into dist/', async () => {
    const { page, workspace } = session;
    const dist = join(workspace, 'dist');
    assert.equal(existsSync(dist), false, 'the fresh workspace already has dist/');

    await runFromPalette(page, 'Go Deploy: Cross-Compile…');

    // The multi-select picker: one row per target, each with a checkbox; linux/amd64
    // (build.targets) is checked, the other common targets are not.
    const picker = page.locator('.quick-input-widget', { hasText: 'cross-compile for which targets?' });
    await picker.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const row = (target: string) =>
      picker.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${target}$`) }) });
    const checkbox = (target: string) => row(target).locator('.monaco-checkbox[role="checkbox"]');
    await row('linux/amd64').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    for (const t of ['linux/amd64', 'linux/arm64', 'linux/arm/7', 'darwin/arm64', 'darwin/amd64', 'windows/amd64'])
      await row(t).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.equal(await checkbox('linux/amd64').isChecked(), true, 'linux/amd64 (build.targets) is not preselected');
    assert.equal(await checkbox('linux/arm64').isChecked(), false);

    await checkbox('linux/arm64').click();
    assert.equal(await checkbox('linux/arm64').isChecked(), true, 'clicking the checkbox did not check linux/arm64');
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-cross-compile-picker.png') });
    await page.locator('.quick-input-widget .quick-input-box input').press('Enter');

    // The build runs under a progress notification and ends with one offering Reveal.
    const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'built 2 target(s)' });
    await done.waitFor({ state: 'visible', timeout: BUILD_MS });
    await done.getByRole('button', { name: 'Reveal in Explorer' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-cross-compile-done.png') });

    // Reveal in Explorer (on the web: the explorer, not an OS file manager) opens dist/.
    await done.getByRole('button', { name: 'Reveal in Explorer' }).click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'SHA256SUMS' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });

    const files = readdirSync(dist);
    const binaries = files.filter((f) => f.startsWith('hello_')).sort();
    assert.equal(binaries.length, 2, `dist/ holds ${files.join(', ')}`);
    assert.match(binaries[0], /^hello_.+_linux_amd64$/);
    assert.match(binaries[1], /^hello_.+_linux_arm64$/);
    const sums = readFileSync(join(dist, 'SHA256SUMS'), 'utf8');
    for (const b of binaries) assert.match(sums, new RegExp(`^[0-9a-f]{64} [ *]?${b}$`, 'm'), `SHA256SUMS:\n${sums}`);
  });
});
