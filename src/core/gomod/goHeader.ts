/**
 * The part of a Go file that decides whether and how it is built: the leading comments
 * (build constraints, as go/build's parseFileHeader finds them), the package clause and the
 * import declarations (as go/build's importReader reads them). Nothing after the imports is read.
 */
import { goTrim, splitGoBuild, splitPlusBuild } from './buildExpr';

export interface HeaderImport {
  path: string;
  line: number;
}

export interface GoFileHeader {
  packageName: string | undefined;
  packageLine: number;
  imports: HeaderImport[];
  /** The `//go:build` line (expression text) and its 1-based line, when present in the leading comments. */
  goBuild: { expr: string; line: number } | undefined;
  /** `// +build` lines that count (before the blank line that ends the leading // comments). */
  plusBuild: { expr: string; line: number }[];
  /** Two //go:build lines: Go rejects the file. */
  multipleGoBuild: boolean;
  /** Line of `import "C"`, when the file uses cgo. */
  cgoLine: number | undefined;
  /** The package clause or imports could not be read (Go lists such a file as invalid). */
  syntaxError: string | undefined;
  /** False when the text ended inside the header: read more of the file and parse again. */
  complete: boolean;
}

/** Reads the header of a Go source file. `text` may be a prefix of the file; see `complete`. */
export function readGoHeader(text: string, wholeFile = true): GoFileHeader {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const constraints = constraintLines(text);
  const h: GoFileHeader = {
    packageName: undefined,
    packageLine: 0,
    imports: [],
    goBuild: constraints.goBuild,
    plusBuild: constraints.plusBuild,
    multipleGoBuild: constraints.multiple,
    cgoLine: undefined,
    syntaxError: undefined,
    complete: true,
  };
  const r = new ImportReader(text);
  try {
    r.keyword('package');
    h.packageLine = r.line;
    h.packageName = r.ident();
    while (r.peek() === 'i') {
      r.keyword('import');
      if (r.peek() === '(') {
        r.next();
        while (r.peek() !== ')') h.imports.push(r.importSpec());
        r.next();
      } else h.imports.push(r.importSpec());
    }
  } catch (e) {
    if (!(e instanceof HeaderEnd)) throw e;
    if (!wholeFile && e.atEof) h.complete = false;
    else h.syntaxError = e.message;
  }
  // Reaching the end of a prefix right after the imports may hide more imports.
  if (!wholeFile && r.atEof) h.complete = false;
  h.cgoLine = h.imports.find((i) => i.path === 'C')?.line;
  return h;
}

/** go/build parseFileHeader: the //go:build line and the // +build lines that count. */
function constraintLines(text: string): { goBuild: GoFileHeader['goBuild']; plusBuild: GoFileHeader['plusBuild']; multiple: boolean } {
  let goBuild: GoFileHeader['goBuild'];
  let multiple = false;
  let endLine = 0; // lines before this (1-based, exclusive) may hold // +build lines
  let ended = false;
  let inSlashStar = false;
  const candidates: { expr: string; line: number }[] = [];
  let next = 0;
  lines: for (let n = 0; next <= text.length; n++) {
    const nl = text.indexOf('\n', next);
    const end = nl < 0 ? text.length : nl;
    let line = goTrim(text.slice(next, end));
    next = end + 1;
    if (line.length === 0 && !ended) {
      endLine = n + 1;
      continue;
    }
    if (!line.startsWith('//')) ended = true;
    if (!inSlashStar && isGoBuildComment(line)) {
      if (goBuild) multiple = true;
      else goBuild = { expr: splitGoBuild(line) ?? '', line: n + 1 };
    }
    if (!ended && line.includes('+build')) {
      const expr = splitPlusBuild(line);
      if (expr !== undefined) candidates.push({ expr, line: n + 1 });
    }
    while (line.length > 0) {
      if (inSlashStar) {
        const i = line.indexOf('*/');
        if (i < 0) continue lines;
        inSlashStar = false;
        line = goTrim(line.slice(i + 2));
        continue;
      }
      if (line.startsWith('//')) continue lines;
      if (line.startsWith('/*')) {
        inSlashStar = true;
        line = goTrim(line.slice(2));
        continue;
      }
      break lines; // non-comment text: the package clause (or something else)
    }
  }
  return { goBuild, plusBuild: candidates.filter((c) => c.line <= endLine), multiple };
}

function isGoBuildComment(line: string): boolean {
  if (!line.startsWith('//go:build')) return false;
  const rest = line.slice('//go:build'.length);
  return rest.length === 0 || goTrim(rest).length < rest.length;
}

class HeaderEnd extends Error {
  constructor(
    message: string,
    readonly atEof: boolean,
  ) {
    super(message);
  }
}

const identByte = (c: string) => /[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) >= 0x80;

/** go/build's importReader: whitespace, semicolons and comments between tokens are skipped. */
class ImportReader {
  i = 0;
  line = 1;
  atEof = false;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new HeaderEnd(what, this.i >= this.s.length);
  }

  /** The next significant character (not consumed), or '' at the end. */
  peek(): string {
    const s = this.s;
    for (;;) {
      if (this.i >= s.length) {
        this.atEof = true;
        return '';
      }
      const c = s[this.i];
      if (c === ' ' || c === '\f' || c === '\t' || c === '\r' || c === ';') this.i++;
      else if (c === '\n') {
        this.line++;
        this.i++;
      } else if (c === '/' && s[this.i + 1] === '/') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) {
          this.i = s.length;
          this.fail('unterminated comment');
        }
        this.line += countNewlines(s, this.i, end);
        this.i = end + 2;
      } else return c;
    }
  }

  next(): string {
    const c = this.peek();
    if (c) this.i++;
    return c;
  }

  keyword(word: string): void {
    this.peek();
    const rest = this.s.slice(this.i, this.i + word.length);
    if (rest.length < word.length && word.startsWith(rest)) throw new HeaderEnd(`expected ${word}`, true);
    if (!this.s.startsWith(word, this.i) || identByte(this.s[this.i + word.length] ?? ' ')) this.fail(`expected ${word}`);
    this.i += word.length;
  }

  ident(): string {
    const c = this.peek();
    if (!c || !identByte(c) || /[0-9]/.test(c)) this.fail('expected a package name');
    const start = this.i;
    while (this.i < this.s.length && identByte(this.s[this.i])) this.i++;
    return this.s.slice(start, this.i);
  }

  importSpec(): HeaderImport {
    const c = this.peek();
    if (c === '.') this.i++;
    else if (c && identByte(c)) this.ident();
    const q = this.peek();
    const line = this.line;
    const start = this.i;
    if (q === '`') {
      const end = this.s.indexOf('`', start + 1);
      if (end < 0) {
        this.i = this.s.length;
        this.fail('unterminated import path');
      }
      this.line += countNewlines(this.s, start, end);
      this.i = end + 1;
      return { path: this.s.slice(start + 1, end), line };
    }
    if (q !== '"') this.fail(q ? 'expected an import path' : 'unexpected end of file in imports');
    let j = start + 1;
    for (; j < this.s.length && this.s[j] !== '"'; j++) {
      if (this.s[j] === '\n') this.fail('newline in import path');
      if (this.s[j] === '\\') j++;
    }
    if (j >= this.s.length) {
      this.i = this.s.length;
      this.fail('unterminated import path');
    }
    this.i = j + 1;
    return { path: unquote(this.s.slice(start + 1, j)), line };
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 10) n++;
  return n;
}

function unquote(body: string): string {
  if (!body.includes('\\')) return body;
  try {
    return JSON.parse(
      `"${body.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\U([0-9a-fA-F]{8})/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))}"`,
    ) as string;
  } catch {
    return body;
  }
}
