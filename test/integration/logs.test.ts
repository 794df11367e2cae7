// `godeploy logs ENV` against real hosts: two systemd hosts (journald) followed at once,
// each line prefixed with its host; a connection cut on the host side while following
// comes back by itself, and every line written before, during and after the gap shows
// exactly once, with notice lines marking the gap. The same for a supervisor program's log
// files (the byte offset resumes), and for a docker environment's containers reached over an
// ssh:// engine (a redeploy moves the stream to the new container).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from './fixtures/cli';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { startDockerHost, type DockerHost } from './fixtures/dockerHost';
import { startFollowingCli, type FollowingCli } from './fixtures/followingCli';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, tempDir } from './fixtures/util';

/** Makes the service on the host write `line` (n times, numbered) to its stdout. */
const writeLine = (h: SystemdHost, port: number, line: string, n = 1): Promise<string> =>
  remoteOk(h, `curl -sf 'http://127.0.0.1:${port}/log?line=${encodeURIComponent(line)}&n=${n}'`);
/** Cuts every ssh connection to the host (sessions and forwarding-only ones) but the one running this command: a dropped link, from the host's side. */
const cutConnections = (h: SystemdHost): Promise<string> =>
  remoteOk(h, 'for p in $(pgrep -f "^sshd: root"); do [ "$p" = "$PPID" ] || kill "$p"; done; echo cut');
const count = (lines: string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;
/** A follower started with -n 0 shows only what comes after it has begun: writes `marker` until it shows. */
async function untilFollowing(f: FollowingCli, write: (line: string) => Promise<unknown>, marker: string): Promise<void> {
  for (let i = 0; i < 100 && !f.lines().some((l) => l.endsWith(marker)); i++) {
    await write(marker);
    await new Promise((r) => setTimeout(r, 300));
  }
  await f.waitForLine(new RegExp(`${marker}$`));
}

describe('godeploy logs: two real systemd hosts through journald, followed across a cut connection', function () {
  this.timeout(600_000);
  const work = tempDir('logs-journald');
  const dir = work.path;
  let a: SystemdHost;
  let b: SystemdHost;
  const port = 8080;
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());

  before(async () => {
    [a, b] = await Promise.all([startSystemdHost({ network: 'private' }), startSystemdHost({ network: 'private' })]);
    copyDeployapp(dir, [a, b]);
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        ...[a, b].map((h) => `      - host: ${h.host}\n        port: ${h.port}\n        user: root\n        identityFile: ${h.identityFile}`),
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '',
      ].join('\n'),
    );
    const r = await cli(['deploy', 'prod']);
    assert.equal(r.code, 0, r.out + r.err);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    work.remove();
  });

  it('--dry-run names the command per host and reads nothing', async () => {
    const r = await cli(['logs', 'prod', '--dry-run', '-n', '20']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^logs of deployapp in prod: the last 20 lines$/m);
    for (const h of [a, b])
      assert.match(r.out, new RegExp(`^  ${h.host.replace(/\./g, '\\.')}: journalctl --unit deployapp\\.service --output json .*--lines 20$`, 'm'));
  });

  it('the last lines of both hosts, each prefixed with its host and the journal time; --grep keeps the matching ones; --json for scripts', async () => {
    await writeLine(a, port, 'hello from a');
    await writeLine(b, port, 'hello from b');
    const r = await cli(['logs', 'prod', '-n', '5']);
    assert.equal(r.code, 0, r.out + r.err);
    for (const [h, who] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      assert.match(
        r.out,
        new RegExp(`^${h.host.replace(/\./g, '\\.')} +\\| \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z deployapp\\[\\d+\\]: hello from ${who}$`, 'm'),
      );
    }
    const only = await cli(['logs', 'prod', '-n', '5', '--grep', 'from b$']);
    assert.equal(only.code, 0);
    assert.deepEqual(
      only.out
        .trim()
        .split('\n')
        .map((l) => l.replace(/^.*: /, '')),
      ['hello from b'],
    );
    const json = await cli(['logs', 'prod', '-n', '1', '--json']);
    const rows = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; time: string; text: string; notice: boolean });
    assert.deepEqual(rows.map((x) => x.host).sort(), [a.host, b.host].sort());
    assert.ok(
      rows.every((x) => !x.notice && /^\d{4}-.*Z$/.test(x.time)),
      json.out,
    );
  });

  it("--host limits the tail to one host (an unknown one: exit 2 naming the hosts there are); journald's error and warning priorities reach --json as levels", async () => {
    await writeLine(a, port, '<3>it broke on a');
    await writeLine(a, port, '<4>careful on a');
    await writeLine(b, port, 'plain on b');
    const one = await cli(['logs', 'prod', '-n', '3', '--host', a.host, '--json']);
    assert.equal(one.code, 0, one.out + one.err);
    const rows = one.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; text: string; level: string | null });
    assert.deepEqual(rows.map((x) => [x.host, x.text.replace(/^deployapp\[\d+\]: /, ''), x.level]).slice(-2), [
      [a.host, 'it broke on a', 'error'],
      [a.host, 'careful on a', 'warning'],
    ]);
    assert.ok(
      rows.every((x) => x.host === a.host),
      one.out,
    );
    const both = await cli(['logs', 'prod', '-n', '1', '--host', a.host, '--host', b.host]);
    assert.match(both.out, /: plain on b$/m);
    const unknown = await cli(['logs', 'prod', '--host', 'web9']);
    assert.equal(unknown.code, 2, unknown.out + unknown.err);
    assert.match(unknown.err, new RegExp(`prod has no host "web9"\\n {2}hint: its hosts: ${a.host.replace(/\./g, '\\.')}, ${b.host.replace(/\./g, '\\.')}`));
  });

  it('-f follows both hosts; after the host cuts the connection it reconnects and resumes: every line once, the gap marked', async () => {
    const f = startFollowingCli(dir, ['logs', 'prod', '-f', '-n', '0'], goEnv());
    try {
      await untilFollowing(f, (l) => writeLine(a, port, l), 'ready-a');
      await untilFollowing(f, (l) => writeLine(b, port, l), 'ready-b');
      await writeLine(a, port, 'before-a');
      await writeLine(b, port, 'before-b');
      await f.waitForLine(/before-a$/);
      await f.waitForLine(/before-b$/);
      await cutConnections(a);
      // Written while godeploy is away from host a (it waits a second before reconnecting).
      await writeLine(a, port, 'during-gap', 5);
      await f.waitForLine(new RegExp(`^${a.host.replace(/\./g, '\\.')} +\\| -- connection to ${a.host.replace(/\./g, '\\.')} lost`));
      await f.waitForLine(/-- reconnected to .* resuming after \d{4}-/);
      await writeLine(a, port, 'after-a');
      await writeLine(b, port, 'after-b');
      await f.waitForLine(/after-a$/);
      await f.waitForLine(/after-b$/);
      await f.waitForLine(/during-gap 5$/);
    } finally {
      assert.equal(await f.stop(), 0, f.stderr());
    }
    const lines = f.lines();
    for (const l of ['before-a', 'before-b', 'after-a', 'after-b', ...[1, 2, 3, 4, 5].map((i) => `during-gap ${i}`)]) {
      assert.equal(count(lines, new RegExp(`: ${l}$`)), 1, `"${l}" shown ${count(lines, new RegExp(`: ${l}$`))} times:\n${lines.join('\n')}`);
    }
    assert.ok(
      lines.filter((l) => /during-gap/.test(l)).every((l) => l.startsWith(a.host)),
      'each line carries its own host',
    );
    assert.equal(count(lines, /-- connection to .* lost/), 1, lines.join('\n'));
  });
});

describe("godeploy logs: a supervisor program's log files on a real host, followed across a cut connection", function () {
  this.timeout(600_000);
  const work = tempDir('logs-supervisor');
  const dir = work.path;
  let h: SystemdHost;
  const port = 8080;
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());

  before(async () => {
    h = await startSystemdHost({ network: 'private' });
    await remoteOk(h, 'systemctl start supervisor && for i in $(seq 50); do supervisorctl status >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1');
    copyDeployapp(dir, [h]);
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        '    timeout: 10s',
        '    interval: 250ms',
        'environments:',
        '  sup:',
        '    type: ssh',
        '    hosts:',
        `      - host: ${h.host}\n        port: ${h.port}\n        user: root\n        identityFile: ${h.identityFile}`,
        '    knownHostsFile: known_hosts',
        '    path: /opt/deployapp',
        '    processManager: supervisor',
        '    supervisor:',
        '      user: nobody',
        '',
      ].join('\n'),
    );
    const r = await cli(['deploy', 'sup']);
    assert.equal(r.code, 0, r.out + r.err);
  });
  after(async () => {
    await h?.stop();
    work.remove();
  });

  it("shows the last lines of the program's stdout and stderr files; -f resumes at the byte it had reached", async () => {
    await writeLine(h, port, 'file line', 3);
    const r = await cli(['logs', 'sup', '-n', '2']);
    assert.equal(r.code, 0, r.out + r.err);
    const stdoutLines = r.out.split('\n').filter((l) => /file line/.test(l));
    assert.deepEqual(stdoutLines, [`${h.host} | file line 2`, `${h.host} | file line 3`]);

    const f = startFollowingCli(dir, ['logs', 'sup', '-f', '-n', '0'], goEnv());
    try {
      await untilFollowing(f, (l) => writeLine(h, port, l), 'ready');
      await writeLine(h, port, 'follow-1');
      await f.waitForLine(/\| follow-1$/);
      await cutConnections(h);
      await writeLine(h, port, 'gap', 4);
      await f.waitForLine(/-- reconnected to .* resuming at byte \d+ of \/opt\/deployapp\/shared\/logs\/deployapp\.out\.log/);
      await writeLine(h, port, 'follow-2');
      await f.waitForLine(/\| follow-2$/);
      await f.waitForLine(/\| gap 4$/);
    } finally {
      assert.equal(await f.stop(), 0, f.stderr());
    }
    const lines = f.lines();
    for (const l of ['follow-1', 'follow-2', 'gap 1', 'gap 2', 'gap 3', 'gap 4'])
      assert.equal(count(lines, new RegExp(`\\| ${l}$`)), 1, `"${l}":\n${lines.join('\n')}`);
  });
});

describe("godeploy logs: a docker environment's containers through the Engine API, across a redeploy and a cut ssh tunnel", function () {
  this.timeout(600_000);
  const work = tempDir('logs-docker');
  const dir = work.path;
  let dh: DockerHost;
  let h: SystemdHost;
  let port = 0;
  const cli = (args: string[]): Promise<CliRun> => runCli(dir, args, goEnv());
  const say = (line: string, n = 1): Promise<string> => writeLine(h, port, line, n);
  const container = (r: CliRun): string => {
    const id = /^deploy (\S+) to dock: done/m.exec(r.out)?.[1];
    assert.ok(id, r.out + r.err);
    return `dockerlogs-${id}`;
  };

  before(async () => {
    dh = await startDockerHost();
    h = dh.host;
    port = await freePort();
    dh.module(dir);
    writeFileSync(
      join(dir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'dockerlogs', port, healthCheck: { path: '/healthz', timeout: '10s', interval: '200ms' } },
          docker: { runtime: 'scratch' },
          environments: { dock: { type: 'docker', knownHostsFile: 'known_hosts', sshConfigFile: 'ssh_config', docker: { host: dh.url, network: 'host' } } },
        },
        null,
        2,
      )}\n`,
    );
  });
  after(async () => {
    try {
      await dh?.stop('dockerlogs');
    } finally {
      work.remove();
    }
  });

  it("the running container's last lines with Docker's timestamps; -f moves to the new container after a deploy and resumes after a cut tunnel, every line once", async () => {
    const first = container(await cli(['deploy', 'dock']));
    await say('docker line', 3);
    const r = await cli(['logs', 'dock', '-n', '2']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .map((l) => l.replace(/ \d{4}-\d\d-\d\dT[\d:.]+Z /, ' <time> ')),
      [`${first} | <time> docker line 2`, `${first} | <time> docker line 3`],
    );

    const f = startFollowingCli(dir, ['logs', 'dock', '-f', '-n', '0'], goEnv());
    let second = '';
    try {
      await untilFollowing(f, (l) => say(l), 'ready');
      await say('on-first');
      await f.waitForLine(/\| \S+ on-first$/);
      setDeployappBuild(dir, 'logs-2');
      second = container(await cli(['deploy', 'dock']));
      await say('on-second');
      await f.waitForLine(new RegExp(`^${second} +\\| \\S+ on-second$`));
      await cutConnections(h);
      await say('tunnel-gap', 3);
      await f.waitForLine(/-- reconnected to the engine/);
      await say('after-cut');
      await f.waitForLine(/\| \S+ after-cut$/);
      await f.waitForLine(/\| \S+ tunnel-gap 3$/);
    } finally {
      assert.equal(await f.stop(), 0, f.stderr());
    }
    const lines = f.lines();
    for (const l of ['on-first', 'on-second', 'after-cut', 'tunnel-gap 1', 'tunnel-gap 2', 'tunnel-gap 3'])
      assert.equal(count(lines, new RegExp(` ${l}$`)), 1, `"${l}":\n${lines.join('\n')}`);
    assert.ok(
      lines.some((l) => l.startsWith(`${first} `) && / on-first$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.filter((l) => / (after-cut|tunnel-gap \d)$/.test(l)).every((l) => l.startsWith(`${second} `)),
      lines.join('\n'),
    );
  });
});

describe('godeploy logs: usage errors say what is wrong', () => {
  const work = tempDir('logs-usage');
  after(() => work.remove());
  it('-n, --since and --grep that cannot be read: exit 2 naming the value', async () => {
    writeFileSync(join(work.path, 'godeploy.yaml'), 'app:\n  name: x\n  port: 8080\nenvironments:\n  dev:\n    type: local\n');
    const cases: [string[], RegExp][] = [
      [['-n', 'many'], /-n "many" is not a number of lines/],
      [['--since', 'last week'], /--since "last week" is neither a duration nor a date\n {2}hint: write 90s, 10m/],
      [['--grep', '(unclosed'], /--grep "\(unclosed" is not a regular expression: /],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(work.path, ['logs', 'dev', ...args], goEnv());
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, re);
    }
  });
});
