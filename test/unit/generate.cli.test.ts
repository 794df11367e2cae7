import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { godeploy } from '../support/cli';
import { fixtureModules } from '../support/paths';

/** Every file under dir, relative, sorted: to prove that nothing else was written. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('godeploy generate', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-gen-'));
    cpSync(path.join(fixtureModules, 'single'), work, { recursive: true });
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\n');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('all writes every file to its place, and a second run changes nothing', () => {
    const first = godeploy(['generate', 'all'], work);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(tree(work), [
      '.dockerignore',
      'Dockerfile',
      'deploy/k8s/hello.yaml',
      'deploy/nginx/hello.conf',
      'deploy/supervisor/hello.conf',
      'deploy/systemd/hello.service',
      'go.mod',
      'godeploy.yaml',
      'main.go',
    ]);
    const again = godeploy(['generate', 'all'], work);
    assert.equal(again.code, 0);
    assert.equal(again.stdout.split('\n').filter((l) => l.startsWith('unchanged')).length, 6);
  });

  it('an existing file that differs is never overwritten: the diff is printed, nothing is written, exit 1', () => {
    writeFileSync(path.join(work, 'Dockerfile'), 'FROM scratch\n# mine\n');
    const before = tree(work);
    const r = godeploy(['generate', 'all'], work);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Dockerfile exists and differs from what Go Deploy would write/);
    assert.match(r.stderr, /^-# mine$/m, 'the diff shows the line that would be lost');
    assert.match(r.stderr, /nothing was written/);
    assert.deepEqual(tree(work), before, 'not even the files that did not exist were written');
    assert.equal(readFileSync(path.join(work, 'Dockerfile'), 'utf8'), 'FROM scratch\n# mine\n');

    const forced = godeploy(['generate', 'dockerfile', '--force'], work);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^replaced +Dockerfile$/m);
    assert.doesNotMatch(readFileSync(path.join(work, 'Dockerfile'), 'utf8'), /# mine/);
  });

  it('--stdout prints and writes nothing; --dry-run prints the plan; --out writes elsewhere', () => {
    const out = godeploy(['generate', 'systemd', '--stdout'], work);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^\[Service\]$/m);
    const dry = godeploy(['generate', 'nginx', '--dry-run'], work);
    assert.match(dry.stdout, /^Plan: generate deploy\/nginx\/hello\.conf\n {2}1\. write deploy\/nginx\/hello\.conf \(nginx site\)/);
    assert.deepEqual(tree(work), ['go.mod', 'godeploy.yaml', 'main.go']);
    const elsewhere = path.join(work, 'out');
    assert.equal(godeploy(['generate', 'supervisor', '--out', 'out'], work).code, 0);
    assert.ok(existsSync(path.join(elsewhere, 'deploy', 'supervisor', 'hello.conf')));
  });

  it('bad input: unknown kind, unknown runtime, unknown environment, several mains without app.main', () => {
    assert.match(
      godeploy(['generate', 'helm'], work).stderr,
      /unknown kind "helm"[\s\S]*kinds: dockerfile, dockerignore, systemd, nginx, supervisor, k8s, github-actions, gitlab-ci, all/,
    );
    const rt = godeploy(['generate', 'dockerfile', '--runtime', 'ubuntu'], work);
    assert.equal(rt.code, 2);
    assert.match(rt.stderr, /unknown runtime "ubuntu"[\s\S]*distroless, scratch, alpine/);
    assert.match(godeploy(['generate', 'systemd', '--env', 'prod'], work).stderr, /no environment "prod"[\s\S]*environments: dev/);
    const multi = mkdtempSync(path.join(tmpdir(), 'godeploy-gen-multi-'));
    try {
      cpSync(path.join(fixtureModules, 'multi'), multi, { recursive: true });
      writeFileSync(path.join(multi, 'godeploy.yaml'), 'app:\n  port: 8080\n');
      const r = godeploy(['generate', 'systemd'], multi);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /godeploy\.yaml:1:1: error: app\.main is not set and example\.com\/shop has 2 main packages: \.\/cmd\/api, \.\/cmd\/worker/);
      assert.deepEqual(
        tree(multi).filter((f) => f.startsWith('deploy')),
        [],
      );
    } finally {
      rmSync(multi, { recursive: true, force: true });
    }
  });

  it('a port out of range is a located config error and nothing is written', () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 70000\n');
    const r = godeploy(['generate', 'all'], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /godeploy\.yaml:3:9: error: app\.port: 70000 is out of range; expected 1 to 65535/);
    assert.deepEqual(tree(work), ['go.mod', 'godeploy.yaml', 'main.go']);
  });

  it('a template override replaces the built-in output and can wrap it; a broken template is a located error', () => {
    mkdirSync(path.join(work, 'tpl'));
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\ntemplates: ./tpl\n');
    writeFileSync(path.join(work, 'tpl', 'systemd.service.hbs'), '# team header for {{app.name}} on port {{app.port}}\n{{builtin}}');
    const ok = godeploy(['generate', 'systemd', '--stdout'], work);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^# team header for hello on port 8081\n/);
    assert.match(ok.stdout, /^\[Service\]$/m);

    writeFileSync(path.join(work, 'tpl', 'nginx.conf.hbs'), 'server {\n  listen {{nginx.listen}};\n  {{#if nginx.tls}}\n}\n');
    const broken = godeploy(['generate', 'all'], work);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /tpl\/nginx\.conf\.hbs:5:1: template syntax error: the file ends inside an open block/);
    writeFileSync(path.join(work, 'tpl', 'nginx.conf.hbs'), 'listen {{nginx.lisen}};\n');
    assert.match(godeploy(['generate', 'nginx'], work).stderr, /tpl\/nginx\.conf\.hbs:1:10: unknown field "lisen" in the template/);
    assert.deepEqual(
      tree(work).filter((f) => !f.startsWith('tpl/')),
      ['go.mod', 'godeploy.yaml', 'main.go'],
      'nothing written',
    );
  });

  it('${env:NAME} in app.args is read from the environment the command runs in; an unset one is named, nothing written', () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: hello\n  port: 8081\n  args: [serve, "--region=${env:GODEPLOY_TEST_REGION}"]\n');
    process.env.GODEPLOY_TEST_REGION = 'eu west';
    try {
      const r = godeploy(['generate', 'systemd', '--stdout'], work);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ExecStart=\S+ serve "--region=eu west"$/m);
    } finally {
      delete process.env.GODEPLOY_TEST_REGION;
    }
    const before = tree(work);
    const unset = godeploy(['generate', 'all'], work);
    assert.equal(unset.code, 1, unset.stderr);
    assert.match(unset.stderr, /app\.args\[1\]: environment variable GODEPLOY_TEST_REGION is not set/);
    assert.deepEqual(tree(work), before);
  });
});

describe('godeploy validate checks the templates folder', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-tpl-'));
    cpSync(path.join(fixtureModules, 'single'), work, { recursive: true });
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('a missing folder is an error at the templates key; a broken or misnamed template is reported at its file', () => {
    writeFileSync(path.join(work, 'godeploy.yaml'), 'app:\n  name: hello\ntemplates: ./tpl\n');
    const missing = godeploy(['validate'], work);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /godeploy\.yaml:3:12: error: templates: folder .*tpl does not exist/);
    mkdirSync(path.join(work, 'tpl'));
    writeFileSync(path.join(work, 'tpl', 'Dockerfile.hbs'), 'FROM x\n{{#if app.cgo}}\nRUN y\n');
    writeFileSync(path.join(work, 'tpl', 'systemd.hbs'), '{{builtin}}');
    const r = godeploy(['validate'], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tpl\/Dockerfile\.hbs:4:1: error: template syntax error: the file ends inside an open block/);
    assert.match(
      r.stderr,
      /tpl\/systemd\.hbs:1:1: warning: systemd\.hbs is not a template Go Deploy uses\n {2}hint: template names: Dockerfile\.hbs, dockerignore\.hbs, systemd\.service\.hbs/,
    );
  });
});
