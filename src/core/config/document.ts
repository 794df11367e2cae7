import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, YAMLParseError, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { basename } from 'node:path';
import type { ConfigDiagnostic, Severity } from './diagnostic';

export type PathSegment = string | number;

/**
 * A parsed godeploy.yaml that remembers where every value came from, so any later
 * check (schema, semantics, inspection) can point at the exact line and column.
 */
export class ConfigDocument {
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  private constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    // The parser's own duplicate-key check compares each key with every earlier one of its
    // mapping (quadratic: minutes for a 5 MB file); duplicateKeyErrors does it in one pass.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: false, strict: true, logLevel: 'error' });
    this.doc.errors.push(...duplicateKeyErrors(this.doc));
  }

  /** Each mapping's pairs by key (the first of repeated ones), built when first looked in. */
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  static parse(file: string, text: string): ConfigDocument {
    return new ConfigDocument(file, text);
  }

  /** Syntax errors and warnings reported by the YAML parser. */
  syntaxDiagnostics(): ConfigDiagnostic[] {
    const out: ConfigDiagnostic[] = [];
    const add = (severity: Severity, list: readonly { code: string; message: string; pos: [number, number] }[]) => {
      for (const e of list) {
        if (e.code === 'MULTIPLE_DOCS') {
          if (!out.some((d) => d.message.includes('several YAML documents'))) out.push(this.severalDocuments(e.pos[0]));
          continue;
        }
        const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        // The parser reports an unterminated quote where the file ends; point at where it opened.
        const start = e.code === 'MISSING_CHAR' && /quote/.test(first) ? (this.unclosedQuoteBefore(e.pos[0]) ?? e.pos[0]) : e.pos[0];
        out.push({
          ...this.span(start, start === e.pos[0] ? e.pos[1] : start + 1),
          severity,
          path: '',
          message: `YAML syntax: ${first}`,
          hint: syntaxHint(first),
        });
      }
    };
    add('error', this.doc.errors);
    add('warning', this.doc.warnings);
    return out;
  }

  /** A second `---` document: godeploy.yaml is one document, located where the second starts. */
  private severalDocuments(start: number): ConfigDiagnostic {
    const at = this.span(start, start + 3);
    return {
      ...at,
      severity: 'error',
      path: '',
      message: `${basename(this.file)} holds several YAML documents (a second one starts at line ${at.line}); use one`,
      hint: 'remove the `---` line and what follows it, or merge the documents into one',
    };
  }

  /** Offset of the first quote before `limit` that opens a string not closed on its line. */
  private unclosedQuoteBefore(limit: number): number | undefined {
    let offset = 0;
    for (const line of this.text.slice(0, limit).split('\n')) {
      const body = line.replace(/(^|\s)#.*$/, '');
      let open: number | undefined;
      for (let i = 0; i < body.length; i++) {
        const c = body[i];
        if (open === undefined && (c === '"' || c === "'")) open = i;
        else if (open !== undefined && c === body[open] && (c === "'" || body[i - 1] !== '\\')) open = undefined;
      }
      if (open !== undefined) return offset + open;
      offset += line.length + 1;
    }
    return undefined;
  }

  /** Why the data could not be built (an alias bomb, say), when toData() gave up. */
  dataError: string | undefined;

  /** The plain data, as far as it could be parsed; never throws. */
  toData(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      this.dataError = (e as Error).message;
      return undefined;
    }
  }

  /** A diagnostic at the key (`at: 'key'`) or the value of a path, or at the nearest existing parent. */
  diagnosticAt(path: readonly PathSegment[], at: 'key' | 'value', severity: Severity, message: string, hint?: string): ConfigDiagnostic {
    const [start, end] = this.rangeOf(path, at);
    return { ...this.span(start, end), severity, path: formatPath(path), message, hint };
  }

  /** Offsets of a path's key or value; falls back to the deepest ancestor that exists. */
  rangeOf(path: readonly PathSegment[], at: 'key' | 'value'): [number, number] {
    let node: unknown = this.doc.contents;
    let best: [number, number] = rangeOfNode(node) ?? [0, 0];
    for (let i = 0; i < path.length; i++) {
      const pair = this.childPair(node, path[i]);
      if (!pair) break;
      const last = i === path.length - 1;
      if (last && at === 'key' && pair.key) {
        return rangeOfNode(pair.key) ?? best;
      }
      node = pair.value;
      // A key with no value (`port:`) has no range of its own: point at the key.
      best = rangeOfNode(pair.value) ?? rangeOfNode(pair.key) ?? best;
      if (!pair.value) break;
    }
    return best;
  }

  private childPair(node: unknown, segment: PathSegment): PairOrItem | undefined {
    if (isMap(node)) {
      let index = this.pairIndex.get(node);
      if (!index) {
        index = new Map();
        for (const p of node.items) {
          const key = isPair(p) ? keyString(p.key) : undefined;
          if (key !== undefined && !index.has(key)) index.set(key, p);
        }
        this.pairIndex.set(node, index);
      }
      const pair = index.get(String(segment));
      return pair ? { key: pair.key, value: pair.value } : undefined;
    }
    if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      return item === undefined ? undefined : { value: item };
    }
    return undefined;
  }

  private span(start: number, end: number): { file: string; line: number; col: number; endLine: number; endCol: number } {
    const a = this.lines.linePos(Math.min(start, this.text.length));
    const b = this.lines.linePos(Math.min(Math.max(end, start), this.text.length));
    return { file: this.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }
}

interface PairOrItem {
  key?: unknown;
  value: unknown;
}

/**
 * "Map keys must be unique" for every key that repeats an earlier one of its mapping (as the
 * parser's uniqueKeys reports it: scalar keys of equal value), with one Set per mapping.
 */
function duplicateKeyErrors(doc: Document.Parsed): YAMLParseError[] {
  const errors: YAMLParseError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          const start = pair.key.range?.[0] ?? 0;
          errors.push(new YAMLParseError([start, start + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
        }
        seen.add(pair.key.value);
      }
    },
  });
  return errors;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeOfNode(node: unknown): [number, number] | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? [range[0], range[1]] : undefined;
}

/** `environments.staging.hosts[0].port` */
export function formatPath(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function syntaxHint(message: string): string | undefined {
  if (/tab/i.test(message)) return 'indent with spaces; YAML does not allow tabs for indentation';
  if (/unique/i.test(message)) return 'remove or rename the repeated key';
  if (/Nested mappings are not allowed in compact mappings|Implicit map keys need to be followed by map values/.test(message))
    return 'put a space after the colon of each key, and quote values that contain ": "';
  if (/quote|quoted/i.test(message)) return 'close the quoted string on the same line, or use a block scalar (| or >)';
  if (/indent/i.test(message)) return 'align keys of the same mapping at the same column';
  return undefined;
}

/** Where `path` (its key) is written in godeploy.yaml's text: 1-based line and column (the nearest parent that exists). */
export function locateInConfig(file: string, text: string, path: readonly PathSegment[]): { line: number; col: number } {
  const d = ConfigDocument.parse(file, text).diagnosticAt(path, 'key', 'warning', '');
  return { line: d.line, col: d.col };
}
