/**
 * HTTP routes registered in code that runs, with their full paths: net/http ServeMux patterns
 * ("GET /health", "/status/" subtrees), chi (Get, Route, Mount, Group, With), gorilla/mux
 * (HandleFunc(...).Methods, PathPrefix(...).Subrouter()), gin and echo (GET, Group), fiber
 * (Get, Group) and httprouter. Router families come from the receiver's type (by import path),
 * else from the router libraries the file imports. Path strings are followed through constants.
 */
import { callSites } from './envflags';
import { family, typeOf } from './gotypes';
import { enclosingFunc, type Program } from './program';
import { args, child, descendants, type GoNode } from './syntax';
import type { Values } from './values';

export interface Route {
  node: GoNode;
  /** Methods the route answers; null: any. */
  methods: string[] | null;
  /** Full path (router prefixes applied), one per prefix the router can have. */
  paths: string[];
  /** The route also matches every path below (ServeMux "/x/", Mount, PathPrefix). */
  subtree: boolean;
  handler: GoNode | null;
  /** The pattern as registered (after constants), for reasons. */
  pattern: string;
  /** The router it is registered on; null: net/http's DefaultServeMux (http.Handle). */
  receiver: GoNode | null;
}

type Registration = { method: string | null | 'arg'; path: number; handler: number | 'last'; subtree?: boolean };
const verbs = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'];
const title = (v: string) => v[0] + v.slice(1).toLowerCase();

const mux: Record<string, Registration> = { Handle: { method: null, path: 0, handler: 1 }, HandleFunc: { method: null, path: 0, handler: 1 } };
const families: Record<string, Record<string, Registration>> = {
  'net/http': mux,
  'github.com/go-chi/chi': {
    ...mux,
    ...Object.fromEntries(verbs.map((v) => [title(v), { method: v, path: 0, handler: 1 }])),
    Method: { method: 'arg', path: 1, handler: 2 },
    MethodFunc: { method: 'arg', path: 1, handler: 2 },
    Mount: { method: null, path: 0, handler: 1, subtree: true },
  },
  'github.com/gorilla/mux': mux,
  'github.com/gin-gonic/gin': {
    ...Object.fromEntries(verbs.map((v) => [v, { method: v, path: 0, handler: 'last' }])),
    Any: { method: null, path: 0, handler: 'last' },
    Handle: { method: 'arg', path: 1, handler: 'last' },
  },
  'github.com/labstack/echo': {
    ...Object.fromEntries(verbs.map((v) => [v, { method: v, path: 0, handler: 1 }])),
    Any: { method: null, path: 0, handler: 1 },
    Add: { method: 'arg', path: 1, handler: 2 },
  },
  'github.com/gofiber/fiber': {
    ...Object.fromEntries(verbs.map((v) => [title(v), { method: v, path: 0, handler: 'last' }])),
    All: { method: null, path: 0, handler: 'last' },
    Add: { method: 'arg', path: 1, handler: 'last' },
  },
  'github.com/julienschmidt/httprouter': {
    ...Object.fromEntries(verbs.map((v) => [v, { method: v, path: 0, handler: 1 }])),
    Handle: { method: 'arg', path: 1, handler: 2 },
    Handler: { method: 'arg', path: 1, handler: 2 },
    HandlerFunc: { method: 'arg', path: 1, handler: 2 },
  },
};
const routerFamilies = Object.keys(families).filter((f) => f !== 'net/http');
const allNames = new Set(Object.values(families).flatMap((f) => Object.keys(f)));

export class Routes {
  /** Routers mounted on others (chi Mount, ServeMux + http.StripPrefix): the inner router is served by the outer. */
  readonly mounts: { receiver: GoNode | null; prefix: string; handler: GoNode }[] = [];

  /** `enhancedPatterns`: ServeMux patterns with methods and wildcards (Go 1.22+, when go.mod says go 1.22 or later). */
  constructor(
    private readonly p: Program,
    private readonly values: Values,
    private readonly enhancedPatterns = true,
  ) {}

  find(): Route[] {
    const p = this.p;
    const candidates: { call: GoNode; fam: string; reg: Registration; receiver: GoNode | null }[] = [];
    for (const f of p.files) {
      for (const call of descendants(f.root, 'call_expression')) {
        const fn = child(call, 'function');
        if (fn?.type !== 'selector_expression') continue;
        const name = p.text(child(fn, 'field') as GoNode);
        if ((!allNames.has(name) && name !== 'Handler' && name !== 'HandlerFunc') || !p.isReachable(call)) continue;
        const operand = child(fn, 'operand') as GoNode;
        const imported = p.importOf(operand);
        if (imported) {
          if (imported === 'net/http' && mux[name]) candidates.push({ call, fam: 'net/http', reg: mux[name], receiver: null });
          continue;
        }
        // gorilla: r.Path("/x").Handler(h) / r.PathPrefix("/x").Handler(h)
        const pathCall = operand.type === 'call_expression' ? child(child(operand, 'function') ?? operand, 'field') : undefined;
        if ((name === 'Handler' || name === 'HandlerFunc') && pathCall && /^Path(Prefix)?$/.test(p.text(pathCall))) {
          candidates.push({
            call,
            fam: 'github.com/gorilla/mux',
            reg: { method: null, path: -1, handler: 0, subtree: p.text(pathCall) === 'PathPrefix' },
            receiver: child(child(operand, 'function') as GoNode, 'operand') ?? null,
          });
          continue;
        }
        const fam = this.familyOf(operand, call);
        const reg = fam ? families[fam]?.[name] : undefined;
        if (fam && reg) candidates.push({ call, fam, reg, receiver: operand });
      }
    }
    for (const c of candidates) this.noteMount(c.call, c.fam, c.reg, c.receiver);
    return candidates.flatMap((c) => this.route(c.call, c.fam, c.reg, c.receiver) ?? []);
  }

  /** The router library of a receiver: its type's import path, else the one router library the file (or the program) imports, else net/http. */
  private familyOf(operand: GoNode, call: GoNode): string | null {
    const t = typeOf(this.p, operand);
    if (t) {
      const fam = family(t.pkg);
      return families[fam] ? fam : null;
    }
    const imported = (imports: Iterable<string>) => routerFamilies.filter((r) => [...imports].some((i) => family(i) === r || family(i).startsWith(`${r}/`)));
    const inFile = imported(this.p.file(call).imports.values());
    if (inFile.length === 1) return inFile[0];
    const inProgram = imported(this.p.files.flatMap((f) => f.importList.map((i) => i.path)));
    if (inProgram.length === 1 && !inFile.length) return inProgram[0];
    return inFile.length ? null : 'net/http';
  }

  private str(n: GoNode | undefined): string | null {
    const v = n ? this.values.eval(n) : null;
    return v?.str ?? null;
  }

  private noteMount(call: GoNode, fam: string, reg: Registration, receiver: GoNode | null): void {
    const a = args(call);
    const pattern = reg.path >= 0 ? this.str(a[reg.path]) : this.pathOfPathCall(call);
    const handler = a[typeof reg.handler === 'number' ? reg.handler : a.length - 1];
    if (pattern === null || !handler) return;
    if (fam === 'github.com/go-chi/chi' && reg.subtree) this.mounts.push({ receiver, prefix: pattern, handler });
    else {
      // mux.Handle("/api/", http.StripPrefix("/api", inner)): inner's routes are under /api
      const strip = handler.type === 'call_expression' ? child(handler, 'function') : undefined;
      if (
        strip?.type === 'selector_expression' &&
        this.p.importOf(child(strip, 'operand')) === 'net/http' &&
        this.p.text(child(strip, 'field') as GoNode) === 'StripPrefix'
      ) {
        const prefix = this.str(args(handler)[0]);
        if (prefix !== null && args(handler)[1]) this.mounts.push({ receiver, prefix, handler: args(handler)[1] });
      }
    }
  }

  private pathOfPathCall(call: GoNode): string | null {
    const operand = child(child(call, 'function') as GoNode, 'operand');
    return operand ? this.str(args(operand)[0]) : null;
  }

  private route(call: GoNode, fam: string, reg: Registration, receiver: GoNode | null): Route | null {
    const a = args(call);
    let pattern = reg.path >= 0 ? this.str(a[reg.path]) : this.pathOfPathCall(call);
    if (pattern === null) return null;
    let methods: string[] | null = reg.method === 'arg' ? [this.str(a[0]) ?? '?'] : reg.method ? [reg.method] : null;
    let subtree = Boolean(reg.subtree);
    if (fam === 'net/http' || (fam === 'github.com/go-chi/chi' && !reg.method && !reg.subtree && /^[A-Z]+ /.test(pattern))) {
      // before Go 1.22 (or with a go.mod older than 1.22) "GET /x" is a host pattern for a host named "GET "
      const m = this.enhancedPatterns || fam !== 'net/http' ? /^(?:([A-Z]+)\s+)?([^/]*)(\/.*)$/.exec(pattern) : /^()([^/]*)(\/.*)$/.exec(pattern);
      if (!m || m[2]) return null; // host-specific patterns are not for a health check by address
      if (m[1]) methods = [m[1]];
      pattern = m[3];
      subtree = fam === 'net/http' && pattern.endsWith('/');
      if (this.enhancedPatterns && pattern.endsWith('/{$}')) pattern = pattern.slice(0, -3);
    }
    // gorilla: r.HandleFunc("/x", h).Methods("GET")
    const chained = call.parent?.type === 'selector_expression' && call.parent.parent?.type === 'call_expression' ? call.parent.parent : null;
    if (chained && this.p.text(child(call.parent as GoNode, 'field') as GoNode) === 'Methods') methods = args(chained).map((x) => this.str(x) ?? '?');
    const prefixes = receiver ? this.prefixesOf(receiver, 0) : [''];
    const handler = a[typeof reg.handler === 'number' ? reg.handler : a.length - 1] ?? null;
    return {
      node: call,
      methods,
      paths: [...new Set(prefixes.map((x) => join(x, pattern as string)))],
      subtree,
      handler,
      pattern: methods ? `${methods.join(',')} ${pattern}` : pattern,
      receiver,
    };
  }

  /** The path prefixes a router expression can carry (Group, Route, Subrouter, Mount, StripPrefix mounts). */
  prefixesOf(e: GoNode, depth: number): string[] {
    const p = this.p;
    if (depth > 8) return [''];
    const under = (receiver: GoNode | undefined, prefix: string | null) =>
      receiver && prefix !== null ? this.prefixesOf(receiver, depth + 1).map((x) => join(x, prefix)) : [''];
    if (e.type === 'parenthesized_expression' || e.type === 'unary_expression') return this.prefixesOf(e.children[e.children.length - 1], depth + 1);
    if (e.type === 'call_expression') {
      const fn = child(e, 'function');
      if (fn?.type === 'selector_expression' && !p.importOf(child(fn, 'operand'))) {
        const name = p.text(child(fn, 'field') as GoNode);
        const operand = child(fn, 'operand') as GoNode;
        const a = args(e);
        if (name === 'Group' || name === 'Route') return a[0] && this.str(a[0]) !== null ? under(operand, this.str(a[0])) : this.prefixesOf(operand, depth + 1);
        if (name === 'Subrouter' && operand.type === 'call_expression') {
          const inner = child(operand, 'function');
          if (inner?.type === 'selector_expression' && p.text(child(inner, 'field') as GoNode) === 'PathPrefix')
            return under(child(inner, 'operand'), this.str(args(operand)[0]));
          return this.prefixesOf(operand, depth + 1);
        }
        if (['With', 'Host', 'Methods', 'Schemes', 'Use'].includes(name)) return this.prefixesOf(operand, depth + 1);
      }
      return this.mounted(e, depth);
    }
    if (e.type === 'identifier') {
      const b = p.lookup(e);
      if (!b) return [''];
      if (b.kind === 'param' && b.fn?.type === 'func_literal') {
        // r.Route("/debug", func(r chi.Router) {…}), r.Group(func(r chi.Router) {…})
        const owner = b.fn.parent?.type === 'argument_list' ? b.fn.parent.parent : null;
        const ofn = owner ? child(owner, 'function') : undefined;
        if (owner && ofn?.type === 'selector_expression') {
          const name = p.text(child(ofn, 'field') as GoNode);
          const a = args(owner);
          if (name === 'Route') return under(child(ofn, 'operand'), this.str(a[0]));
          if (name === 'Group') return this.prefixesOf(child(ofn, 'operand') as GoNode, depth + 1);
        }
        return [''];
      }
      if (b.kind === 'param' && b.fn)
        return union(callSites(p, b.fn).map((c) => (args(c)[b.index as number] ? this.prefixesOf(args(c)[b.index as number], depth + 1) : [''])));
      const fromWrites = p.writesTo(e).filter((w) => w.value && w.kind !== 'pointer' && w.index === 0);
      const viaMounts = this.mountedAs(e, depth);
      // a router a function builds and returns is mounted where the function is called
      const fnDecl = enclosingFunc(b.decl);
      const returned =
        fnDecl &&
        fnDecl.type !== 'func_literal' &&
        descendants(child(fnDecl, 'body') ?? fnDecl, 'return_statement').some((r) =>
          r.children[0]?.children.some((x) => x.type === 'identifier' && p.lookup(x)?.decl === b.decl),
        );
      if (returned) viaMounts.push(...this.mountsOfFunction(fnDecl, depth).filter((x) => x !== ''));
      return union([...fromWrites.map((w) => this.prefixesOf(w.value as GoNode, depth + 1)), ...(viaMounts.length ? [viaMounts] : [])]);
    }
    if (e.type === 'selector_expression' && !p.importOf(child(e, 'operand'))) {
      return union(
        p
          .writesTo(e)
          .filter((w) => w.value && w.kind !== 'pointer')
          .map((w) => this.prefixesOf(w.value as GoNode, depth + 1)),
      );
    }
    return [''];
  }

  /** A router made by a call: a function of the program that returns one is mounted where it is called. */
  private mounted(call: GoNode, depth: number): string[] {
    const fn = child(call, 'function');
    const b = fn?.type === 'identifier' ? this.p.lookup(fn) : null;
    return b?.kind === 'func' ? this.mountsOfFunction(b.decl, depth) : [''];
  }

  /** Prefixes where the router a function returns is mounted (r.Mount("/debug", debugRouter())). */
  private mountsOfFunction(decl: GoNode, depth: number): string[] {
    const out: string[][] = [];
    for (const m of this.mounts) {
      if (m.handler.type !== 'call_expression') continue;
      const f = child(m.handler, 'function');
      const target =
        f?.type === 'identifier'
          ? this.p.lookup(f)?.decl
          : f?.type === 'selector_expression'
            ? this.p.pkgs.get(this.p.importOf(child(f, 'operand')) ?? '')?.funcs.get(this.p.text(child(f, 'field') as GoNode))
            : undefined;
      if (target === decl) out.push(this.outer(m.receiver, depth).map((x) => join(x, m.prefix)));
    }
    return out.length ? union(out) : [''];
  }

  private outer(receiver: GoNode | null, depth: number): string[] {
    return receiver ? this.prefixesOf(receiver, depth + 1) : [''];
  }

  /** Prefixes of a router variable mounted by name (r.Mount("/admin", admin)). */
  private mountedAs(e: GoNode, depth: number): string[] {
    const b = this.p.lookup(e);
    const out: string[][] = [];
    for (const m of this.mounts)
      if (m.handler.type === 'identifier' && this.p.lookup(m.handler)?.decl === b?.decl) out.push(this.outer(m.receiver, depth).map((x) => join(x, m.prefix)));
    return out.length ? union(out) : [];
  }
}

function union(lists: string[][]): string[] {
  const all = [...new Set(lists.flat())];
  const real = all.filter((x) => x !== '');
  return real.length ? real : [''];
}

/** Joins a router prefix and a route path as routers do ("/api" + "/health", "/api/" + "health"). */
export function join(prefix: string, path: string): string {
  if (!prefix) return path || '/';
  const joined = `${prefix.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return path === '' || path === '/' ? (path === '/' ? `${prefix.replace(/\/+$/, '')}/` : prefix) : joined;
}
