// The build context a docker deploy sends for a module whose build reads folders above it.
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextEntries } from '../../src/core/targets/docker/buildContext';
import { buildSourceOf, dockerBuildContextOf } from '../../src/core/generate/buildSource';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from '../support/paths';

describe('docker build context of a workspace member', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'godeploy-ctx-'));
    cpSync(join(fixtureModules, 'workspace-gen'), root, { recursive: true });
    // Beside the workspace's modules: things the build never reads.
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'big.md'), 'x'.repeat(1000));
    writeFileSync(join(root, 'README.md'), 'readme');
    writeFileSync(join(root, 'api', 'Dockerfile'), 'FROM scratch\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("is the workspace root, with go.work and the member folders only; the Dockerfile is the module's", async () => {
    const source = buildSourceOf(await inspectModule(join(root, 'api')));
    const ctx = dockerBuildContextOf(join(root, 'api'), source);
    assert.deepEqual({ ...ctx, dir: ctx.dir === root }, { dir: true, dockerfile: 'api/Dockerfile', only: ['go.work', 'go.work.sum', 'api', 'lib', 'tools'] });
    assert.deepEqual(await contextEntries(ctx.dir, ctx.dockerfile, ctx.only), [
      'api',
      'api/Dockerfile',
      'api/go.mod',
      'api/main.go',
      'go.work',
      'lib',
      'lib/go.mod',
      'lib/lib.go',
      'tools',
      'tools/go.mod',
      'tools/tools.go',
    ]);
  });

  it('a plain module is its own context, whole', async () => {
    const ctx = dockerBuildContextOf(join(fixtureModules, 'single'), buildSourceOf(await inspectModule(join(fixtureModules, 'single'))));
    assert.deepEqual(ctx, { dir: join(fixtureModules, 'single'), dockerfile: 'Dockerfile' });
  });

  it('only: the folders leading to a nested path travel, nothing beside them; .dockerignore still applies', async () => {
    mkdirSync(join(root, 'svc', 'api', 'x'), { recursive: true });
    mkdirSync(join(root, 'svc', 'other'), { recursive: true });
    writeFileSync(join(root, 'svc', 'api', 'x', 'a.go'), '');
    writeFileSync(join(root, 'svc', 'api', 'secret.env'), '');
    writeFileSync(join(root, 'svc', 'top.txt'), '');
    writeFileSync(join(root, 'svc', 'other', 'b.go'), '');
    writeFileSync(join(root, '.dockerignore'), '**/*.env\n');
    assert.deepEqual(await contextEntries(root, 'svc/api/Dockerfile', ['svc/api']), ['.dockerignore', 'svc', 'svc/api', 'svc/api/x', 'svc/api/x/a.go']);
  });
});
