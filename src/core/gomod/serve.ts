/**
 * How a main serves: the listen and serve calls in code that runs (reachable from main, init and
 * package variables), recognised by the import path of the package they come from — net/http's
 * ListenAndServe/Serve (package functions and *http.Server methods), net.Listen/ListenTCP, gRPC's
 * (*grpc.Server).Serve, gin's Run, echo's Start, fiber's Listen, and libraries' ListenAndServe —
 * each with the expression its listen address comes from.
 */
import type { Finding, ServeFacts } from './types';
import { callSites } from './envflags';
import { embeddedTypes, family, typeOf, type TypeRef } from './gotypes';
import type { Program } from './program';
import { args, child, descendants, type GoNode } from './syntax';
import type { Val, Values } from './values';

export interface ServeCall {
  node: GoNode;
  kind: 'http' | 'tcp';
  /** What was recognised, e.g. `(*http.Server).ListenAndServe`. */
  what: string;
  /** The listen address's value, when it could be followed. */
  addr: Val | null;
  /** The handler it serves: an expression, net/http's DefaultServeMux, or null when not known. */
  handler: GoNode | 'default' | null;
  /** Started in a goroutine (`go srv.ListenAndServe()`, `go func() { … }()`): likely a side listener when another blocks. */
  background: boolean;
  evidence: Finding;
}

/** Router and server methods that listen, by library: method → index of the address argument (-1: the receiver's Addr, 'l': a listener argument). */
const methods: Record<string, { kind: 'http' | 'tcp'; calls: Record<string, number | 'l'> }> = {
  'net/http.Server': { kind: 'http', calls: { ListenAndServe: -1, ListenAndServeTLS: -1, Serve: 'l', ServeTLS: 'l' } },
  'github.com/gin-gonic/gin.Engine': { kind: 'http', calls: { Run: 0, RunTLS: 0, RunListener: 'l' } },
  'github.com/labstack/echo.Echo': { kind: 'http', calls: { Start: 0, StartTLS: 0, StartAutoTLS: 0, StartH2CServer: 0, StartServer: -1 } },
  'github.com/gofiber/fiber.App': { kind: 'http', calls: { Listen: 0, ListenTLS: 0, Listener: 'l' } },
  'google.golang.org/grpc.Server': { kind: 'tcp', calls: { Serve: 'l' } },
};

/** Package functions that listen: import path → function → address argument ('l': a listener). */
const functions: Record<string, { kind: 'http' | 'tcp'; calls: Record<string, number | 'l'> }> = {
  'net/http': { kind: 'http', calls: { ListenAndServe: 0, ListenAndServeTLS: 0, Serve: 'l', ServeTLS: 'l' } },
  'github.com/valyala/fasthttp': { kind: 'http', calls: { ListenAndServe: 0, ListenAndServeTLS: 0, Serve: 'l' } },
};

const listenFuncs: Record<string, Set<string>> = { net: new Set(['Listen', 'ListenTCP']), 'crypto/tls': new Set(['Listen']) };

/** Every name above, to skip other calls before any lookup. */
const names = new Set([...Object.values(methods), ...Object.values(functions)].flatMap((m) => Object.keys(m.calls)).concat(['Listen', 'ListenTCP']));

export function findServeCalls(p: Program, values: Values): ServeCall[] {
  const found: ServeCall[] = [];
  const consumed = new Set<GoNode>();
  const listens: GoNode[] = [];
  const files = [...p.files].sort((a, b) => Number(b.packageName === 'main') - Number(a.packageName === 'main'));
  for (const f of files) {
    for (const call of descendants(f.root, 'call_expression')) {
      const fn = child(call, 'function');
      if (fn?.type !== 'selector_expression') continue;
      const name = p.text(child(fn, 'field') as GoNode);
      if ((!names.has(name) && !name.startsWith('ListenAndServe')) || !p.isReachable(call)) continue;
      const operand = child(fn, 'operand');
      const imported = p.importOf(operand);
      const a = args(call);
      let kind: 'http' | 'tcp' | null = null;
      let what = '';
      let how: number | 'l' | undefined;
      let recvType: TypeRef | null = null;
      if (imported) {
        const fam = family(imported);
        if (listenFuncs[fam]?.has(name)) {
          if (!isUnix(values, call)) listens.push(call);
          continue;
        }
        const known = functions[fam];
        how = known?.calls[name];
        if (how !== undefined) [kind, what] = [known.kind, `${fam === 'net/http' ? 'http' : fam}.${name}`];
        else if (/^ListenAndServe/.test(name) && !p.pkgs.has(imported)) [kind, what] = ['http', `${fam}.${name}`];
      } else {
        recvType = typeOf(p, operand);
        // a struct of the program that embeds *http.Server or *gin.Engine has their methods
        const own =
          recvType &&
          p.pkgs
            .get(recvType.pkg)
            ?.methods.get(name)
            ?.some((m) => m.recv === recvType?.name);
        if (recvType && p.pkgs.has(recvType.pkg) && !own)
          recvType = embeddedTypes(p, recvType).find((t) => methods[`${t.pkg}.${t.name}`]?.calls[name] !== undefined) ?? recvType;
        const known = recvType ? methods[`${recvType.pkg}.${recvType.name}`] : undefined;
        how = known?.calls[name];
        if (known && how !== undefined) [kind, what] = [known.kind, `(*${recvType?.pkg.split('/').pop()}.${recvType?.name}).${name}`];
        else if (
          !recvType &&
          f.imports.size &&
          [...f.imports.values()].includes('net/http') &&
          ((name === 'ListenAndServe' && a.length === 0) || (name === 'ListenAndServeTLS' && a.length === 2))
        ) {
          [kind, what, how] = ['http', `(*http.Server).${name}`, -1];
          recvType = { pkg: 'net/http', name: 'Server' };
        }
      }
      if (!kind) continue;
      let addr: Val | null = null;
      if (how === 'l') {
        const l = listenerOf(p, a[0]);
        if (l) {
          consumed.add(l);
          if (isUnix(values, l)) continue; // a unix socket: no network port
          addr = values.eval(args(l)[1]);
        }
      } else if (how === -1) addr = serverAddr(p, values, name === 'StartServer' ? a[0] : operand, recvType);
      else if (how !== undefined) addr = a[how] ? values.eval(a[how]) : defaultAddress(p, call, recvType);
      else addr = a.map((x) => values.eval(x)).find((v) => v && (v.str?.includes(':') || v.port || v.settings.length)) ?? null;
      let handler: ServeCall['handler'] = null;
      if (kind === 'http') {
        if (imported === 'net/http') handler = a[name === 'ListenAndServeTLS' ? 3 : 1] ?? null;
        else if (how === -1 || (how === 'l' && recvType?.pkg === 'net/http')) handler = serverHandler(p, name === 'StartServer' ? a[0] : operand);
        else if (!imported) handler = operand ?? null;
        else
          handler =
            a.map((x) => (typeOf(p, x)?.pkg === 'net/http' && typeOf(p, x)?.name === 'Server' ? serverHandler(p, x) : null)).find((h) => h !== null) ?? null;
      }
      const shown = how === 'l' || how === -1 || how === undefined ? '' : a[how] ? p.text(a[how]) : '';
      found.push({
        node: call,
        kind,
        what,
        addr,
        handler,
        background: inGoroutine(call),
        evidence: p.finding(
          call,
          `${what}${addr ? ` on ${addr.why}` : shown ? ` on ${shown}, not known before run time` : ', address not known before run time'}`,
        ),
      });
    }
  }
  for (const l of listens) {
    if (consumed.has(l)) continue;
    const addr = values.eval(args(l)[1]);
    found.push({
      node: l,
      kind: 'tcp',
      what: p.text(child(l, 'function') as GoNode),
      addr,
      handler: null,
      background: inGoroutine(l),
      evidence: p.finding(l, `${p.text(child(l, 'function') as GoNode)} on ${addr?.why ?? 'an address not followed'}`),
    });
  }
  return found;
}

function inGoroutine(node: GoNode): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'go_statement') return true;
    if (n.type === 'function_declaration' || n.type === 'method_declaration') return false;
  }
  return false;
}

function isUnix(values: Values, listen: GoNode): boolean {
  return values.eval(args(listen)[0])?.str?.startsWith('unix') ?? false;
}

/** gin's Run() without an address listens on $PORT, else :8080. */
function defaultAddress(p: Program, call: GoNode, recv: TypeRef | null): Val | null {
  if (recv?.pkg !== 'github.com/gin-gonic/gin') return null;
  const source = p.finding(call, 'gin Run() without an address: ":" + $PORT, else ":8080"');
  const port: Val = { str: '8080', settings: [{ kind: 'env', name: 'PORT' }], source, why: 'env PORT (default "8080")' };
  return { str: ':8080', port, settings: [], source, why: 'gin default ":" + env PORT (default "8080")' };
}

/** The net.Listen-like call a listener expression comes from (through variables, parameters, wrappers and functions' returns). */
function listenerOf(p: Program, e: GoNode | undefined, depth = 0): GoNode | null {
  if (!e || depth > 6) return null;
  if (e.type === 'parenthesized_expression') return listenerOf(p, e.children[0], depth + 1);
  if (e.type === 'identifier') {
    const b = p.lookup(e);
    if (b?.kind === 'param' && b.fn && b.fn.type !== 'func_literal') {
      for (const c of callSites(p, b.fn)) {
        const l = listenerOf(p, args(c)[b.index as number], depth + 1);
        if (l) return l;
      }
      return null;
    }
    for (const w of p.writesTo(e)) {
      const l = w.value && w.index === 0 && w.kind !== 'pointer' ? listenerOf(p, w.value, depth + 1) : null;
      if (l) return l;
    }
    return null;
  }
  if (e.type !== 'call_expression') return null;
  const fn = child(e, 'function');
  const imported = fn?.type === 'selector_expression' ? p.importOf(child(fn, 'operand')) : null;
  const name = fn?.type === 'selector_expression' ? p.text(child(fn, 'field') as GoNode) : fn ? p.text(fn) : '';
  if (imported && listenFuncs[family(imported)]?.has(name)) return e;
  const decl =
    fn?.type === 'identifier' ? (p.lookup(fn)?.kind === 'func' ? p.lookup(fn)?.decl : undefined) : imported ? p.pkgs.get(imported)?.funcs.get(name) : undefined;
  if (decl) {
    for (const r of descendants(child(decl, 'body') ?? decl, 'return_statement')) {
      const l = listenerOf(p, r.children[0]?.children[0], depth + 1);
      if (l) return l;
    }
    return null;
  }
  // a wrapping listener (tls.NewListener(l, cfg), netutil.LimitListener(l, n)): the first argument
  return listenerOf(p, args(e)[0], depth + 1);
}

/** The Addr of the *http.Server a receiver expression holds: its composite literal and `x.Addr = …` writes; an unset Addr is ":http" (80). */
function serverAddr(p: Program, values: Values, recv: GoNode | undefined, type: TypeRef | null): Val | null {
  const literals = recv ? serverLiterals(p, recv) : [];
  for (const lit of literals) {
    const addr = descendants(child(lit, 'body') ?? lit, 'keyed_element').find((k) => k.parent?.parent === lit && p.text(child(k, 'key') ?? k) === 'Addr');
    if (addr) return values.eval(child(addr, 'value'));
  }
  const written = values.fieldOf(type ?? { pkg: 'net/http', name: 'Server' }, 'Addr');
  if (written) return written;
  if (literals.length) {
    const source = p.finding(literals[0], 'http.Server without Addr listens on ":http"');
    return { str: ':80', settings: [], source, why: 'an empty Addr (":http")' };
  }
  return null;
}

/** The Handler of the *http.Server a receiver holds; DefaultServeMux when it sets none. */
function serverHandler(p: Program, recv: GoNode | undefined): GoNode | 'default' | null {
  const literals = recv ? serverLiterals(p, recv) : [];
  for (const lit of literals) {
    const h = descendants(child(lit, 'body') ?? lit, 'keyed_element').find((k) => k.parent?.parent === lit && p.text(child(k, 'key') ?? k) === 'Handler');
    if (h) return child(h, 'value')?.children[0] ?? null;
  }
  const assigned = p
    .fieldWrites('Handler')
    .find((w) => w.target.type === 'selector_expression' && w.value && recv && p.text(child(w.target, 'operand') as GoNode) === p.text(recv));
  if (assigned?.value) return assigned.value;
  return literals.length ? 'default' : null;
}

/** The http.Server literals a receiver comes from (also one embedded in a struct of the program). */
function serverLiterals(p: Program, recv: GoNode): GoNode[] {
  const isServer = (n: GoNode) => {
    const t = typeOf(p, n);
    return t?.pkg === 'net/http' && t.name === 'Server';
  };
  return compositesOf(p, recv, 0).flatMap((lit) => (isServer(lit) ? [lit] : descendants(lit, 'composite_literal').filter((n) => n !== lit && isServer(n))));
}

function compositesOf(p: Program, e: GoNode, depth: number): GoNode[] {
  if (depth > 6) return [];
  if (e.type === 'composite_literal') return [e];
  if (e.type === 'unary_expression' || e.type === 'parenthesized_expression')
    return e.children.flatMap((c) => (c.field === 'operator' ? [] : compositesOf(p, c, depth + 1)));
  if (e.type === 'identifier') {
    const b = p.lookup(e);
    if (b?.kind === 'param' && b.fn && b.fn.type !== 'func_literal')
      return callSites(p, b.fn).flatMap((c) => (args(c)[b.index as number] ? compositesOf(p, args(c)[b.index as number], depth + 1) : []));
    return p.writesTo(e).flatMap((w) => (w.value && w.kind !== 'pointer' && w.index === 0 ? compositesOf(p, w.value, depth + 1) : []));
  }
  if (e.type === 'call_expression') {
    // a function of the program that makes the server: what it returns
    const fn = child(e, 'function');
    const b = fn?.type === 'identifier' ? p.lookup(fn) : null;
    const decl =
      b?.kind === 'func'
        ? b.decl
        : fn?.type === 'selector_expression'
          ? p.pkgs.get(p.importOf(child(fn, 'operand')) ?? '')?.funcs.get(p.text(child(fn, 'field') as GoNode))
          : undefined;
    return decl
      ? descendants(child(decl, 'body') ?? decl, 'return_statement').flatMap((r) =>
          r.children[0]?.children[0] ? compositesOf(p, r.children[0].children[0], depth + 1) : [],
        )
      : [];
  }
  if (e.type === 'selector_expression' && !p.importOf(child(e, 'operand'))) {
    // a struct field holding the server (s.httpServer): what any write to that field stores
    return p.writesTo(e).flatMap((w) => (w.value && w.kind !== 'pointer' ? compositesOf(p, w.value, depth + 1) : []));
  }
  return [];
}

/** ServeFacts from the calls: http when an HTTP server runs, tcp when only something else listens. */
export function serveFacts(calls: ServeCall[]): ServeFacts {
  const kind = calls.some((c) => c.kind === 'http') ? 'http' : calls.length ? 'tcp' : 'none';
  return { kind, evidence: calls.map((c) => c.evidence) };
}
