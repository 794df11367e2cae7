import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schemas/godeploy.schema.json';
import type { ConfigDiagnostic } from './diagnostic';
import { formatPath, type ConfigDocument, type PathSegment } from './document';
import { closest } from './suggest';

export { schema as configSchema };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // discriminator: an environment is checked against the definition of its type only (oneOf by `type`).
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, discriminator: true });
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Validates parsed data against the shipped JSON Schema and locates every error in the document. */
export function schemaDiagnostics(document: ConfigDocument, data: unknown): ConfigDiagnostic[] {
  const errors = schemaErrors(data);
  if (!errors.length) return [];
  const out: ConfigDiagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const d = toDiagnostic(document, error);
    if (!d) continue;
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/**
 * ajv's generated code adds the errors of each failing environment (a $ref'd schema) by
 * concatenating them onto the whole list so far: quadratic in the number of failing
 * environments (32,000 took 11 s). The environments are checked in slices, so each list stays
 * short; after the first slice only the environments are given and their errors kept.
 */
const ENVIRONMENTS_PER_CHECK = 500;

function schemaErrors(data: unknown): ErrorObject[] {
  const validate = validator();
  const environments = isMapping(data) && isMapping(data.environments) ? data.environments : undefined;
  const names = environments ? Object.keys(environments) : [];
  if (names.length <= ENVIRONMENTS_PER_CHECK) return validate(data) ? [] : [...(validate.errors ?? [])];
  const out: ErrorObject[] = [];
  for (let i = 0; i < names.length; i += ENVIRONMENTS_PER_CHECK) {
    const slice = Object.fromEntries(names.slice(i, i + ENVIRONMENTS_PER_CHECK).map((n) => [n, environments![n]]));
    if (validate(i === 0 ? { ...(data as object), environments: slice } : { environments: slice })) continue;
    for (const e of validate.errors ?? []) if (i === 0 || e.instancePath.startsWith('/environments')) out.push(e);
  }
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toDiagnostic(document: ConfigDocument, e: ErrorObject): ConfigDiagnostic | undefined {
  const path = parsePointer(e.instancePath);
  const where = formatPath(path) || 'the file';
  const parent = e.parentSchema as { 'x-expected'?: string; 'x-secret'?: boolean; properties?: Record<string, unknown>; enum?: unknown[] } | undefined;
  switch (e.keyword) {
    case 'discriminator':
      return undefined; // a type that is missing or unknown: `required` or the union's `enum` reports it
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return document.diagnosticAt(path, 'key', 'error', `${where}: missing required key "${missing}"`, requiredHint(path, missing));
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const misplaced = otherTypesTaking(parent, extra);
      if (misplaced)
        return document.diagnosticAt(
          [...path, extra],
          'key',
          'warning',
          `${where}.${extra} is ignored: ${extra} applies to type${misplaced.types.length > 1 ? 's' : ''} ${misplaced.types.join(' and ')}, not ${misplaced.type}`,
          `remove it, or change the type to ${misplaced.types.join(' or ')}`,
        );
      const known = knownKeys(parent);
      // The hint (a nearest-key search) is made only when read: a file of 52,000 unknown keys
      // shows 200 of them.
      return withLazyHint(document.diagnosticAt([...path, extra], 'key', 'error', `${where}: unknown key "${extra}"`), () => {
        const guess = closest(extra, known.keys);
        return guess ? `did you mean "${guess}"? Known keys: ${known.text}` : `known keys: ${known.text}`;
      });
    }
    case 'propertyNames': {
      const name = (e.params as { propertyName: string }).propertyName;
      return document.diagnosticAt(
        [...path, name],
        'key',
        'error',
        `${where}: invalid name "${name}"`,
        'names use letters, digits, "_" and "-"; environment variables start with a letter or "_"',
      );
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const value = String(e.data);
      const guess = closest(value, allowed);
      const what = path[path.length - 1] === 'type' && path[0] === 'environments' ? 'environment type' : 'value';
      return document.diagnosticAt(
        path,
        'value',
        'error',
        `${where}: unknown ${what} "${value}"; expected one of ${allowed.join(', ')}`,
        guess ? `did you mean "${guess}"?` : undefined,
      );
    }
    case 'const':
      return undefined;
    case 'type': {
      const expected = [(e.params as { type: string | string[] }).type].flat().join(' or ');
      return document.diagnosticAt(
        path,
        'value',
        'error',
        `${where}: expected ${article(expected)}, got ${describe(e.data)}`,
        parent?.['x-expected'] ? `expected ${parent['x-expected']}` : typeHint(expected, e.data),
      );
    }
    case 'pattern':
      // A value that may be a password is never echoed (it would land in CI logs).
      return document.diagnosticAt(
        path,
        'value',
        'error',
        `${where}: invalid value${parent?.['x-secret'] ? ' (not shown: it may be a secret)' : ` ${JSON.stringify(e.data)}`}`,
        parent?.['x-expected'] ? `expected ${parent['x-expected']}` : `must match ${String((e.params as { pattern: string }).pattern)}`,
      );
    case 'minimum':
    case 'maximum': {
      const s = e.parentSchema as { minimum?: number; maximum?: number };
      return document.diagnosticAt(path, 'value', 'error', `${where}: ${String(e.data)} is out of range; expected ${s.minimum ?? '-∞'} to ${s.maximum ?? '∞'}`);
    }
    case 'minItems':
      return document.diagnosticAt(path, 'value', 'error', `${where}: must list at least ${(e.params as { limit: number }).limit} item(s)`);
    case 'minLength':
      return document.diagnosticAt(path, 'value', 'error', `${where}: must not be empty`);
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      return document.diagnosticAt([...path, i], 'value', 'error', `${where}: item ${i + 1} repeats item ${j + 1}`, 'remove the duplicate');
    }
    default:
      return document.diagnosticAt(path, 'value', 'error', `${where}: ${e.message ?? 'invalid value'}`);
  }
}

interface UnionMember {
  /** The member's type (its discriminator's const). */
  type: string;
  /** The key each type takes: the union's keys, and for each the types that take it. */
  typesTaking: Map<string, string[]>;
}

let unionMembers: WeakMap<object, UnionMember> | undefined;

/**
 * A key that a member of a union by type (an environment of type local, …) does not take, but
 * other types do: the member's type and those types. Undefined for a key no type knows.
 */
function otherTypesTaking(parent: object | undefined, key: string): { type: string; types: string[] } | undefined {
  if (!parent) return undefined;
  unionMembers ??= findUnionMembers();
  const member = unionMembers.get(parent);
  const types = member?.typesTaking.get(key);
  return member && types?.length ? { type: member.type, types } : undefined;
}

type SchemaObject = { properties?: Record<string, unknown>; oneOf?: { $ref?: string }[]; discriminator?: { propertyName: string } };

function findUnionMembers(): WeakMap<object, UnionMember> {
  const out = new WeakMap<object, UnionMember>();
  const definitions = (schema as unknown as { definitions: Record<string, SchemaObject> }).definitions;
  for (const union of Object.values(definitions)) {
    if (!union.discriminator || !union.oneOf) continue;
    const tag = union.discriminator.propertyName;
    const members = union.oneOf.map((m) => definitions[(m.$ref ?? '').replace('#/definitions/', '')]).filter((m) => m !== undefined);
    const typeOf = (m: SchemaObject) => String((m.properties?.[tag] as { const?: unknown } | undefined)?.const);
    const typesTaking = new Map(Object.keys(union.properties ?? {}).map((k) => [k, members.filter((m) => m.properties?.[k] !== undefined).map(typeOf)]));
    for (const m of members) out.set(m, { type: typeOf(m), typesTaking });
  }
  return out;
}

const knownKeysOf = new WeakMap<object, { keys: string[]; text: string }>();

/** A schema object's property names, listed once per schema object. */
function knownKeys(parent: { properties?: Record<string, unknown> } | undefined): { keys: string[]; text: string } {
  if (!parent) return { keys: [], text: '' };
  let k = knownKeysOf.get(parent);
  if (!k) {
    const keys = Object.keys(parent.properties ?? {});
    knownKeysOf.set(parent, (k = { keys, text: keys.join(', ') }));
  }
  return k;
}

/** `d` with its hint computed on first read (then kept as a plain property). */
function withLazyHint(d: ConfigDiagnostic, hint: () => string): ConfigDiagnostic {
  return Object.defineProperty(d, 'hint', {
    configurable: true,
    enumerable: true,
    get() {
      const value = hint();
      Object.defineProperty(d, 'hint', { value, enumerable: true, writable: true, configurable: true });
      return value;
    },
  });
}

function parsePointer(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function requiredHint(path: PathSegment[], missing: string): string | undefined {
  if (missing === 'hosts') return 'an ssh environment lists its hosts, for example:\n    hosts:\n      - host: 203.0.113.10\n        user: deploy';
  if (missing === 'type') return 'set type to local, ssh or docker';
  if (missing === 'host') return 'give the address or ~/.ssh/config alias of the host';
  if (missing === 'app' && path.length === 0) return 'add an app: section (run `godeploy init` to write one from the module)';
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    integer: 'an integer',
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
  };
  return type
    .split(' or ')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

function typeHint(expected: string, data: unknown): string | undefined {
  if (expected === 'integer' && typeof data === 'string' && /^\d+$/.test(data)) return 'remove the quotes around the number';
  if (expected === 'array' && typeof data === 'string') return `write a list: [${data}]`;
  return undefined;
}
