/**
 * Splits a stream of concatenated JSON objects (`{...}{...}`, as `go list -json` prints them)
 * into the text of each object. Braces inside strings (with escapes) do not count.
 */
export function splitJsonStream(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) {
      if (depth++ === 0) start = i;
    } else if (c === 0x7d /* } */) {
      if (depth === 0) throw new Error(`unexpected } at offset ${i}`);
      if (--depth === 0) out.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(text[i])) throw new Error(`unexpected ${JSON.stringify(text[i])} at offset ${i} between objects`);
  }
  if (depth !== 0 || inString) throw new Error('the output ends inside an object');
  return out;
}
