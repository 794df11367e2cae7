// `npm run package`: builds Go Deploy and writes the two things users install,
//   go-deploy-<version>.vsix  the VS Code extension (@vscode/vsce), and
//   go-deploy-<version>.tgz   the CLI package (`npm install --global ./go-deploy-<version>.tgz`),
// after checking what each would hold and the Marketplace metadata. Fails (exit 1, with the
// reason) when a file outside the lists below would ship, a required field or file is missing,
// the icon is too small, or the .vsix reaches 5 MB: nothing is written then.
// Usage: node scripts/package.mjs [--no-build] [--out DIR] [--json]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';

const args = process.argv.slice(2);
const outDir = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : '.');
const json = args.includes('--json');
const log = (line) => (json ? process.stderr : process.stdout).write(`[package] ${line}\n`);
const fail = (what, hint) => {
  process.stderr.write(`[package] error: ${what}${hint ? `\n  hint: ${hint}` : ''}\n`);
  process.exit(1);
};

/** The files each artifact may hold (paths inside it); anything else fails the package step. */
export const vsixAllowed = [
  /^package\.json$/,
  /^package\.nls\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^dist\/(extension|core|cli)\.js$/,
  /^dist\/[\w-]+\.wasm$/,
  /^dist\/webview\/[\w-]+\.(js|css)$/,
  /^schemas\/godeploy\.schema\.json$/,
  /^media\/[\w./-]+\.(svg|png|md)$/,
];
export const npmAllowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^dist\/(cli|core)\.js$/,
  /^dist\/[\w-]+\.wasm$/,
  /^schemas\/godeploy\.schema\.json$/,
];
const VSIX_LIMIT = 5 * 1024 * 1024;

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
checkMetadata(pkg);
if (!args.includes('--no-build')) {
  log('building (node scripts/build.mjs --no-tsc)');
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-tsc'], { stdio: ['ignore', json ? 2 : 'inherit', 'inherit'] });
}
for (const f of ['dist/extension.js', 'dist/core.js', 'dist/cli.js'])
  if (!existsSync(f)) fail(`${f} is missing`, 'run `npm run build` first, or drop --no-build');

const vsce = (...a) => execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const vsixFiles = vsce('ls', '--no-dependencies').split('\n').filter(Boolean).sort();
checkList('the .vsix (vsce ls, from .vscodeignore)', vsixFiles, vsixAllowed, [
  'dist/extension.js',
  'dist/core.js',
  'dist/cli.js',
  'dist/webview/dashboard.js',
  pkg.icon,
]);

const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))[0];
const npmFiles = packed.files.map((f) => f.path).sort();
checkList('the npm package (npm pack, from .npmignore)', npmFiles, npmAllowed, ['dist/cli.js', 'dist/core.js', pkg.bin.godeploy]);

mkdirSync(outDir, { recursive: true });
const vsix = path.join(outDir, `${pkg.name}-${pkg.version}.vsix`);
const partial = `${vsix}.partial`;
rmSync(partial, { force: true });
try {
  vsce('package', '--no-dependencies', '--out', partial);
} catch (e) {
  fail(`vsce package failed:\n${e.stderr || e.stdout || e.message}`);
}
const size = statSync(partial).size;
if (size >= VSIX_LIMIT) {
  rmSync(partial, { force: true });
  fail(`the .vsix is ${(size / 1048576).toFixed(2)} MB, over the 5 MB limit`, 'see what grew with `npx vsce ls --no-dependencies`');
}
renameSync(partial, vsix);
log(`${shown(vsix)}: ${vsixFiles.length} files, ${(size / 1048576).toFixed(2)} MB`);

const tarName = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
)[0].filename;
const tarball = path.join(outDir, tarName);
log(`${shown(tarball)}: ${npmFiles.length} files, ${(statSync(tarball).size / 1048576).toFixed(2)} MB`);
if (json) process.stdout.write(`${JSON.stringify({ vsix, vsixFiles, vsixBytes: size, tarball, npmFiles })}\n`);

/** Every file matches the list, and the ones that must be there are. */
function checkList(what, files, allowed, required) {
  const outside = files.filter((f) => !allowed.some((re) => re.test(f)));
  if (outside.length)
    fail(
      `${what} would include files outside its list: ${outside.join(', ')}`,
      'exclude them (or, if they belong, add them to the lists in scripts/package.mjs)',
    );
  const missing = required.filter((f) => !files.includes(f.replace(/^\.\//, '')));
  if (missing.length) fail(`${what} would lack ${missing.join(', ')}`);
}

/** The Marketplace fields and files a listing needs. */
function checkMetadata(p) {
  const missing = ['name', 'displayName', 'description', 'version', 'publisher', 'license', 'icon', 'homepage', 'engines']
    .filter((k) => !p[k])
    .concat(p.repository?.url ? [] : ['repository.url'], p.bugs?.url ? [] : ['bugs.url'], p.galleryBanner?.color ? [] : ['galleryBanner.color'])
    .concat(p.categories?.length ? [] : ['categories'], (p.keywords?.length ?? 0) >= 3 ? [] : ['keywords (at least 3)']);
  if (missing.length) fail(`package.json lacks ${missing.join(', ')}`, 'the Marketplace and Open VSX listing needs each of them');
  if (p.dependencies && Object.keys(p.dependencies).length)
    fail(`package.json has dependencies (${Object.keys(p.dependencies).join(', ')})`, 'everything is bundled into dist/: list them under devDependencies');
  for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE', p.icon]) if (!existsSync(f)) fail(`${f} is missing`);
  const png = readFileSync(p.icon);
  if (png.readUInt32BE(0) !== 0x89504e47) fail(`${p.icon} is not a PNG`);
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  if (w < 128 || h < 128) fail(`${p.icon} is ${w}x${h}; the Marketplace wants at least 128x128`);
}

function shown(file) {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
