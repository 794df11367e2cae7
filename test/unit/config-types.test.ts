import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/index';
import type {
  DockerEnvironmentConfig,
  EnvironmentType,
  LocalEnvironmentConfig,
  SshEnvironmentConfig,
  TypedEnvironmentConfig,
} from '../../src/core/config/model';
import { repoRoot } from '../support/paths';

const script = path.join(repoRoot, 'scripts', 'config-types.mjs');
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'godeploy.schema.json'), 'utf8')) as {
  definitions: Record<string, { properties: Record<string, unknown>; oneOf?: { $ref: string }[] }>;
};

function check(root: string) {
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'config-types.mjs'), '--check'], { encoding: 'utf8', timeout: 60_000 });
}

describe('the config types come from the schema', () => {
  it('src/core/config/configTypes.ts is what schemas/godeploy.schema.json gives (run node scripts/config-types.mjs after changing the schema)', () => {
    const r = check(repoRoot);
    assert.equal(r.status, 0, r.stderr);
  });

  it('the check fails, naming the file, when the types and the schema differ', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'config-types-'));
    try {
      mkdirSync(path.join(root, 'scripts'));
      mkdirSync(path.join(root, 'src', 'core', 'config'), { recursive: true });
      cpSync(script, path.join(root, 'scripts', 'config-types.mjs'));
      cpSync(path.join(repoRoot, 'schemas'), path.join(root, 'schemas'), { recursive: true });
      cpSync(path.join(repoRoot, '.prettierrc.json'), path.join(root, '.prettierrc.json'));
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
      const types = readFileSync(path.join(repoRoot, 'src', 'core', 'config', 'configTypes.ts'), 'utf8');
      writeFileSync(path.join(root, 'src', 'core', 'config', 'configTypes.ts'), types);
      assert.equal(check(root).status, 0, 'the copy matches');
      // A key added to the schema and not to the types.
      const edited = JSON.parse(readFileSync(path.join(root, 'schemas', 'godeploy.schema.json'), 'utf8'));
      edited.definitions.systemd.properties.nice = { description: 'Nice= of the unit.', type: 'integer' };
      writeFileSync(path.join(root, 'schemas', 'godeploy.schema.json'), JSON.stringify(edited, null, 2));
      const r = check(root);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /src\/core\/config\/configTypes\.ts differs from what schemas\/godeploy\.schema\.json gives: run node scripts\/config-types\.mjs/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an environment is a union by type: each member has the keys its type takes, and only those', () => {
    const ssh: SshEnvironmentConfig = { type: 'ssh', hosts: [{ host: 'a' }], processManager: 'supervisor', rollout: { batch: 1 } };
    const local: LocalEnvironmentConfig = { type: 'local', path: '~/apps/x', hooks: { preDeploy: ['true'] } };
    const docker: DockerEnvironmentConfig = { type: 'docker', docker: { host: 'unix:///run/docker.sock' }, knownHostsFile: 'known_hosts' };
    // @ts-expect-error a local environment has no hosts
    const hosts: LocalEnvironmentConfig = { type: 'local', hosts: [{ host: 'a' }] };
    // @ts-expect-error an ssh environment lists its hosts
    const noHosts: SshEnvironmentConfig = { type: 'ssh' };
    // @ts-expect-error a docker environment has no processManager
    const manager: DockerEnvironmentConfig = { type: 'docker', processManager: 'systemd' };
    const pathOf = (e: TypedEnvironmentConfig): string | undefined => (e.type === 'docker' ? undefined : e.path);
    const types: EnvironmentType[] = [ssh, local, docker].map((e: TypedEnvironmentConfig) => e.type);
    assert.deepEqual(types, ['ssh', 'local', 'docker']);
    assert.equal(pathOf(local), '~/apps/x');
    assert.ok(hosts && noHosts && manager);
  });
});

describe('a key of another environment type', () => {
  const environment = schema.definitions.environment;
  const members = environment.oneOf!.map((m) => schema.definitions[m.$ref.replace('#/definitions/', '')]);
  const typeOf = (m: { properties: Record<string, unknown> }) => (m.properties.type as { const: string }).const;

  it('is a warning on its line, naming the types that take it, for every key and type', () => {
    let checked = 0;
    for (const member of members) {
      const type = typeOf(member);
      for (const key of Object.keys(environment.properties).filter((k) => !(k in member.properties))) {
        const takers = members.filter((m) => key in m.properties).map(typeOf);
        const hosts = type === 'ssh' ? '    hosts: [{ host: a }]\n' : '';
        const text = `app: {}\nenvironments:\n  e:\n    type: ${type}\n${hosts}    ${key}: {}\n`;
        const warnings = validateConfigText('godeploy.yaml', text).diagnostics.filter((d) => d.severity === 'warning');
        assert.equal(warnings.length, 1, `${key} in type ${type}: ${JSON.stringify(warnings)}`);
        const [w] = warnings;
        assert.equal(`${w.line}:${w.col}`, `${hosts ? 6 : 5}:5`, `${key} in type ${type}`);
        assert.equal(w.message, `environments.e.${key} is ignored: ${key} applies to type${takers.length > 1 ? 's' : ''} ${takers.join(' and ')}, not ${type}`);
        assert.equal(w.hint, `remove it, or change the type to ${takers.join(' or ')}`);
        checked++;
      }
    }
    assert.ok(checked >= 15, `${checked} misplaced keys checked`);
  });

  it('leaves the config valid; a key no type takes is an error listing the keys of this type', () => {
    const r = validateConfigText('godeploy.yaml', 'app: {}\nenvironments:\n  dev:\n    type: local\n    rollout: { batch: 1 }\n    hots: [a]\n');
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`),
      [
        '5:5 warning: environments.dev.rollout is ignored: rollout applies to types ssh and docker, not local',
        '6:5 error: environments.dev: unknown key "hots"',
      ],
    );
    assert.equal(r.diagnostics[1].hint, 'known keys: type, path, keepReleases, env, args, hooks, healthCheck, notify');
    const valid = validateConfigText('godeploy.yaml', 'app: {}\nenvironments:\n  dev:\n    type: local\n    hosts: [{ host: a }]\n');
    assert.ok(valid.config, 'warnings do not make the config invalid');
  });
});
