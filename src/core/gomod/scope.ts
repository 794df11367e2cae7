/**
 * Go's block scoping on the syntax tree: which declaration an identifier refers to within its
 * function (parameters, results, receivers, := and var/const in enclosing blocks, if/for/switch
 * initializers, range and select clauses).
 */
import type { Binding } from './binding';
import { child, childrenOf, descendants, text, type GoNode } from './syntax';

/** The enclosing function declaration or literal of a node. */
export function enclosingFunc(node: GoNode): GoNode | null {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_declaration' || n.type === 'method_declaration' || n.type === 'func_literal') return n;
  return null;
}

/** Parameters of a function in order, with names ('' for unnamed), the receiver excluded. */
export function params(fn: GoNode): { name: GoNode | null; type: GoNode | null }[] {
  const out: { name: GoNode | null; type: GoNode | null }[] = [];
  for (const p of child(fn, 'parameters')?.children ?? []) {
    const names = childrenOf(p, 'name');
    const type = child(p, 'type') ?? null;
    if (!names.length) out.push({ name: null, type });
    for (const n of names) out.push({ name: n, type });
  }
  return out;
}

export function declaredIn(src: string, scope: GoNode, from: GoNode, ident: GoNode): Binding | null {
  const name = text(src, ident);
  const is = (n: GoNode | undefined) => n !== undefined && n.type === 'identifier' && text(src, n) === name;
  if (scope.type === 'function_declaration' || scope.type === 'method_declaration' || scope.type === 'func_literal') {
    if (from.field !== 'body') return null;
    const list = params(scope);
    const i = list.findIndex((p) => is(p.name ?? undefined));
    if (i >= 0) return { decl: list[i].name as GoNode, kind: 'param', fn: scope, index: i };
    for (const p of [...(child(scope, 'receiver')?.children ?? []), ...(child(scope, 'result')?.children ?? [])])
      for (const n of childrenOf(p, 'name')) if (is(n)) return { decl: n, kind: 'var' };
    return null;
  }
  // Statements that declare names for the rest of this scope: earlier statements of a block, or a
  // statement's own initializer / range / receive clause. Inside the declaring statement itself only
  // the declared identifier binds to itself (`x := x + 1` reads the outer x).
  let candidates: GoNode[] = [];
  if (scope.type === 'statement_list') candidates = scope.children.filter((s) => s.end <= ident.start || s === from);
  else if (['if_statement', 'expression_switch_statement', 'type_switch_statement'].includes(scope.type)) candidates = childrenOf(scope, 'initializer');
  else if (scope.type === 'for_statement')
    candidates = [
      ...scope.children.filter((c) => c.type === 'range_clause'),
      ...scope.children.filter((c) => c.type === 'for_clause').flatMap((c) => childrenOf(c, 'initializer')),
    ];
  else if (scope.type === 'communication_case') candidates = childrenOf(scope, 'communication');
  if (scope.type === 'type_switch_statement') for (const a of childrenOf(scope, 'alias')) if (is(a)) return { decl: a, kind: 'var' };
  let found: Binding | null = null;
  for (const s of candidates) {
    const own = s === from || contains(s, ident);
    const binds = (n: GoNode) => is(n) && (!own || n === ident);
    if (s.type === 'short_var_declaration' || s.type === 'range_clause' || s.type === 'receive_statement') {
      if (s.type === 'range_clause' && !/:=/.test(src.slice(s.start, s.end))) continue;
      for (const n of child(s, 'left')?.children ?? []) if (binds(n)) found ??= { decl: n, kind: 'var' };
    } else if (s.type === 'var_declaration' || s.type === 'const_declaration') {
      for (const spec of descendants(s, ['var_spec', 'const_spec']))
        for (const n of childrenOf(spec, 'name')) if (binds(n)) found ??= { decl: n, kind: s.type === 'const_declaration' ? 'const' : 'var' };
    }
  }
  return found;
}

function contains(outer: GoNode, inner: GoNode): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}
