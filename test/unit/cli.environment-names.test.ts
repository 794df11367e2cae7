import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { environmentNamed } from '../../src/core/config/model';
import { godeployInProcess } from '../support/cliInProcess';
import { fixtureModules } from '../support/paths';

/** Runs the CLI in-process with -C cwd, collecting what it prints. */
function godeploy(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return godeployInProcess(['-C', cwd, ...args], cwd);
}

const PROTOTYPE_NAMES = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf'];

describe('environment names are own keys of environments:', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'godeploy-envnames-'));
    cpSync(path.join(fixtureModules, 'single'), work, { recursive: true });
    writeFileSync(path.join(work, 'godeploy.yaml'), `app:\n  name: hello\nenvironments:\n  dev:\n    type: local\n    path: ${path.join(work, 'deploy')}\n`);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  for (const command of ['deploy', 'rollback', 'status']) {
    it(`${command} NAME exits 2 "no environment" for Object.prototype's names, as for an unknown name`, async () => {
      const unknown = await godeploy([command, 'nope'], work);
      assert.equal(unknown.code, 2, unknown.err);
      assert.match(unknown.err, /no environment "nope" in godeploy\.yaml/);
      for (const name of PROTOTYPE_NAMES) {
        const r = await godeploy([command, name], work);
        assert.equal(r.code, 2, `${command} ${name}: ${r.out}${r.err}`);
        assert.ok(r.err.includes(`no environment "${name}" in godeploy.yaml`), r.err);
        assert.match(r.err, /environments: dev/);
        assert.equal(r.out, '');
      }
    });
  }

  it('generate --env toString and the engine find such a name when the file defines it', async () => {
    writeFileSync(
      path.join(work, 'godeploy.yaml'),
      'app:\n  name: hello\nenvironments:\n  toString:\n    type: ssh\n    path: /srv/tostring\n    hosts: [{ host: a.example }]\n',
    );
    const r = await godeploy(['generate', 'systemd', '--env', 'toString', '--stdout'], work);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ExecStart=\/srv\/tostring\/current\/hello$/m);
    assert.equal(environmentNamed({ environments: { toString: { type: 'local' as const } } }, 'toString')?.type, 'local');
    assert.equal(environmentNamed({ environments: { dev: { type: 'local' as const } } }, 'constructor'), undefined);
    assert.equal(environmentNamed(undefined, 'dev')?.type, 'local', 'the embedded default');
    assert.equal(environmentNamed(undefined, 'toString'), undefined);
  });
});
