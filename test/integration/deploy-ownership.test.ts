// Go Deploy touches only what it made, on this machine (`type: local`) and on a real systemd
// host, through the CLI: a base folder holding someone else's files is refused (naming a few
// of them), pruning leaves foreign entries in releases/ alone (Capistrano-style folders
// included), symlinked releases/, shared/, .godeploy/ and symlinks planted where Go Deploy
// writes are refused, never written through; a file named current is refused, not
// replaced; a missing shared/ is made again (and doctor fails on it); a deployment of an
// earlier Go Deploy (no mark) is adopted. After each case the foreign files, and the files
// symlinks point at, are byte for byte and timestamp for timestamp as before.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyDeployapp, remoteOk } from './fixtures/deployApp';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, killProcessesUnder, onExit, tempDir } from './fixtures/util';

/** Where the cases run: this machine or the systemd host. */
interface Target {
  label: string;
  /** A shell command on the target; fails the test unless it exits 0; its trimmed stdout. */
  sh(cmd: string): Promise<string>;
  /** The base folder of case `name` (plain characters only: the cases paste it into commands). */
  base(name: string): string;
  /** godeploy.yaml for `base`, environment dev, a fresh port. */
  configure(base: string, keepReleases?: number): Promise<void>;
  cli(args: string[]): Promise<CliRun>;
}

// fp PATH…: per path, its type, and for files their sha256, size and mtime (ns); folders are walked.
const FINGERPRINT = `fp() { if [ -L "$1" ]; then echo "$1 link $(readlink "$1")"; elif [ -f "$1" ]; then echo "$1 file $(sha256sum < "$1" | cut -c1-16) $(stat -c "%s %y" "$1")"; elif [ -d "$1" ]; then echo "$1 dir"; else echo "$1 absent"; fi; }
for p in "$@"; do
  if [ -d "$p" ] && [ ! -L "$p" ]; then find "$p" | sort | while read -r f; do fp "$f"; done; else fp "$p"; fi
done`;

function ownershipCases(label: string, setup: () => Promise<Target>, opts: { processFiles: boolean }): void {
  describe(`only what Go Deploy made is touched: ${label}`, function () {
    this.timeout(600_000);
    let t: Target;
    before(async () => {
      t = await setup();
    });

    const fingerprint = (paths: string[]): Promise<string> => t.sh(`sh -c '${FINGERPRINT}' sh ${paths.join(' ')}`);
    /** A folder outside every base with files a deploy must never change. */
    const outside = async (name: string): Promise<string> => {
      const o = `${t.base(name)}-outside`;
      await t.sh(
        `mkdir -p ${o}/sub && printf 'a\\n' > ${o}/a.conf && printf 'b\\n' > ${o}/b.conf && printf 'c\\n' > ${o}/c.conf && printf 'x\\n' > ${o}/sub/x`,
      );
      return o;
    };
    const deploy = async (...extra: string[]): Promise<CliRun> => t.cli(['deploy', 'dev', ...extra]);
    const deployOk = async (...extra: string[]): Promise<CliRun> => {
      const r = await deploy(...extra);
      assert.equal(r.code, 0, `${r.out}${r.err}`);
      return r;
    };
    /** A deploy that must be refused: exit 1, the path and the reason in the output. */
    const refused = async (message: RegExp): Promise<CliRun> => {
      const r = await deploy();
      assert.equal(r.code, 1, `${r.out}${r.err}`);
      assert.match(`${r.out}${r.err}`, message);
      return r;
    };
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

    it('a base folder holding foreign files (and a Capistrano layout) is refused, naming them; doctor fails; nothing is touched', async () => {
      const b = t.base('foreign');
      await t.sh(
        `mkdir -p ${b}/b-notes ${b}/releases/20190101120001 ${b}/shared && printf 1 > ${b}/a-important.txt && printf 2 > ${b}/2019-report.pdf && printf 3 > ${b}/releases/20190101120001/app && printf 4 > ${b}/shared/deployapp.env && ln -s ${b}/releases/20190101120001 ${b}/current`,
      );
      await t.configure(b);
      const before = await fingerprint([b]);
      const r = await refused(
        new RegExp(
          `${esc(b)} is not empty and not a Go Deploy base \\(no \\.godeploy/base\\.json\\); it holds 2019-report\\.pdf, a-important\\.txt, b-notes, current, releases, …: choose an empty folder for path, or move those entries away`,
        ),
      );
      assert.match(`${r.out}${r.err}`, /hint: choose an empty folder/);
      assert.equal(await fingerprint([b]), before);
      const doc = await t.cli(['doctor', 'dev']);
      assert.equal(doc.code, 1);
      assert.match(doc.out, new RegExp(`FAIL base folder +${esc(b)} is not empty and not a Go Deploy base`));
      assert.equal(await fingerprint([b]), before);
    });

    it("pruning removes only Go Deploy's releases: foreign files, folders and Capistrano-style folders in releases/ stay", async () => {
      const b = t.base('prune');
      await t.configure(b, 1);
      await deployOk();
      const foreign = ['a-important.txt', 'b-notes', '2019-report.pdf', 'zz-keep.txt', '20190101120001', '20190101120002'].map((n) => `${b}/releases/${n}`);
      await t.sh(
        `cd ${b}/releases && printf 1 > a-important.txt && mkdir -p b-notes 20190101120001 20190101120002 && printf 2 > b-notes/n && printf 3 > 2019-report.pdf && printf 4 > zz-keep.txt && printf 5 > 20190101120001/app`,
      );
      const before = await fingerprint(foreign);
      await deployOk('--force');
      const r = await deployOk('--force');
      const finish = /finish: [^\n]*/.exec(r.out)?.[0] ?? '';
      assert.match(finish, /; removed \d{8}T\d{6}\.\d{3}Z-[^ ,]+( \(|$)/, `only one Go Deploy release removed: ${r.out}`);
      assert.equal(await fingerprint(foreign), before);
      const left = (await t.sh(`ls -A ${b}/releases`)).split('\n').sort();
      assert.deepEqual(
        left.filter((n) => !/^\d{8}T\d{6}\.\d{3}Z-/.test(n)),
        ['2019-report.pdf', '20190101120001', '20190101120002', 'a-important.txt', 'b-notes', 'zz-keep.txt'],
      );
      assert.equal(left.length, 8, 'keepReleases 1: the live and the previous release');
    });

    for (const part of ['releases', 'shared', '.godeploy'] as const) {
      it(`${part} as a symlink to another folder is refused, naming it; that folder is untouched`, async () => {
        const name = `link${part.replace('.', '-')}`;
        const b = t.base(name);
        const o = await outside(name);
        await t.configure(b);
        await deployOk();
        const before = await fingerprint([o]);
        await t.sh(`mv ${b}/${part} ${b}/${part}.real && ln -s ${o} ${b}/${part}`);
        await refused(new RegExp(`${esc(`${b}/${part}`)} is a symlink \\(to ${esc(o)}\\): Go Deploy does not write through symlinks`));
        assert.equal(await fingerprint([o]), before);
      });
    }

    const planted = opts.processFiles
      ? [
          'shared/deployapp.pid.tmp',
          'shared/deployapp.pid',
          'shared/logs/deployapp.log',
          '.godeploy/history.jsonl',
          'shared/deployapp.env',
          'shared/.deployapp.env.tmp',
        ]
      : ['.godeploy/history.jsonl', 'shared/deployapp.env', 'shared/.deployapp.env.tmp', '.godeploy/lock'];
    it(`symlinks planted where Go Deploy writes (${planted.join(', ')}) are refused one by one; their targets keep their bytes and times`, async () => {
      const b = t.base('planted');
      const o = await outside('planted');
      await t.configure(b);
      await deployOk();
      for (const p of planted) {
        const before = await fingerprint([o]);
        await t.sh(`if [ -e ${b}/${p} ]; then mv ${b}/${p} ${b}/${p}.real; fi; ln -s ${p.endsWith('lock') ? o : `${o}/a.conf`} ${b}/${p}`);
        await refused(new RegExp(`${esc(`${b}/${p}`)} is a symlink \\(to ${esc(o)}`));
        assert.equal(await fingerprint([o]), before, p);
        await t.sh(`rm ${b}/${p}; if [ -e ${b}/${p}.real ]; then mv ${b}/${p}.real ${b}/${p}; fi`);
      }
      await deployOk();
    });

    it('a regular file named current is refused, not replaced', async () => {
      const b = t.base('currentfile');
      await t.configure(b);
      await deployOk();
      await t.sh(`rm ${b}/current && printf 'mine\\n' > ${b}/current`);
      const before = await fingerprint([`${b}/current`]);
      await refused(new RegExp(`${esc(b)}/current is a file, not the symlink Go Deploy keeps there: Go Deploy will not replace it; move it away`));
      assert.equal(await fingerprint([`${b}/current`]), before);
    });

    it('releases/ present but shared/ missing: doctor fails with a hint, the deploy makes it again and succeeds', async () => {
      const b = t.base('noshared');
      await t.configure(b);
      await deployOk();
      await t.sh(`rm -rf ${b}/shared`);
      const doc = await t.cli(['doctor', 'dev']);
      assert.equal(doc.code, 1, doc.out);
      assert.match(doc.out, new RegExp(`FAIL base folder +${esc(b)}/shared, ${esc(b)}/shared/logs are missing`));
      assert.match(doc.out, /hint: the service's env file and logs live there: `godeploy deploy ENV`/);
      const r = await deployOk();
      assert.match(r.out, new RegExp(`${esc(b)}/shared was missing: made it again`));
      assert.equal(await t.sh(`test -f ${b}/shared/deployapp.env && test -d ${b}/shared/logs && echo ok`), 'ok');
    });

    it('a deployment of an earlier Go Deploy (no mark, current → releases/<id>) is adopted and marked', async () => {
      const b = t.base('legacy');
      await t.configure(b);
      await deployOk();
      await t.sh(`rm ${b}/.godeploy/base.json ${b}/.godeploy/history.jsonl`);
      const doc = await t.cli(['doctor', 'dev']);
      assert.match(doc.out, /ok {3}base folder +.* holds a deployment of an earlier Go Deploy/);
      const r = await deployOk();
      assert.match(r.out, /marked the deployment of an earlier Go Deploy in .* as this app's base \(\.godeploy\/base\.json\)/);
      assert.match(await t.sh(`cat ${b}/.godeploy/base.json`), /^\{"app":"deployapp","adoptedAt":"[^"]+","adopted":"legacy"/);
    });
  });
}

const local = tempDir('deploy-ownership');
const moduleDir = join(local.path, 'app');
const killLocalServices = (): void => killProcessesUnder(local.path);
const removeExitHook = onExit(killLocalServices);
after(() => {
  killLocalServices();
  removeExitHook();
  local.remove();
});

const shLocal = (cmd: string): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile('sh', ['-c', cmd], (e, stdout, stderr) => (e ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(stdout.trim())));
  });
const yaml = (port: number, env: Record<string, unknown>): string =>
  `${JSON.stringify({ app: { name: 'deployapp', port, healthCheck: { path: '/healthz', timeout: '10s', interval: '250ms' } }, environments: { dev: env } }, null, 2)}\n`;

ownershipCases(
  'this machine (type: local)',
  async () => {
    copyDeployapp(moduleDir, []);
    return {
      label: 'local',
      sh: shLocal,
      base: (name) => join(local.path, name, 'base'),
      configure: async (base, keepReleases) => {
        writeFileSync(join(moduleDir, 'godeploy.yaml'), yaml(await freePort(), { type: 'local', path: base, ...(keepReleases ? { keepReleases } : {}) }));
      },
      cli: (args) => runCli(moduleDir, args, goEnv()),
    };
  },
  { processFiles: true },
);

describe('on a real systemd host', function () {
  this.timeout(600_000);
  let host: SystemdHost | undefined;
  const work = tempDir('deploy-ownership-ssh');
  after(async () => {
    await host?.stop();
    work.remove();
  });
  ownershipCases(
    'a systemd host over ssh',
    async () => {
      host = await startSystemdHost();
      const h = host;
      copyDeployapp(work.path, [h]);
      return {
        label: 'systemd',
        sh: (cmd) => remoteOk(h, cmd),
        base: (name) => `/opt/own-${name}`,
        configure: async (base, keepReleases) => {
          writeFileSync(
            join(work.path, 'godeploy.yaml'),
            yaml(await freePort(), {
              type: 'ssh',
              hosts: [{ host: '127.0.0.1', port: h.port, user: 'root', identityFile: h.identityFile }],
              knownHostsFile: 'known_hosts',
              path: base,
              ...(keepReleases ? { keepReleases } : {}),
            }),
          );
        },
        cli: (args) => runCli(work.path, args, goEnv()),
      };
    },
    { processFiles: false },
  );
});
