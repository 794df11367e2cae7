// Bounds-checked reading of binary files: every offset is checked against what is there,
// so a damaged or hostile file yields a FormatError (turned into a GoDeployError naming the
// file by inspect.ts), never an index-out-of-range from Buffer.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** What is wrong with the file's contents; inspect.ts adds the file name. */
export class FormatError extends Error {
  /** Overrides inspect.ts's default hint (that the file may be truncated or damaged). */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Random access to a file's bytes (a Buffer in memory, or an open file read piece by piece). */
export interface ByteSource {
  readonly size: number;
  /** Exactly `len` bytes at `off`; a FormatError names `what` when they are not all there. */
  read(off: number, len: number, what: string): Buffer;
}

/** No single structure a parser reads may be bigger than this. */
export const MAX_READ = 64 * 1024 * 1024;

function checkRange(size: number, off: number, len: number, what: string): void {
  if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0) throw new FormatError(`${what}: bad offset ${off} or length ${len}`);
  if (len > MAX_READ) throw new FormatError(`${what}: implausible size ${len} bytes`);
  if (off + len > size)
    throw new FormatError(`${what} at offset ${off} (${len} bytes) is past the end of the file (${size} bytes): the file is truncated or damaged`);
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read(off, len, what) {
      checkRange(buf.length, off, len, what);
      return buf.subarray(off, off + len);
    },
  };
}

/** A source over an open file descriptor; `close()` when done. */
export function fileSource(fd: number): ByteSource & { close(): void } {
  const size = fstatSync(fd).size;
  return {
    size,
    read(off, len, what) {
      checkRange(size, off, len, what);
      const out = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, out, got, len - got, off + got);
        if (n === 0) throw new FormatError(`${what}: the file got shorter while being read`);
        got += n;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}

export function openFileSource(file: string): ByteSource & { close(): void } {
  return fileSource(openSync(file, 'r'));
}

/** Typed, bounds-checked reads from a Buffer in one byte order. */
export class View {
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
    readonly what: string,
  ) {}

  private need(off: number, n: number): void {
    if (!Number.isSafeInteger(off) || off < 0 || off + n > this.buf.length) {
      throw new FormatError(`${this.what} is truncated: needs ${n} bytes at ${off}, has ${this.buf.length}`);
    }
  }

  u8(off: number): number {
    this.need(off, 1);
    return this.buf[off];
  }

  u16(off: number): number {
    this.need(off, 2);
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }

  u32(off: number): number {
    this.need(off, 4);
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }

  /** A 64-bit value as a Number; values beyond 2^53 are reported as damage. */
  u64(off: number): number {
    this.need(off, 8);
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${this.what}: 64-bit value ${v} at ${off} is implausibly large`);
    return Number(v);
  }

  /** A word of the file's class: 4 or 8 bytes. */
  word(off: number, is64: boolean): number {
    return is64 ? this.u64(off) : this.u32(off);
  }

  /** A NUL-terminated string starting at `off` (up to `max` bytes, or the end of the view). */
  cstr(off: number, max = 4096): string {
    this.need(off, 0);
    const end = Math.min(this.buf.length, off + max);
    let i = off;
    while (i < end && this.buf[i] !== 0) i++;
    return this.buf.toString('latin1', off, i);
  }

  /** A fixed-size field padded with NULs (Mach-O segment and section names, PE section names). */
  fixedStr(off: number, len: number): string {
    this.need(off, len);
    const s = this.buf.subarray(off, off + len);
    const nul = s.indexOf(0);
    return s.toString('latin1', 0, nul < 0 ? len : nul);
  }
}

/** A loaded region: `vaddr..vaddr+size` of memory comes from `off..off+size` of the file. */
export interface Segment {
  vaddr: number;
  off: number;
  size: number;
}

/** File offset of virtual address `addr` through the loaded segments, or null. */
export function vaddrToOffset(segments: Segment[], addr: number, len: number): number | null {
  for (const s of segments) {
    if (addr >= s.vaddr && addr + len <= s.vaddr + s.size) return s.off + (addr - s.vaddr);
  }
  return null;
}

/** What a format parser (elf.ts, macho.ts, pe.ts) reads from the headers alone. */
export interface ParsedHeaders {
  format: 'elf' | 'macho' | 'pe';
  bits: 32 | 64;
  littleEndian: boolean;
  /** GOOS as far as the headers tell; "unknown" when they do not. */
  os: string;
  /** False when `os` is only a guess (a Go ELF binary without OS notes is taken for linux). */
  osCertain: boolean;
  arch: string;
  interpreter: string | null;
  libraries: string[];
  stripped: boolean;
  /** File ranges where the Go build info blob may start, best first. */
  buildInfoAreas: { off: number; size: number }[];
  /** For mapping the pointers of pre-1.18 build info to file offsets. */
  segments: Segment[];
}
