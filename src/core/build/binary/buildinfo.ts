// Locates and decodes the Go linker's build info blob ("\xff Go buildinf:"): the Go version
// and the module info string, in both layouts (inline strings since Go 1.18, pointers before).
import { FormatError, View, vaddrToOffset, type ByteSource, type ParsedHeaders } from './reader';

export const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const ALIGN = 16;
const SCAN_LIMIT = 64 * 1024;
const FLAG_BIG_ENDIAN = 1,
  FLAG_INLINE = 2;

export interface RawBuildInfo {
  version: string;
  /** The module info with its sentinels removed; "" when the binary was not built in module mode. */
  modinfo: string;
  /** File offset of the blob's header. */
  offset: number;
}

/** File offset of the build info header: the magic, 16-byte aligned, near the start of a data area. */
function findHeader(src: ByteSource, h: ParsedHeaders): number | null {
  for (const area of h.buildInfoAreas) {
    if (area.size < HEADER_SIZE) continue;
    const len = Math.min(area.size, SCAN_LIMIT);
    const data = src.read(area.off, len, 'Go build info area');
    for (let i = data.indexOf(BUILDINFO_MAGIC); i >= 0; i = data.indexOf(BUILDINFO_MAGIC, i + 1)) {
      if (i % ALIGN === 0 && len - i >= HEADER_SIZE) return area.off + i;
    }
  }
  return null;
}

/** A uvarint-length-prefixed string at file offset `off`. */
function inlineString(src: ByteSource, off: number, what: string): { value: Buffer; next: number } {
  const head = src.read(off, Math.min(10, src.size - off), what);
  let len = 0,
    mul = 1,
    i = 0;
  for (; ; i++) {
    if (i >= head.length) throw new FormatError(`${what}: its length prefix is cut off`);
    const b = head[i];
    len += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) break;
  }
  const start = off + i + 1;
  return { value: src.read(start, len, what), next: start + len };
}

/** A Go string header (pointer, length) at virtual address `addr`, followed to its bytes. */
function pointerString(src: ByteSource, h: ParsedHeaders, addr: number, ptrSize: number, le: boolean, what: string): Buffer {
  const hdrOff = vaddrToOffset(h.segments, addr, 2 * ptrSize);
  if (hdrOff === null) throw new FormatError(`${what}: address 0x${addr.toString(16)} is not in the file`);
  const hdr = new View(src.read(hdrOff, 2 * ptrSize, what), le, what);
  const dataAddr = hdr.word(0, ptrSize === 8),
    dataLen = hdr.word(ptrSize, ptrSize === 8);
  if (dataLen === 0) return Buffer.alloc(0);
  const dataOff = vaddrToOffset(h.segments, dataAddr, dataLen);
  if (dataOff === null) throw new FormatError(`${what}: ${dataLen} bytes at 0x${dataAddr.toString(16)} are not in the file`);
  return src.read(dataOff, dataLen, what);
}

/** The build info blob, or null when there is none (not a Go binary). */
export function readRawBuildInfo(src: ByteSource, h: ParsedHeaders): RawBuildInfo | null {
  const offset = findHeader(src, h);
  if (offset === null) return null;
  const head = src.read(offset, HEADER_SIZE, 'Go build info header');
  const ptrSize = head[14],
    flags = head[15];
  let version: string, mod: Buffer;
  if (flags & FLAG_INLINE) {
    const v = inlineString(src, offset + HEADER_SIZE, 'Go build info version');
    version = v.value.toString('utf8');
    mod = inlineString(src, v.next, 'Go build info module data').value;
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) throw new FormatError(`Go build info header has pointer size ${ptrSize}`);
    const le = (flags & FLAG_BIG_ENDIAN) === 0;
    const ptrs = new View(head, le, 'Go build info header');
    version = pointerString(src, h, ptrs.word(16, ptrSize === 8), ptrSize, le, 'Go build info version').toString('utf8');
    mod = pointerString(src, h, ptrs.word(16 + ptrSize, ptrSize === 8), ptrSize, le, 'Go build info module data');
  }
  if (!version) throw new FormatError(`Go build info at offset ${offset} has no Go version`);
  // Strip the 16-byte sentinels cmd/go puts around the module info.
  const modinfo = mod.length >= 33 && mod[mod.length - 17] === 0x0a ? mod.toString('utf8', 16, mod.length - 16) : '';
  return { version, modinfo, offset };
}
