/**
 * The packages of one main's import graph as syntax trees, with what the analyzers ask of them:
 * package-level declarations, the binding an identifier refers to (Go's block scoping), every
 * write to a variable or field, call sites by name, and the functions reachable from main.
 * Vendored packages are left out: a library's own listen calls and routes are not the program's.
 */
import type { Binding } from './binding';
import type { Finding } from './types';
import { declaredIn, enclosingFunc, params } from './scope';
import { args, child, childrenOf, descendants, parseFile, text, type GoNode, type ParsedFile, type SourceFile } from './syntax';

export { enclosingFunc, params };
export type { Binding };

export interface Pkg {
  importPath: string;
  name: string;
  files: ParsedFile[];
  /** Package-level functions by name. */
  funcs: Map<string, GoNode>;
  /** Methods by name (any receiver type), with the receiver's type name. */
  methods: Map<string, { node: GoNode; recv: string }[]>;
  /** Package-level var/const names → the identifier in the spec. */
  vars: Map<string, GoNode>;
  /** Type names → type_spec. */
  types: Map<string, GoNode>;
  /** Methods by receiver type name. */
  methodsOf: Map<string, GoNode[]>;
}

/** An assignment, declaration or flag registration that sets a variable or field. */
export interface Write {
  target: GoNode;
  /** The assigned expression (for `a, b := f()`, the call, with `index`); a flag registration's call. */
  value: GoNode | null;
  index: number;
  kind: 'assign' | 'decl' | 'pointer';
}

export class Program {
  readonly pkgs = new Map<string, Pkg>();
  readonly files: ParsedFile[] = [];
  private readonly fileOf = new Map<GoNode, ParsedFile>();
  private readonly writes = new Map<string, Write[]>();
  private readonly calls = new Map<string, GoNode[]>();
  private reach: Set<GoNode> | undefined;

  static async load(sources: SourceFile[]): Promise<Program> {
    const program = new Program();
    for (const s of sources) {
      if (!s.rel.endsWith('.go') || s.rel.endsWith('_test.go') || s.rel.startsWith('vendor/')) continue;
      program.add(await parseFile(s));
    }
    return program;
  }

  private add(f: ParsedFile): void {
    this.files.push(f);
    this.fileOf.set(f.root, f);
    let pkg = this.pkgs.get(f.importPath);
    if (!pkg)
      this.pkgs.set(
        f.importPath,
        (pkg = {
          importPath: f.importPath,
          name: f.packageName,
          files: [],
          funcs: new Map(),
          methods: new Map(),
          vars: new Map(),
          types: new Map(),
          methodsOf: new Map(),
        }),
      );
    pkg.files.push(f);
    for (const d of f.root.children) {
      const name = child(d, 'name');
      if (d.type === 'function_declaration' && name) pkg.funcs.set(text(f.text, name), d);
      if (d.type === 'method_declaration' && name) {
        const recv = descendants(child(d, 'receiver') ?? d, 'type_identifier')[0];
        const list = pkg.methods.get(text(f.text, name)) ?? [];
        list.push({ node: d, recv: recv ? text(f.text, recv) : '' });
        pkg.methods.set(text(f.text, name), list);
        const recvName = recv ? text(f.text, recv) : '';
        pkg.methodsOf.set(recvName, [...(pkg.methodsOf.get(recvName) ?? []), d]);
      }
      if (d.type === 'var_declaration' || d.type === 'const_declaration')
        for (const spec of descendants(d, ['var_spec', 'const_spec'])) for (const n of childrenOf(spec, 'name')) pkg.vars.set(text(f.text, n), n);
      if (d.type === 'type_declaration')
        for (const spec of descendants(d, ['type_spec', 'type_alias']))
          if (child(spec, 'name')) pkg.types.set(text(f.text, child(spec, 'name') as GoNode), spec);
    }
    this.indexWrites(f);
  }

  private indexWrites(f: ParsedFile): void {
    const add = (target: GoNode, value: GoNode | null, index: number, kind: Write['kind'], key = writeKey(f.text, target)) => {
      if (!key) return;
      const list = this.writes.get(key);
      if (list) list.push({ target, value, index, kind });
      else this.writes.set(key, [{ target, value, index, kind }]);
    };
    for (const n of descendants(f.root, ['assignment_statement', 'short_var_declaration', 'var_spec', 'const_spec', 'call_expression', 'keyed_element'])) {
      if (n.type === 'call_expression') {
        const fn = child(n, 'function');
        const name = fn?.type === 'selector_expression' ? child(fn, 'field') : fn;
        if (name) {
          const key = text(f.text, name);
          const list = this.calls.get(key);
          if (list) list.push(n);
          else this.calls.set(key, [n]);
        }
        // &x passed to a call: a flag registration (or any setter) may write x
        for (const a of args(n))
          if (a.type === 'unary_expression' && text(f.text, a).startsWith('&') && child(a, 'operand')) add(child(a, 'operand') as GoNode, n, 0, 'pointer');
        continue;
      }
      if (n.type === 'keyed_element') {
        const key = child(n, 'key')?.children[0];
        const value = child(n, 'value')?.children[0];
        if (key?.type === 'identifier' && value && n.parent?.parent?.type === 'composite_literal') add(key, value, 0, 'assign', `f:${text(f.text, key)}`);
        continue;
      }
      const left = n.type === 'var_spec' || n.type === 'const_spec' ? childrenOf(n, 'name') : (child(n, 'left')?.children ?? []);
      const right = (n.type === 'var_spec' || n.type === 'const_spec' ? child(n, 'value') : child(n, 'right'))?.children ?? [];
      const kind = n.type === 'assignment_statement' ? 'assign' : 'decl';
      if (n.type === 'assignment_statement' && text(f.text, child(n, 'operator') ?? n) !== '=') continue;
      left.forEach((l, i) => {
        if (right.length === left.length) add(l, right[i], 0, kind);
        else if (right.length === 1) add(l, right[0], i, kind);
        else add(l, null, i, kind);
      });
    }
  }

  file(node: GoNode): ParsedFile {
    let n = node;
    while (n.parent) n = n.parent;
    const f = this.fileOf.get(n);
    if (!f) throw new Error('node from another program');
    return f;
  }

  pkgOf(node: GoNode): Pkg {
    return this.pkgs.get(this.file(node).importPath) as Pkg;
  }

  /** The source text of a node ('' for a node a syntax error left out). */
  text(node: GoNode | undefined): string {
    return node ? text(this.file(node).text, node) : '';
  }

  finding(node: GoNode, reason: string): Finding {
    return { file: this.file(node).rel, line: node.line, reason };
  }

  /** Calls whose callee's (last) name is `name`. */
  callsNamed(name: string): GoNode[] {
    return this.calls.get(name) ?? [];
  }

  /** Writes to any field with this name (`x.Addr = …`, `T{Addr: …}`, `&x.Addr` passed to a call). */
  fieldWrites(field: string): Write[] {
    return this.writes.get(`f:${field}`) ?? [];
  }

  /** Writes to the variable an identifier is bound to, or to a field by name (`x.Port`, `T{Port: …}`). */
  writesTo(node: GoNode): Write[] {
    const key = writeKey(this.file(node).text, node);
    if (!key) return [];
    const all = this.writes.get(key) ?? [];
    if (key.startsWith('f:')) return all;
    const b = this.lookup(node);
    return b ? all.filter((w) => this.lookup(w.target)?.decl === b.decl) : [];
  }

  /** The binding an identifier refers to, by Go's scoping (declarations before the use in enclosing blocks, then package, then imports). */
  lookup(ident: GoNode): Binding | null {
    const f = this.file(ident);
    const name = text(f.text, ident);
    if (ident.type !== 'identifier' && ident.type !== 'package_identifier') return null;
    for (let scope: GoNode | null = ident.parent, from: GoNode = ident; scope; from = scope, scope = scope.parent) {
      const found = declaredIn(f.text, scope, from, ident);
      if (found) return found;
    }
    const pkg = this.pkgs.get(f.importPath) as Pkg;
    const v = pkg.vars.get(name);
    if (v) return { decl: v, kind: v.parent?.type === 'const_spec' ? 'const' : 'var' };
    const fn = pkg.funcs.get(name);
    if (fn) return { decl: fn, kind: 'func' };
    const imp = f.imports.get(name);
    if (imp) return { decl: ident, kind: 'import', importPath: imp };
    return null;
  }

  /** The import path when `node` is an identifier naming an imported package (not shadowed). */
  importOf(node: GoNode | undefined): string | null {
    if (!node || node.type !== 'identifier') return null;
    const b = this.lookup(node);
    return b?.kind === 'import' ? (b.importPath as string) : null;
  }

  /** The function declarations and literals reachable from main, init and package variable initializers (by reference, methods by name). */
  reachable(): Set<GoNode> {
    if (this.reach) return this.reach;
    const seen = new Set<GoNode>();
    const work: GoNode[] = [];
    const visit = (fn: GoNode | undefined) => {
      if (fn && !seen.has(fn)) {
        seen.add(fn);
        work.push(fn);
      }
    };
    for (const pkg of this.pkgs.values()) {
      if (pkg.name === 'main') visit(pkg.funcs.get('main'));
      for (const f of pkg.files)
        for (const d of f.root.children)
          if (d.type === 'var_declaration' || (d.type === 'function_declaration' && text(f.text, child(d, 'name') ?? d) === 'init')) visit(d);
    }
    while (work.length) {
      const body = work.pop() as GoNode;
      const f = this.file(body);
      const pkg = this.pkgs.get(f.importPath) as Pkg;
      for (const n of descendants(body, ['identifier', 'field_identifier', 'type_identifier', 'func_literal'])) {
        if (n.type === 'func_literal') {
          seen.add(n);
          continue;
        }
        const name = text(f.text, n);
        if (n.type === 'identifier') visit(pkg.funcs.get(name));
        const qualifier =
          n.parent?.type === 'selector_expression' && n.field === 'field'
            ? child(n.parent, 'operand')
            : n.parent?.type === 'qualified_type'
              ? child(n.parent, 'package')
              : undefined;
        const other = qualifier ? this.pkgs.get(f.imports.get(text(f.text, qualifier)) ?? '') : undefined;
        if (n.type === 'type_identifier') {
          // a type used in running code: its methods may be called through an interface
          for (const m of (qualifier ? other : pkg)?.methodsOf.get(name) ?? []) visit(m);
        } else if (other) visit(other.funcs.get(name));
        else if (n.type === 'field_identifier') for (const p of this.pkgs.values()) for (const m of p.methods.get(name) ?? []) visit(m.node);
      }
    }
    return (this.reach = seen);
  }

  /** True when the node is inside code that runs: a reachable function, or a package variable initializer. */
  isReachable(node: GoNode): boolean {
    const r = this.reachable();
    for (let n: GoNode | null = node; n; n = n.parent) {
      if (n.type === 'function_declaration' || n.type === 'method_declaration' || n.type === 'var_declaration') return r.has(n);
    }
    return false;
  }
}

function writeKey(src: string, target: GoNode): string | null {
  if (target.type === 'identifier') return `v:${text(src, target)}`;
  if (target.type === 'field_identifier') return `f:${text(src, target)}`;
  if (target.type === 'selector_expression') {
    const field = child(target, 'field');
    return field ? `f:${text(src, field)}` : null;
  }
  if (target.type === 'parenthesized_expression' && target.children[0]) return writeKey(src, target.children[0]);
  return null;
}
