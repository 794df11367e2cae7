import * as path from 'node:path';

/** The repository root, from out/test/... or test/... alike. */
export const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}out${path.sep}`) ? '../../..' : '../..');
export const fixtureModules = path.join(repoRoot, 'test', 'fixtures', 'modules');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');
