// The module info text of a Go binary, parsed as Go's runtime/debug.ParseBuildInfo does:
// tab-separated `path`, `mod`, `dep`, `=>` and `build` lines.
import { FormatError } from './reader';
import type { GoBuildInfo, GoModule } from './types';

function moduleLine(fields: string[], lineNo: number): GoModule {
  if (fields.length !== 2 && fields.length !== 3) throw new FormatError(`Go module info line ${lineNo}: expected 2 or 3 columns, got ${fields.length}`);
  return { path: fields[0], version: fields[1], sum: fields[2] ? fields[2] : null };
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };

/** Go's strconv.Unquote for "…" and `…` strings; null when `s` is not one quoted string. */
export function goUnquote(s: string): string | null {
  if (s.length < 2) return null;
  const q = s[0];
  if (q === '`') return s[s.length - 1] === '`' && !s.slice(1, -1).includes('`') ? s.slice(1, -1).replace(/\r/g, '') : null;
  if (q !== '"' || s[s.length - 1] !== '"') return null;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length;) {
    const c = body[i];
    if (c === '"' || c === '\n') return null;
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return null;
    if (e in SIMPLE_ESCAPES && e !== "'") {
      bytes.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return null;
      const v = parseInt(hex, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return null;
      else bytes.push(...Buffer.from(String.fromCodePoint(v), 'utf8'));
      i += 2 + n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return null;
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else {
      return null;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The length of the quoted string that `s` starts with (Go's strconv.QuotedPrefix), or -1. */
function quotedPrefixLength(s: string): number {
  const q = s[0];
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') i++;
    else if (s[i] === q) return i + 1;
  }
  return -1;
}

/** Parses the module info (sentinels already removed) into path, main module, deps and settings. */
export function parseModInfo(text: string): GoBuildInfo {
  const info: GoBuildInfo = { path: '', main: null, deps: [], settings: {} };
  let last: GoModule | null = null;
  const lines = text.split('\n');
  lines.pop(); // like Go, a last line without its newline is ignored
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (!line.includes('\t')) return;
    const [word, ...rest] = line.split('\t');
    const value = line.slice(word.length + 1);
    switch (word) {
      case 'path':
        info.path = value;
        break;
      case 'mod':
        info.main = last = moduleLine(rest, lineNo);
        break;
      case 'dep':
        last = moduleLine(rest, lineNo);
        info.deps.push(last);
        break;
      case '=>':
        if (rest.length !== 3) throw new FormatError(`Go module info line ${lineNo}: expected 3 columns for a replacement, got ${rest.length}`);
        if (!last) throw new FormatError(`Go module info line ${lineNo}: replacement with no module on the line before`);
        last.replace = { path: rest[0], version: rest[1], sum: rest[2] ? rest[2] : null };
        last = null;
        break;
      case 'build': {
        let key: string, raw: string;
        if (value.startsWith('"') || value.startsWith('`')) {
          const n = quotedPrefixLength(value);
          const k = n > 0 ? goUnquote(value.slice(0, n)) : null;
          if (k === null || value[n] !== '=') throw new FormatError(`Go module info line ${lineNo}: bad quoted build setting key`);
          key = k;
          raw = value.slice(n + 1);
        } else {
          const eq = value.indexOf('=');
          if (eq <= 0) throw new FormatError(`Go module info line ${lineNo}: build setting without "key="`);
          key = value.slice(0, eq);
          raw = value.slice(eq + 1);
        }
        let v = raw;
        if (raw.startsWith('"') || raw.startsWith('`')) {
          const u = goUnquote(raw);
          if (u === null) throw new FormatError(`Go module info line ${lineNo}: bad quoted value for build setting ${key}`);
          v = u;
        }
        info.settings[key] = v;
        break;
      }
    }
  });
  return info;
}
