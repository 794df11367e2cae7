/**
 * urfave/cli flags: c.String("listen") (v1/v2 *cli.Context, v3 *cli.Command) reads the flag
 * declared as &cli.StringFlag{Name: "listen", Value: ":7000", EnvVars: []string{"X"}} (v1 EnvVar:
 * "X,Y"; v3 Sources: cli.EnvVars("X")).
 */
import type { PortSetting } from './types';
import { family } from './gotypes';
import type { Program } from './program';
import { args, child, descendants, type GoNode } from './syntax';
import type { Evaluator, Val } from './val';

const readers = new Set(['String', 'Int', 'Int64', 'Uint', 'Uint64', 'Value', 'Generic']);
const urfave = 'github.com/urfave/cli';

/** A flag read by name on a urfave/cli context or command, when the program uses urfave/cli. */
export function isUrfaveRead(p: Program, call: GoNode): boolean {
  const fn = child(call, 'function');
  if (fn?.type !== 'selector_expression' || args(call).length !== 1 || !readers.has(p.text(child(fn, 'field') as GoNode))) return false;
  if (p.importOf(child(fn, 'operand'))) return false;
  return p.files.some((f) => f.importList.some((i) => family(i.path) === urfave));
}

export function urfaveValue(values: Evaluator, call: GoNode, depth: number): Val | null {
  const p = values.p;
  const name = values.eval(args(call)[0], depth)?.str;
  if (name === undefined) return null;
  for (const f of p.files) {
    if (!f.importList.some((i) => family(i.path) === urfave)) continue;
    for (const lit of descendants(f.root, 'composite_literal')) {
      const type = child(lit, 'type');
      const pkg = type?.type === 'qualified_type' ? child(type, 'package') : undefined;
      if (!pkg || family(f.imports.get(p.text(pkg)) ?? '') !== urfave || !/Flag$/.test(p.text(child(type as GoNode, 'name') as GoNode))) continue;
      const field = (key: string) => (child(lit, 'body')?.children ?? []).find((k) => k.type === 'keyed_element' && p.text(child(k, 'key') ?? k) === key);
      const value = (key: string) => child(field(key) ?? lit, 'value')?.children[0];
      const names = [value('Name'), ...(value('Aliases')?.type === 'composite_literal' ? descendants(value('Aliases') as GoNode, 'literal_element') : [])].map(
        (n) => (n ? values.eval(n, depth)?.str : undefined),
      );
      if (!names.includes(name)) continue;
      const settings: PortSetting[] = [{ kind: 'flag', name: `--${name}`, address: false }];
      const envs = value('EnvVars') ?? value('Sources');
      for (const e of envs ? descendants(envs, ['interpreted_string_literal', 'raw_string_literal']) : []) {
        const env = values.eval(e, depth)?.str;
        if (env) settings.push({ kind: 'env', name: env });
      }
      const v1 = value('EnvVar') ? values.eval(value('EnvVar'), depth)?.str : undefined;
      for (const env of v1
        ? v1
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [])
        settings.push({ kind: 'env', name: env });
      const d = value('Value') ? values.eval(value('Value'), depth) : null;
      return { ...(d ?? { source: null }), settings, why: `flag --${name}${d ? ` (default ${d.why})` : ''}` };
    }
  }
  return null;
}
