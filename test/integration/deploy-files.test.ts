// app.files and app.shared end to end on a `type: local` environment through the CLI, with
// the shop fixture's api (it serves the release's config/app.yaml and writes uploads to
// ./storage/uploads): a config file ships and changes with the release and a rollback brings
// the old one back; an unchanged file is linked from the earlier release (the files step says
// "reused", and the release's file is the same inode as the earlier one's: nothing was sent);
// a templated file gets its ${env:} value; the uploads folder (app.shared) survives three
// deploys and a rollback; --dry-run lists the files step.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModules } from '../support/paths';
import { runCli, type CliRun } from './fixtures/cli';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, killProcessesUnder, onExit, sleep, tempDir } from './fixtures/util';
import { releaseId } from '../../src/core/release/releaseId';

describe('app.files and app.shared on this machine (type: local) through the CLI', function () {
  this.timeout(600_000);
  const work = tempDir('deploy-files');
  const dir = join(work.path, 'shop');
  const base = join(work.path, 'base');
  let port = 0;
  const kill = (): void => killProcessesUnder(base);
  const removeExitHook = onExit(kill);
  after(() => {
    kill();
    removeExitHook();
    work.remove();
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => runCli(dir, args, goEnv(env));
  const releases = (): string[] =>
    existsSync(join(base, 'releases'))
      ? readdirSync(join(base, 'releases'))
          .filter((n) => !n.startsWith('.'))
          .sort()
      : [];
  /** Release ids have one-second resolution: each deploy starts in a later second. */
  const laterSecond = async (): Promise<void> => {
    const latest = releases()
      .map((id) => id.slice(0, 16))
      .sort()
      .pop();
    while (latest && releaseId(new Date(), 'x').slice(0, 16) <= latest) await sleep(50);
  };
  const deploy = async (env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<{ id: string; out: string }> => {
    await laterSecond();
    const r = await cli(['deploy', 'dev', ...extra], env);
    assert.equal(r.code, 0, `deploy failed:\n${r.out}${r.err}`);
    return { id: /^deploy (\S+) to dev: /m.exec(r.out)?.[1] ?? '', out: r.out };
  };
  const served = async (): Promise<{ config: string; greeting: string }> => {
    const r = await httpGet(port, '/');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as { config: string; greeting: string };
  };
  const upload = async (name: string): Promise<void> => {
    const r = await httpGet(port, `/upload?name=${name}&data=${name}-data`);
    assert.equal(r.status, 200, r.body);
  };
  const uploads = async (): Promise<string[]> => {
    const r = await httpGet(port, '/uploads');
    assert.equal(r.status, 200, r.body);
    return r.body.trim().split('\n').filter(Boolean).sort();
  };
  const writeConfig = (text: string): void => writeFileSync(join(dir, 'config', 'app.yaml'), text);
  const SECRET_FREE_VALUE = 'greetings-from-the-environment';

  before(async () => {
    cpSync(join(fixtureModules, 'shop'), dir, { recursive: true });
    port = await freePort();
    // A templated file of the test's own (the fixture is not changed).
    writeFileSync(join(dir, 'config', 'motd.txt'), 'motd: ${env:SHOP_MOTD} ($$ stays one dollar)\n');
    const config = {
      app: {
        name: 'shop',
        main: './cmd/api',
        port,
        healthCheck: { path: '/healthz' },
        files: ['config/app.yaml', { from: 'config/motd.txt', to: 'etc/', template: true }],
        shared: ['storage/uploads'],
      },
      environments: { dev: { type: 'local', path: base } },
    };
    writeFileSync(join(dir, 'godeploy.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  });

  const ids: string[] = [];

  it('--dry-run lists the files step: each file with its size, and the shared folder', async () => {
    const r = await cli(['deploy', 'dev', '--dry-run']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      /place 2 files of app\.files: config\/app\.yaml \(\d+ B\), etc\/motd\.txt \(\d+ B\); link storage\/uploads -> .*\/shared\/storage\/uploads \(app\.shared\)/,
    );
  });

  it('first deploy: the config file ships in the release, the templated file gets its ${env:} value, storage/uploads links to shared/', async () => {
    writeConfig('greeting: version one\n');
    const r = await deploy({ SHOP_MOTD: SECRET_FREE_VALUE });
    ids.push(r.id);
    assert.match(r.out, /^\[local\] files: 2 files: 2 uploaded \(.*\), 0 reused; 1 shared folder linked \(\d+\.\d s\)$/m, r.out);
    assert.equal((await served()).config, 'greeting: version one\n');
    const rel = join(base, 'releases', r.id);
    assert.equal(readFileSync(join(rel, 'etc', 'motd.txt'), 'utf8'), `motd: ${SECRET_FREE_VALUE} ($ stays one dollar)\n`);
    assert.equal(readlinkSync(join(rel, 'storage', 'uploads')), '../../../shared/storage/uploads');
    assert.ok(lstatSync(join(base, 'shared', 'storage', 'uploads')).isDirectory());
    await upload('a');
    assert.deepEqual(await uploads(), ['a']);
  });

  it('second deploy after editing config/app.yaml: the api answers the new text; only the changed file is sent', async () => {
    writeConfig('greeting: version two\n');
    const r = await deploy({ SHOP_MOTD: SECRET_FREE_VALUE });
    ids.push(r.id);
    assert.match(r.out, /^\[local\] files: 2 files: 1 uploaded \(.*\), 1 reused; 1 shared folder linked \(\d+\.\d s\)$/m, r.out);
    assert.equal((await served()).config, 'greeting: version two\n');
    // The unchanged templated file is the earlier release's file, linked (same inode): not sent again.
    assert.equal(statSync(join(base, 'releases', ids[1], 'etc', 'motd.txt')).ino, statSync(join(base, 'releases', ids[0], 'etc', 'motd.txt')).ino);
    assert.notEqual(statSync(join(base, 'releases', ids[1], 'config', 'app.yaml')).ino, statSync(join(base, 'releases', ids[0], 'config', 'app.yaml')).ino);
    assert.deepEqual(await uploads(), ['a'], 'the upload of the first release is still there');
    await upload('b');
  });

  it('a deploy with nothing changed is "nothing to do" (the live release has these files); with --force both files are reused (same inodes)', async () => {
    const same = await cli(['deploy', 'dev'], { SHOP_MOTD: SECRET_FREE_VALUE });
    assert.equal(same.code, 0, same.out + same.err);
    assert.match(same.out, /nothing to do/);
    const r = await deploy({ SHOP_MOTD: SECRET_FREE_VALUE }, ['--force']);
    ids.push(r.id);
    assert.match(r.out, /^\[local\] files: 2 files: 0 uploaded \(0 B.*\), 2 reused; 1 shared folder linked \(\d+\.\d s\)$/m, r.out);
    for (const f of ['config/app.yaml', 'etc/motd.txt'])
      assert.equal(statSync(join(base, 'releases', ids[2], f)).ino, statSync(join(base, 'releases', ids[1], f)).ino, f);
    assert.equal((await served()).config, 'greeting: version two\n');
    assert.deepEqual(await uploads(), ['a', 'b']);
    await upload('c');
  });

  it('rollback to the first release: the old config text is back, and every upload is still there', async () => {
    const r = await cli(['rollback', 'dev', '--to', ids[0]]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal((await served()).config, 'greeting: version one\n');
    assert.deepEqual(await uploads(), ['a', 'b', 'c']);
    assert.deepEqual(readdirSync(join(base, 'shared', 'storage', 'uploads')).sort(), ['a', 'b', 'c']);
  });

  it('a templated file whose ${env:} variable is not set fails the deploy before anything changes, naming the file', async () => {
    await laterSecond();
    const r = await cli(['deploy', 'dev'], { SHOP_MOTD: undefined });
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /app\.files\[1\] \(config\/motd\.txt\): environment variable SHOP_MOTD is not set/);
    assert.equal(readlinkSync(join(base, 'current')), `releases/${ids[0]}`);
  });
});
