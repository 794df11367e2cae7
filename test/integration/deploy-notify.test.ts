// notify: through the CLI against a `type: local` environment, with a real HTTP server on
// 127.0.0.1 receiving the webhooks: exactly one post per webhook per deploy, rollback, failed
// deploy and deploy that threw (a build error), with the report's fields; the Slack and Teams
// shapes; webhooks that answer 500, hang past their timeout or are not listening are each
// reported while the deploy still exits 0; a secret missing for a URL is reported, not fatal;
// the dry run lists the webhooks; and the secret URL appears in no output, --json included.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { NotificationOutcome, NotificationReport } from '../../src/core/index';
import { RELEASE_ID, releaseId } from '../../src/core/release/releaseId';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, killProcessesUnder, onExit, sleep, tempDir } from './fixtures/util';

interface Post {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

/** A webhook receiver on 127.0.0.1: /ok/… answers 200, /fail/… 500, /hang/… never. */
class Receiver {
  readonly posts: Post[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server!: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const path = req.url ?? '';
        this.posts.push({ path, contentType: req.headers['content-type'], body: JSON.parse(text) });
        if (path.startsWith('/hang/')) this.hanging.push(res);
        else if (path.startsWith('/fail/')) res.writeHead(500).end('boom\n');
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  take(): Post[] {
    return this.posts.splice(0);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

describe('notify: webhooks told after deploys and rollbacks (type: local, a real HTTP server on loopback)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-notify');
  const dir = join(work.path, 'app');
  const base = join(work.path, 'base');
  const token = `T0K3N${randomBytes(8).toString('hex')}`;
  const who = `${userInfo().username}@${hostname()}`;
  const receiver = new Receiver();
  let appPort = 0;
  let closedPort = 0;
  const ids: string[] = [];
  const killService = (): void => killProcessesUnder(base);
  const removeExitHook = onExit(killService);

  /** The secret URLs, as the CLI's environment gives them. */
  const env = (): NodeJS.ProcessEnv => ({
    HOOK_URL: `http://127.0.0.1:${receiver.port}/ok/${token}/generic`,
    SLACK_URL: `http://127.0.0.1:${receiver.port}/ok/${token}/slack`,
    TEAMS_URL: `http://127.0.0.1:${receiver.port}/ok/${token}/teams`,
    FAIL_URL: `http://127.0.0.1:${receiver.port}/fail/${token}`,
    HANG_URL: `http://127.0.0.1:${receiver.port}/hang/${token}`,
    CLOSED_URL: `http://127.0.0.1:${closedPort}/closed/${token}`,
  });

  const defaultNotify = [
    { url: '${secret:HOOK_URL}' },
    { url: '${env:SLACK_URL}', format: 'slack', on: ['deploy', 'rollback', 'failure'] },
    { url: '${secret:TEAMS_URL}', format: 'teams', on: ['failure'] },
  ];

  function configure(o: { notify?: unknown[]; failHealth?: boolean } = {}): void {
    const dev = {
      type: 'local',
      path: base,
      healthCheck: { timeout: '3s', interval: '500ms' },
      env: o.failHealth ? { DEPLOYAPP_FAIL_HEALTH: '1' } : {},
    };
    const config = { app: { name: 'deployapp', port: appPort }, notify: o.notify ?? defaultNotify, environments: { dev } };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** `godeploy -C DIR ARGS…`, checking that no output holds the webhook token. */
  async function cli(args: string[]): Promise<CliRun> {
    const r = await runCli(dir, args, goEnv(env()));
    assert.ok(!`${r.out}${r.err}`.includes(token), `the webhook URL's token is in the output:\n${r.out}${r.err}`);
    return r;
  }

  /** A deploy in a later second than the last one (release ids have one-second resolution). */
  async function deploy(extra: string[] = []): Promise<CliRun & { id: string }> {
    const last = ids[ids.length - 1]?.slice(0, 16) ?? '';
    while (releaseId(new Date(), 'x').slice(0, 16) <= last) await sleep(50);
    const r = await cli(['deploy', 'dev', ...extra]);
    const id = /^deploy (\S+) to dev: /m.exec(r.out)?.[1] ?? '';
    if (id) ids.push(id);
    return { ...r, id };
  }

  const byFormat = (posts: Post[]): Record<string, Post[]> => {
    const out: Record<string, Post[]> = {};
    for (const p of posts) (out[p.path.split('/').pop()!] ??= []).push(p);
    return out;
  };

  before(async () => {
    cpSync(join(fixtureModules, 'deployapp'), dir, { recursive: true });
    await receiver.start();
    appPort = await freePort();
    closedPort = await freePort();
  });

  after(async () => {
    killService();
    removeExitHook();
    await receiver.stop();
    work.remove();
  });

  it('a deploy that goes live posts once to each webhook whose on: has deploy, with every field; a line each, no URL', async () => {
    configure();
    receiver.take();
    const r = await deploy();
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.id, RELEASE_ID);
    const posts = byFormat(receiver.take());
    assert.deepEqual(Object.keys(posts).sort(), ['generic', 'slack'], 'the teams webhook is only for failures');
    assert.equal(posts.generic.length, 1);
    assert.equal(posts.slack.length, 1);
    assert.equal(posts.generic[0].contentType, 'application/json');
    const report = posts.generic[0].body as NotificationReport;
    const { startedAt, finishedAt, durationMs, version, ...rest } = report;
    assert.deepEqual(rest, {
      event: 'deploy',
      environment: 'dev',
      app: 'deployapp',
      release: r.id,
      who,
      result: 'live',
      ok: true,
      hosts: [{ host: 'local', address: 'this machine', result: 'live' }],
      warnings: [],
    });
    assert.equal(version, r.id.replace(/^[^-]+-/, ''));
    assert.ok(durationMs > 0 && Date.parse(finishedAt) - Date.parse(startedAt) === durationMs, `${startedAt} ${finishedAt} ${durationMs}`);
    assert.ok(Math.abs(Date.now() - Date.parse(finishedAt)) < 60_000);
    const slack = posts.slack[0].body as { text: string; blocks: { type: string }[] };
    assert.equal(slack.text, `:white_check_mark: deployapp ${version} is live on dev`);
    assert.deepEqual(
      slack.blocks.map((b) => b.type),
      ['section', 'section', 'section', 'context'],
    );
    const lines = r.out.split('\n');
    const summary = lines.findIndex((l) => l.startsWith(`deploy ${r.id} to dev: done`));
    assert.deepEqual(lines.slice(summary + 1, summary + 3), [
      `notified generic webhook #1 (127.0.0.1:${receiver.port}): 200`,
      `notified slack webhook #2 (127.0.0.1:${receiver.port}): 200`,
    ]);
  });

  it('a rollback posts once to each webhook whose on: has rollback, naming the release it went back to', async () => {
    configure();
    const second = await deploy(['--force']);
    assert.equal(second.code, 0, second.out + second.err);
    receiver.take();
    const r = await cli(['rollback', 'dev']);
    assert.equal(r.code, 0, r.out + r.err);
    const posts = byFormat(receiver.take());
    assert.deepEqual(
      Object.entries(posts).map(([k, v]) => [k, v.length]),
      [
        ['generic', 1],
        ['slack', 1],
      ],
    );
    const report = posts.generic[0].body as NotificationReport;
    assert.deepEqual(
      [report.event, report.release, report.version, report.result, report.ok, report.who, report.hosts],
      ['rollback', ids[0], ids[0].replace(/^[^-]+-/, ''), 'live', true, who, [{ host: 'local', address: 'this machine', result: 'live', release: ids[0] }]],
    );
    assert.match(
      r.out,
      /^rollback dev: done in .*\nnotified generic webhook #1 \(127\.0\.0\.1:\d+\): 200\nnotified slack webhook #2 \(127\.0\.0\.1:\d+\): 200$/m,
    );
    assert.equal((posts.slack[0].body as { text: string }).text, `:leftwards_arrow_with_hook: dev was rolled back to ${ids[0]} (deployapp)`);
  });

  it('a deploy failing its health gate posts once to every webhook (teams too: on failure), result rolled-back with the error; exit 1', async () => {
    configure({ failHealth: true });
    receiver.take();
    const r = await deploy();
    assert.equal(r.code, 1, r.out + r.err);
    const posts = byFormat(receiver.take());
    assert.deepEqual(
      Object.entries(posts)
        .map(([k, v]) => [k, v.length])
        .sort(),
      [
        ['generic', 1],
        ['slack', 1],
        ['teams', 1],
      ],
    );
    const report = posts.generic[0].body as NotificationReport;
    assert.deepEqual([report.event, report.release, report.result, report.ok, report.hosts[0].result], ['deploy', r.id, 'rolled-back', false, 'rolled-back']);
    assert.match(report.error ?? '', /^local: .*\/healthz did not answer 2xx within 3 s/);
    const teams = posts.teams[0].body as { type: string; attachments: { contentType: string; content: { type: string; body: { text?: string }[] } }[] };
    assert.equal(teams.type, 'message');
    assert.equal(teams.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(teams.attachments[0].content.type, 'AdaptiveCard');
    assert.equal(teams.attachments[0].content.body[0].text, `Deploying deployapp ${report.version} to dev failed; the switched hosts were rolled back`);
    assert.match(r.out, /^notified teams webhook #3 \(127\.0\.0\.1:\d+\): 200$/m);
  });

  it('a deploy that throws (the build fails) posts once, result failed with the error; the lines go to stderr', async () => {
    configure();
    const main = join(dir, 'main.go');
    const source = readFileSync(main, 'utf8');
    writeFileSync(main, `${source}\nfunc broken( {\n`);
    try {
      receiver.take();
      const r = await cli(['deploy', 'dev']);
      assert.notEqual(r.code, 0, r.out + r.err);
      const posts = byFormat(receiver.take());
      assert.deepEqual(Object.keys(posts).sort(), ['generic', 'slack', 'teams']);
      const report = posts.generic[0].body as NotificationReport;
      assert.deepEqual([report.event, report.release, report.result, report.ok, report.hosts], ['deploy', null, 'failed', false, []]);
      assert.ok(report.error && report.error.length > 0);
      assert.match(r.err, /^notified generic webhook #1 \(127\.0\.0\.1:\d+\): 200$/m);
    } finally {
      writeFileSync(main, source);
    }
  });

  it('a webhook answering 500, one hanging past its timeout, one not listening and one whose secret is missing are reported; the deploy exits 0', async () => {
    configure({
      notify: [
        { url: '${secret:FAIL_URL}' },
        { url: '${secret:HANG_URL}', format: 'slack', timeout: '1s' },
        { url: '${env:CLOSED_URL}', format: 'teams' },
        { url: '${secret:NOT_SET_ANYWHERE}' },
        { url: '${secret:HOOK_URL}' },
      ],
    });
    receiver.take();
    const t0 = Date.now();
    const r = await deploy(['--force']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(Date.now() - t0 < 60_000);
    const p = receiver.port;
    const summary = r.out.split('\n').findIndex((l) => l.startsWith(`deploy ${r.id} to dev: done`));
    assert.deepEqual(r.out.split('\n').slice(summary + 1, summary + 6), [
      `notification #1 (generic webhook, 127.0.0.1:${p}) failed: HTTP 500: boom`,
      `notification #2 (slack webhook, 127.0.0.1:${p}) failed: no answer within 1 s`,
      `notification #3 (teams webhook, 127.0.0.1:${closedPort}) failed: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
      'notification #4 (generic webhook) failed: notify[3].url: secret NOT_SET_ANYWHERE is not set',
      `notified generic webhook #5 (127.0.0.1:${p}): 200`,
    ]);
    assert.deepEqual(
      receiver
        .take()
        .map((x) => x.path.split('/')[1])
        .sort(),
      ['fail', 'hang', 'ok'],
    );
  });

  it('--json carries each webhook outcome (no URL anywhere in it); --dry-run lists the webhooks and posts nothing', async () => {
    configure();
    receiver.take();
    const r = await deploy(['--force', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const json = JSON.parse(r.out) as { ok: boolean; releaseId: string; notifications: NotificationOutcome[] };
    ids.push(json.releaseId);
    assert.deepEqual(
      json.notifications.map(({ ms, ...n }) => (assert.ok(ms >= 0), n)),
      [
        { index: 1, format: 'generic', host: `127.0.0.1:${receiver.port}`, ok: true, status: 200 },
        { index: 2, format: 'slack', host: `127.0.0.1:${receiver.port}`, ok: true, status: 200 },
      ],
    );
    assert.equal(receiver.take().length, 2);

    const dry = await cli(['deploy', 'dev', '--dry-run']);
    assert.equal(dry.code, 0, dry.out + dry.err);
    assert.match(
      dry.out,
      /\nnotify \(after the deploy\):\n {2}generic webhook #1 \(\$\{secret:HOOK_URL\}\): when it succeeds or fails\n {2}slack webhook #2 \(\$\{env:SLACK_URL\}\): when it succeeds or fails\n {2}teams webhook #3 \(\$\{secret:TEAMS_URL\}\): when it fails\n/,
    );
    assert.deepEqual(receiver.take(), []);
  });
});
