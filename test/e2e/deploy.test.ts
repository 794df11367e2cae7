// End to end, as a user: run "Go Deploy: Deploy…" from the command palette on the deployapp
// module, pick the environment, type the missing ${secret:…} into the password box, watch
// the progress notification (current step and host, Cancel button), and see the service
// answer from the new release, with a notification saying it is live. Then over ssh to a
// real systemd host whose key is not known yet: a modal shows its SHA256 fingerprint and
// the deploy goes on once the user trusts it.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSystemdHost, type SystemdHost } from '../integration/fixtures/systemdHost';
import { freePort, REPO_ROOT } from '../support/codeServer';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const DEPLOY_MS = 240_000;
const SECRET = 'e2e-greeting-value';

/** Stops the service the deploy started (the pid in <base>/shared/deployapp.pid, if it runs one of our releases). */
async function stopService(base: string): Promise<void> {
  const pidFile = join(base, 'shared', 'deployapp.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    if (!readlinkSync(`/proc/${pid}/exe`).startsWith(join(base, 'releases'))) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
}

describe('e2e: Go Deploy: Deploy… from the command palette to a local environment', function () {
  this.timeout(DEPLOY_MS + 180_000);
  let scratch = '';
  let base = '';
  let port = 0;
  let live = '';
  // Registered before the session's hooks, so the port and folder exist when it prepares the workspace.
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'godeploy-e2e-deploy-'));
    base = join(scratch, 'base');
    port = await freePort();
  });
  const session = useE2eSession('e2e-deploy', (workspace) => {
    // The workspace becomes the deployapp module; a slow preDeploy hook keeps the progress
    // notification up long enough to be seen.
    rmSync(join(workspace, 'main.go'));
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'modules', 'deployapp'), workspace, { recursive: true });
    writeFileSync(
      join(workspace, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        'environments:',
        '  local:',
        '    type: local',
        `    path: ${base}`,
        '    hooks:',
        '      preDeploy: ["sleep 6"]',
        '    env:',
        '      GREETING: ${secret:E2E_GREETING}',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    if (base) await stopService(base).catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it('picks the environment, asks for the secret, shows the steps in a cancellable progress notification, and the new release serves', async () => {
    const { page } = session;
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await runFromPalette(page, 'Go Deploy: Deploy…');

    // The environment picker lists godeploy.yaml's environments.
    const picker = page.locator('.quick-input-widget', { hasText: 'which environment?' });
    await picker.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'local' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.keyboard.press('Enter');

    // ${secret:E2E_GREETING} is not stored yet: a password box asks for it.
    const secretBox = page.locator('.quick-input-widget', { hasText: 'secret E2E_GREETING' });
    await secretBox.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.equal(await input.getAttribute('type'), 'password', 'the secret is not asked for in a password box');
    await input.pressSequentially(SECRET);
    await page.keyboard.press('Enter');

    // The progress notification: title, the current step and host, a Cancel button.
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'deploying deployapp to local' });
    await progress.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await progress.filter({ hasText: 'pre-deploy on local' }).waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await progress.getByRole('button', { name: 'Cancel' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-progress.png') });

    // It ends with a notification saying the release is live.
    const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'is live on local' });
    await done.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await done.getByRole('button', { name: 'Show Log' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-done.png') });
    const text = await done.innerText();
    const releaseId = /(\d{8}T\d{6}\.\d{3}Z-\S+) is live/.exec(text)?.[1];
    assert.ok(releaseId, `no release id in "${text}"`);

    assert.equal(readlinkSync(join(base, 'current')), `releases/${releaseId}`);
    const res = await fetch(`http://127.0.0.1:${port}/info?env=GREETING`);
    assert.equal(res.status, 200);
    const info = (await res.json()) as { exe: string; env: Record<string, string> };
    assert.equal(info.exe, join(base, 'releases', releaseId, 'deployapp'));
    assert.equal(info.env.GREETING, SECRET, 'the secret typed into the password box did not reach the service');
    live = releaseId;

    // Show Log opens the Go Deploy channel with the plan and the steps, and no secret.
    await done.getByRole('button', { name: 'Show Log' }).click();
    const output = page.locator('.part.panel .monaco-editor .view-lines');
    await output.filter({ hasText: 'health' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-log.png') });
    assert.equal((await output.first().innerText()).includes(SECRET), false, 'the secret is in the output channel');
  });

  it('Cancel in the progress notification before the switch stops the deploy; the live release keeps serving', async () => {
    assert.ok(live, 'needs the first deploy');
    const { page } = session;
    // A new build: the same one again would find it live already and change nothing.
    const main = join(session.workspace, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace(/const build = "[^"]*"/, 'const build = "e2e-cancelled"'));
    await page.keyboard.press('Escape');
    await runFromPalette(page, 'Go Deploy: Deploy…');
    // The environment used last is on top (and the secret is stored now: no password box).
    const picker = page.locator('.quick-input-widget', { hasText: 'which environment?' });
    await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'last used' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.keyboard.press('Enter');

    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'pre-deploy on local' });
    await progress.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await progress.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = page.locator('.notifications-toasts .notification-toast', { hasText: 'deploy to local cancelled' });
    await cancelled.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-cancelled.png') });
    assert.match(await cancelled.innerText(), /nothing live changed/);

    assert.equal(readlinkSync(join(base, 'current')), `releases/${live}`);
    const res = await fetch(`http://127.0.0.1:${port}/info`);
    assert.equal(((await res.json()) as { exe: string }).exe, join(base, 'releases', live, 'deployapp'));
  });
});

/** OpenSSH's SHA256 fingerprint of the key in a known_hosts line. */
function fingerprintOf(knownHostsLine: string): string {
  const blob = Buffer.from(knownHostsLine.trim().split(/\s+/)[2], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

describe('e2e: Go Deploy: Deploy… to an ssh host whose key is unknown', function () {
  this.timeout(DEPLOY_MS + 300_000);
  let host: SystemdHost | undefined;
  let port = 0;
  before(async function () {
    this.timeout(300_000);
    host = await startSystemdHost();
    port = await freePort();
  });
  const session = useE2eSession('e2e-deploy-host-key', (workspace) => {
    rmSync(join(workspace, 'main.go'));
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'modules', 'deployapp'), workspace, { recursive: true });
    writeFileSync(join(workspace, 'known_hosts'), '');
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
        '  staging:',
        '    type: ssh',
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host!.port}\n        user: root\n        identityFile: ${host!.identityFile}`,
        '',
      ].join('\n'),
    );
  });
  after(async function () {
    this.timeout(120_000);
    await host?.stop();
  });

  it('shows the SHA256 fingerprint in a modal, records the key when trusted, and deploys', async () => {
    const { page, workspace } = session;
    const expected = fingerprintOf(readFileSync(host!.knownHostsFile, 'utf8'));
    await runFromPalette(page, 'Go Deploy: Deploy…');
    const picker = page.locator('.quick-input-widget', { hasText: 'which environment?' });
    await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'staging' }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await page.keyboard.press('Enter');

    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`authenticity of host 127\\.0\\.0\\.1:${host!.port} cannot be established`), text);
    assert.ok(text.includes(expected), `the dialog does not show the host's fingerprint ${expected}:\n${text}`);
    assert.equal(readFileSync(join(workspace, 'known_hosts'), 'utf8'), '', 'the key was recorded before the user answered');
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-deploy-host-key.png') });
    await dialog.getByRole('button', { name: 'Trust and Connect' }).click();

    const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'is live on staging' });
    await done.waitFor({ state: 'visible', timeout: DEPLOY_MS });
    const releaseId = /(\d{8}T\d{6}\.\d{3}Z-\S+) is live/.exec(await done.innerText())?.[1];
    assert.ok(releaseId);
    assert.match(readFileSync(join(workspace, 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host!.port} ssh-ed25519 `, 'm'));
    const res = await fetch(`http://127.0.0.1:${port}/info`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { exe: string }).exe, `/opt/deployapp/releases/${releaseId}/deployapp`);
  });
});
