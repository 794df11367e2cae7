/**
 * Follows an expression back to the values it can have by default and the ways it can be set from
 * outside: literals, constants and variables (every write to them, also across files of a package
 * and through struct fields), flag defaults, environment lookups, string concatenation,
 * fmt.Sprintf, net.JoinHostPort and strconv conversions, and the returns of functions in the graph.
 */
import type { PortSetting } from './types';
import { EnvReads, callSites, flagRegistration, type FlagReg } from './envflags';
import { typeOf, type TypeRef } from './gotypes';
import { enclosingFunc, type Program, type Write } from './program';
import { args, child, descendants, intValue, stringValue, type GoNode } from './syntax';
import { tagValue } from './tags';
import { isUrfaveRead, urfaveValue } from './urfave';
import type { Evaluator, Val } from './val';
import { isViperGet, viperValue } from './viper';

export type { Val };

const conversions = new Set(['int', 'int32', 'int64', 'uint', 'uint16', 'uint32', 'uint64', 'string']);
const passThrough: Record<string, Set<string>> = {
  strconv: new Set(['Itoa', 'FormatInt', 'FormatUint', 'Atoi', 'ParseInt', 'ParseUint', 'Quote']),
  fmt: new Set(['Sprint']),
  strings: new Set(['TrimSpace']),
  net: new Set(['ResolveTCPAddr']),
};

export class Values implements Evaluator {
  readonly env: EnvReads;
  private readonly active = new Set<GoNode>();
  private readonly memo = new Map<GoNode, Val | null>();

  constructor(readonly p: Program) {
    this.env = new EnvReads(p);
  }

  eval(e: GoNode | undefined, depth = 0): Val | null {
    if (!e || depth > 24 || this.active.has(e)) return null;
    if (this.memo.has(e)) return this.memo.get(e) ?? null;
    this.active.add(e);
    try {
      const v = this.evalNode(e, depth + 1);
      this.memo.set(e, v);
      return v;
    } finally {
      this.active.delete(e);
    }
  }

  literal(e: GoNode, value: string | number): Val {
    const why = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return { ...(typeof value === 'string' ? { str: value } : { num: value }), settings: [], source: this.p.finding(e, why), why };
  }

  private evalNode(e: GoNode, depth: number): Val | null {
    const p = this.p;
    switch (e.type) {
      case 'interpreted_string_literal':
      case 'raw_string_literal':
        return this.literal(e, stringValue(p.file(e).text, e) ?? '');
      case 'int_literal': {
        const n = intValue(p.file(e).text, e);
        return n === null ? null : this.literal(e, n);
      }
      case 'parenthesized_expression':
      case 'literal_element':
        return this.eval(e.children[0], depth);
      case 'unary_expression': {
        const op = p.text(child(e, 'operator') ?? e);
        return op === '&' || op === '*' ? this.eval(child(e, 'operand'), depth) : null;
      }
      case 'identifier':
        return this.ident(e, depth);
      case 'selector_expression':
        return this.selector(e, depth);
      case 'call_expression':
        return this.call(e, depth);
      case 'binary_expression':
        return p.text(child(e, 'operator') ?? e) === '+' ? this.concat(e, depth) : null;
      case 'composite_literal': {
        // &net.TCPAddr{Port: p}
        const port = descendants(child(e, 'body') ?? e, 'keyed_element').find((k) => p.text(child(k, 'key') ?? k) === 'Port');
        return port ? { port: this.eval(child(port, 'value'), depth) ?? undefined, settings: [], source: null, why: p.text(e) } : null;
      }
      default:
        return null;
    }
  }

  private ident(e: GoNode, depth: number): Val | null {
    const b = this.p.lookup(e);
    if (!b) return null;
    if (b.kind === 'const' || b.kind === 'var') {
      const v = this.merge(this.p.writesTo(e), depth);
      return v && b.kind === 'const' ? { ...v, why: `${this.p.text(e)} = ${v.why}` } : v;
    }
    if (b.kind === 'param' && b.fn && b.fn.type !== 'func_literal') {
      const vals = callSites(this.p, b.fn)
        .slice(0, 8)
        .map((c) => this.eval(args(c)[b.index as number], depth));
      return first(vals);
    }
    return null;
  }

  private selector(e: GoNode, depth: number): Val | null {
    const p = this.p;
    const operand = child(e, 'operand');
    const field = child(e, 'field') as GoNode;
    const imported = p.importOf(operand);
    if (imported) {
      const decl = p.pkgs.get(imported)?.vars.get(p.text(field));
      return decl ? this.merge(p.writesTo(decl), depth) : null;
    }
    const owner = typeOf(p, operand);
    const writes = p.writesTo(e).filter((w) => sameType(owner, this.ownerOf(w)));
    const fromWrites = this.merge(writes, depth);
    const fromTag = tagValue(this, owner, p.text(field));
    const v = fromWrites && fromTag ? combine([fromTag, fromWrites]) : (fromWrites ?? fromTag);
    // the struct is handed to a decoder (json/yaml Unmarshal, a config loader): the field may change at run time
    const whole =
      operand?.type === 'identifier' && !fromTag
        ? p.writesTo(operand).find((w) => w.kind === 'pointer' && w.value && !flagRegistration(p, w.value))
        : undefined;
    const changedBy = whole?.value ? p.text(child(whole.value, 'function') ?? whole.value) : undefined;
    return v && changedBy ? { ...v, changedBy: v.changedBy ?? changedBy } : v;
  }

  /** Every write to a field of one struct type (`srv.Addr = …`, `http.Server{Addr: …}`). */
  fieldOf(owner: TypeRef, field: string, depth = 0): Val | null {
    return this.merge(
      this.p.fieldWrites(field).filter((w) => {
        const o = this.ownerOf(w);
        return o !== null && o.pkg === owner.pkg && o.name === owner.name;
      }),
      depth,
    );
  }

  /** The struct type a field write belongs to, when known. */
  ownerOf(w: Write): TypeRef | null {
    if (w.target.type === 'selector_expression') return typeOf(this.p, child(w.target, 'operand'));
    if (w.target.parent?.type === 'literal_element') {
      for (let n: GoNode | null = w.target.parent; n; n = n.parent) if (n.type === 'composite_literal') return typeOf(this.p, n);
    }
    return null;
  }

  /** The value of a variable or field from all its writes: flag registrations first, then declarations, then assignments. */
  merge(writes: Write[], depth: number): Val | null {
    const rank = { pointer: 0, decl: 1, assign: 2 };
    const vals = [...writes]
      .sort((a, b) => rank[a.kind] - rank[b.kind] || a.target.start - b.target.start)
      .map((w) => {
        if (w.kind === 'pointer') {
          const reg = w.value ? flagRegistration(this.p, w.value) : null;
          return reg && reg.target === w.target ? this.flag(reg, depth) : null;
        }
        return w.value && w.index === 0 ? this.eval(w.value, depth) : null;
      });
    return combine(vals.filter((v): v is Val => v !== null));
  }

  flag(reg: FlagReg, depth: number): Val {
    const d = reg.defaultNode ? this.eval(reg.defaultNode, depth) : null;
    const settings: PortSetting[] = [
      { kind: 'flag', name: reg.name, address: false },
      ...reg.envs.map((name): PortSetting => ({ kind: 'env', name })),
      ...(d?.settings ?? []),
    ];
    return { ...(d ?? { source: null }), settings, why: `flag ${reg.name}${d ? ` (default ${d.why})` : ''}` };
  }

  private call(e: GoNode, depth: number): Val | null {
    const p = this.p;
    const fn = child(e, 'function');
    const a = args(e);
    if (!fn) return null;
    const reg = flagRegistration(p, e);
    if (reg && !reg.target) return this.flag(reg, depth);
    if (isViperGet(p, e)) return viperValue(this, e, depth);
    if (isUrfaveRead(p, e)) return urfaveValue(this, e, depth);
    const env = this.env.read(e);
    if (env) {
      const d = env.fallback ? this.eval(env.fallback, depth) : null;
      return {
        ...(d ?? { source: null }),
        settings: [{ kind: 'env', name: env.key }, ...(d?.settings ?? [])],
        why: `env ${env.key}${d ? ` (default ${d.why})` : ''}`,
      };
    }
    if (fn.type === 'identifier') {
      const name = p.text(fn);
      const b = p.lookup(fn);
      if (!b && conversions.has(name)) return this.eval(a[0], depth);
      return b?.kind === 'func' ? this.returns(b.decl, depth) : null;
    }
    if (fn.type !== 'selector_expression') return null;
    const operand = child(fn, 'operand');
    const name = p.text(child(fn, 'field') as GoNode);
    const imported = p.importOf(operand);
    if (imported) {
      if (passThrough[imported]?.has(name)) return this.eval(a[name === 'ResolveTCPAddr' ? 1 : 0], depth);
      if (imported === 'net' && name === 'JoinHostPort') return this.hostPort(e, a[0], a[1], depth);
      if (imported === 'fmt' && name === 'Sprintf') return this.sprintf(e, depth);
      const decl = p.pkgs.get(imported)?.funcs.get(name);
      if (decl) return this.returns(decl, depth);
      return this.libraryAddress(e, `${imported}.${name}`);
    }
    const recv = typeOf(p, operand);
    const methods = [...p.pkgs.values()].flatMap((pkg) =>
      (pkg.methods.get(name) ?? []).filter((m) => !recv || (pkg.importPath === recv.pkg && m.recv === recv.name)),
    );
    return methods.length === 1 ? this.returns(methods[0].node, depth) : null;
  }

  /** A library call given an address literal (a listen-address flag default, a config): the literal is the value. */
  private libraryAddress(e: GoNode, callee: string): Val | null {
    for (const a of args(e)) {
      const s = a.type === 'interpreted_string_literal' || a.type === 'raw_string_literal' ? stringValue(this.p.file(a).text, a) : null;
      if (s !== null && /^[\w.-]*:\d+$|^\[[0-9a-fA-F:]*\]:\d+$/.test(s)) {
        const v = this.literal(a, s);
        // the library decides how the address can be changed (a flag of its own, a config): not fixed
        return { ...v, why: `${v.why} passed to ${callee}`, changedBy: callee };
      }
    }
    return null;
  }

  private returns(decl: GoNode, depth: number): Val | null {
    const body = child(decl, 'body');
    if (!body) return null;
    const vals = descendants(body, 'return_statement')
      .filter((r) => enclosingFunc(r) === decl)
      .map((r) => this.eval(r.children[0]?.children[0], depth));
    return first(vals);
  }

  private hostPort(e: GoNode, host: GoNode | undefined, port: GoNode | undefined, depth: number): Val {
    const h = this.eval(host, depth);
    const pv = this.eval(port, depth);
    const known = h?.str !== undefined && (pv?.str !== undefined || pv?.num !== undefined);
    return {
      ...(known ? { str: `${h?.str}:${pv?.str ?? pv?.num}` } : {}),
      port: pv ?? undefined,
      settings: [],
      source: null,
      why: `net.JoinHostPort(${this.p.text(host ?? e)}, ${pv?.why ?? '?'})`,
    };
  }

  private sprintf(e: GoNode, depth: number): Val | null {
    const [format, ...rest] = args(e);
    const f = this.eval(format, depth)?.str;
    if (f === undefined) return null;
    const verbs = [...f.matchAll(/%[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])/g)].filter((m) => m[1] !== '%');
    if (verbs.length === 1 && verbs[0].index === 0 && verbs[0][0].length === f.length) return this.eval(rest[0], depth);
    const i = verbs.findIndex((m) => m.index !== undefined && m.index > 0 && f[m.index - 1] === ':');
    if (i < 0) return /:\d+$/.test(f) && !verbs.length ? this.literal(format, f) : null;
    const pv = this.eval(rest[i], depth);
    return { port: pv ?? undefined, settings: [], source: null, why: `fmt.Sprintf(${JSON.stringify(f)}, ${pv?.why ?? '?'})` };
  }

  /** "host:" + port, ":" + strconv.Itoa(port), or a concatenation of known strings. */
  private concat(e: GoNode, depth: number): Val | null {
    // left-deep a + b + c, flattened without recursion
    const parts: GoNode[] = [];
    const stack: GoNode[] = [e];
    while (stack.length) {
      const n = stack.pop() as GoNode;
      if (n.type === 'binary_expression' && this.p.text(child(n, 'operator') ?? n) === '+') stack.push(child(n, 'right') as GoNode, child(n, 'left') as GoNode);
      else parts.push(n);
    }
    if (parts.length > 64) return null; // a table, not an address
    const vals = parts.map((n) => this.eval(n, depth));
    const whole = vals.every((v) => v?.str !== undefined) ? vals.map((v) => v?.str).join('') : undefined;
    const colon = vals.map((v) => v?.str?.includes(':') ?? false).lastIndexOf(true);
    if (colon < 0) return whole === undefined ? null : { str: whole, settings: [], source: vals[vals.length - 1]?.source ?? null, why: JSON.stringify(whole) };
    const after = (vals[colon]?.str as string).split(':').pop() as string;
    const pv = after ? vals[colon] : vals[colon + 1];
    const why = parts.map((n, i) => (i === colon + 1 && !after ? (pv?.why ?? this.p.text(n)) : this.p.text(n))).join(' + ');
    return { ...(whole !== undefined ? { str: whole } : {}), port: pv ?? undefined, settings: [], source: null, why };
  }
}

function sameType(a: TypeRef | null, b: TypeRef | null): boolean {
  return !a || !b || a.name === '?' || b.name === '?' || (a.pkg === b.pkg && a.name === b.name);
}

function known(v: Val | null): boolean {
  return v !== null && (v.str !== undefined || v.num !== undefined || v.port !== undefined);
}

/** The first value with a known default, with every way to set any of them (flags before env). */
export function combine(vals: Val[]): Val | null {
  if (!vals.length) return null;
  const base = vals.find(known) ?? vals[0];
  const settings: PortSetting[] = [];
  for (const s of vals.flatMap((v) => v.settings).sort((x, y) => Number(x.kind !== 'flag') - Number(y.kind !== 'flag'))) {
    if (!settings.some((t) => t.kind === s.kind && 'name' in t && 'name' in s && t.name === s.name)) settings.push(s);
  }
  return { ...base, settings, changedBy: vals.find((v) => v.changedBy)?.changedBy };
}

function first(vals: (Val | null)[]): Val | null {
  return combine(vals.filter((v): v is Val => v !== null));
}
