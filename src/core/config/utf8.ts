/** Where a config file stops being UTF-8: 1-based line and column (in characters), and the offending byte. */
export interface InvalidUtf8 {
  line: number;
  col: number;
  byte: number;
}

const fatal = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/**
 * The text of a config file's bytes (a leading BOM dropped), and where the first invalid
 * UTF-8 sequence is, if any. The text is then the lossy decoding (U+FFFD for bad bytes):
 * callers report `invalid` instead of letting a replacement character reach a generated file.
 */
export function decodeConfigBytes(bytes: Uint8Array): { text: string; invalid?: InvalidUtf8 } {
  try {
    return { text: fatal.decode(bytes) };
  } catch {
    return { text: lossy.decode(bytes), invalid: locateInvalid(bytes) };
  }
}

function locateInvalid(bytes: Uint8Array): InvalidUtf8 {
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const lineBytes = bytes.subarray(lineStart, i);
    if (!isUtf8(lineBytes)) {
      const valid = longestValidPrefix(lineBytes);
      const prefix = fatal.decode(lineBytes.subarray(0, valid));
      return { line, col: prefix.length + 1, byte: lineBytes[valid] };
    }
    line++;
    lineStart = i + 1;
  }
  return { line: 1, col: 1, byte: bytes[0] ?? 0 };
}

/** Length of the longest prefix that decodes: the bad byte sits right after it. */
function longestValidPrefix(bytes: Uint8Array): number {
  let valid = 0;
  for (let k = 1; k <= bytes.length && k - valid <= 4; k++) if (isUtf8(bytes.subarray(0, k))) valid = k;
  return valid;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
