// node scripts/config-types.mjs (also run by scripts/build.mjs): writes src/core/config/configTypes.ts, the TypeScript types of
// godeploy.yaml, from schemas/godeploy.schema.json (the one definition of the config: the
// validator, the editor's hover and the generated reference read the same file).
// `--check` writes nothing and exits 1 when the committed file differs from what the schema
// gives (test/unit/config-types.test.ts runs it, so neither can change without the other).
//
// The schema is read as the validator reads it; a copy is shaped for the generator first:
// - an environment is a discriminated union: its definition lists every key once (with its
//   description) and each type's definition (sshEnvironment, …) names the keys it takes as
//   `true`; here each type gets the keys' schemas, and the environment becomes the union;
// - a $ref with a description of its own (`env: {$ref: envMap, description}`) refers to the
//   named type by name (tsType), keeping the description, instead of a copy named EnvMap1;
// - a list of fixed length (minItems = maxItems, blueGreen.ports) is a tuple, other bounds
//   (hosts: at least one) are left to the validator;
// - the custom keywords (x-expected, x-secret) say nothing about types and are dropped.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaFile = path.join(root, 'schemas', 'godeploy.schema.json');
const outFile = path.join(root, 'src', 'core', 'config', 'configTypes.ts');

/** TypeScript names of the schema's definitions (and of the whole file), as the rest of the code knows them. */
const names = {
  '': 'GoDeployConfig',
  duration: 'Duration',
  envMap: 'EnvMap',
  args: 'Args',
  host: 'HostConfig',
  docker: 'DockerConfig',
  dockerImage: 'DockerImageConfig',
  environment: 'EnvironmentConfig',
  sshEnvironment: 'SshEnvironmentConfig',
  localEnvironment: 'LocalEnvironmentConfig',
  dockerEnvironment: 'DockerEnvironmentConfig',
  systemd: 'SystemdConfig',
  nginx: 'NginxConfig',
  supervisor: 'SupervisorConfig',
  kubernetes: 'KubernetesConfig',
  healthCheck: 'HealthCheckConfig',
  notify: 'NotifyConfig',
  webhook: 'WebhookConfig',
  process: 'ProcessConfig',
  releaseFile: 'ReleaseFileConfig',
  hook: 'HookConfig',
};

const byId = new Map(Object.entries(names).map(([key, name]) => [key.charAt(0).toUpperCase() + key.slice(1), name]));

const banner = `// Generated from schemas/godeploy.schema.json by scripts/config-types.mjs: do not edit.
// Change the schema, then run \`node scripts/config-types.mjs\` (test/unit/config-types.test.ts fails while this file differs).
// model.ts gives these types the names the rest of the code uses.`;

export async function generateConfigTypes() {
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const shaped = shapeForTypes(schema);
  const prettier = JSON.parse(readFileSync(path.join(root, '.prettierrc.json'), 'utf8'));
  const unknownDefinitions = Object.keys(shaped.definitions).filter((d) => !(d in names));
  if (unknownDefinitions.length) throw new Error(`config-types: name the definitions ${unknownDefinitions.join(', ')} in scripts/config-types.mjs`);
  return compile(shaped, names[''], {
    bannerComment: banner,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: false,
    unknownAny: true,
    enableConstEnums: false,
    // A definition is known by its key, or (where the generator resolved a $ref to it) by the $id it gave it: the key, capitalised.
    customName: (node, definitionKey) => (definitionKey !== undefined ? names[definitionKey] : byId.get(node.$id)),
    style: { ...prettier, parser: 'typescript' },
  });
}

function shapeForTypes(schema) {
  const copy = structuredClone(schema);
  delete copy.$id;
  delete copy.title;
  const definitions = copy.definitions;
  const definitionOf = (ref) => {
    const name = ref.replace('#/definitions/', '');
    if (!(name in definitions)) throw new Error(`config-types: ${ref} is not a definition`);
    return name;
  };
  // Each type's keys get the environment's schema for them.
  for (const union of Object.values(definitions).filter((d) => d.discriminator)) {
    const tag = union.discriminator.propertyName;
    for (const member of union.oneOf.map((m) => definitions[definitionOf(m.$ref)])) {
      for (const [key, own] of Object.entries(member.properties)) {
        const shared = union.properties[key];
        if (!shared) throw new Error(`config-types: ${key} is not a key of the environment`);
        member.properties[key] = own === true ? structuredClone(shared) : { description: shared.description, ...own };
      }
      if (member.properties[tag]) delete member.properties[tag].enum;
    }
    for (const k of ['properties', 'required', 'discriminator', 'type']) delete union[k];
  }
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const k of Object.keys(node)) if (k.startsWith('x-')) delete node[k];
    if (node.$ref && Object.keys(node).length > 1) {
      node.tsType = names[definitionOf(node.$ref)];
      delete node.$ref;
    }
    if (node.type === 'array' && !(node.minItems !== undefined && node.minItems === node.maxItems)) {
      delete node.minItems;
      delete node.maxItems;
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(copy);
  return copy;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generateConfigTypes();
  const committed = (() => {
    try {
      return readFileSync(outFile, 'utf8');
    } catch {
      return undefined;
    }
  })();
  if (process.argv.includes('--check')) {
    if (committed !== text) {
      console.error(`${path.relative(root, outFile)} differs from what ${path.relative(root, schemaFile)} gives: run node scripts/config-types.mjs`);
      process.exit(1);
    }
  } else if (committed !== text) {
    writeFileSync(outFile, text);
    console.log(`${path.relative(root, outFile)} updated`);
  }
}
