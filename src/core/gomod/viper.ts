/**
 * spf13/viper keys: viper.GetInt("server.port") is set by a bound pflag (BindPFlag/BindPFlags),
 * by the environment (BindEnv, or AutomaticEnv with SetEnvPrefix and SetEnvKeyReplacer), and
 * defaults to SetDefault's value, else the bound flag's default — viper's own order.
 */
import type { PortSetting } from './types';
import { flagRegistration } from './envflags';
import { family } from './gotypes';
import type { Program } from './program';
import { args, child, type GoNode } from './syntax';
import type { Evaluator, Val } from './val';

const getters = /^Get(String|Int|Int32|Int64|Uint|Uint16|Uint32|Uint64)?$/;
const flagMethods = ['String', 'Int', 'Int32', 'Int64', 'Uint', 'Uint16', 'Uint32', 'Uint64'].flatMap((t) => [t, `${t}P`, `${t}Var`, `${t}VarP`]);

/** True for a call of a viper getter (package function or method of a *viper.Viper). */
export function isViperGet(p: Program, call: GoNode): boolean {
  const fn = child(call, 'function');
  if (fn?.type !== 'selector_expression' || !getters.test(p.text(child(fn, 'field') as GoNode))) return false;
  const imported = p.importOf(child(fn, 'operand'));
  return imported !== null
    ? family(imported) === 'github.com/spf13/viper'
    : p.files.some((f) => f.importList.some((i) => family(i.path) === 'github.com/spf13/viper'));
}

export function viperValue(values: Evaluator, call: GoNode, depth: number): Val | null {
  const p = values.p;
  const key = values.eval(args(call)[0], depth)?.str;
  if (key === undefined) return null;
  const calls = (name: string) => p.callsNamed(name).filter((c) => p.isReachable(c) && isViperCall(p, c));
  const keyOf = (c: GoNode) => values.eval(args(c)[0], depth)?.str?.toLowerCase();
  const settings: PortSetting[] = [];
  let flagVal: Val | null = null;
  for (const c of calls('BindPFlag')) {
    if (keyOf(c) !== key.toLowerCase()) continue;
    const lookup = args(c)[1];
    const flagName = lookup?.type === 'call_expression' ? values.eval(args(lookup)[0], depth)?.str : undefined;
    const reg = flagName ? registration(p, flagName) : null;
    if (reg) flagVal = values.flag(reg, depth);
  }
  if (!flagVal && calls('BindPFlags').length) {
    const reg = registration(p, key);
    if (reg) flagVal = values.flag(reg, depth);
  }
  if (flagVal) settings.push(...flagVal.settings.filter((s) => s.kind === 'flag'));
  const bound = calls('BindEnv').filter((c) => keyOf(c) === key.toLowerCase());
  for (const c of bound) {
    const names = args(c)
      .slice(1)
      .map((a) => values.eval(a, depth)?.str);
    for (const n of names.length ? names : [envKey(values, key, depth)]) if (n) settings.push({ kind: 'env', name: n });
  }
  if (!bound.length && calls('AutomaticEnv').length) settings.push({ kind: 'env', name: envKey(values, key, depth) });
  const defaults = calls('SetDefault').filter((c) => keyOf(c) === key.toLowerCase());
  const d = defaults.length ? values.eval(args(defaults[0])[1], depth) : flagVal;
  return { ...(d ?? { source: null }), settings, why: `viper key "${key}"${d ? ` (default ${d.why})` : ''}` };
}

function isViperCall(p: Program, c: GoNode): boolean {
  const fn = child(c, 'function');
  if (fn?.type !== 'selector_expression') return false;
  const imported = p.importOf(child(fn, 'operand'));
  return imported === null || family(imported) === 'github.com/spf13/viper';
}

/** The pflag/cobra flag registered under a name. */
function registration(p: Program, name: string) {
  for (const m of flagMethods) {
    for (const c of p.callsNamed(m)) {
      const reg = flagRegistration(p, c);
      if (reg && reg.name.replace(/^-+/, '') === name && p.isReachable(c)) return reg;
    }
  }
  return null;
}

/** AutomaticEnv's variable for a key: SetEnvPrefix's prefix + "_", upper-cased, SetEnvKeyReplacer's replacements applied. */
function envKey(values: Evaluator, key: string, depth: number): string {
  const p = values.p;
  const prefixCall = p.callsNamed('SetEnvPrefix').find((c) => p.isReachable(c) && isViperCall(p, c));
  const prefix = prefixCall ? values.eval(args(prefixCall)[0], depth)?.str : undefined;
  let name = prefix ? `${prefix}_${key}` : key;
  for (const c of p.callsNamed('SetEnvKeyReplacer')) {
    const r = args(c)[0];
    if (r?.type !== 'call_expression' || !isViperCall(p, c)) continue;
    const pairs = args(r).map((a) => values.eval(a, depth)?.str);
    for (let i = 0; i + 1 < pairs.length; i += 2)
      if (pairs[i] !== undefined && pairs[i + 1] !== undefined) name = name.split(pairs[i] as string).join(pairs[i + 1]);
  }
  return name.toUpperCase();
}
