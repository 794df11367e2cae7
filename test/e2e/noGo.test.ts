// End to end, as a user on a machine without Go: Cross-Compile says Go is missing, where to get
// it, and offers a button to the download page, instead of failing inside a build.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { pathWithout } from '../integration/fixtures/util';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

describe('e2e: the editor on a machine without Go', function () {
  this.timeout(180_000);
  const bin = mkdtempSync(join(tmpdir(), 'godeploy-nogo-path-'));
  // Everything on PATH but go and gofmt. The extension host inherits code-server's
  // environment; VSCODE_CLI=1 stops the server from replacing PATH with a login shell's.
  const PATH = pathWithout(join(bin, 'bin'), ['go', 'gofmt']);
  const session = useE2eSession('e2e-no-go', (workspace) => writeFileSync(join(workspace, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\n'), {
    env: { PATH, VSCODE_CLI: '1' },
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('Cross-Compile names what to install and offers Download Go', async () => {
    const { page } = session;
    await runFromPalette(page, 'Go Deploy: Cross-Compile');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Go is not installed' });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await toast.locator('.monaco-button', { hasText: 'Download Go' }).waitFor({ timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-no-go.png') });
  });
});
