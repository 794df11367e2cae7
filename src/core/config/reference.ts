import { configSchema } from './schema';

interface SchemaNode {
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, SchemaNode | boolean>;
  additionalProperties?: SchemaNode | boolean;
  oneOf?: SchemaNode[];
  const?: unknown;
  items?: SchemaNode;
  required?: string[];
  minimum?: number;
  maximum?: number;
  $ref?: string;
  'x-expected'?: string;
}

const definitions = (configSchema as unknown as { definitions: Record<string, SchemaNode> }).definitions;

function deref(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const target = definitions[node.$ref.replace('#/definitions/', '')];
  return { ...target, ...node, $ref: undefined, description: node.description ?? target.description };
}

/**
 * The configuration reference as a Markdown table, generated from the JSON Schema the
 * validator and the YAML extension use, so the README cannot drift from either.
 */
export function renderConfigReference(): string {
  const rows: string[] = ['| Key | Type | Required | Description |', '| --- | --- | --- | --- |'];
  const walk = (node: SchemaNode, path: string, required: boolean) => {
    const n = deref(node);
    if (path)
      rows.push(
        `| \`${path}\` | ${typeOf(n)} | ${required ? 'yes' : ''} | ${escape(n.description ?? '')}${n['x-expected'] && !n.enum ? ` Expected: ${escape(n['x-expected'])}.` : ''} |`,
      );
    const only = typesByKey(n);
    for (const [key, child] of Object.entries(n.properties ?? {})) {
      if (typeof child !== 'object') continue;
      const types = only.get(key);
      const note = types ? ` Applies to type${types.length > 1 ? 's' : ''} ${types.join(' and ')}.` : '';
      walk(
        note ? { ...child, description: `${deref(child).description ?? ''}${note}`.trim() } : child,
        path ? `${path}.${key}` : key,
        (n.required ?? []).includes(key),
      );
    }
    if (n.items && deref(n.items).properties) walk(n.items, `${path}[]`, false);
    if (typeof n.additionalProperties === 'object' && deref(n.additionalProperties).properties) walk(n.additionalProperties, `${path}.<name>`, false);
  };
  walk(configSchema as SchemaNode, '', false);
  return rows.join('\n');
}

/**
 * A union by type (an environment: `oneOf` the type definitions, each naming the keys of its type):
 * the keys that only some of the types take, with those types.
 */
function typesByKey(n: SchemaNode): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const members = (n.oneOf ?? []).map(deref);
  const typeOfMember = (m: SchemaNode) => (typeof m.properties?.type === 'object' ? String(m.properties.type.const) : '?');
  for (const key of Object.keys(n.properties ?? {})) {
    const types = members.filter((m) => m.properties?.[key] !== undefined).map(typeOfMember);
    if (types.length < members.length) out.set(key, types);
  }
  return out;
}

function typeOf(n: SchemaNode): string {
  if (n.enum) return n.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  // A value written in one of several forms (a percentage as 1 or "1%"): its forms.
  if (!n.type && n.oneOf && !n.properties) return n.oneOf.map((m) => typeOf(deref(m))).join(' \\| ');
  const t = [n.type ?? 'object'].flat();
  if (t.includes('array')) return `list of ${n.items ? typeOf(deref(n.items)) : 'values'}`;
  if (t.includes('object') && typeof n.additionalProperties === 'object' && !deref(n.additionalProperties).properties)
    return `map of ${typeOf(deref(n.additionalProperties))}`;
  const range = n.minimum === undefined ? '' : n.maximum === undefined ? ` (${n.minimum} or more)` : ` (${n.minimum}–${n.maximum})`;
  return t.map((x) => (x === 'object' ? 'mapping' : x)).join(' \\| ') + range;
}

function escape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
