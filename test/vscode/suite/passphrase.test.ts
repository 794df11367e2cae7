// Go Deploy: Run Doctor on an ssh environment whose identity file is encrypted, from inside
// VS Code: the password box asks once, the passphrase is kept in SecretStorage when the user
// says so and reused without asking, and forgotten once it no longer decrypts the key. The
// host is a real OpenSSH server on loopback (test/integration/fixtures/sshd.ts). The editor's
// password box and notification are replaced for the test (this suite runs in the same
// extension host, so it shares the extension's vscode.window).
import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DoctorResult } from '../../../src/vscode/commands/doctor';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { startSshd, type SshdFixture } from '../../integration/fixtures/sshd';
import { freePort, runOk } from '../../integration/fixtures/util';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, waitFor, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 120_000;
const KEEP = 'Keep in Secret Storage';

type Window = Record<'showInputBox' | 'showInformationMessage', (...args: unknown[]) => Thenable<unknown>>;

describe('Go Deploy: an encrypted SSH key in the editor (passphrase prompt and SecretStorage)', function () {
  this.timeout(OP_MS + 60_000);
  const pass1 = `pw-one-${Math.random().toString(36).slice(2, 10)}`;
  const pass2 = `pw-two-${Math.random().toString(36).slice(2, 10)}`;
  const win = vscode.window as unknown as Window;
  const original = { showInputBox: win.showInputBox, showInformationMessage: win.showInformationMessage };
  let sshd: SshdFixture | undefined;
  let moduleDir = '';
  let keyFile = '';
  let prompts: vscode.InputBoxOptions[] = [];
  let offers: string[] = [];
  let answer: string | undefined;
  let keep = KEEP;

  const doctor = async (): Promise<DoctorResult['hosts'][number]['checks'][number]> => {
    const r = await withTimeout(
      'godeploy.runDoctor',
      vscode.commands.executeCommand<DoctorResult | undefined>('godeploy.runDoctor', { module: moduleDir, environment: 'remote' }),
      OP_MS,
    );
    assert.ok(r, 'the command returned no result (see the Go Deploy log)');
    assert.equal(r.hosts.length, 1);
    return r.hosts[0].checks[0];
  };
  const log = async (): Promise<string> => (await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog')).text;

  before(async function () {
    this.timeout(120_000);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    sshd = await startSshd();
    moduleDir = path.join(workspaceRoot().fsPath, 'passphrase-app');
    cpSync(path.join(fixtureModules, 'single'), moduleDir, { recursive: true });
    keyFile = path.join(moduleDir, 'id_encrypted');
    copyFileSync(sshd.identityFile, keyFile);
    chmodSync(keyFile, 0o600);
    await runOk('ssh-keygen', ['-q', '-p', '-f', keyFile, '-P', '', '-N', pass1]);
    copyFileSync(sshd.knownHostsFile, path.join(moduleDir, 'known_hosts'));
    // Only the encrypted key: no ssh-agent the extension host may have inherited.
    writeFileSync(path.join(moduleDir, 'ssh_config'), 'Host *\n  IdentitiesOnly yes\n');
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      [
        'app:',
        '  name: hello',
        `  port: ${await freePort()}`,
        'environments:',
        '  remote:',
        '    type: ssh',
        '    knownHostsFile: known_hosts',
        '    sshConfigFile: ssh_config',
        `    path: ${path.join(moduleDir, 'base')}`,
        '    processManager: none',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${sshd.port}\n        user: ${sshd.user}\n        identityFile: ${keyFile}`,
        '',
      ].join('\n'),
    );
    win.showInputBox = async (...args: unknown[]) => {
      prompts.push(args[0] as vscode.InputBoxOptions);
      return answer;
    };
    win.showInformationMessage = async (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('keep the passphrase')) {
        offers.push(args[0]);
        return keep;
      }
      return original.showInformationMessage.apply(vscode.window, args);
    };
  });

  after(async function () {
    this.timeout(60_000);
    win.showInputBox = original.showInputBox;
    win.showInformationMessage = original.showInformationMessage;
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    await sshd?.stop();
  });

  beforeEach(() => {
    prompts = [];
    offers = [];
  });

  it('asks once in a password box, connects, and keeps the passphrase when the user says so', async () => {
    answer = pass1;
    keep = KEEP;
    const reachable = await doctor();
    assert.deepEqual([reachable.id, reachable.status], ['reachable', 'ok'], JSON.stringify(reachable));
    assert.equal(prompts.length, 1);
    assert.equal(prompts[0].password, true);
    assert.ok(prompts[0].title?.includes(keyFile), prompts[0].title);
    assert.deepEqual(offers, [`Go Deploy: keep the passphrase of ${keyFile} in VS Code's secret storage?`]);
    await waitFor('the passphrase kept', async () => (await log()).includes(`passphrase of ${keyFile} kept in the secret storage`));
    assert.ok(!(await log()).includes(pass1), 'the passphrase never reaches the log');
  });

  it('reuses the kept passphrase without asking', async () => {
    answer = undefined;
    const reachable = await doctor();
    assert.equal(reachable.status, 'ok', JSON.stringify(reachable));
    assert.deepEqual(prompts, []);
    assert.ok((await log()).includes(`using the passphrase of ${keyFile} kept in the secret storage`));
  });

  it('forgets a kept passphrase that no longer decrypts the key, asking again (not kept this time)', async () => {
    await runOk('ssh-keygen', ['-q', '-p', '-f', keyFile, '-P', pass1, '-N', pass2]);
    answer = pass2;
    keep = 'Not Now';
    const reachable = await doctor();
    assert.equal(reachable.status, 'ok', JSON.stringify(reachable));
    assert.equal(prompts.length, 1, 'the stored one was tried first, then the user was asked');
    assert.match(prompts[0].prompt ?? '', /does not decrypt/);
    assert.equal(offers.length, 1);
    const text = await log();
    assert.ok(text.includes(`the passphrase of ${keyFile} kept in the secret storage does not decrypt it: forgotten`));
    assert.ok(!text.includes(pass1) && !text.includes(pass2), 'no passphrase in the log');
  });

  it('then asks again (nothing kept), and a cancelled prompt skips the key with a clear reason', async () => {
    answer = undefined;
    const reachable = await doctor();
    assert.equal(prompts.length, 1);
    assert.equal(reachable.status, 'fail');
    assert.ok(reachable.detail.includes(`${keyFile} (encrypted; no passphrase entered)`), reachable.detail);
  });
});
