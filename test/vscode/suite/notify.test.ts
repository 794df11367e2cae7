// notify: from the editor: Deploy… and Rollback… on a `type: local` environment tell a webhook
// (a real HTTP server on 127.0.0.1, its URL a ${secret:…} in SecretStorage) once each, and the
// Go Deploy log gets a line per webhook, without the URL.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NotificationReport } from '../../../src/core/index';
import type { DeployCommandResult } from '../../../src/vscode/commands/deploy';
import type { RollbackCommandResult } from '../../../src/vscode/commands/rollback';
import type { ShowLogResult } from '../../../src/vscode/commands/showLog';
import { fixtureModules } from '../../support/paths';
import { EXTENSION_ID, withTimeout, workspaceRoot } from '../../support/vscodeHelpers';

const OP_MS = 180_000;
const SECRET_NAME = 'GODEPLOY_VSCODE_TEST_WEBHOOK';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('Go Deploy: notify: webhooks told after Deploy… and Rollback… (local environment)', function () {
  this.timeout(2 * OP_MS + 30_000);
  const token = `hook${Math.random().toString(36).slice(2, 12)}`;
  const posts: NotificationReport[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push(JSON.parse(body) as NotificationReport);
      res.writeHead(200).end('ok');
    });
  });
  let hookPort = 0;
  let scratch = '';
  let base = '';
  let moduleDir = '';

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    hookPort = await listen(receiver);
    const probe = createServer();
    const appPort = await listen(probe);
    await new Promise((r) => probe.close(r));
    scratch = mkdtempSync(path.join(tmpdir(), 'godeploy-vscode-notify-'));
    base = path.join(scratch, 'base');
    moduleDir = path.join(workspaceRoot().fsPath, 'notifyapp');
    cpSync(path.join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      `app:\n  name: deployapp\n  port: ${appPort}\nnotify:\n  - url: \${secret:${SECRET_NAME}}\nenvironments:\n  local:\n    type: local\n    path: ${base}\n`,
    );
    await vscode.commands.executeCommand('godeploy.setSecret', { name: SECRET_NAME, value: `http://127.0.0.1:${hookPort}/${token}` });
  });

  after(async () => {
    const pidFile = path.join(base, 'shared', 'deployapp.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        if (readlinkSync(`/proc/${pid}/exe`).startsWith(base)) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    receiver.closeAllConnections();
    receiver.close();
    await vscode.commands.executeCommand('godeploy.deleteSecret', { name: SECRET_NAME });
    if (moduleDir) rmSync(moduleDir, { recursive: true, force: true, maxRetries: 3 });
    if (scratch) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it('two deploys and a rollback: one post each, and a log line each naming the webhook but not its URL', async () => {
    const deploy = () =>
      withTimeout(
        'godeploy.deploy',
        vscode.commands.executeCommand<DeployCommandResult | undefined>('godeploy.deploy', { module: moduleDir, environment: 'local' }),
        OP_MS,
      );
    const first = await deploy();
    assert.ok(first?.ok, 'the first deploy failed (see the Go Deploy log)');
    assert.deepEqual(
      posts.splice(0).map((p) => [p.event, p.environment, p.release, p.result]),
      [['deploy', 'local', first.releaseId, 'live']],
    );
    assert.deepEqual(
      first.notifications?.map((n) => [n.index, n.format, n.host, n.ok, n.status]),
      [[1, 'generic', `127.0.0.1:${hookPort}`, true, 200]],
    );
    const main = path.join(moduleDir, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('const build = "build-0"', 'const build = "build-1"'));
    await sleep(1100); // release ids are per second
    const second = await deploy();
    assert.ok(second?.ok, 'the second deploy failed');
    assert.equal(posts.splice(0).length, 1);

    const back = await withTimeout(
      'godeploy.rollback',
      vscode.commands.executeCommand<RollbackCommandResult | undefined>('godeploy.rollback', { module: moduleDir, environment: 'local', to: 'previous' }),
      OP_MS,
    );
    assert.ok(back?.ok, 'the rollback failed');
    assert.deepEqual(
      posts.splice(0).map((p) => [p.event, p.release, p.result]),
      [['rollback', first.releaseId, 'live']],
    );
    const log = await vscode.commands.executeCommand<ShowLogResult>('godeploy.showLog');
    const lines = log.text.split('\n').filter((l) => l.includes(`notified generic webhook #1 (127.0.0.1:${hookPort}): 200`));
    assert.equal(lines.length, 3, log.text.slice(-3000));
    assert.equal(log.text.includes(token), false, 'the webhook URL is in the Go Deploy log');
  });
});
