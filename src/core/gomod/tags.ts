/**
 * Struct-tag configuration libraries: a field's environment variable, flag and default written in
 * its tag (caarlos0/env, kelseyhightower/envconfig, sethvargo/go-envconfig, cleanenv, kong,
 * jessevdk/go-flags). Read only when the program imports one of them.
 */
import type { PortSetting } from './types';
import { family, fieldDecl, type TypeRef } from './gotypes';
import { child, stringValue } from './syntax';
import type { Evaluator, Val } from './val';

const libraries = [
  'github.com/caarlos0/env',
  'github.com/kelseyhightower/envconfig',
  'github.com/sethvargo/go-envconfig',
  'github.com/ilyakaznacheev/cleanenv',
  'github.com/alecthomas/kong',
  'github.com/jessevdk/go-flags',
];

/** Go's reflect.StructTag.Lookup over a whole tag. */
export function parseTag(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([^\s:"]+):"((?:[^"\\]|\\.)*)"/g)) if (!out.has(m[1])) out.set(m[1], m[2].replace(/\\(.)/g, '$1'));
  return out;
}

export function tagValue(values: Evaluator, owner: TypeRef | null, field: string): Val | null {
  const p = values.p;
  const used = new Set([...p.files].flatMap((f) => f.importList.map((i) => family(i.path))));
  const libs = libraries.filter((l) => used.has(l));
  if (!libs.length) return null;
  const decl = fieldDecl(p, owner, field);
  const tagNode = decl ? child(decl, 'tag') : undefined;
  if (!decl || !tagNode) return null;
  const tag = parseTag(stringValue(p.file(tagNode).text, tagNode) ?? '');
  const settings: PortSetting[] = [];
  const flag = tag.get('long') ?? (libs.includes('github.com/alecthomas/kong') && !tag.has('arg') ? (tag.get('name') ?? kebab(field)) : undefined);
  if (flag) settings.push({ kind: 'flag', name: `--${flag}`, address: false });
  const [envName, ...options] = (tag.get('env') ?? tag.get('envconfig') ?? '').split(',').map((s) => s.trim());
  if (envName) settings.push({ kind: 'env', name: envName });
  const def = tag.get('envDefault') ?? tag.get('env-default') ?? tag.get('default') ?? options.find((o) => o.startsWith('default='))?.slice(8);
  const why = `tag ${field} ${stringValue(p.file(tagNode).text, tagNode)}`;
  const source = p.finding(tagNode, why);
  if (def === undefined) return settings.length ? { settings, source: null, why } : null;
  return { ...(/^\d+$/.test(def) ? { num: Number(def) } : { str: def }), settings, source, why };
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
