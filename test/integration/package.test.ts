// Go Deploy as users get it: `npm run package` makes the .vsix (checked file by file, under
// 5 MB) and the CLI tarball; the package step refuses a stray file, a missing listing field
// or a small icon; the tarball installed with `npm install --global` into a temporary prefix
// gives a `godeploy` command that prints its version and help, completes in bash, and
// deploys a module to `type: local` until it answers.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedCli, packagedArtifacts } from '../support/installedCli';
import { repoRoot } from '../support/paths';
import { goEnv } from './fixtures/go';
import { freePort, httpGet, tempDir, waitFor } from './fixtures/util';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };

/** The files in the .vsix, as `unzip -l` lists them. */
function zipEntries(zip: string): string[] {
  return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

/** The files in the npm tarball, as `tar -tzf` lists them. */
function tarEntries(tgz: string): string[] {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

describe('the packages users install', function () {
  this.timeout(300_000);

  it('npm run package writes a .vsix under 5 MB holding exactly the bundles, schema, media and listing documents', () => {
    const { vsix, vsixBytes } = packagedArtifacts();
    assert.equal(vsix.endsWith(`${pkg.name}-${pkg.version}.vsix`), true, vsix);
    assert.ok(vsixBytes < 5 * 1024 * 1024, `${vsixBytes} bytes`);
    const media = readdirSync(join(repoRoot, 'media'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `extension/${join(e.parentPath, e.name).slice(repoRoot.length + 1)}`);
    const expected = [
      '[Content_Types].xml',
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/package.nls.json',
      'extension/readme.md',
      'extension/changelog.md',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/core.js',
      'extension/dist/cli.js',
      'extension/dist/tree-sitter.wasm',
      'extension/dist/tree-sitter-go.wasm',
      'extension/dist/webview/dashboard.js',
      'extension/schemas/godeploy.schema.json',
      ...media,
    ].sort();
    assert.deepEqual(zipEntries(vsix), expected);
    // The manifest carries the listing: icon, repository, categories, banner.
    const manifest = execFileSync('unzip', ['-p', vsix, 'extension.vsixmanifest'], { encoding: 'utf8' });
    for (const needle of [
      'Microsoft.VisualStudio.Services.Icons.Default',
      'Microsoft.VisualStudio.Services.Links.Source',
      'Microsoft.VisualStudio.Services.Branding.Color',
    ])
      assert.match(manifest, new RegExp(needle.replace(/\./g, '\\.')));
  });

  it('the CLI tarball holds the CLI, the one engine it shares with the extension, and no dependencies', () => {
    const { tarball } = packagedArtifacts();
    assert.ok(tarball.endsWith(`${pkg.name}-${pkg.version}.tgz`), tarball);
    const files = tarEntries(tarball);
    assert.deepEqual(
      files,
      [
        'package/CHANGELOG.md',
        'package/LICENSE',
        'package/README.md',
        'package/dist/cli.js',
        'package/dist/core.js',
        'package/dist/tree-sitter-go.wasm',
        'package/dist/tree-sitter.wasm',
        'package/package.json',
        'package/schemas/godeploy.schema.json',
      ].sort(),
    );
    const packed = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.equal(packed.dependencies, undefined, 'the CLI package must not pull dependencies: everything is bundled');
    assert.deepEqual(packed.bin, { godeploy: 'dist/cli.js' });
    // One engine: the CLI bundle loads ./core.js rather than carrying its own copy.
    const cli = execFileSync('tar', ['-xzOf', tarball, 'package/dist/cli.js'], { encoding: 'utf8' });
    assert.ok(cli.length < 200_000, `dist/cli.js is ${cli.length} bytes: it carries the engine again`);
    assert.match(cli, /require\("\.\/core\.js"\)/);
  });

  describe('the package step refuses what must not ship', () => {
    let stage: { path: string; remove(): void };
    beforeEach(() => {
      stage = tempDir('package-stage');
      for (const f of [
        'package.json',
        'package.nls.json',
        'README.md',
        'CHANGELOG.md',
        'LICENSE',
        '.vscodeignore',
        '.npmignore',
        'dist',
        'media',
        'schemas',
        'scripts',
      ])
        cpSync(join(repoRoot, f), join(stage.path, f), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules'), join(stage.path, 'node_modules'));
    });
    afterEach(() => stage.remove());
    const packageIn = (dir: string) =>
      spawnSync(process.execPath, ['scripts/package.mjs', '--no-build', '--out', join(dir, 'out')], { cwd: dir, encoding: 'utf8' });

    it('a file outside the list: names it, writes nothing', () => {
      writeFileSync(join(stage.path, 'media', 'notes.txt'), 'draft\n');
      const r = packageIn(stage.path);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /would include files outside its list: media\/notes\.txt/);
      assert.equal(existsSync(join(stage.path, 'out')), false);
    });

    it('a missing repository URL or a runtime dependency: says which field', () => {
      const manifest = JSON.parse(readFileSync(join(stage.path, 'package.json'), 'utf8'));
      delete manifest.repository;
      manifest.dependencies = { yaml: '^2.0.0' };
      writeFileSync(join(stage.path, 'package.json'), JSON.stringify(manifest));
      const r = packageIn(stage.path);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /package\.json lacks repository\.url/);
    });

    it('an icon under 128x128: says its size', () => {
      const png = readFileSync(join(stage.path, 'media', 'icon.png'));
      png.writeUInt32BE(64, 16);
      png.writeUInt32BE(64, 20);
      writeFileSync(join(stage.path, 'media', 'icon.png'), png);
      const r = packageIn(stage.path);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /icon\.png is 64x64; the Marketplace wants at least 128x128/);
    });
  });

  describe('the CLI installed with npm install --global', () => {
    it('godeploy --version, help deploy and completion bash work from the installed command', () => {
      const { bin, prefix } = installedCli();
      assert.ok(bin.startsWith(prefix));
      const version = execFileSync(bin, ['--version'], { encoding: 'utf8' });
      assert.match(version, new RegExp(`\\b${pkg.version.replace(/\./g, '\\.')}\\b`));
      assert.match(version, new RegExp(`node ${process.version.replace(/\./g, '\\.')}`));
      const help = execFileSync(bin, ['help', 'deploy'], { encoding: 'utf8' });
      assert.match(help, /godeploy deploy ENV/);
      const script = execFileSync(bin, ['completion', 'bash'], { encoding: 'utf8' });
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      assert.match(script, /complete\b.*godeploy/);
    });

    it('deploys a module to type: local with the installed command, and the service answers', async () => {
      const { bin, binDir } = installedCli();
      const work = tempDir('installed-cli');
      const port = await freePort();
      const module = join(work.path, 'hello');
      cpSync(join(repoRoot, 'examples', 'hello'), module, { recursive: true });
      const base = join(work.path, 'base');
      mkdirSync(base);
      writeFileSync(
        join(module, 'godeploy.yaml'),
        readFileSync(join(module, 'godeploy.yaml'), 'utf8')
          .replace(/port: 8080/, `port: ${port}`)
          .replace(/type: local\b.*/, `type: local\n    path: ${JSON.stringify(base)}`),
      );
      const env = { ...goEnv(), PATH: `${binDir}:${process.env.PATH}` };
      try {
        const out = execFileSync('godeploy', ['-C', module, 'deploy', 'dev'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
        assert.match(out, /done|live/i);
        const res = await httpGet(port, '/');
        assert.equal(res.status, 200);
        assert.match(res.body, /hello/i);
        const status = execFileSync(bin, ['-C', module, 'status', 'dev', '--json'], { encoding: 'utf8', env });
        assert.match(status, /"healthy"|"health"/);
      } finally {
        // Stop the service and wait until its process is gone: it writes its log under
        // base/shared until it exits, and removing the folder under it fails with ENOTEMPTY.
        const pidFile = join(base, 'shared', 'hello.pid');
        if (existsSync(pidFile)) {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
          await waitFor(
            async () => !existsSync(`/proc/${pid}`),
            10_000,
            () => `service pid ${pid} to exit`,
          );
        }
        rmSync(work.path, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      }
    });
  });
});
