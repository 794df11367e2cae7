// Go Deploy: Deploy… and Rollback… against a `type: ssh` environment on a real systemd host
// (systemd-nspawn with OpenSSH on loopback, test/integration/fixtures/systemdHost.ts), from
// inside VS Code: the engine connects over ssh2, installs the systemd unit, switches and
// gates on health through a port forward. The host shares this machine's network, so the
// service's 127.0.0.1:PORT is reachable from here.
import * as assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { ShowReleasesResult } from '../../../src/vscode/commands/releases';
import type { RollbackCommandResult } from '../../../src/vscode/commands/rollback';
import type { TailState } from '../../../src/vscode/logs/logTails';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { startSystemdHost, type SystemdHost } from '../../integration/fixtures/systemdHost';
import { freePort } from '../../integration/fixtures/util';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 240_000;
const SECRET_NAME = 'GODEPLOY_VSCODE_SSH_GREETING';

interface Info { build: string; exe: string; env: Record<string, string> }

describe('Go Deploy: Deploy / Rollback on an ssh environment (a real systemd host)', function () {
  this.timeout(OP_MS + 60_000);
  const secret = `ssh-s3cr3t-${Math.random().toString(36).slice(2, 10)}`;
  let host: SystemdHost | undefined;
  let moduleDir = '';
  let port = 0;
  const args = () => ({ module: moduleDir, environment: 'remote' });

  const remote = async (cmd: string): Promise<string> => {
    const r = await host!.exec(cmd);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const info = async (): Promise<Info> => {
    const res = await fetch(`http://127.0.0.1:${port}/info?env=GREETING`);
    assert.equal(res.status, 200);
    return (await res.json()) as Info;
  };

  before(async function () {
    this.timeout(300_000);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    host = await startSystemdHost();
    port = await freePort();
    moduleDir = path.join(workspaceRoot().fsPath, 'deployapp-ssh');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    // An empty known_hosts: the first connection meets an unknown host key.
    writeFileSync(path.join(moduleDir, 'known_hosts'), '');
    writeFileSync(path.join(moduleDir, 'godeploy.yaml'), [
      'app:', '  name: deployapp', `  port: ${port}`, '  healthCheck:', '    timeout: 20s', '    interval: 250ms',
      'environments:', '  remote:', '    type: ssh', '    knownHostsFile: known_hosts', '    path: /opt/deployapp',
      '    hosts:', `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
      '    env:', `      GREETING: \${secret:${SECRET_NAME}}`, '',
    ].join('\n'));
    await vscode.commands.executeCommand('godeploy.setSecret', { name: SECRET_NAME, value: secret });
  });

  after(async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand('godeploy.deleteSecret', { name: SECRET_NAME });
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    await host?.stop();
  });

  let first: DeployCommandResult | undefined;

  it('deploys over ssh (a new host key accepted as with --accept-new-host-key): systemd runs the release, the secret reaches it, not the log', async () => {
    first = await withTimeout('godeploy.deploy (ssh)', vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { ...args(), acceptNewHostKey: true }), OP_MS);
    assert.ok(first, 'the command returned no result (it failed: see the Go Deploy log)');
    assert.equal(first.ok, true, `deploy failed: ${JSON.stringify(first.hosts)}`);
    assert.deepEqual(first.hosts.map((h) => [h.host, h.result]), [['127.0.0.1', 'live']]);
    assert.match(readFileSync(path.join(moduleDir, 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host!.port} ssh-ed25519 `, 'm'), 'the host key was not recorded');

    assert.equal(await remote('readlink /opt/deployapp/current'), `releases/${first.releaseId}`);
    assert.equal(await remote('systemctl is-active deployapp.service'), 'active');
    const served = await info();
    assert.equal(served.exe, `/opt/deployapp/releases/${first.releaseId}/deployapp`);
    assert.equal(served.env.GREETING, secret);

    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(log.text, /\[127\.0\.0\.1\] connect: new host key ssh-ed25519 SHA256:\S+ recorded/);
    assert.match(log.text, /\[127\.0\.0\.1\] health: healthy/);
    assert.equal(log.text.includes(secret), false, 'the secret value is in the Go Deploy log');
  });

  it('deploys a second build, then Rollback brings the first release back (the host key now verified)', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const main = path.join(moduleDir, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('const build = "build-0"', 'const build = "build-1"'));
    await new Promise((r) => setTimeout(r, 1100)); // release ids are per second
    // No acceptNewHostKey now: a prompt would hang the command, so this also shows the recorded key is used.
    const second = await withTimeout('second godeploy.deploy (ssh)', vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', args()), OP_MS);
    assert.ok(second?.ok, `second deploy failed: ${JSON.stringify(second?.hosts)}`);
    assert.equal((await info()).build, 'build-1');

    const back = await withTimeout('godeploy.rollback (ssh)', vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.rollback', { ...args(), to: 'previous' }), OP_MS);
    assert.ok(back?.ok, `rollback failed: ${JSON.stringify(back?.hosts)}`);
    assert.deepEqual(back.targets, { '127.0.0.1': first.releaseId });
    assert.equal(await remote('readlink /opt/deployapp/current'), `releases/${first.releaseId}`);
    const served = await info();
    assert.equal(served.build, 'build-0');
    assert.equal(served.env.GREETING, secret);

    const listed = await withTimeout('godeploy.showReleases (ssh)', vscode.commands.executeCommand<ShowReleasesResult | undefined>('godeploy.showReleases', args()), OP_MS);
    const h = listed?.hosts[0];
    assert.ok(h?.ok, JSON.stringify(h));
    assert.deepEqual(h.value.releases.map((r) => [r.id, r.current]), [[first.releaseId, true], [second.releaseId, false]]);
  });

  it('Tail Logs follows the host\'s journal into its output channel, comes back after the host cuts the connection (every line once), and Stop Tailing ends it', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const say = async (line: string, n = 1): Promise<void> => { assert.equal((await fetch(`http://127.0.0.1:${port}/log?line=${encodeURIComponent(line)}&n=${n}`)).status, 200); };
    const tail = (): Thenable<TailState> => vscode.commands.executeCommand<TailState>('godeploy.tailLogs', { ...args(), lines: 0 });
    const waitFor = async (re: RegExp, what: string): Promise<string[]> => {
      for (let i = 0; i < 150; i++) {
        const s = await tail();
        if (s.lines.some((l) => re.test(l))) return s.lines;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${what}: no line matching ${re} in the channel:\n${(await tail()).lines.join('\n')}`);
    };
    const started = await tail();
    assert.equal(started.tailing, true);
    assert.equal(started.channel, 'Go Deploy Logs: remote');
    // Following from the end (lines: 0) shows only what comes after it has begun.
    for (let i = 0; i < 50 && !(await tail()).lines.some((l) => l.endsWith(': editor-ready')); i++) {
      await say('editor-ready');
      await new Promise((r) => setTimeout(r, 300));
    }
    await say('editor-before');
    await waitFor(/^127\.0\.0\.1 \| \S+Z deployapp\[\d+\]: editor-before$/, 'a line the service wrote');
    // Cut every ssh connection but the one running the command: godeploy's follower is gone.
    await remote('for p in $(pgrep -f "^sshd: root"); do [ "$p" = "$PPID" ] || kill "$p"; done');
    await say('editor-gap', 3);
    await waitFor(/-- reconnected to 127\.0\.0\.1 .*resuming after/, 'the reconnect notice');
    await say('editor-after');
    const lines = await waitFor(/: editor-after$/, 'a line after the reconnect');
    await waitFor(/: editor-gap 3$/, 'the lines written during the gap');
    for (const l of ['editor-before', 'editor-gap 1', 'editor-gap 2', 'editor-gap 3', 'editor-after']) {
      assert.equal((await tail()).lines.filter((x) => x.endsWith(`: ${l}`)).length, 1, `"${l}" not exactly once:\n${lines.join('\n')}`);
    }
    assert.equal(await vscode.commands.executeCommand('godeploy.stopTailing', { name: 'remote', configFile: path.join(moduleDir, 'godeploy.yaml') }), true);
    assert.equal(await vscode.commands.executeCommand('godeploy.stopTailing', { name: 'remote', configFile: path.join(moduleDir, 'godeploy.yaml') }), false, 'a stopped tail is not tailing');
  });
});
