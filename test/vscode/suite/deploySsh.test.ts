// Go Deploy: Deploy… and Rollback… against a `type: ssh` environment on a real systemd host
// (systemd-nspawn with OpenSSH on loopback, test/integration/fixtures/systemdHost.ts), from
// inside VS Code: the engine connects over ssh2, installs the systemd unit, switches and
// gates on health through a port forward. The host shares this machine's network, so the
// service's 127.0.0.1:PORT is reachable from here.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isoSeconds, serializeOwner } from '../../../src/core/release/lockOwner';
import { type LockOwner } from '../../../src/core/environment/types';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { ShowReleasesResult } from '../../../src/vscode/commands/releases';
import type { ReleaseLockResult } from '../../../src/vscode/commands/releaseLock';
import type { RollbackCommandResult } from '../../../src/vscode/commands/rollback';
import type { TailState } from '../../../src/vscode/logs/logTails';
import type { GoDeployApi } from '../../../src/extension';
import type { CheckHealthResult } from '../../../src/vscode/commands/treeActions';
import type { TreeNode } from '../../../src/vscode/views/treeNodes';
import type { DashboardSnapshot } from '../../../src/vscode/webview/dashboardPanel';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { startSystemdHost, type SystemdHost } from '../../integration/fixtures/systemdHost';
import { freePort } from '../../integration/fixtures/util';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, waitFor, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 240_000;
const SECRET_NAME = 'GODEPLOY_VSCODE_SSH_GREETING';

interface Info {
  build: string;
  exe: string;
  env: Record<string, string>;
}

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
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    timeout: 20s',
        '    interval: 250ms',
        'environments:',
        '  remote:',
        '    type: ssh',
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
        '    env:',
        `      GREETING: \${secret:${SECRET_NAME}}`,
        '',
      ].join('\n'),
    );
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
    first = await withTimeout(
      'godeploy.deploy (ssh)',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { ...args(), acceptNewHostKey: true }),
      OP_MS,
    );
    assert.ok(first, 'the command returned no result (it failed: see the Go Deploy log)');
    assert.equal(first.ok, true, `deploy failed: ${JSON.stringify(first.hosts)}`);
    assert.deepEqual(
      first.hosts.map((h) => [h.host, h.result]),
      [['127.0.0.1', 'live']],
    );
    assert.match(
      readFileSync(path.join(moduleDir, 'known_hosts'), 'utf8'),
      new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host!.port} ssh-ed25519 `, 'm'),
      'the host key was not recorded',
    );

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
    // While it runs, the status bar shows the step with a spinner, and a click opens the log.
    const statusBar = vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports.statusBar;
    const shown = new Set<string>();
    let deploying = true;
    const sampling = (async () => {
      while (deploying) {
        const s = statusBar.shown;
        if (s.text.startsWith('$(sync~spin)')) shown.add(`${s.text} -> ${s.command}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const second = await withTimeout(
      'second godeploy.deploy (ssh)',
      vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', args()),
      OP_MS,
    ).finally(() => {
      deploying = false;
    });
    await sampling;
    assert.ok(second?.ok, `second deploy failed: ${JSON.stringify(second?.hosts)}`);
    const steps = [...shown];
    assert.ok(
      steps.some((t) => /^\$\(sync~spin\) remote: deploying · .*health.* -> godeploy\.showLog$/.test(t)),
      steps.join('\n'),
    );
    assert.ok(steps.length >= 3, `the step changes as the deploy goes: ${steps.join('\n')}`);
    assert.deepEqual(statusBar.shown, { text: '$(rocket) remote', command: 'godeploy.selectEnvironment' }, 'after the deploy: the active environment again');
    assert.equal((await info()).build, 'build-1');

    const back = await withTimeout(
      'godeploy.rollback (ssh)',
      vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.rollback', { ...args(), to: 'previous' }),
      OP_MS,
    );
    assert.ok(back?.ok, `rollback failed: ${JSON.stringify(back?.hosts)}`);
    assert.deepEqual(back.targets, { '127.0.0.1': first.releaseId });
    assert.equal(await remote('readlink /opt/deployapp/current'), `releases/${first.releaseId}`);
    const served = await info();
    assert.equal(served.build, 'build-0');
    assert.equal(served.env.GREETING, secret);

    const listed = await withTimeout(
      'godeploy.showReleases (ssh)',
      vscode.commands.executeCommand<ShowReleasesResult | undefined>('godeploy.showReleases', args()),
      OP_MS,
    );
    const h = listed?.hosts[0];
    assert.ok(h?.ok, JSON.stringify(h));
    assert.deepEqual(
      h.value.map((r) => [r.id, r.live]),
      [
        [first.releaseId, true],
        [second.releaseId, false],
      ],
    );
  });

  it("Tail Logs follows the host's journal into its output channel, comes back after the host cuts the connection (every line once), and Stop Tailing ends it", async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const say = async (line: string, n = 1): Promise<void> => {
      assert.equal((await fetch(`http://127.0.0.1:${port}/log?line=${encodeURIComponent(line)}&n=${n}`)).status, 200);
    };
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
    assert.equal(
      await vscode.commands.executeCommand('godeploy.stopTailing', { name: 'remote', configFile: path.join(moduleDir, 'godeploy.yaml') }),
      false,
      'a stopped tail is not tailing',
    );
  });

  it('the Environments view shows the host with its live release and state, its releases (live marked), and its actions run the right operation', async () => {
    assert.ok(first?.ok, 'needs the deploys above');
    const sshPort = host!.port;
    const api = vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports;
    const tree = api.environments;
    const configFile = path.join(moduleDir, 'godeploy.yaml');
    // Several modules in this workspace have a godeploy.yaml: one top node each.
    const top = await tree.getChildren();
    const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile) ?? top.find((n) => n.kind === 'environment' && n.configFile === configFile);
    assert.ok(mod, `no node for ${configFile}: ${JSON.stringify(top)}`);
    const envs = mod.kind === 'module' ? await tree.getChildren(mod) : [mod];
    const env = envs.find((n) => n.kind === 'environment' && n.name === 'remote')!;
    assert.ok(env, JSON.stringify(envs));
    assert.match(String(tree.getTreeItem(env).description), /^ssh · 1 host/);
    const children = await tree.getChildren(env);
    assert.deepEqual(
      children.map((c) => c.kind),
      ['host'],
    );
    const hostNode = children[0] as Extract<TreeNode, { kind: 'host' }>;
    assert.equal(hostNode.alias, '127.0.0.1');
    // Expanding the environment asks the host; its item fills in.
    const item = await waitFor(
      "the host's live release in the view",
      () => {
        const it = tree.getTreeItem(hostNode);
        return String(it.description ?? '').startsWith(first!.releaseId) && it;
      },
      30_000,
    );
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled', 'running and healthy');
    assert.equal(item.contextValue, 'host.ssh');
    assert.match((item.tooltip as vscode.MarkdownString).value, /- health: healthy \(200 OK\)[\s\S]*- deployed .* ago by .*\(rollback\)/);
    // Below the host: its releases, newest first, then its Logs leaf.
    const below = await tree.getChildren(hostNode);
    assert.equal(below.at(-1)?.kind, 'logs', JSON.stringify(below));
    const releases = below.filter((r) => r.kind === 'release');
    const listed = releases.map((r) => (r.kind === 'release' ? `${r.id}${r.live ? ' (live)' : ''}` : r.kind));
    assert.equal(listed.length, 2, listed.join(', '));
    assert.ok(listed.includes(`${first.releaseId} (live)`), listed.join(', '));
    assert.equal(tree.getTreeItem(releases.find((r) => r.kind === 'release' && r.live)!).contextValue, 'release.ssh.live');

    // Context actions: each runs its operation.
    const health = await vscode.commands.executeCommand<CheckHealthResult>('godeploy.checkHealth', hostNode);
    assert.ok(health.outcome.ok && health.outcome.value.health.healthy, JSON.stringify(health));
    assert.equal(await vscode.commands.executeCommand('godeploy.copyHost', hostNode), `root@127.0.0.1:${sshPort}`);
    assert.equal(await vscode.env.clipboard.readText(), `root@127.0.0.1:${sshPort}`);
    const term = await vscode.commands.executeCommand<{ name: string; args: string[] }>('godeploy.openSshTerminal', hostNode);
    assert.deepEqual(term.args.slice(-1), ['root@127.0.0.1']);
    assert.ok(
      term.args.includes('-p') && term.args.includes(String(sshPort)) && term.args.some((a) => a.startsWith('UserKnownHostsFile=')),
      term.args.join(' '),
    );
    assert.ok(vscode.window.terminals.some((t) => t.name === 'ssh 127.0.0.1'));
    // The host's Logs leaf follows that host alone, in a channel of its own, and shows it is tailing exactly while it does.
    const logsLeaf = below.at(-1) as Extract<TreeNode, { kind: 'logs' }>;
    assert.equal(tree.getTreeItem(logsLeaf).contextValue, 'logs');
    const hostTail = (): Thenable<TailState> => vscode.commands.executeCommand<TailState>('godeploy.tailLogs', logsLeaf);
    const started = await hostTail();
    assert.deepEqual([started.tailing, started.host, started.channel], [true, '127.0.0.1', 'Go Deploy Logs: remote (127.0.0.1)']);
    assert.deepEqual([tree.getTreeItem(logsLeaf).contextValue, tree.getTreeItem(logsLeaf).description], ['logs.tailing', 'tailing']);
    assert.doesNotMatch(String(tree.getTreeItem(env).description), /tailing/, "the environment's own tail is not running");
    await waitFor(
      "a line in the host's tail",
      async () => {
        await fetch(`http://127.0.0.1:${port}/log?line=from-the-host-leaf`);
        return (await hostTail()).lines.some((l) => /^127\.0\.0\.1 \| \S+Z deployapp\[\d+\]: from-the-host-leaf$/.test(l));
      },
      30_000,
    );
    assert.equal(await vscode.commands.executeCommand('godeploy.stopTailing', logsLeaf), true);
    assert.equal(tree.getTreeItem(logsLeaf).contextValue, 'logs');
    const edited = await vscode.commands.executeCommand<{ line: number }>('godeploy.editEnvironment', env);
    assert.equal(vscode.window.activeTextEditor?.document.lineAt(edited.line - 1).text.trim(), 'remote:');

    const other = releases.find((r) => r.kind === 'release' && !r.live) as Extract<TreeNode, { kind: 'release' }>;
    const switched = await withTimeout(
      'Switch to This Release',
      vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.switchRelease', other),
      OP_MS,
    );
    assert.ok(switched?.ok, JSON.stringify(switched?.hosts));
    assert.equal(await remote('readlink /opt/deployapp/current'), `releases/${other.id}`);
    // After the operation the view asks the host again.
    await waitFor('the view to show the switched release', () => String(tree.getTreeItem(hostNode).description ?? '').startsWith(other.id), 30_000);
    // The operation made remote the active environment: the status bar names it and the view marks it.
    assert.equal(api.statusBar.active?.environment, 'remote');
    assert.match(String(tree.getTreeItem(env).description), / · active/);
    assert.equal((tree.getTreeItem(env).iconPath as vscode.ThemeIcon).id, 'star-full');
  });

  it('Open Dashboard: the page loads under its CSP (ready handshake), shows the host and the deploy history read from the host, and reports no CSP violation', async () => {
    assert.ok(first?.ok, 'needs the deploys above');
    const open = (): Thenable<DashboardSnapshot> => vscode.commands.executeCommand<DashboardSnapshot>('godeploy.openDashboard', args());
    const shown = await waitFor(
      'the dashboard to render the host and its history',
      async () => {
        const s = await open();
        return s.ready && s.rendered && s.rendered.hosts === 1 && s.rendered.history >= 3 && s;
      },
      60_000,
    );
    const state = shown.state!;
    assert.equal(state.environment, 'remote');
    const h = state.hosts[0];
    assert.equal(h.host, '127.0.0.1');
    assert.equal(h.live, await remote('readlink /opt/deployapp/current').then((l) => l.replace('releases/', '')));
    assert.ok(h.healthy, JSON.stringify(h));
    // Two deploys and two rollbacks so far (the second one by Switch to This Release), newest first.
    assert.deepEqual(
      state.history.slice(0, 4).map((r) => r.result),
      ['rollback', 'rollback', 'live', 'live'],
    );
    const deploy = state.history.find((r) => r.result === 'live')!;
    assert.ok(deploy.durationMs > 0 && deploy.steps.some(([step]) => step === 'health'), JSON.stringify(deploy));
    assert.ok(state.history.filter((r) => r.result === 'rollback').every((r) => r.rolledBack));
    assert.ok(['light', 'dark', 'high-contrast'].includes(shown.rendered!.theme));
    assert.deepEqual(shown.cspViolations, []);
  });

  it('with godeploy.logs.output: terminal, Tail Logs writes to a terminal; closing it stops the tail', async () => {
    const settings = vscode.workspace.getConfiguration('godeploy.logs');
    await settings.update('output', 'terminal', vscode.ConfigurationTarget.Workspace);
    try {
      const tail = (): Thenable<TailState> => vscode.commands.executeCommand<TailState>('godeploy.tailLogs', { ...args(), lines: 0 });
      assert.equal((await tail()).tailing, true);
      const terminal = await waitFor('the logs terminal', () => vscode.window.terminals.find((t) => t.name === 'Go Deploy Logs: remote'));
      await waitFor(
        'a line in the terminal tail',
        async () => {
          await fetch(`http://127.0.0.1:${port}/log?line=to-the-terminal`);
          return (await tail()).lines.some((l) => l.endsWith(': to-the-terminal'));
        },
        30_000,
      );
      terminal.dispose();
      await waitFor(
        'the tail to stop with its terminal',
        async () =>
          !(await vscode.commands.executeCommand<boolean>('godeploy.stopTailing', { name: 'remote', configFile: path.join(moduleDir, 'godeploy.yaml') })) &&
          vscode.window.terminals.every((t) => t.name !== 'Go Deploy Logs: remote'),
        15_000,
      );
    } finally {
      await settings.update('output', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
  it('a host that never answers shows as unreachable after the time limit, and does not hold back the host that answers', async () => {
    // A TCP server on another loopback address that accepts and never speaks: ssh waits on it.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.2', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const settings = vscode.workspace.getConfiguration('godeploy.environments');
    await settings.update('hostTimeoutSeconds', 8, vscode.ConfigurationTarget.Workspace);
    const configFile = path.join(moduleDir, 'godeploy.yaml');
    const original = readFileSync(configFile, 'utf8');
    try {
      writeFileSync(
        configFile,
        `${original.trimEnd()}\n${[
          '  pair:',
          '    type: ssh',
          '    knownHostsFile: known_hosts',
          '    path: /opt/deployapp',
          '    hosts:',
          `      - host: 127.0.0.1\n        port: ${host!.port}\n        user: root\n        identityFile: ${host!.identityFile}`,
          `      - host: 127.0.0.2\n        port: ${silentPort}\n        user: root\n        identityFile: ${host!.identityFile}`,
          '',
        ].join('\n')}`,
      );
      const tree = vscode.extensions.getExtension<GoDeployApi>(EXTENSION_ID)!.exports.environments;
      const env = await waitFor(
        'the new environment in the view',
        async () => {
          const top = await tree.getChildren();
          const mod = top.find((n) => n.kind === 'module' && n.configFile === configFile);
          const envs = mod ? await tree.getChildren(mod) : top;
          return envs.find((n) => n.kind === 'environment' && n.configFile === configFile && n.name === 'pair');
        },
        30_000,
      );
      const [answering, dead] = (await tree.getChildren(env)) as Extract<TreeNode, { kind: 'host' }>[];
      assert.deepEqual([answering.alias, dead.alias], ['127.0.0.1', '127.0.0.2']);
      // (Asked again each time, as the view does after the config watcher's refresh.)
      await waitFor(
        "the answering host's live release",
        async () => {
          await tree.getChildren(env);
          return /^\d{8}T/.test(String(tree.getTreeItem(answering).description ?? ''));
        },
        30_000,
      );
      assert.equal(tree.getTreeItem(dead).description, 'checking…', 'the silent host is still being waited for, and did not hold the other back');
      const gaveUp = await waitFor(
        'the silent host to be given up on',
        () => {
          const it = tree.getTreeItem(dead);
          return it.description === 'unreachable' && it;
        },
        30_000,
      );
      assert.match((gaveUp.tooltip as vscode.MarkdownString).value, /no answer within 8 s/);
      assert.equal((gaveUp.iconPath as vscode.ThemeIcon).id, 'debug-disconnect');
      assert.ok(sockets.length > 0, 'the view did try the silent host');
    } finally {
      writeFileSync(configFile, original);
      await settings.update('hostTimeoutSeconds', undefined, vscode.ConfigurationTarget.Workspace);
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('deploy locks: a stale one is taken over (logged); one held elsewhere fails the deploy until Release Deploy Lock removes it', async () => {
    assert.ok(first?.ok, 'needs the first deploy');
    const plantLock = (o: Omit<LockOwner, 'since'>) =>
      remote(
        `mkdir -p /opt/deployapp/.godeploy/lock && printf '%s\\n' '${serializeOwner({ ...o, since: isoSeconds(new Date()) })}' > /opt/deployapp/.godeploy/lock/owner.json`,
      );
    const deploy = () =>
      withTimeout('godeploy.deploy (lock)', vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', args()), OP_MS);
    // Its process on this machine is gone: stale, and the deploy takes it over.
    const deadPid = spawnSync('true').pid!;
    await plantLock({ user: 'dave', host: hostname(), version: 'v0', pid: deadPid, operation: 'deploy' });
    const took = await deploy();
    assert.ok(took?.ok, `deploy over a stale lock failed: ${JSON.stringify(took?.hosts)}`);
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    assert.match(
      log.text,
      new RegExp(`\\[127\\.0\\.0\\.1\\] lock: took over a stale deploy lock: locked by dave@.*; process ${deadPid} on this machine .* is gone`),
    );
    // Held by another machine, just now: not stale, the deploy is refused naming the holder.
    await plantLock({ user: 'carol', host: 'elsewhere.example', version: 'v9', pid: 1, operation: 'deploy' });
    const refused = await deploy();
    assert.equal(refused?.ok, false);
    assert.match(refused.hosts[0].error ?? '', /locked by carol@elsewhere\.example since /);
    const released = await withTimeout(
      'godeploy.releaseLock',
      vscode.commands.executeCommand<ReleaseLockResult | undefined>('godeploy.releaseLock', { ...args(), confirm: true }),
      OP_MS,
    );
    assert.deepEqual(
      released?.hosts.map((h) => [h.host, h.state, h.stale]),
      [['127.0.0.1', 'released', false]],
      JSON.stringify(released),
    );
    assert.match(released.hosts[0].holder ?? '', /^locked by carol@elsewhere\.example since .*\(version v9, operation deploy\), held \d+s$/);
    assert.equal((await host!.exec('test -e /opt/deployapp/.godeploy/lock')).code, 1, 'the lock folder is gone');
    const again = await deploy();
    assert.ok(again?.ok, `deploy after the release failed: ${JSON.stringify(again?.hosts)}`);
  });
});
