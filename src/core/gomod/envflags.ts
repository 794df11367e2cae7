/**
 * How a value reaches a Go program from outside: command-line flag registrations (the standard
 * flag package and FlagSets, spf13/pflag and cobra's Flags(), kingpin's Flag(...) chains, and a
 * few libraries that register a listen-address flag) and environment lookups (os.Getenv,
 * os.LookupEnv, functions in the graph that wrap them, and function values bound to them).
 */
import { family, typeOf } from './gotypes';
import { enclosingFunc, params, type Program } from './program';
import { args, child, descendants, stringValue, type GoNode } from './syntax';

export interface FlagReg {
  /** As typed on the command line: -port (flag package) or --port (pflag, cobra, kingpin). */
  name: string;
  /** The default value's expression. */
  defaultNode: GoNode | null;
  /** For XxxVar(&target, …) and kingpin's .XxxVar(&target). */
  target: GoNode | null;
  /** Environment variables the library reads for this flag (kingpin .Envar). */
  envs: string[];
  node: GoNode;
}

const flagValue = /^(String|Int|Int8|Int16|Int32|Int64|Uint|Uint8|Uint16|Uint32|Uint64|Duration|Bool|Float64|Float32|TextVar|Func)(Var)?(P)?$/;

/** Libraries that register a listen-address flag for the program (the flag's name is theirs). */
const addressFlagRegistrars: Record<string, Record<string, { flag: string; defaultArg: number }>> = {
  'github.com/prometheus/exporter-toolkit/web/kingpinflag': { AddFlags: { flag: '--web.listen-address', defaultArg: 1 } },
};

/** A flag registration call, or null. */
export function flagRegistration(p: Program, call: GoNode): FlagReg | null {
  const fn = child(call, 'function');
  if (fn?.type !== 'selector_expression') return null;
  const operand = child(fn, 'operand');
  const method = p.text(child(fn, 'field') as GoNode);
  const a = args(call);
  const imported = p.importOf(operand);
  const registrar = imported ? addressFlagRegistrars[family(imported)]?.[method] : undefined;
  if (registrar) return { name: registrar.flag, defaultNode: a[registrar.defaultArg] ?? null, target: null, envs: [], node: call };
  const kingpin = kingpinFlag(p, call);
  if (kingpin) return kingpin;
  const m = flagValue.exec(method);
  if (!m) return null;
  const isVar = Boolean(m[2]);
  const short = Boolean(m[3]);
  if (a.length !== 3 + Number(isVar) + Number(short)) return null;
  const nameNode = a[Number(isVar)];
  if (nameNode?.type !== 'interpreted_string_literal' && nameNode?.type !== 'raw_string_literal' && nameNode?.type !== 'identifier') return null;
  const name = stringOf(p, nameNode);
  if (name === null) return null;
  let dashes: string;
  if (imported) {
    const fam = family(imported);
    if (fam === 'flag') dashes = '-';
    else if (fam === 'github.com/spf13/pflag') dashes = '--';
    else return null;
  } else {
    const recvCall = operand?.type === 'call_expression' ? child(child(operand, 'function') ?? operand, 'field') : undefined;
    const recvType = typeOf(p, operand);
    const fileImports = [...p.file(call).imports.values()];
    if (recvCall && /^(Flags|PersistentFlags|LocalFlags|InheritedFlags)$/.test(p.text(recvCall))) dashes = '--';
    else if (recvType?.pkg === 'flag') dashes = '-';
    else if (recvType?.pkg === 'github.com/spf13/pflag' || short) dashes = '--';
    else dashes = fileImports.includes('flag') && !fileImports.some((i) => i.startsWith('github.com/spf13/')) ? '-' : '--';
  }
  const target = isVar ? a[0] : null;
  return {
    name: dashes + name,
    defaultNode: a[a.length - 2],
    target: target && p.text(target).startsWith('&') ? (child(target, 'operand') ?? null) : null,
    envs: [],
    node: call,
  };
}

/** kingpin: app.Flag("name", "help").Short('p').Envar("X").Default("v").String() (or .StringVar(&v)). */
function kingpinFlag(p: Program, call: GoNode): FlagReg | null {
  const outer = child(child(call, 'function') ?? call, 'field');
  if (!outer || !flagValue.test(p.text(outer))) return null;
  let defaultNode: GoNode | null = null;
  const envs: string[] = [];
  for (let c: GoNode | undefined = child(child(call, 'function') as GoNode, 'operand'); c?.type === 'call_expression';) {
    const fn = child(c, 'function');
    if (fn?.type !== 'selector_expression') return null;
    const method = p.text(child(fn, 'field') as GoNode);
    const a = args(c);
    if (method === 'Default' && a[0]) defaultNode = a[0];
    if (method === 'Envar' && a[0]) {
      const env = stringOf(p, a[0]);
      if (env) envs.push(env);
    }
    if (method === 'Flag') {
      const name = a[0] ? stringOf(p, a[0]) : null;
      if (name === null || a.length !== 2) return null;
      const target = p.text(outer).endsWith('Var') && args(call)[0] ? (child(args(call)[0], 'operand') ?? null) : null;
      return { name: `--${name}`, defaultNode, target, envs: envs.reverse(), node: call };
    }
    c = child(fn, 'operand');
  }
  return null;
}

/** A string literal or a string constant's value. */
export function stringOf(p: Program, n: GoNode): string | null {
  if (n.type === 'interpreted_string_literal' || n.type === 'raw_string_literal') return stringValue(p.file(n).text, n);
  if (n.type === 'identifier') {
    const b = p.lookup(n);
    if (b?.kind !== 'const') return null;
    const spec = b.decl.parent;
    const names = spec ? spec.children.filter((c) => c.field === 'name') : [];
    const value = spec ? child(spec, 'value')?.children[names.indexOf(b.decl)] : undefined;
    return value && value !== n ? stringOf(p, value) : null;
  }
  return null;
}

export interface EnvRead {
  key: string;
  /** The wrapper's fallback argument, when it has one. */
  fallback: GoNode | null;
}

/** Environment lookups, through wrappers and function values. */
export class EnvReads {
  private readonly wrappers = new Map<GoNode, { key: number; fallback: number | null } | null>();
  constructor(private readonly p: Program) {}

  read(call: GoNode, depth = 0): EnvRead | null {
    const fn = child(call, 'function');
    const a = args(call);
    const key = (i: number) => (a[i] ? stringOf(this.p, a[i]) : null);
    if (!fn || depth > 4) return null;
    if (this.isOsLookup(fn)) {
      const k = key(0);
      return k ? { key: k, fallback: null } : null;
    }
    const decl = this.funcDecl(fn);
    if (decl) {
      const w = this.wrapper(decl, depth);
      const k = w ? key(w.key) : null;
      return w && k ? { key: k, fallback: w.fallback === null ? null : (a[w.fallback] ?? null) } : null;
    }
    if (fn.type === 'identifier' && this.isEnvFunc(fn, depth + 1)) {
      const k = key(0);
      return k ? { key: k, fallback: null } : null;
    }
    return null;
  }

  /** os.Getenv / os.LookupEnv / syscall.Getenv named as a function value. */
  private isOsLookup(fn: GoNode): boolean {
    if (fn.type !== 'selector_expression') return false;
    const imp = this.p.importOf(child(fn, 'operand'));
    const name = this.p.text(child(fn, 'field') as GoNode);
    return (imp === 'os' && (name === 'Getenv' || name === 'LookupEnv')) || (imp === 'syscall' && name === 'Getenv');
  }

  private funcDecl(fn: GoNode): GoNode | null {
    if (fn.type === 'identifier') {
      const b = this.p.lookup(fn);
      return b?.kind === 'func' ? b.decl : null;
    }
    if (fn.type === 'selector_expression') {
      const imp = this.p.importOf(child(fn, 'operand'));
      return (imp && this.p.pkgs.get(imp)?.funcs.get(this.p.text(child(fn, 'field') as GoNode))) || null;
    }
    return null;
  }

  /** A function value that reads the environment: os.Getenv itself, a wrapper, or a parameter bound to one at every call site. */
  isEnvFunc(e: GoNode, depth: number): boolean {
    if (depth > 4) return false;
    if (this.isOsLookup(e)) return true;
    const decl = this.funcDecl(e);
    if (decl) return this.wrapper(decl, depth)?.key === 0;
    if (e.type !== 'identifier') return false;
    const b = this.p.lookup(e);
    if (b?.kind !== 'param' || !b.fn || b.fn.type === 'func_literal') return false;
    const sites = callSites(this.p, b.fn);
    return (
      sites.length > 0 &&
      sites.every((s) => {
        const arg = args(s)[b.index as number];
        return arg !== undefined && this.isEnvFunc(arg, depth + 1);
      })
    );
  }

  /** A function whose parameter `key` names the variable it reads (and whose `fallback` is returned when unset). */
  private wrapper(decl: GoNode, depth: number): { key: number; fallback: number | null } | null {
    if (this.wrappers.has(decl)) return this.wrappers.get(decl) ?? null;
    this.wrappers.set(decl, null);
    const list = params(decl);
    const paramIndex = (n: GoNode | undefined) => {
      const b = n?.type === 'identifier' ? this.p.lookup(n) : null;
      return b?.kind === 'param' && b.fn === decl ? (b.index as number) : -1;
    };
    let found: { key: number; fallback: number | null } | null = null;
    for (const c of descendants(child(decl, 'body') ?? decl, 'call_expression')) {
      if (enclosingFunc(c) !== decl) continue;
      const fn = child(c, 'function');
      if (!fn) continue;
      const inner = this.isOsLookup(fn) ? 0 : this.funcDecl(fn) ? (this.wrapper(this.funcDecl(fn) as GoNode, depth + 1)?.key ?? -1) : -1;
      const k = inner >= 0 ? paramIndex(args(c)[inner]) : -1;
      if (k >= 0) {
        found = { key: k, fallback: null };
        break;
      }
    }
    if (found) {
      // the fallback: another parameter that is returned or passed on
      const used = descendants(child(decl, 'body') ?? decl, 'identifier')
        .map(paramIndex)
        .filter((i) => i >= 0 && i !== found?.key);
      found.fallback = used.length && list.length > 1 ? used[0] : null;
    }
    this.wrappers.set(decl, found);
    return found;
  }
}

/** Calls of a function declaration (methods: every call with the method's name). */
export function callSites(p: Program, fn: GoNode): GoNode[] {
  const nameNode = child(fn, 'name');
  if (!nameNode) return [];
  const name = p.text(nameNode);
  return p.callsNamed(name).filter((c) => {
    const f = child(c, 'function') as GoNode;
    if (fn.type === 'method_declaration') return f.type === 'selector_expression';
    if (f.type === 'identifier') return p.lookup(f)?.decl === fn;
    const imp = p.importOf(child(f, 'operand'));
    return imp !== null && p.pkgs.get(imp)?.funcs.get(name) === fn;
  });
}
