import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { godeploy } from '../support/cli';
import { fixtureModules } from '../support/paths';

describe('godeploy CLI', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-cli-'));
    cpSync(path.join(fixtureModules, 'single'), work, { recursive: true });
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('validate prints one FILE:LINE:COL line per problem and exits 2', () => {
    writeFileSync(
      path.join(work, 'godeploy.yaml'),
      'app:\n  port: "eighty"\n  healthCheck:\n    timeout: 30s: 40s\nenvironments:\n  dev:\n    type: locall\n  staging:\n    type: ssh\n',
    );
    const r = godeploy(['validate'], work);
    assert.equal(r.code, 2);
    const located = r.stderr.split('\n').filter((l) => /^godeploy\.yaml:\d+:\d+: error: /.test(l));
    assert.deepEqual(
      located.map((l) => l.split(': error')[0]),
      ['godeploy.yaml:2:9', 'godeploy.yaml:4:14', 'godeploy.yaml:7:11', 'godeploy.yaml:8:3'],
    );
    assert.equal(r.stdout, '');
  });

  it('init writes a config that validates, and never overwrites without --force', () => {
    const first = godeploy(['init'], work);
    assert.equal(first.code, 0, first.stderr);
    const file = path.join(work, 'godeploy.yaml');
    const written = readFileSync(file, 'utf8');
    assert.match(written, /^ {2}name: hello\s/m);
    assert.match(written, /^ {2}port: 8081\s+# found at main\.go:16/m);
    assert.equal(godeploy(['validate'], work).code, 0);

    writeFileSync(file, '# mine\n' + written);
    const again = godeploy(['init'], work);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists[\s\S]*--force/);
    assert.match(readFileSync(file, 'utf8'), /^# mine/);
    assert.deepEqual(
      readdirSync(work).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );

    assert.equal(godeploy(['init', '--force'], work).code, 0);
    assert.equal(readFileSync(file, 'utf8'), written);
    assert.equal(statSync(file).mode & 0o777, 0o644);
  });

  it('init --dry-run prints the plan and writes nothing', () => {
    const r = godeploy(['init', '--dry-run'], work);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Plan: initialize Go Deploy for example\.com\/hello/);
    assert.throws(() => statSync(path.join(work, 'godeploy.yaml')));
  });

  it('finds the config next to the nearest go.mod, honours -C and --config', () => {
    godeploy(['init'], work);
    const sub = path.join(work, 'static');
    cpSync(path.join(work, 'main.go'), path.join(work, 'other.go'));
    assert.equal(godeploy(['validate'], path.join(work)).code, 0);
    assert.equal(godeploy(['-C', work, 'validate'], tmpdir()).code, 0);
    writeFileSync(path.join(work, 'alt.yaml'), 'app: []\n');
    const alt = godeploy(['--config', 'alt.yaml', 'validate'], work);
    assert.equal(alt.code, 2);
    assert.match(alt.stderr, /alt\.yaml:1:6: error: app: expected a mapping/);
    void sub;
  });

  it('inspect --json has the stable keys', () => {
    const r = godeploy(['inspect', '--json'], work);
    assert.equal(r.code, 0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['module', 'goVersion', 'mains', 'cgo', 'port', 'embed']) assert.ok(key in json, key);
    assert.equal(json.module, 'example.com/hello');
  });

  it('inspect --json through the CLI on one main, several mains, cgo, embed and go.work', () => {
    const inspect = (dir: string) => {
      const r = godeploy(['inspect', path.join(fixtureModules, dir), '--json'], work);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as {
        module: string;
        goVersion: string;
        mains: string[];
        cgo: boolean;
        port: number;
        embed: boolean;
        work: { use: string[] } | null;
      };
    };
    assert.deepEqual(inspect('multi').mains, ['./cmd/api', './cmd/worker']);
    const cgo = inspect('cgo');
    assert.equal(cgo.cgo, true);
    assert.equal(cgo.port, 7070);
    assert.equal(inspect('embed').embed, true);
    const ws = inspect('work/api');
    assert.deepEqual(ws.work?.use, ['./api', './lib']);
    assert.equal(ws.module, 'example.com/work/api');
    assert.equal(inspect('single').cgo, false);
  });

  it('usage errors exit 2 with a hint', () => {
    const unknown = godeploy(['deploi'], work);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "deploi"/);
    const flag = godeploy(['inspect', '--force'], work);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /inspect does not take --force/);
    const outside = godeploy(['inspect'], tmpdir());
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /no go\.mod in/);
  });
});
