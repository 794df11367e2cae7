/**
 * Build-constraint expressions as Go's go/build/constraint parses them: `//go:build` lines
 * (&&, ||, !, parentheses) and legacy `// +build` lines (space = OR, comma = AND, `!` = NOT).
 * A port of go/build/constraint's parser, including its error cases.
 */

export type BuildExpr = { kind: 'tag'; tag: string } | { kind: 'not'; x: BuildExpr } | { kind: 'and' | 'or'; x: BuildExpr; y: BuildExpr };

export class ConstraintSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConstraintSyntaxError';
  }
}

const tag = (t: string): BuildExpr => ({ kind: 'tag', tag: t });
const not = (x: BuildExpr): BuildExpr => ({ kind: 'not', x });
const and = (x: BuildExpr, y: BuildExpr): BuildExpr => ({ kind: 'and', x, y });
const or = (x: BuildExpr, y: BuildExpr): BuildExpr => ({ kind: 'or', x, y });

/** Go's isValidTag / lexer rule: letters, digits, '_' and '.' (Unicode letters and digits count). */
const tagChar = /[\p{L}\p{Nd}_.]/u;
const tagRun = /^[\p{L}\p{Nd}_.]+/u;

/** The expression after `//go:build`, or undefined when the line is not a //go:build line (constraint.splitGoBuild). */
export function splitGoBuild(line: string): string | undefined {
  if (!line.startsWith('//go:build')) return undefined;
  const rest = goTrim(line).slice('//go:build'.length);
  const trimmed = goTrim(rest);
  if (rest.length === trimmed.length && rest !== '') return undefined; // //go:buildfoo
  return trimmed;
}

/** The expression after `// +build` (the space after // is optional), or undefined (constraint.splitPlusBuild). */
export function splitPlusBuild(line: string): string | undefined {
  if (!line.startsWith('//')) return undefined;
  let rest = goTrim(line.slice(2));
  if (!rest.startsWith('+build')) return undefined;
  rest = rest.slice('+build'.length);
  const trimmed = goTrim(rest);
  if (rest.length === trimmed.length && rest !== '') return undefined;
  return trimmed;
}

/** Parses a //go:build expression (without the prefix). Throws ConstraintSyntaxError like Go does. */
export function parseGoBuildExpr(text: string): BuildExpr {
  const p = new ExprParser(text);
  const x = p.or();
  if (p.tok !== '') throw new ConstraintSyntaxError(p.pos, `unexpected token ${p.tok}`);
  return x;
}

/** Parses a legacy `// +build` expression (without the prefix); never fails (bad words become `ignore`). */
export function parsePlusBuildExpr(text: string): BuildExpr {
  let x: BuildExpr | undefined;
  for (const clause of text.split(/[ \t\n\v\f\r\u0085\u00a0]+/).filter(Boolean)) {
    let y: BuildExpr | undefined;
    for (let lit of clause.split(',')) {
      let z: BuildExpr;
      if (lit.startsWith('!!') || lit === '!') z = tag('ignore');
      else {
        const neg = lit.startsWith('!');
        if (neg) lit = lit.slice(1);
        z = isValidTag(lit) ? tag(lit) : tag('ignore');
        if (neg) z = not(z);
      }
      y = y ? and(y, z) : z;
    }
    if (y) x = x ? or(x, y) : y;
  }
  return x ?? tag('ignore');
}

export function evalExpr(x: BuildExpr, has: (tag: string) => boolean): boolean {
  switch (x.kind) {
    case 'tag':
      return has(x.tag);
    case 'not':
      return !evalExpr(x.x, has);
    case 'and':
      // Go evaluates both sides (it records every tag consulted); the result is the same.
      return evalExpr(x.x, has) && evalExpr(x.y, has);
    case 'or':
      return evalExpr(x.x, has) || evalExpr(x.y, has);
  }
}

function isValidTag(word: string): boolean {
  return word !== '' && [...word].every((c) => tagChar.test(c));
}

/** bytes.TrimSpace / strings.TrimSpace: Unicode white space, but not a BOM (JavaScript's trim() also removes U+FEFF). */
export function goTrim(s: string): string {
  return s.replace(
    /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
    '',
  );
}

class ExprParser {
  i = 0;
  tok = '';
  isTag = false;
  pos = 0;
  constructor(private readonly s: string) {}

  or(): BuildExpr {
    let x = this.and();
    while (this.tok === '||') x = or(x, this.and());
    return x;
  }

  and(): BuildExpr {
    let x = this.not();
    while (this.tok === '&&') x = and(x, this.not());
    return x;
  }

  not(): BuildExpr {
    this.lex();
    if (this.tok === '!') {
      this.lex();
      if (this.tok === '!') throw new ConstraintSyntaxError(this.pos, 'double negation not allowed');
      return not(this.atom());
    }
    return this.atom();
  }

  atom(): BuildExpr {
    if (this.tok === '(') {
      const pos = this.pos;
      let x: BuildExpr;
      try {
        x = this.or();
      } catch (e) {
        if (e instanceof ConstraintSyntaxError && e.message === 'unexpected end of expression')
          throw new ConstraintSyntaxError(e.offset, 'missing close paren');
        throw e;
      }
      if ((this.tok as string) !== ')') throw new ConstraintSyntaxError(pos, 'missing close paren');
      this.lex();
      return x;
    }
    if (!this.isTag) {
      if (this.tok === '') throw new ConstraintSyntaxError(this.pos, 'unexpected end of expression');
      throw new ConstraintSyntaxError(this.pos, `unexpected token ${this.tok}`);
    }
    const t = this.tok;
    this.lex();
    return tag(t);
  }

  lex(): void {
    const s = this.s;
    this.isTag = false;
    while (this.i < s.length && (s[this.i] === ' ' || s[this.i] === '\t')) this.i++;
    if (this.i >= s.length) {
      this.tok = '';
      this.pos = this.i;
      return;
    }
    const c = s[this.i];
    if (c === '(' || c === ')' || c === '!') {
      this.pos = this.i++;
      this.tok = c;
      return;
    }
    if (c === '&' || c === '|') {
      if (s[this.i + 1] !== c) throw new ConstraintSyntaxError(this.i, `invalid syntax at ${c}`);
      this.pos = this.i;
      this.i += 2;
      this.tok = c + c;
      return;
    }
    const m = tagRun.exec(s.slice(this.i));
    if (!m) throw new ConstraintSyntaxError(this.i, `invalid syntax at ${String.fromCodePoint(s.codePointAt(this.i) ?? 0)}`);
    this.pos = this.i;
    this.i += m[0].length;
    this.tok = m[0];
    this.isTag = true;
  }
}
