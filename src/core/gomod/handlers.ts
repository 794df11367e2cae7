/**
 * Whether an HTTP handler can answer 2xx. Rejected: http.NotFound, http.NotFoundHandler(),
 * http.RedirectHandler, and handlers whose every way out writes a known 3xx/4xx/5xx status
 * (http.Error, WriteHeader, c.JSON(404, …), http.Redirect, helpers given a status). Anything not
 * known to fail (an implicit 200, a computed status, a library handler) can answer 2xx.
 */
import { typeOf } from './gotypes';
import { params, type Program } from './program';
import { args, child, descendants, intValue, type GoNode } from './syntax';
import type { Values } from './values';

export interface Verdict {
  ok: boolean;
  reason: string;
  /** The handler looks at the request path (so a subtree route answers differently below it). */
  readsPath: boolean;
}

const statusNames =
  'Continue 100 SwitchingProtocols 101 Processing 102 EarlyHints 103 OK 200 Created 201 Accepted 202 NonAuthoritativeInfo 203 NoContent 204 ResetContent 205 PartialContent 206 MultiStatus 207 AlreadyReported 208 IMUsed 226 MultipleChoices 300 MovedPermanently 301 Found 302 SeeOther 303 NotModified 304 UseProxy 305 TemporaryRedirect 307 PermanentRedirect 308 BadRequest 400 Unauthorized 401 PaymentRequired 402 Forbidden 403 NotFound 404 MethodNotAllowed 405 NotAcceptable 406 ProxyAuthRequired 407 RequestTimeout 408 Conflict 409 Gone 410 LengthRequired 411 PreconditionFailed 412 RequestEntityTooLarge 413 RequestURITooLong 414 UnsupportedMediaType 415 RequestedRangeNotSatisfiable 416 ExpectationFailed 417 Teapot 418 MisdirectedRequest 421 UnprocessableEntity 422 Locked 423 FailedDependency 424 TooEarly 425 UpgradeRequired 426 PreconditionRequired 428 TooManyRequests 429 RequestHeaderFieldsTooLarge 431 UnavailableForLegalReasons 451 InternalServerError 500 NotImplemented 501 BadGateway 502 ServiceUnavailable 503 GatewayTimeout 504 HTTPVersionNotSupported 505 VariantAlsoNegotiates 506 InsufficientStorage 507 LoopDetected 508 NotExtended 510 NetworkAuthenticationRequired 511';
const statuses = new Map<string, number>();
for (let i = 0, t = statusNames.split(' '); i < t.length; i += 2) statuses.set(`Status${t[i]}`, Number(t[i + 1]));

/** Response methods of a handler's writer or context (net/http, gin, echo, fiber); the status is their first argument when it looks like one. */
const responds = new Set(
  'WriteHeader Write WriteString JSON String HTML XML Data Status NoContent Redirect SendString Send SendStatus AbortWithStatus AbortWithStatusJSON AbortWithError IndentedJSON PureJSON SecureJSON AsciiJSON JSONP YAML TOML ProtoBuf File FileAttachment Render Blob Stream Attachment Inline SendFile Download JSONPretty JSONBlob HTMLBlob XMLPretty XMLBlob SendStream Sendf'.split(
    ' ',
  ),
);

type Item = { kind: 'reject'; reason: string } | { kind: 'fn'; node: GoNode } | { kind: 'ok'; reason: string };

export class Handlers {
  constructor(
    private readonly p: Program,
    private readonly values: Values,
  ) {}

  verdict(handler: GoNode | null): Verdict {
    const items = handler ? this.items(handler, 0) : [];
    let readsPath = false;
    let firstReject: string | null = null;
    let ok: string | null = items.length ? null : 'handler not followed';
    for (const it of items) {
      if (it.kind === 'reject') firstReject ??= it.reason;
      else if (it.kind === 'ok') ok ??= it.reason;
      else {
        const v = this.body(it.node);
        readsPath ||= v.readsPath;
        if (v.ok) ok ??= v.reason;
        else firstReject ??= v.reason;
      }
    }
    return ok !== null || firstReject === null ? { ok: true, reason: ok ?? 'can answer 2xx', readsPath } : { ok: false, reason: firstReject, readsPath };
  }

  /** What a handler expression stands for: function bodies, or a known library handler. */
  private items(e: GoNode, depth: number): Item[] {
    const p = this.p;
    if (depth > 6) return [];
    switch (e.type) {
      case 'func_literal':
        return [{ kind: 'fn', node: e }];
      case 'parenthesized_expression':
      case 'unary_expression':
        return this.items(e.children[e.children.length - 1], depth + 1);
      case 'composite_literal': {
        const t = typeOf(p, e);
        const m = t
          ? p.pkgs
              .get(t.pkg)
              ?.methods.get('ServeHTTP')
              ?.find((x) => x.recv === t.name)
          : undefined;
        return m ? [{ kind: 'fn', node: m.node }] : [];
      }
      case 'identifier': {
        const b = p.lookup(e);
        if (b?.kind === 'func') return [{ kind: 'fn', node: b.decl }];
        if (b?.kind === 'var') return p.writesTo(e).flatMap((w) => (w.value && w.kind !== 'pointer' && w.index === 0 ? this.items(w.value, depth + 1) : []));
        return [];
      }
      case 'selector_expression': {
        const operand = child(e, 'operand');
        const name = p.text(child(e, 'field') as GoNode);
        const imported = p.importOf(operand);
        if (imported === 'net/http' && name === 'NotFound') return [{ kind: 'reject', reason: 'registered with http.NotFound' }];
        if (imported) {
          const decl = p.pkgs.get(imported)?.funcs.get(name);
          return decl ? [{ kind: 'fn', node: decl }] : [];
        }
        const t = typeOf(p, operand);
        const methods = [...p.pkgs.values()].flatMap((pkg) =>
          (pkg.methods.get(name) ?? []).filter((m) => !t || (pkg.importPath === t.pkg && m.recv === t.name)),
        );
        return methods.map((m) => ({ kind: 'fn', node: m.node }));
      }
      case 'call_expression':
        return this.callItems(e, depth);
      default:
        return [];
    }
  }

  private callItems(e: GoNode, depth: number): Item[] {
    const p = this.p;
    const fn = child(e, 'function');
    const a = args(e);
    if (!fn) return [];
    const imported = fn.type === 'selector_expression' ? p.importOf(child(fn, 'operand')) : null;
    const name = fn.type === 'selector_expression' ? p.text(child(fn, 'field') as GoNode) : p.text(fn);
    if (imported === 'net/http') {
      if (name === 'NotFoundHandler') return [{ kind: 'reject', reason: 'registered with http.NotFoundHandler()' }];
      if (name === 'RedirectHandler') return [{ kind: 'reject', reason: `redirects (http.RedirectHandler, ${a[1] ? p.text(a[1]) : '3xx'})` }];
      if (name === 'HandlerFunc' || name === 'AllowQuerySemicolons' || name === 'TimeoutHandler' || name === 'MaxBytesHandler')
        return a[0] ? this.items(a[0], depth + 1) : [];
      if (name === 'StripPrefix') return a[1] ? this.items(a[1], depth + 1) : [];
      if (name === 'FileServer' || name === 'FileServerFS') return [{ kind: 'ok', reason: 'serves files (http.FileServer)' }];
      return [];
    }
    // a function of the program: a wrapper (handle(h, …), middleware(next)) answers as the handler it wraps, else as what it returns
    let decls: GoNode[] = [];
    if (fn.type === 'identifier') {
      const b = p.lookup(fn);
      if (b?.kind === 'func') decls = [b.decl];
      else if (!b && a.length === 1) return this.items(a[0], depth + 1); // a conversion: http.Handler(x)
    } else if (imported) {
      const d = p.pkgs.get(imported)?.funcs.get(name);
      if (d) decls = [d];
      else return [{ kind: 'ok', reason: `${imported}.${name}() (a library handler)` }];
    } else {
      const t = typeOf(p, child(fn, 'operand'));
      decls = [...p.pkgs.values()].flatMap((pkg) =>
        (pkg.methods.get(name) ?? []).filter((m) => !t || (pkg.importPath === t.pkg && m.recv === t.name)).map((m) => m.node),
      );
      if (!decls.length) return [{ kind: 'ok', reason: `${p.text(fn)}() (a library handler)` }];
    }
    const wrapped = a.flatMap((x) =>
      x.type === 'func_literal' || x.type === 'identifier' || x.type === 'selector_expression'
        ? this.items(x, depth + 1).filter((i) => i.kind !== 'fn' || isHandlerFunc(p, i.node))
        : [],
    );
    if (wrapped.length) return wrapped;
    return decls.flatMap((d) =>
      descendants(child(d, 'body') ?? d, 'return_statement').flatMap((r) =>
        r.children[0]?.children[0] ? this.items(r.children[0].children[0], depth + 1) : [],
      ),
    );
  }

  /** Walks the handler's top-level statements: the first unconditional response decides; a conditional 2xx (or unknown) response before it means 2xx is possible. */
  body(fn: GoNode): Verdict {
    const p = this.p;
    const list = params(fn);
    const writer = list[0]?.name ? p.text(list[0].name) : null;
    const body = child(fn, 'body');
    const src = body ? p.text(body) : '';
    const request = list[1]?.name ? p.text(list[1].name) : null;
    const readsPath =
      (request !== null && new RegExp(`\\b${request}\\.(URL\\.(Raw)?Path|RequestURI|PathValue)\\b`).test(src)) ||
      /\b(mux\.Vars|chi\.URLParam|URLParam)\(/.test(src) ||
      (writer !== null && new RegExp(`\\b${writer}\\.(Param|Params|Path)\\(`).test(src));
    const name = child(fn, 'name') ? p.text(child(fn, 'name') as GoNode) : 'func literal';
    if (!writer || !body) return { ok: true, reason: `${name} can answer 2xx`, readsPath };
    let mayBe2xx = false;
    for (const stmt of body.children[0]?.children ?? []) {
      const actions = this.actions(stmt, writer, request);
      const conditional = !['expression_statement', 'return_statement', 'short_var_declaration', 'assignment_statement', 'defer_statement'].includes(stmt.type);
      if (conditional) {
        if (actions.some((s) => s === null || (s >= 200 && s < 300))) mayBe2xx = true;
        continue;
      }
      if (actions.length) {
        const s = actions[0];
        if (s !== null && (s < 200 || s >= 300) && !mayBe2xx) return { ok: false, reason: `${name} answers ${s}`, readsPath };
        return { ok: true, reason: `${name} can answer ${s ?? '2xx'}`, readsPath };
      }
      if (stmt.type === 'return_statement') break;
    }
    return { ok: true, reason: `${name} can answer 2xx`, readsPath };
  }

  /** Responses written in a statement, in order: the status when known, null when not (a body write, a computed status). */
  private actions(stmt: GoNode, writer: string, request: string | null): (number | null)[] {
    const p = this.p;
    const out: (number | null)[] = [];
    for (const call of descendants(stmt, 'call_expression', (n) => n.type !== 'func_literal')) {
      const fn = child(call, 'function');
      const a = args(call);
      if (!fn) continue;
      const isWriter = (n: GoNode | undefined) => n !== undefined && n.type === 'identifier' && p.text(n) === writer;
      const onWriter = fn.type === 'selector_expression' && (isWriter(child(fn, 'operand')) || /^\w+\.Writer$/.test(p.text(child(fn, 'operand') as GoNode)));
      const imported = fn.type === 'selector_expression' ? p.importOf(child(fn, 'operand')) : null;
      const name = fn.type === 'selector_expression' ? p.text(child(fn, 'field') as GoNode) : p.text(fn);
      if (onWriter) {
        if (!responds.has(name)) continue;
        out.push(
          name === 'Write' || name === 'WriteString' || name === 'Send' || name === 'SendString' || name === 'Render' ? 200 : (this.status(a[0]) ?? null),
        );
        continue;
      }
      if (!a.some(isWriter)) continue;
      if (imported === 'net/http' && name === 'NotFound') out.push(404);
      else if (imported === 'net/http' && name === 'Error') out.push(this.status(a[2]) ?? null);
      else if (imported === 'net/http' && name === 'Redirect') out.push(this.status(a[3]) ?? 302);
      else if (imported === 'net/http' && (name === 'ServeFile' || name === 'ServeContent')) out.push(null);
      else out.push(a.map((x) => this.status(x)).find((s) => s !== undefined) ?? null);
      void request;
    }
    return out;
  }

  /** A literal HTTP status (100–599), http.StatusX, or a constant holding one. */
  private status(n: GoNode | undefined): number | undefined {
    if (!n) return undefined;
    if (n.type === 'int_literal') {
      const v = intValue(this.p.file(n).text, n);
      return v !== null && v >= 100 && v <= 599 ? v : undefined;
    }
    if (n.type === 'selector_expression') {
      const s = statuses.get(this.p.text(child(n, 'field') as GoNode));
      if (s !== undefined) return s;
    }
    if (n.type === 'identifier' && this.p.lookup(n)?.kind === 'const') {
      const v = this.values.eval(n)?.num;
      return v !== undefined && v >= 100 && v <= 599 ? v : undefined;
    }
    return undefined;
  }
}

/** A function shaped like a handler: (w http.ResponseWriter, r *http.Request), or one context parameter (gin, echo, fiber). */
function isHandlerFunc(p: Program, fn: GoNode): boolean {
  const list = params(fn);
  const t = list.map((x) => (x.type ? p.text(x.type) : ''));
  return (list.length === 2 && /ResponseWriter$/.test(t[0])) || (list.length === 1 && /Context$|Ctx$/.test(t[0]));
}
