/**
 * A light type inference over syntax trees: the package and name of an expression's type where
 * the tree says it (composite literals, declared types of variables, parameters and struct
 * fields, results of functions in the graph, and constructors of well-known libraries). Used to
 * tell an http.Server from a gin.Engine by import path, not by method name.
 */
import { Program } from './program';
import { args, child, childrenOf, descendants, type GoNode } from './syntax';

export interface TypeRef {
  /** Import path of the declaring package, without a /vN suffix for libraries. */
  pkg: string;
  /** Type name, or '?' when only the package is known (a library call's result). */
  name: string;
}

/** Import path without its major-version suffix: github.com/go-chi/chi/v5 → github.com/go-chi/chi. */
export function family(importPath: string): string {
  return importPath.replace(/\/v\d+$/, '').replace(/\.v\d+$/, '');
}

/** Constructors of well-known libraries whose result type matters (the library is not in the graph). */
const constructors: Record<string, Record<string, string>> = {
  'net/http': { NewServeMux: 'ServeMux' },
  'github.com/go-chi/chi': { NewRouter: 'Mux', NewMux: 'Mux' },
  'github.com/gorilla/mux': { NewRouter: 'Router' },
  'github.com/gin-gonic/gin': { Default: 'Engine', New: 'Engine' },
  'github.com/labstack/echo': { New: 'Echo' },
  'github.com/gofiber/fiber': { New: 'App' },
  'google.golang.org/grpc': { NewServer: 'Server' },
  'github.com/julienschmidt/httprouter': { New: 'Router' },
  flag: { NewFlagSet: 'FlagSet' },
  'github.com/spf13/pflag': { NewFlagSet: 'FlagSet' },
};

export function typeOf(p: Program, e: GoNode | undefined, depth = 0): TypeRef | null {
  if (!e || depth > 8) return null;
  switch (e.type) {
    case 'parenthesized_expression':
    case 'literal_element':
      return typeOf(p, e.children[0], depth + 1);
    case 'unary_expression':
      return typeOf(p, child(e, 'operand'), depth + 1);
    case 'composite_literal':
      return typeNode(p, child(e, 'type'));
    case 'call_expression':
      return callType(p, e, depth);
    case 'identifier':
      return identType(p, e, depth);
    case 'selector_expression': {
      const operand = child(e, 'operand');
      const field = child(e, 'field');
      if (!field) return null;
      const imported = p.importOf(operand);
      if (imported) {
        const decl = p.pkgs.get(imported)?.vars.get(p.text(field));
        return decl ? identType(p, decl, depth) : null;
      }
      return fieldType(p, typeOf(p, operand, depth + 1), p.text(field));
    }
    default:
      return null;
  }
}

/** The type a type expression names (pointers dropped). */
export function typeNode(p: Program, t: GoNode | undefined): TypeRef | null {
  if (!t) return null;
  if (t.type === 'pointer_type' || t.type === 'parenthesized_type') return typeNode(p, t.children[0]);
  if (t.type === 'generic_type') return typeNode(p, child(t, 'type'));
  if (t.type === 'qualified_type') {
    const pkg = child(t, 'package');
    const name = child(t, 'name');
    const path = pkg ? p.file(t).imports.get(p.text(pkg)) : undefined;
    return path && name ? { pkg: p.pkgs.has(path) ? path : family(path), name: p.text(name) } : null;
  }
  if (t.type === 'type_identifier') {
    const pkg = p.pkgOf(t);
    const name = p.text(t);
    // a local alias or definition of a library type (type Router = chi.Router) stands for it
    const spec = pkg.types.get(name);
    const under = spec ? child(spec, 'type') : undefined;
    if (under && (under.type === 'qualified_type' || under.type === 'pointer_type')) return typeNode(p, under);
    return { pkg: pkg.importPath, name };
  }
  return null;
}

function callType(p: Program, call: GoNode, depth: number): TypeRef | null {
  const fn = child(call, 'function');
  if (!fn) return null;
  if (fn.type === 'identifier') {
    const name = p.text(fn);
    if (name === 'new') return typeNode(p, args(call)[0]);
    const b = p.lookup(fn);
    return b?.kind === 'func' ? resultType(p, b.decl) : null;
  }
  if (fn.type !== 'selector_expression') return null;
  const operand = child(fn, 'operand');
  const name = p.text(child(fn, 'field') as GoNode);
  const imported = p.importOf(operand);
  if (imported) {
    const decl = p.pkgs.get(imported)?.funcs.get(name);
    if (decl) return resultType(p, decl);
    const fam = family(imported);
    const known = constructors[fam]?.[name];
    return { pkg: fam, name: known ?? '?' };
  }
  const recv = typeOf(p, operand, depth + 1);
  if (!recv) return null;
  const pkg = p.pkgs.get(recv.pkg);
  if (!pkg) return { pkg: recv.pkg, name: '?' }; // a library method: same library
  const m = pkg.methods.get(name)?.find((x) => x.recv === recv.name);
  return m ? resultType(p, m.node) : null;
}

function resultType(p: Program, decl: GoNode): TypeRef | null {
  const r = child(decl, 'result');
  if (!r) return null;
  if (r.type === 'parameter_list') return typeNode(p, r.children[0] ? child(r.children[0], 'type') : undefined);
  return typeNode(p, r);
}

function identType(p: Program, ident: GoNode, depth: number): TypeRef | null {
  const b = p.lookup(ident);
  if (!b || b.kind === 'func' || b.kind === 'import') return null;
  const decl = b.decl;
  const holder = decl.parent;
  if (!holder) return null;
  if (holder.type === 'parameter_declaration' || holder.type === 'var_spec' || holder.type === 'const_spec') {
    const declared = typeNode(p, child(holder, 'type'));
    if (declared) return declared;
  }
  if (holder.type === 'var_spec' || holder.type === 'const_spec') {
    const names = childrenOf(holder, 'name');
    const values = child(holder, 'value')?.children ?? [];
    const i = names.indexOf(decl);
    return values.length === names.length ? typeOf(p, values[i], depth + 1) : null;
  }
  const stmt = holder.parent;
  if (holder.type === 'expression_list' && stmt?.type === 'short_var_declaration') {
    const i = holder.children.indexOf(decl);
    const values = child(stmt, 'right')?.children ?? [];
    if (values.length === holder.children.length) return typeOf(p, values[i], depth + 1);
    return i === 0 && values.length === 1 ? typeOf(p, values[0], depth + 1) : null;
  }
  return null;
}

/** The type of a struct field (embedded structs included, one level). */
export function fieldType(p: Program, owner: TypeRef | null, field: string): TypeRef | null {
  const decl = fieldDecl(p, owner, field);
  return decl ? typeNode(p, child(decl, 'type')) : null;
}

/** The field_declaration of a struct field, when the struct is declared in the graph. */
export function fieldDecl(p: Program, owner: TypeRef | null, field: string): GoNode | null {
  const spec = owner ? p.pkgs.get(owner.pkg)?.types.get(owner.name) : undefined;
  const struct = spec ? child(spec, 'type') : undefined;
  if (!struct || struct.type !== 'struct_type') return null;
  for (const fd of descendants(struct, 'field_declaration', (n) => n.type !== 'struct_type' || n === struct)) {
    if (childrenOf(fd, 'name').some((n) => p.text(n) === field)) return fd;
  }
  return null;
}

/** Types embedded in a struct declared in the graph (their methods are promoted to it). */
export function embeddedTypes(p: Program, owner: TypeRef | null): TypeRef[] {
  const spec = owner ? p.pkgs.get(owner.pkg)?.types.get(owner.name) : undefined;
  const struct = spec ? child(spec, 'type') : undefined;
  if (!struct || struct.type !== 'struct_type') return [];
  const out: TypeRef[] = [];
  for (const fd of descendants(struct, 'field_declaration', (n) => n.type !== 'struct_type' || n === struct)) {
    if (childrenOf(fd, 'name').length) continue;
    const t = typeNode(p, child(fd, 'type') ?? fd.children[0]);
    if (t) out.push(t);
  }
  return out;
}
