/**
 * Which router a server serves: routers are identified by where they are made (http.NewServeMux(),
 * chi.NewRouter(), gin.Default(), …, or net/http's DefaultServeMux), followed through variables,
 * parameters, struct fields, functions' returns, middleware wrappers and mounts. Lets health routes
 * be matched to the listener whose port is reported, so a route on an admin listener is not
 * offered for the main port.
 */
import { callSites } from './envflags';
import { family, typeOf } from './gotypes';
import type { Program } from './program';
import { args, child, descendants, type GoNode } from './syntax';

/** A router's identity: the call or literal that makes it, or net/http's DefaultServeMux. */
export type Origin = GoNode | 'default';

const makers: Record<string, Set<string>> = {
  'net/http': new Set(['NewServeMux']),
  'github.com/go-chi/chi': new Set(['NewRouter', 'NewMux']),
  'github.com/gorilla/mux': new Set(['NewRouter']),
  'github.com/gin-gonic/gin': new Set(['Default', 'New']),
  'github.com/labstack/echo': new Set(['New']),
  'github.com/gofiber/fiber': new Set(['New']),
  'github.com/julienschmidt/httprouter': new Set(['New']),
};
const sameRouter = new Set(['Group', 'Route', 'With', 'Subrouter', 'PathPrefix', 'Host', 'Methods', 'Use', 'ServeHTTP']);

export class Served {
  private readonly memo = new Map<GoNode, Set<Origin>>();

  constructor(private readonly p: Program) {}

  /** The routers an expression can be (empty when not known). */
  origins(e: GoNode | undefined, depth = 0): Set<Origin> {
    if (!e || depth > 10) return new Set();
    const cached = this.memo.get(e);
    if (cached) return cached;
    this.memo.set(e, new Set()); // cycles end here
    const out = this.compute(e, depth);
    this.memo.set(e, out);
    return out;
  }

  private all(list: (GoNode | undefined)[], depth: number): Set<Origin> {
    const out = new Set<Origin>();
    for (const n of list) for (const o of this.origins(n, depth + 1)) out.add(o);
    return out;
  }

  private compute(e: GoNode, depth: number): Set<Origin> {
    const p = this.p;
    switch (e.type) {
      case 'nil':
        return new Set(['default']);
      case 'parenthesized_expression':
      case 'unary_expression':
        return this.origins(e.children[e.children.length - 1], depth + 1);
      case 'composite_literal':
        return new Set([e]);
      case 'identifier': {
        if (p.text(e) === 'nil') return new Set(['default']);
        const b = p.lookup(e);
        if (!b) return new Set();
        if (b.kind === 'param' && b.fn?.type === 'func_literal') {
          // r.Route("/x", func(r chi.Router) {…}): the router the call is made on
          const owner = b.fn.parent?.type === 'argument_list' ? b.fn.parent.parent : null;
          const fn = owner ? child(owner, 'function') : undefined;
          return fn?.type === 'selector_expression' ? this.origins(child(fn, 'operand'), depth + 1) : new Set();
        }
        if (b.kind === 'param' && b.fn)
          return this.all(
            callSites(p, b.fn).map((c) => args(c)[b.index as number]),
            depth,
          );
        return this.all(
          p
            .writesTo(e)
            .filter((w) => w.kind !== 'pointer' && w.index === 0)
            .map((w) => w.value ?? undefined),
          depth,
        );
      }
      case 'selector_expression': {
        const operand = child(e, 'operand');
        const field = p.text(child(e, 'field') as GoNode);
        if (p.importOf(operand) === 'net/http' && field === 'DefaultServeMux') return new Set(['default']);
        if (field === 'ServeHTTP') return this.origins(operand, depth + 1);
        if (p.importOf(operand)) return new Set();
        return this.all(
          p
            .writesTo(e)
            .filter((w) => w.kind !== 'pointer' && w.index === 0)
            .map((w) => w.value ?? undefined),
          depth,
        );
      }
      case 'call_expression':
        return this.call(e, depth);
      default:
        return new Set();
    }
  }

  private call(e: GoNode, depth: number): Set<Origin> {
    const p = this.p;
    const fn = child(e, 'function');
    if (!fn) return new Set();
    if (fn.type === 'selector_expression') {
      const operand = child(fn, 'operand');
      const name = p.text(child(fn, 'field') as GoNode);
      const imported = p.importOf(operand);
      if (imported && makers[family(imported)]?.has(name)) return new Set([e]);
      if (!imported && sameRouter.has(name)) return this.origins(operand, depth + 1);
      const decls = imported ? [p.pkgs.get(imported)?.funcs.get(name)].filter((d): d is GoNode => !!d) : this.methods(operand, name);
      if (decls.length) return this.all([...decls.flatMap((d) => returned(d)), ...args(e)], depth);
      // a library wrapper (h2c.NewHandler(h, …), handlers.LoggingHandler(w, h)): whatever it wraps
      return this.all(args(e), depth);
    }
    if (fn.type === 'identifier') {
      const b = p.lookup(fn);
      if (b?.kind === 'func') return this.all([...returned(b.decl), ...args(e)], depth);
      return this.all(args(e), depth); // a conversion: http.Handler(x), http.HandlerFunc(f)
    }
    return new Set();
  }

  private methods(operand: GoNode | undefined, name: string): GoNode[] {
    const t = typeOf(this.p, operand);
    return [...this.p.pkgs.values()].flatMap((pkg) =>
      (pkg.methods.get(name) ?? []).filter((m) => !t || (pkg.importPath === t.pkg && m.recv === t.name)).map((m) => m.node),
    );
  }
}

function returned(decl: GoNode): GoNode[] {
  return descendants(child(decl, 'body') ?? decl, 'return_statement').flatMap((r) => (r.children[0]?.children[0] ? [r.children[0].children[0]] : []));
}
