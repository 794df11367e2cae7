// `godeploy deploy|rollback|status|releases` against a real systemd host (systemd-nspawn,
// OpenSSH on loopback), end to end through the CLI: the unit installed and running, the
// atomic release layout, the health gate and automatic rollback, pruning, hooks, quoting
// of odd env values and an odd base path, and a secret that reaches the service but nothing else.
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { copyDeployapp, remoteOk, setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, run, tempDir, type RunResult } from './fixtures/util';

const cli = join(repoRoot, 'out', 'src', 'cli', 'main.js');
const CANARY = `canary-${Math.random().toString(36).slice(2)}-s3cr3t`;
// The base folder holds spaces, $(…), backticks, $HOME and parentheses (quotes are refused for
// systemd, which cannot run them; the supervisor suite has them): every remote command, the unit
// file and the hooks must carry it intact (and never run it).
const BASE = `/opt/deploy app/$(touch /tmp/pwned-path) \`id\` $HOME (x)`;
const Q = `'${BASE.replace(/'/g, `'\\''`)}'`;
const ODD = `it's "odd" $(touch /tmp/pwned) \`id\` $HOME \\ back\nslash line two`;

interface Info {
  build: string;
  version: string;
  pid: number;
  cwd: string;
  exe: string;
  env: Record<string, string>;
}

describe('deploy to a real systemd host (CLI, ssh, systemd)', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-systemd');
  let host: SystemdHost;
  let port: number;
  const releasesSeen: string[] = [];

  const godeploy = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
    run(process.execPath, [cli, '-C', work.path, ...args], { timeoutMs: 300_000, env: goEnv({ CANARY, ...env }) });
  const remote = (cmd: string): Promise<string> => remoteOk(host, cmd);
  const info = async (): Promise<Info> => {
    const r = await httpGet(port, '/info?env=ODD&env=SECRET&env=PLAIN');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as Info;
  };
  const live = () => remote(`readlink ${Q}/current`);
  const writeConfig = (extra: { env?: string[]; hooks?: string[]; healthTimeout?: string } = {}): void => {
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck:',
        '    path: /healthz',
        `    timeout: ${extra.healthTimeout ?? '20s'}`,
        '    interval: 250ms',
        '  env:',
        '    PLAIN: plain value',
        `    ODD: ${JSON.stringify(ODD)}`,
        '    SECRET: ${secret:CANARY}',
        'build:',
        '  ldflags: "-s -w -X main.version={{.Version}}"',
        'environments:',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        `      - host: 127.0.0.1\n        port: ${host.port}\n        user: root\n        identityFile: ${host.identityFile}`,
        '    knownHostsFile: known_hosts',
        `    path: ${JSON.stringify(BASE)}`,
        '    keepReleases: 3',
        ...(extra.env?.length ? ['    env:', ...extra.env.map((l) => `      ${l}`)] : []),
        ...(extra.hooks ?? []).map((l) => `    ${l}`),
        '',
      ].join('\n'),
    );
  };
  const setBuild = (b: string): void => setDeployappBuild(work.path, b);
  const deployOk = async (what: string, env: NodeJS.ProcessEnv = {}, flags: string[] = []): Promise<RunResult> => {
    const r = await godeploy(['deploy', 'prod', ...flags], env);
    assert.equal(r.code, 0, `${what}: ${r.stdout}\n${r.stderr}`);
    const id = /live on (\S+)/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    releasesSeen.push(id);
    return r;
  };

  before(async () => {
    host = await startSystemdHost();
    port = await freePort();
    copyDeployapp(work.path, [host]);
    writeConfig();
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  it('--dry-run prints every step and changes nothing on the host', async () => {
    const r = await godeploy(['deploy', 'prod', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    for (const step of [
      'preflight',
      'deploy lock',
      'place deployapp',
      'mode 0600',
      '/etc/systemd/system/deployapp.service',
      'current',
      'restart deployapp.service',
      `http://127.0.0.1:${port}/healthz`,
      'history.jsonl',
      'newest 3 releases',
    ]) {
      assert.ok(r.stdout.includes(step), `dry run lacks "${step}":\n${r.stdout}`);
    }
    assert.ok(!r.stdout.includes(CANARY), 'the secret is in the plan');
    assert.equal((await host.exec(`test -e ${Q}`)).code, 1, 'dry run created the base folder');
  });

  it('first deploy: unit installed and active, current → the release, env file 0600, /info answers with the odd value and the secret intact', async () => {
    let psLog = '';
    let watching = true;
    // Watch the host's process list during the deploy: the secret must never be in an argv.
    const watcher = (async () => {
      while (watching) {
        psLog += (await host.exec('ps -eo args')).stdout;
      }
    })();
    const r = await deployOk('first deploy');
    watching = false;
    await watcher;
    assert.match(r.stdout, /\[127\.0\.0\.1\] binary: uploaded/);
    assert.match(r.stdout, /health: healthy after/);
    assert.equal(await live(), `releases/${releasesSeen[0]}`);
    assert.equal(await remote('systemctl is-active deployapp.service'), 'active');
    assert.equal(await remote('systemctl is-enabled deployapp.service'), 'enabled');
    assert.equal(await remote(`stat -c %a ${Q}/shared/deployapp.env`), '600');
    const i = await info();
    assert.equal(i.build, 'build-0');
    assert.equal(i.env.ODD, ODD);
    assert.equal(i.env.PLAIN, 'plain value');
    assert.equal(i.env.SECRET, CANARY);
    assert.equal(i.cwd, `${BASE}/releases/${releasesSeen[0]}`);
    assert.equal(i.exe, `${BASE}/releases/${releasesSeen[0]}/deployapp`);
    assert.equal((await host.exec('test -e /tmp/pwned')).code, 1, 'a $(…) in an env value ran');
    assert.equal((await host.exec('test -e /tmp/pwned-path')).code, 1, 'a $(…) in the base path ran');
    assert.ok(psLog.includes('sh -c') || psLog.length > 0);
    assert.ok(!psLog.includes(CANARY), 'the secret appeared in a process argv on the host');
    assert.ok(!r.stdout.includes(CANARY) && !r.stderr.includes(CANARY), 'the secret is in the CLI output');
    // No file on the host holds the secret except the 0600 env files; the journal neither.
    const holders = (await host.exec(`grep -rlF -- '${CANARY}' /opt /etc /var/log /tmp /root 2>/dev/null; true`)).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();
    assert.deepEqual(holders, [`${BASE}/releases/${releasesSeen[0]}/deployapp.env`, `${BASE}/shared/deployapp.env`].sort());
    for (const f of holders) assert.equal(await remote(`stat -c %a '${f}'`), '600');
    assert.equal((await host.exec(`journalctl --no-pager | grep -cF -- '${CANARY}'`)).stdout.trim(), '0');
    const history = (await remote(`cat ${Q}/.godeploy/history.jsonl`)).split('\n').map((l) => JSON.parse(l) as { release: string; result: string });
    assert.deepEqual(
      history.map((h) => [h.release, h.result]),
      [[releasesSeen[0], 'live']],
    );
    assert.equal(await remote(`test -e ${Q}/.godeploy/lock && echo held || echo free`), 'free');
  });

  it('an unchanged redeploy changes nothing: no new release, no restart, exit 0', async () => {
    const before = await info();
    const r = await godeploy(['deploy', 'prod']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`switch: skip ${releasesSeen[0]} is live with this executable, env file and service definition, and healthy`));
    assert.match(r.stdout, /nothing to do, every host already runs this build with this environment \(--force redeploys\)/);
    assert.equal(await live(), `releases/${releasesSeen[0]}`);
    assert.equal((await info()).pid, before.pid, 'the service was restarted');
    assert.equal(await remote(`ls ${Q}/releases | wc -l`), '1');
  });

  it('--force redeploys the same build: a new release links the executable from the earlier one instead of uploading it', async () => {
    const r = await deployOk('unchanged redeploy', {}, ['--force']);
    assert.match(r.stdout, /binary: linked from release (\S+) \(same sha256, nothing uploaded\)/);
    assert.match(r.stdout, /deployapp\.service unchanged/);
    const [a, b] = releasesSeen.slice(-2).map((id) => `${Q}/releases/${id}/deployapp`);
    assert.equal(await remote(`stat -c %i ${a}`), await remote(`stat -c %i ${b}`));
    assert.equal((await info()).build, 'build-0');
  });

  it('a changed build goes as a delta against the live executable, arrives exact and serves; status reports it running and healthy', async () => {
    setBuild('build-1');
    const before = releasesSeen[releasesSeen.length - 1];
    const r = await deployOk('changed build');
    const m = /binary: uploaded (\S+ \S+) of (\S+ \S+) \(the rest from release (\S+)'s executable\), sha256 checked on the host/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[3], before);
    const bytes = (t: string): number => {
      const [n, u] = t.split(' ');
      return Number(n) * ({ B: 1, kB: 1e3, MB: 1e6 } as Record<string, number>)[u];
    };
    assert.ok(bytes(m[1]) < bytes(m[2]) / 2, `a one-line change sent ${m[1]} of ${m[2]}`);
    const built = JSON.parse(readFileSync(join(work.path, 'dist', 'deploy', 'prod', 'build.json'), 'utf8')) as {
      artifacts: { sha256: string; size: number }[];
    };
    const id = releasesSeen[releasesSeen.length - 1];
    assert.equal((await remote(`sha256sum ${Q}/releases/${id}/deployapp`)).split(' ')[0], built.artifacts[0].sha256);
    const last = JSON.parse(await remote(`tail -n 1 ${Q}/.godeploy/history.jsonl`)) as { binary: string };
    assert.equal(last.binary, 'delta');
    assert.equal(await remote(`ls -a ${Q}/releases/${id} | grep -c -e literal -e upload || true`), '0');
    assert.equal((await info()).build, 'build-1');
    const s = await godeploy(['status', 'prod', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const st = JSON.parse(s.stdout) as {
      hosts: { live: string; service: { running: boolean; state: string; uptimeSeconds: number | null }; health: { healthy: boolean } }[];
    };
    assert.equal(st.hosts[0].live, releasesSeen[releasesSeen.length - 1]);
    assert.equal(st.hosts[0].service.running, true);
    assert.match(st.hosts[0].service.state, /^active/);
    assert.equal(typeof st.hosts[0].service.uptimeSeconds, 'number');
    assert.equal(st.hosts[0].health.healthy, true);
  });

  it('a release that fails its health gate is rolled back automatically: exit 1, its last log lines, the previous release answers', async () => {
    setBuild('build-2');
    writeConfig({ env: ['DEPLOYAPP_FAIL_HEALTH: "1"'], healthTimeout: '4s' });
    const before = await live();
    const r = await godeploy(['deploy', 'prod']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /failing the health check on purpose/, "the failed release's log lines are shown");
    assert.match(r.stdout, /rolled back to/);
    assert.equal(await live(), before);
    const i = await info();
    assert.equal(i.build, 'build-1');
    assert.equal(i.env.DEPLOYAPP_FAIL_HEALTH, undefined, 'the old release got the new env file');
    const last = JSON.parse(await remote(`tail -n 1 ${Q}/.godeploy/history.jsonl`)) as { result: string };
    assert.equal(last.result, 'rolled-back');
    assert.equal(await remote(`test -e ${Q}/.godeploy/lock && echo held || echo free`), 'free');
    writeConfig();
  });

  it('rollback goes to the previous release, --to to a named one, an unknown id is refused', async () => {
    const [first, , third] = releasesSeen;
    assert.equal(await live(), `releases/${third}`);
    const r = await godeploy(['rollback', 'prod']);
    assert.equal(
      r.code,
      0,
      `${r.stdout}${r.stderr}\n${(await host.exec(`grep -r . ${Q}/releases/*/deployapp.env ${Q}/shared/deployapp.env; ls -la ${Q}/releases/*`)).stdout}`,
    );
    assert.equal(await live(), `releases/${releasesSeen[1]}`);
    assert.equal((await info()).build, 'build-0');
    const to = await godeploy(['rollback', 'prod', '--to', third]);
    assert.equal(to.code, 0, to.stdout + to.stderr);
    assert.equal((await info()).build, 'build-1');
    const bad = await godeploy(['rollback', 'prod', '--to', '20200101T000000Z-nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, /no release 20200101T000000Z-nope/);
    void first;
  });

  it('keeps keepReleases (3) releases, never the live or previous one; releases lists them with the live one marked', async () => {
    setBuild('build-3');
    await deployOk('deploy 4');
    await deployOk('deploy 5');
    const ids = (await remote(`ls -1 ${Q}/releases`)).split('\n');
    assert.equal(ids.length, 3, ids.join(' '));
    assert.ok(ids.includes(releasesSeen[releasesSeen.length - 1]));
    const list = await godeploy(['releases', 'prod']);
    assert.match(list.stdout, new RegExp(`\\* ${releasesSeen[releasesSeen.length - 1]}.*\\(live\\)`));
  });

  it('hooks: preDeploy runs in the new release with its environment before the switch; a failing one stops the deploy before the switch', async () => {
    writeConfig({
      hooks: [
        'hooks:',
        '  preDeploy:',
        '    - printf "%s|%s" "$PWD" "$PLAIN" > /tmp/pre-hook',
        '  postDeploy:',
        `    - ${JSON.stringify(`readlink ${Q}/current > /tmp/post-hook`)}`,
      ],
    });
    // Only the hooks changed: the build is already live, so --force makes a release for them to run in.
    await deployOk('deploy with hooks', {}, ['--force']);
    const id = releasesSeen[releasesSeen.length - 1];
    assert.equal(await remote('cat /tmp/pre-hook'), `${BASE}/releases/${id}|plain value`);
    assert.equal(await remote('cat /tmp/post-hook'), `releases/${id}`);
    const before = await live();
    writeConfig({ hooks: ['hooks:', '  preDeploy:', '    - echo migration failed >&2; exit 3'] });
    const r = await godeploy(['deploy', 'prod', '--force']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /hooks\.preDeploy\[0\].*failed with exit 3/);
    assert.match(r.stdout, /migration failed/);
    assert.equal(await live(), before);
    assert.equal(await remote(`ls -a ${Q}/releases | grep -c partial || true`), '0');
    writeConfig();
  });

  it('host keys: an unknown key is refused without --accept-new-host-key, a changed key always', async () => {
    writeFileSync(join(work.path, 'known_hosts'), '');
    const unknown = await godeploy(['deploy', 'prod']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout + unknown.stderr, /SHA256:/);
    writeFileSync(
      join(work.path, 'known_hosts'),
      `[127.0.0.1]:${host.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ\n`,
    );
    const changed = await godeploy(['deploy', 'prod', '--accept-new-host-key']);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout + changed.stderr, /CHANGED/);
    cpSync(host.knownHostsFile, join(work.path, 'known_hosts'));
  });

  it('a second deploy while one runs is refused with "locked by"', async () => {
    // A slow preDeploy hook keeps the first one holding the lock.
    writeConfig({ hooks: ['hooks:', '  preDeploy:', '    - sleep 6'] });
    const a = godeploy(['deploy', 'prod', '--force']);
    // Start the second once the first holds the lock.
    for (let i = 0; i < 200 && (await host.exec(`test -d ${Q}/.godeploy/lock`)).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const b = await godeploy(['deploy', 'prod', '--force']);
    const ra = await a;
    assert.equal(ra.code, 0, ra.stdout + ra.stderr);
    assert.equal(b.code, 1);
    assert.match(b.stdout + b.stderr, /locked by \S+@\S+ since/);
    writeConfig();
  });

  it('a live executable that is not what this machine built (changed on the host): the delta fails its sha256 check, the whole file goes, the deploy succeeds', async () => {
    // Last: the live release's file is replaced (a new inode; the running process keeps the old one).
    const exe = `${Q}/current/deployapp`;
    await remote(
      `cp ${exe} /tmp/changed && for o in $(seq 0 65536 4000000); do printf x | dd of=/tmp/changed bs=1 seek=$o conv=notrunc status=none; done && mv /tmp/changed ${exe}`,
    );
    setBuild('build-9');
    const r = await deployOk('changed base');
    assert.match(r.stdout, /delta against release \S+: the assembled file had the wrong sha256; uploading the whole executable/);
    assert.match(r.stdout, /binary: uploaded [\d.]+ MB, sha256 checked on the host/);
    assert.equal((await info()).build, 'build-9');
    assert.equal(await remote(`ls -a ${Q}/releases/${releasesSeen[releasesSeen.length - 1]} | grep -c -e literal -e upload || true`), '0');
  });

  it('deltaUpload: false sends the whole executable', async () => {
    writeFileSync(
      join(work.path, 'godeploy.yaml'),
      readFileSync(join(work.path, 'godeploy.yaml'), 'utf8').replace('    keepReleases: 3', '    keepReleases: 3\n    deltaUpload: false'),
    );
    setBuild('build-10');
    const r = await deployOk('no delta');
    assert.match(r.stdout, /binary: uploaded [\d.]+ MB, sha256 checked on the host/);
    assert.doesNotMatch(r.stdout, /the rest from release/);
    assert.equal((await info()).build, 'build-10');
    writeConfig();
  });
});
