/**
 * Character rules for values that end up inside a generated file's directive or a URL.
 * Shared by validation (a located diagnostic) and the generators (a refusal when a model
 * built without validation still holds such a value).
 */

/** A character found in a value: where (0-based, in UTF-16 units) and what, in words. */
export interface FoundCharacter {
  index: number;
  name: string;
}

/** How a character is named in messages: "a line break (\n)", "the control character U+0001". */
export function describeCharacter(ch: string): string {
  const named: Record<string, string> = {
    '\n': 'a line break (\\n)',
    '\r': 'a carriage return (\\r)',
    '\t': 'a tab',
    '\0': 'a NUL character',
    '\x7f': 'a DEL character (U+007F)',
    ' ': 'a space',
    ';': 'a ";"',
    '{': 'a "{"',
    '}': 'a "}"',
    '"': 'a double quote',
    "'": 'a single quote',
    $: 'a "$"',
    '#': 'a "#"',
    '`': 'a backtick',
    '\\': 'a backslash',
  };
  return (
    // eslint-disable-next-line no-control-regex -- naming a control character is the point
    named[ch] ?? (/[\x00-\x1f\x80-\x9f]/.test(ch) ? `the control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : `a "${ch}"`)
  );
}

/** The first character of `value` matching `pattern` (a one-character class), if any. */
export function firstMatching(value: string, pattern: RegExp): FoundCharacter | undefined {
  const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(value);
  return m ? { index: m.index, name: describeCharacter(m[0]) } : undefined;
}

/** C0 controls (line breaks and tabs included) and DEL: never part of a one-line value. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/** The first control character (line break, tab, NUL, other C0 or DEL) in `value`. */
export function controlCharacterIn(value: string): FoundCharacter | undefined {
  return firstMatching(value, CONTROL_CHARACTER);
}

/**
 * What supervisor's config reader cannot carry in a value: a line break ends it, ";" or "#"
 * after whitespace starts an inline comment (even inside quotes), and other control characters.
 */
export function supervisorValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'a line break';
  if (/\s[;#]/.test(value)) return 'a space followed by ";" or "#"';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value)) return 'a control character';
  return undefined;
}

/**
 * Why `p` is not the path of a URL (and query), or undefined: it starts with "/", and holds
 * only RFC 3986 path and query characters, with "%" starting a two-digit escape. Spaces,
 * quotes, control characters and "#" are refused: an HTTP client sends none of them as is.
 */
export function urlPathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return 'it does not start with "/"';
  const bad = firstMatching(p, /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/);
  if (bad) return `${bad.name} at character ${bad.index + 1}`;
  const escape = /%(?![0-9A-Fa-f]{2})/.exec(p);
  if (escape) return `a "%" at character ${escape.index + 1} that does not start a %XX escape`;
  return undefined;
}

/** An image reference (registry/name:tag@digest) as Docker and Kubernetes read it: no spaces, quotes or shell characters. */
export function imageReferenceProblem(ref: string): string | undefined {
  const bad = firstMatching(ref, /[^A-Za-z0-9._/:@+-]/);
  return bad ? `${bad.name} at character ${bad.index + 1}` : undefined;
}
