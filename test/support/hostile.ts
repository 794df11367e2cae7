import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { validateConfigText } from '../../src/core/config/load';
import type { ConfigDiagnostic } from '../../src/core/config/diagnostic';
import { locateInConfig } from '../../src/core/config/document';
import { buildGenerateModel, type GenerateModel } from '../../src/core/generate/model';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from './paths';

/**
 * Hostile values, appended to a harmless one: a line break followed by a directive of the
 * target's syntax (`injection`), the characters config formats treat as syntax, and
 * escapes of every kind the generators know.
 */
export function hostileValues(injection: string): Record<string, string> {
  return {
    newline: `\n${injection}`,
    crlf: `\r\n${injection}`,
    semicolon: '; add_header X-Injected pwned always; autoindex on',
    braces: '{ location /leak { alias /etc/; } }',
    quotes: `"dq" 'sq'`,
    percent: '%n%%h%i',
    dollar: '$HOME$PORT',
    shell: "$(id)'x';a=b&c",
    backslash: '\\x\\',
    unicode: 'é😀',
  };
}

/** Sets `value` at the dotted `key` of a config object (parents created). */
export function withValue(config: object, key: string, value: string): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, any>;
  const parts = key.split('.');
  let at = copy;
  for (const p of parts.slice(0, -1)) at = at[p] ??= {};
  at[parts[parts.length - 1]] = value;
  return copy;
}

export type Verdict = { refused: ConfigDiagnostic[]; model?: undefined; text: string } | { refused?: undefined; model: GenerateModel; text: string };

/** validate's verdict on the config (YAML written with double-quoted strings): its errors, or the model it builds. */
export async function verdict(fixture: string, config: object, environment?: string): Promise<Verdict> {
  const text = stringify(config, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
  const inspection = await inspectModule(path.join(fixtureModules, fixture));
  const r = validateConfigText('godeploy.yaml', text, inspection);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.config) return { refused: errors, text };
  return { model: buildGenerateModel(r.config, inspection, { environment }), text };
}

/** The config was refused with one located error on `key`'s line, naming the key. */
export function assertRefusedAt(v: Verdict, key: string): void {
  assert.ok(v.refused, `${key}: expected validate to refuse:\n${v.text}`);
  const line = locateInConfig('godeploy.yaml', v.text, key.split('.')).line;
  const shown = v.refused.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n');
  assert.equal(v.refused.length, 1, shown);
  assert.equal(v.refused[0].path, key, shown);
  assert.equal(v.refused[0].line, line, shown);
  assert.ok(v.refused[0].message.startsWith(key), shown);
  assert.ok(v.refused[0].hint, shown);
}
