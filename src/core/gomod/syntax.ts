/**
 * Go syntax trees from tree-sitter-go (WebAssembly, no native code). The parser is loaded once;
 * each file is parsed once and copied into plain objects (named nodes, plus the anonymous nodes
 * that carry a field such as an operator), so the analyzers walk JavaScript objects and the
 * WebAssembly tree is freed at once.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Language, Parser } from 'web-tree-sitter';
import { GoDeployError } from '../errors';

export interface GoNode {
  type: string;
  /** Field name in the parent (`function`, `arguments`, `operator`, …), or null. */
  field: string | null;
  /** UTF-16 offsets into the file's text. */
  start: number;
  end: number;
  /** 1-based line of the node's start. */
  line: number;
  children: GoNode[];
  parent: GoNode | null;
}

/** One file Go compiles for the main's import graph. */
export interface SourceFile {
  /** Path relative to the inspected module (for Findings). */
  rel: string;
  text: string;
  importPath: string;
  packageName: string;
}

export interface ParsedFile extends SourceFile {
  root: GoNode;
  /** Import name (alias, or the package's default name) → import path. Blank and dot imports are left out. */
  imports: Map<string, string>;
  /** Every import path with its line, blank and dot imports included. */
  importList: { path: string; line: number }[];
}

interface Loaded {
  parser: Parser;
  /** Node type names and named-ness by type id, field names by field id (read once from the grammar). */
  types: string[];
  namedType: boolean[];
  fields: (string | null)[];
}

let loading: Promise<Loaded> | undefined;

/**
 * Where a bundled WebAssembly file is: beside the running bundle (dist/), else in node_modules.
 * `name` is tree-sitter.wasm (web-tree-sitter's runtime) or tree-sitter-go.wasm (the grammar).
 */
export function wasmFile(name: 'tree-sitter.wasm' | 'tree-sitter-go.wasm', besideDir: string = __dirname): string {
  const beside = path.join(besideDir, name);
  if (existsSync(beside)) return beside;
  // Not bundled (out/, tests): from node_modules. Resolved at run time, not by the bundler.
  const resolve = (request: string) => require.resolve(request);
  return name === 'tree-sitter.wasm' ? path.join(path.dirname(resolve('web-tree-sitter')), name) : resolve('tree-sitter-go/tree-sitter-go.wasm');
}

async function load(): Promise<Loaded> {
  // required lazily: the engine bundle only pays for the runtime when a Go file is read
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, not an import
  const ts = require('web-tree-sitter') as typeof import('web-tree-sitter');
  let language: Language;
  try {
    await ts.Parser.init({ locateFile: (file: string) => (file.endsWith('.wasm') ? wasmFile('tree-sitter.wasm') : file) });
    language = await ts.Language.load(wasmFile('tree-sitter-go.wasm'));
  } catch (e) {
    throw new GoDeployError(
      `the Go parser could not be loaded (tree-sitter.wasm and tree-sitter-go.wasm, looked for in ${__dirname} and node_modules): ${(e as Error).message}`,
      {
        hint: 'the installation is incomplete: reinstall Go Deploy (from a source checkout: npm install, then node scripts/build.mjs)',
        cause: e,
      },
    );
  }
  const parser = new ts.Parser();
  parser.setLanguage(language);
  const types: string[] = [];
  const namedType: boolean[] = [];
  for (let id = 0; id < language.nodeTypeCount; id++) {
    types.push(language.types[id] ?? 'ERROR');
    namedType.push(language.nodeTypeIsNamed(id));
  }
  return { parser, types, namedType, fields: language.fields };
}

/** The Go parser, loaded once per process. */
export function goParser(): Promise<Loaded> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

/** Parses Go source into a plain tree. Comments are left out (directives are read from the text). */
export async function parseGo(text: string): Promise<GoNode> {
  const loaded = await goParser();
  const tree = loaded.parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    const cursor = tree.walk();
    try {
      return copy(cursor, lineStarts(text), loaded);
    } finally {
      cursor.delete();
    }
  } finally {
    tree.delete();
  }
}

type Cursor = ReturnType<import('web-tree-sitter').Tree['walk']>;

/** Copies the tree under the cursor without recursion (generated code can nest thousands deep). */
function copy(c: Cursor, lines: number[], g: Loaded): GoNode {
  const root: GoNode = { type: g.types[c.nodeTypeId] ?? 'ERROR', field: null, start: c.startIndex, end: c.endIndex, line: 1, children: [], parent: null };
  root.line = lineOf(lines, root.start);
  let parent = root;
  if (!c.gotoFirstChild()) return root;
  for (;;) {
    const id = c.nodeTypeId;
    const field = g.fields[c.currentFieldId] ?? null;
    if (g.namedType[id] ? id !== commentType(g) : field !== null) {
      const start = c.startIndex;
      const node: GoNode = { type: g.types[id] ?? 'ERROR', field, start, end: c.endIndex, line: lineOf(lines, start), children: [], parent };
      parent.children.push(node);
      if (c.gotoFirstChild()) {
        parent = node;
        continue;
      }
    }
    while (!c.gotoNextSibling()) {
      if (parent === root) return root;
      c.gotoParent();
      parent = parent.parent as GoNode;
    }
  }
}

let comment = -1;
function commentType(g: Loaded): number {
  if (comment < 0) comment = g.types.indexOf('comment');
  return comment;
}

function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset (binary search over line starts). */
function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Parsed files by content, so analyzing several mains or targets of one module parses each file once (bounded by total text size). */
const parsed = new Map<string, ParsedFile>();
let parsedSize = 0;
const maxParsedSize = 64 * 1024 * 1024;

export async function parseFile(file: SourceFile): Promise<ParsedFile> {
  const key = `${file.importPath}\0${file.rel}\0${file.packageName}\0${file.text}`;
  const hit = parsed.get(key);
  if (hit) {
    parsed.delete(key);
    parsed.set(key, hit); // most recently used last
    return hit;
  }
  const result = await parseUncached(file);
  parsed.set(key, result);
  parsedSize += file.text.length;
  for (const [k, v] of parsed) {
    if (parsedSize <= maxParsedSize) break;
    parsed.delete(k);
    parsedSize -= v.text.length;
  }
  return result;
}

async function parseUncached(file: SourceFile): Promise<ParsedFile> {
  const root = await parseGo(file.text);
  const imports = new Map<string, string>();
  const importList: { path: string; line: number }[] = [];
  for (const spec of descendants(root, 'import_spec', (n) => n.type === 'import_declaration' || n.type === 'import_spec_list')) {
    const p = child(spec, 'path');
    if (!p) continue;
    const importPath = stringValue(file.text, p);
    if (importPath === null) continue;
    importList.push({ path: importPath, line: spec.line });
    const name = child(spec, 'name');
    const alias = name ? text(file.text, name) : defaultPackageName(importPath);
    if (alias !== '_' && alias !== '.') imports.set(alias, importPath);
  }
  return { rel: file.rel, text: file.text, importPath: file.importPath, packageName: file.packageName, root, imports, importList };
}

/** The name a package is known by when imported without an alias (the last path element that is not /vN, gopkg.in's .vN dropped). */
export function defaultPackageName(importPath: string): string {
  const parts = importPath.split('/');
  let last = parts.pop() ?? importPath;
  if (/^v\d+$/.test(last) && parts.length > 1) last = parts.pop() ?? last;
  last = last.replace(/\.v\d+$/, '');
  if (last.startsWith('go-')) last = last.slice(3);
  return last.replace(/[-.]/g, '_');
}

export function text(src: string, node: GoNode): string {
  return src.slice(node.start, node.end);
}

export function child(node: GoNode, field: string): GoNode | undefined {
  return node.children.find((c) => c.field === field);
}

export function childrenOf(node: GoNode, field: string): GoNode[] {
  return node.children.filter((c) => c.field === field);
}

export function named(node: GoNode, type: string): GoNode | undefined {
  return node.children.find((c) => c.type === type);
}

/** Every descendant of one of the types, in source order (the node itself included). */
export function descendants(node: GoNode, types: string | string[], into: (n: GoNode) => boolean = () => true): GoNode[] {
  const want = typeof types === 'string' ? [types] : types;
  const out: GoNode[] = [];
  const stack = [node];
  while (stack.length) {
    const n = stack.pop() as GoNode;
    if (want.includes(n.type)) out.push(n);
    if (n === node || into(n)) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}

/** The closest ancestor of one of the types. */
export function ancestor(node: GoNode, types: string[]): GoNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (types.includes(n.type)) return n;
  return undefined;
}

/** A call's argument expressions. */
export function args(call: GoNode): GoNode[] {
  return child(call, 'arguments')?.children ?? [];
}

/** The value of a string literal node (interpreted or raw), or null when the node is not one. */
export function stringValue(src: string, node: GoNode): string | null {
  const t = text(src, node);
  if (node.type === 'raw_string_literal') return t.slice(1, -1).replace(/\r/g, '');
  if (node.type !== 'interpreted_string_literal') return null;
  return unquote(t.slice(1, -1));
}

function unquote(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (e in simple) return simple[e];
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return String.fromCodePoint(parseInt(e.slice(1), 16));
  });
}

/** The value of an integer literal (decimal, hex, octal, binary, with _), or null. */
export function intValue(src: string, node: GoNode): number | null {
  if (node.type !== 'int_literal') return null;
  const t = text(src, node).replace(/_/g, '');
  const n = /^0[0-7]+$/.test(t) ? parseInt(t, 8) : Number(t.replace(/^0o/i, '0o'));
  return Number.isSafeInteger(n) ? n : null;
}
