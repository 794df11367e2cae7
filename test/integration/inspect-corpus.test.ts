// Real projects are the judge: `godeploy inspect --json` (the built CLI, as a user runs it) on
// trimmed snapshots of public Go projects agrees with their verified ground truth (truth.json),
// field by field; `godeploy init` writes a godeploy.yaml that validates and carries those facts;
// cgo is never reported from a file Go does not compile for the target.
import { strict as assert } from 'node:assert';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateFile } from '../../src/core/gomod/constraints';
import { readGoHeader } from '../../src/core/gomod/goHeader';
import type { MainPackageInspection } from '../../src/core/gomod/types';
import { godeploy } from '../support/cli';
import { corpusNames, corpusTruth, unpackCorpus } from '../support/corpus';
import { tempDir } from './fixtures/util';

interface InspectJson {
  module: string;
  goVersion: string | null;
  toolchain: string | null;
  mains: string[];
  main: string | null;
  vendored: boolean;
  via: string;
  mainPackages: MainPackageInspection[];
}

function inspect(dir: string): InspectJson {
  const r = godeploy(['inspect', '--json'], dir);
  assert.equal(r.code, 0, `inspect failed in ${dir}:\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as InspectJson;
}

describe('inspection of real Go projects (../shared/go-corpus) against truth.json', function () {
  this.timeout(120_000);
  const work = tempDir('corpus-init');
  after(() => work.remove());

  for (const name of corpusNames()) {
    describe(name, () => {
      const truth = corpusTruth()[name];
      let dir = '';
      let r: InspectJson;
      let server: MainPackageInspection | undefined;
      before(async () => {
        dir = await unpackCorpus(name);
        r = inspect(dir);
        server = r.mainPackages.find((m) => m.path === truth.server);
      });

      it('module, go version, toolchain, vendored', () => {
        assert.equal(r.module, truth.module);
        assert.equal(r.goVersion, truth.goVersion);
        assert.equal(r.toolchain, truth.toolchain);
        assert.equal(r.vendored, truth.vendored);
      });

      it('the mains Go builds for linux/amd64, and none of the paths that must not be', () => {
        assert.deepEqual([...r.mains].sort(), [...truth.mains].sort());
        for (const not of truth.notMains) assert.ok(!r.mains.includes(not), `${not} is listed as a main`);
        assert.deepEqual(
          r.mainPackages.map((m) => m.path),
          r.mains,
        );
      });

      it('the server main is the one deployed, with its arguments and binary name', () => {
        assert.equal(r.main, truth.server);
        assert.ok(server, `no facts for ${truth.server}`);
        assert.deepEqual(server.startArgs?.args ?? [], truth.serverArgs);
        assert.equal(server.binaryName, truth.name);
      });

      it('cgo for linux/amd64 per main, never from a file excluded for the target', () => {
        assert.equal(server?.cgo, truth.cgoLinux, JSON.stringify(server?.cgoReasons));
        for (const [main, cgo] of Object.entries(truth.mainsCgoLinux ?? {})) {
          assert.equal(r.mainPackages.find((m) => m.path === main)?.cgo, cgo, `cgo of ${main}`);
        }
        for (const m of r.mainPackages) {
          for (const reason of m.cgoReasons.filter((c) => c.file.endsWith('.go'))) {
            const file = join(dir, reason.file);
            const verdict = evaluateFile(file.split('/').pop()!, readGoHeader(readFileSync(file, 'utf8')), {
              goos: 'linux',
              goarch: 'amd64',
              cgoEnabled: true,
              tags: [],
              goMinor: 19,
            });
            assert.ok(verdict.included, `${m.path}: cgo from ${reason.file}, which Go does not compile for linux/amd64`);
          }
        }
      });

      it('port, how it is set, and no port that is not a listen port', () => {
        assert.equal(server?.port.port ?? null, truth.port);
        for (const p of truth.notPort) assert.notEqual(server?.port.port, p, `port ${p} is not a listen port`);
        const envs = (server?.port.settings ?? []).filter((s) => s.kind === 'env').map((s) => (s as { name: string }).name);
        if (truth.readsPortEnv)
          assert.ok(envs.includes(truth.readsPortEnv), `the port variable ${truth.readsPortEnv} is not among ${JSON.stringify(server?.port.settings)}`);
        else assert.deepEqual(envs, [], 'the program reads no port variable');
      });

      it('a health path that answers 2xx, never one that does not', () => {
        const health = server?.health.path ?? null;
        if (truth.healthPath === null) assert.equal(health, null);
        else assert.ok(truth.healthAccept.includes(health ?? ''), `${health} is not among the paths verified to answer 2xx: ${truth.healthAccept.join(', ')}`);
        for (const not of truth.notHealth) assert.notEqual(health, not);
      });

      it('init writes a godeploy.yaml with these facts that validates', () => {
        const copy = join(work.path, name);
        cpSync(dir, copy, { recursive: true });
        const init = godeploy(['init'], copy);
        assert.equal(init.code, 0, init.stdout + init.stderr);
        const yaml = readFileSync(join(copy, 'godeploy.yaml'), 'utf8');
        assert.match(yaml, new RegExp(`^  main: ${truth.server.replace(/\./g, '\\.')}(\\s|$)`, 'm'));
        assert.match(yaml, new RegExp(`^  name: "?${truth.name}"?\\b`, 'm'));
        if (truth.serverArgs.length) assert.match(yaml, new RegExp(`^  args: \\[${truth.serverArgs.join(', ')}\\]`, 'm'));
        if (truth.port !== null) assert.match(yaml, new RegExp(`^  port: ${truth.port}\\b`, 'm'));
        if (truth.healthPath === null) assert.match(yaml, /^ {4}type: (process|tcp)\b/m);
        const validate = godeploy(['validate'], copy);
        assert.equal(validate.code, 0, `validate of the written file:\n${yaml}\n${validate.stdout}${validate.stderr}`);
      });
    });
  }
});
