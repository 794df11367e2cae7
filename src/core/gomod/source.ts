/**
 * A light reader of Go source files: the package clause, imports, build constraints
 * and a few facts found in the code (listen port, health path, embed, cgo). It masks
 * comments and strings properly so commented-out code is never taken as real.
 */

export interface GoImport {
  path: string;
  line: number;
}

export interface GoFileFacts {
  packageName: string | undefined;
  imports: GoImport[];
  /** `//go:build ignore` (or `// +build ignore`): never part of a build. */
  ignored: boolean;
  /** Lines with a `//go:embed` directive. */
  embedLines: number[];
  /** String literals with their lines, comments excluded. */
  strings: { value: string; line: number }[];
  /** The code lines with comments and string contents removed, for keyword searches. */
  codeLines: string[];
}

export function readGoFile(text: string): GoFileFacts {
  const facts: GoFileFacts = { packageName: undefined, imports: [], ignored: false, embedLines: [], strings: [], codeLines: [] };
  const lines = text.split('\n');
  // Build constraints and directives are line comments at the start of a line.
  lines.forEach((l, i) => {
    const t = l.trim();
    if (/^\/\/go:build\s/.test(t) && /(^|[\s(!&|])ignore($|[\s)&|])/.test(t.slice(10)) && !/!ignore/.test(t)) facts.ignored = true;
    if (/^\/\/\s*\+build\s+ignore\b/.test(t)) facts.ignored = true;
    if (/^\/\/go:embed\s/.test(t)) facts.embedLines.push(i + 1);
  });

  const code: string[] = [];
  let line = 1;
  let i = 0;
  let current = '';
  const push = (ch: string) => {
    if (ch === '\n') {
      code.push(current);
      current = '';
      line++;
    } else current += ch;
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) push(text[i++] === '\n' ? '\n' : ' ');
      i += 2;
    } else if (c === '"' || c === '`') {
      const startLine = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (c === '"' && text[i] === '\n') break; // unterminated: stop at end of line
        if (c === '"' && text[i] === '\\') {
          value += text[i] + (text[i + 1] ?? '');
          i += 2;
          continue;
        }
        if (text[i] === '\n') push('\n');
        value += text[i++];
      }
      i++;
      facts.strings.push({ value: c === '"' ? unescape(value) : value, line: startLine });
      current += '""';
    } else if (c === "'") {
      i++;
      while (i < text.length && text[i] !== "'" && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      current += "''";
    } else {
      push(c);
      i++;
    }
  }
  code.push(current);
  facts.codeLines = code;

  parseHeader(code, facts);
  return facts;
}

function unescape(s: string): string {
  return s.replace(/\\(["\\nt])/g, (_, ch: string) => ({ n: '\n', t: '\t' })[ch] ?? ch);
}

/** package clause and import declarations, from the masked code and the strings table. */
function parseHeader(code: string[], facts: GoFileFacts): void {
  const stringsByLine = new Map<number, string[]>();
  for (const s of facts.strings) stringsByLine.set(s.line, [...(stringsByLine.get(s.line) ?? []), s.value]);
  let inBlock = false;
  for (let n = 0; n < code.length; n++) {
    const l = code[n].trim();
    if (!l) continue;
    const lineNo = n + 1;
    if (!facts.packageName) {
      const m = /^package\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(l);
      if (m) facts.packageName = m[1];
      else return; // anything before the package clause: not a Go file we understand
      continue;
    }
    if (inBlock) {
      const quoted = (stringsByLine.get(lineNo) ?? []).slice(0, (l.match(/""/g) ?? []).length);
      for (const p of quoted) facts.imports.push({ path: p, line: lineNo });
      if (l.includes(')')) inBlock = false;
      continue;
    }
    if (/^import\s*\(/.test(l)) {
      inBlock = !l.includes(')');
      for (const p of stringsByLine.get(lineNo) ?? []) facts.imports.push({ path: p, line: lineNo });
      continue;
    }
    if (/^import\b/.test(l)) {
      const p = stringsByLine.get(lineNo)?.[0];
      if (p !== undefined) facts.imports.push({ path: p, line: lineNo });
      continue;
    }
    return; // first declaration after the imports
  }
}
