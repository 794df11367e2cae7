// app.files and app.shared: where each file of the module lands in the release
// (filesRules.ts), the located config errors, and the resolution at deploy time
// (release/releaseFiles.ts: mode, sha256, templated text with the app.env resolver).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expandReleaseFiles, releaseDestinations } from '../../src/core/config/filesRules';
import { validateConfigText } from '../../src/core/config/load';
import { Redactor } from '../../src/core/config/references';
import { inspectModule } from '../../src/core/gomod/inspect';
import { resolveReleaseFiles, sharedLinkTarget } from '../../src/core/release/releaseFiles';
import { fixtureModules } from '../support/paths';
import { withReleaseFiles } from '../../src/core/targets/docker/releaseImage';

const lineOf = (yaml: string, text: string): number => yaml.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('app.files and app.shared', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'files-rules-'));
    cpSync(path.join(fixtureModules, 'shop'), dir, { recursive: true });
    mkdirSync(path.join(dir, 'templates', 'mail'), { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'a.html'), 'a');
    writeFileSync(path.join(dir, 'templates', 'mail', 'b.html'), 'b');
    writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'run.sh'), 0o755);
    writeFileSync(path.join(dir, 'secret.conf'), 'password=${secret:DB_PASSWORD}\nhome=${env:HOME_URL}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function diagnostics(yaml: string): Promise<string[]> {
    const inspection = await inspectModule(dir);
    return validateConfigText('godeploy.yaml', yaml, inspection).diagnostics.map((d) => `${d.line} ${d.severity}: ${d.message}`);
  }

  describe('destinations', () => {
    const e = (from: string, to: string | null = null) => ({ from, to, template: false });
    it('no to: the same relative path as in the module', () => {
      assert.deepEqual(releaseDestinations(e('config/app.yaml'), ['config/app.yaml']), ['config/app.yaml']);
    });
    it('to naming a file: the file takes that name', () => {
      assert.deepEqual(releaseDestinations(e('config/app.yaml', 'etc/settings.yaml'), ['config/app.yaml']), ['etc/settings.yaml']);
    });
    it('to ending in /: a folder, the file keeps its name', () => {
      assert.deepEqual(releaseDestinations(e('config/app.yaml', 'etc/'), ['config/app.yaml']), ['etc/app.yaml']);
    });
    it('a glob into a folder: each file keeps its path below the glob’s fixed part', () => {
      assert.deepEqual(releaseDestinations(e('templates/**/*.html', 'web'), ['templates/a.html', 'templates/mail/b.html']), ['web/a.html', 'web/mail/b.html']);
    });
    it('expanding the module: a glob, a folder, and what matches nothing', () => {
      const { matches, problems } = expandReleaseFiles(dir, [e('templates/**/*.html'), e('config', 'etc/'), e('nothing/*.txt')], {
        executables: ['shop'],
        envFiles: ['shop.env'],
        shared: [],
      });
      assert.deepEqual(
        matches.map((m) => `${m.from} -> ${m.dest}`),
        ['templates/a.html -> templates/a.html', 'templates/mail/b.html -> templates/mail/b.html', 'config/app.yaml -> etc/app.yaml'],
      );
      assert.equal(problems.length, 1);
      assert.match(problems[0].message, /app\.files\[2\]: "nothing\/\*\.txt" matches no file/);
    });
    it('a shared folder is linked with a relative path from its place in the release', () => {
      assert.equal(sharedLinkTarget('uploads'), '../../shared/uploads');
      assert.equal(sharedLinkTarget('storage/uploads'), '../../../shared/storage/uploads');
    });
  });

  describe('located config errors', () => {
    it('a valid app.files and app.shared has no diagnostic', async () => {
      const yaml =
        'app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - config/*.yaml\n    - from: templates/**\n      to: web/\n  shared:\n    - storage/uploads\n';
      assert.deepEqual(await diagnostics(yaml), []);
    });

    it('a glob that matches nothing: an error at its line', async () => {
      const yaml = 'app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - config/app.yaml\n    - config/*.toml\n';
      assert.deepEqual(await diagnostics(yaml), [`${lineOf(yaml, '*.toml')} error: app.files[1]: "config/*.toml" matches no file in ${dir}`]);
    });

    it('a to that leaves the release (../ or absolute): an error at its line', async () => {
      for (const to of ['../outside.yaml', '/etc/app.yaml', 'etc/../../x']) {
        const yaml = `app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - from: config/app.yaml\n      to: ${to}\n`;
        const found = await diagnostics(yaml);
        assert.equal(found.length, 1, found.join('\n'));
        assert.match(
          found[0],
          new RegExp(`^${lineOf(yaml, 'to:')} error: app\\.files\\[0\\]\\.to: .* (leaves its folder \\(\\.\\.\\)|is absolute): a file goes inside the release`),
        );
      }
    });

    it('a from outside the module: an error at its line', async () => {
      const yaml = 'app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - ../secrets.yaml\n';
      const found = await diagnostics(yaml);
      assert.deepEqual(found, [`${lineOf(yaml, 'secrets')} error: app.files[0]: "../secrets.yaml" leaves its folder (..)`]);
    });

    it('two entries landing on one destination: an error at the second', async () => {
      const yaml = 'app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - config/app.yaml\n    - from: templates/a.html\n      to: config/app.yaml\n';
      assert.deepEqual(await diagnostics(yaml), [
        `${lineOf(yaml, 'to: config')} error: app.files[1]: templates/a.html and config/app.yaml (app.files[0]) would both land on config/app.yaml in the release`,
      ]);
    });

    it('a destination on the executable, the env file, .sha256 or a shared folder: an error at its line', async () => {
      const cases: [string, RegExp][] = [
        ['shop', /where the executable of the same name goes/],
        ['shop.env', /where the release's env file goes/],
        ['.sha256', /a name Go Deploy writes in every release/],
        ['storage/uploads/x', /inside the shared folder storage\/uploads \(app\.shared\)/],
      ];
      for (const [to, why] of cases) {
        const yaml = `app:\n  name: shop\n  main: ./cmd/api\n  files:\n    - from: config/app.yaml\n      to: ${to}\n  shared:\n    - storage/uploads\n`;
        const found = await diagnostics(yaml);
        assert.equal(found.length, 1, found.join('\n'));
        assert.match(found[0], new RegExp(`^${lineOf(yaml, 'to:')} error: app\\.files\\[0\\]: config/app\\.yaml would land on `));
        assert.match(found[0], why);
      }
    });

    it('a shared folder that escapes (..) or is absolute: the schema error names its line', async () => {
      for (const bad of ['../uploads', '/var/uploads', 'storage/../../x']) {
        const yaml = `app:\n  name: shop\n  main: ./cmd/api\n  shared:\n    - storage/uploads\n    - ${bad}\n`;
        const found = await diagnostics(yaml);
        assert.equal(found.length, 1, found.join('\n'));
        assert.match(
          found[0],
          new RegExp(
            `^${lineOf(yaml, bad)} error: app\\.shared\\[1\\]: .* (leaves its folder \\(\\.\\.\\)|is absolute): a shared folder lives under <path>/shared/`,
          ),
        );
      }
    });
  });

  describe('resolution at deploy time', () => {
    const model = (files: { from: string; to: string | null; template: boolean }[]) => ({
      files,
      shared: [],
      processes: [],
      app: { name: 'shop' } as never,
    });

    it('each file: destination, mode (the executable bits kept), size and sha256', async () => {
      const got = await resolveReleaseFiles(dir, model([{ from: 'run.sh', to: 'bin/', template: false }]));
      assert.equal(got.length, 1);
      assert.equal(got[0].dest, 'bin/run.sh');
      assert.equal(got[0].mode, 0o755);
      assert.equal(got[0].size, 10);
      assert.equal(got[0].sha256, createHash('sha256').update('#!/bin/sh\n').digest('hex'));
      assert.equal(got[0].content, null);
    });

    it('a templated file: ${env:}/${secret:} replaced, the secret redacted, the file 0600', async () => {
      const redactor = new Redactor();
      const sources = {
        env: (n: string) => (n === 'HOME_URL' ? 'https://shop.example' : undefined),
        secret: (n: string) => (n === 'DB_PASSWORD' ? 's3cret-pw' : undefined),
      };
      const [f] = await resolveReleaseFiles(dir, model([{ from: 'secret.conf', to: null, template: true }]), sources, redactor);
      assert.equal(f.content?.toString(), 'password=s3cret-pw\nhome=https://shop.example\n');
      assert.equal(f.mode, 0o600);
      assert.equal(f.sha256, createHash('sha256').update(f.content!).digest('hex'));
      assert.equal(redactor.redact('pw is s3cret-pw'), 'pw is ***');
    });

    it('a templated file whose variable is not set: an error naming the entry and the variable', async () => {
      await assert.rejects(
        resolveReleaseFiles(dir, model([{ from: 'secret.conf', to: null, template: true }]), { env: () => undefined, secret: () => 'x' }),
        /app\.files\[0\] \(secret\.conf\): environment variable HOME_URL is not set/,
      );
    });

    it('an untemplated file keeps ${…} as written', async () => {
      const [f] = await resolveReleaseFiles(dir, model([{ from: 'secret.conf', to: null, template: false }]), { env: () => 'x', secret: () => 'y' });
      assert.equal(f.content, null);
      assert.equal(f.mode & 0o077, 0o044 & f.mode);
    });
  });
  describe('in a Docker image', () => {
    it('files under /app, shared folders owned by the runtime user, the working folder /app', () => {
      const file = {
        dest: 'config/app.yaml',
        source: '/m/config/app.yaml',
        from: 'config/app.yaml',
        mode: 0o644,
        size: 1,
        sha256: 'x',
        template: false,
        content: null,
        secret: false,
      };
      const { entries, lines } = withReleaseFiles([file], ['storage/uploads']);
      assert.deepEqual(
        entries.map((e) => `${e.name} ${e.mode.toString(8)}${e.directory ? ' dir' : ''}`),
        ['godeploy-files/config/app.yaml 644', 'godeploy-shared/storage 755 dir', 'godeploy-shared/storage/uploads 755 dir'],
      );
      assert.match(lines, /^COPY godeploy-files\/ \/app\/$/m);
      assert.match(lines, /^COPY --chown=65532:65532 godeploy-shared\/ \/app\/$/m);
      assert.match(lines, /^WORKDIR \/app$/m);
      assert.deepEqual(withReleaseFiles([], []), { entries: [], lines: '' });
    });

    it('a templated file holding a secret is refused: an image layer would keep it', () => {
      const file = {
        dest: 'db.conf',
        source: '/m/db.conf',
        from: 'db.conf',
        mode: 0o600,
        size: 1,
        sha256: 'x',
        template: true,
        content: Buffer.from('pw'),
        secret: true,
      };
      assert.throws(
        () => withReleaseFiles([file], []),
        /app\.files: db\.conf is templated with a \$\{secret:…\} value, which a Docker image would keep in a layer/,
      );
    });
  });
});
