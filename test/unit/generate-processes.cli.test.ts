// `godeploy generate` for an app of several processes (the shop fixture: api + worker): one
// file per process where the kind is per process, one file for k8s and nginx.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { godeploy } from '../support/cli';
import { fixtureModules } from '../support/paths';

const YAML =
  'app:\n  name: shop\n  processes:\n    api:\n      main: ./cmd/api\n      port: 8080\n    worker:\n      main: ./cmd/worker\n      args: [--queue, emails]\n';

describe('godeploy generate with app.processes', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-gen-shop-'));
    cpSync(path.join(fixtureModules, 'shop'), work, { recursive: true });
    writeFileSync(path.join(work, 'godeploy.yaml'), YAML);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const deployTree = (): string[] =>
    readdirSync(path.join(work, 'deploy'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(work, path.join(e.parentPath, e.name)))
      .sort();

  it('systemd and supervisor write a file per process, k8s and nginx one file; a second run changes nothing', () => {
    for (const kind of ['systemd', 'supervisor', 'k8s', 'nginx']) {
      const r = godeploy(['generate', kind], work);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(deployTree(), [
      'deploy/k8s/shop.yaml',
      'deploy/nginx/shop.conf',
      'deploy/supervisor/shop-api.conf',
      'deploy/supervisor/shop-worker.conf',
      'deploy/systemd/shop-api.service',
      'deploy/systemd/shop-worker.service',
    ]);
    assert.match(readFileSync(path.join(work, 'deploy/systemd/shop-worker.service'), 'utf8'), /^ExecStart=\/opt\/shop\/current\/worker --queue emails$/m);
    assert.match(readFileSync(path.join(work, 'deploy/supervisor/shop-api.conf'), 'utf8'), /^\[program:shop-api\]$/m);
    const again = godeploy(['generate', 'systemd'], work);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.stdout.trim().split('\n'), ['unchanged deploy/systemd/shop-api.service', 'unchanged deploy/systemd/shop-worker.service']);
  });

  it('--stdout prints each process file under its name; --dry-run plans one write per process', () => {
    const out = godeploy(['generate', 'supervisor', '--stdout'], work);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^# ==> deploy\/supervisor\/shop-api\.conf <==\n/m);
    assert.match(out.stdout, /^# ==> deploy\/supervisor\/shop-worker\.conf <==\n/m);
    const dry = godeploy(['generate', 'systemd', '--dry-run'], work);
    assert.match(dry.stdout, /^ {2}1\. write deploy\/systemd\/shop-api\.service \(systemd unit\)$/m);
    assert.match(dry.stdout, /^ {2}2\. write deploy\/systemd\/shop-worker\.service \(systemd unit\)$/m);
  });

  it('nginx for an app whose processes have no port is refused with the reason, nothing written', () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: jobs\n  processes:\n    worker: { main: ./cmd/worker }\n');
    const r = godeploy(['generate', 'nginx'], work);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no process of app\.processes has a port/);
    assert.deepEqual(readdirSync(work).includes('deploy'), false);
  });
});
