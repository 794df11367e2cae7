// Mach-O (32/64-bit, either byte order): CPU type, platform (macOS or iOS), the dylibs it
// loads, its symbol table and the __go_buildinfo section.
import { FormatError, View, type ByteSource, type ParsedHeaders, type Segment } from './reader';

const LC_SEGMENT = 0x1,
  LC_SYMTAB = 0x2,
  LC_DYSYMTAB = 0xb,
  LC_SEGMENT_64 = 0x19;
const LC_VERSION_MIN_MACOSX = 0x24,
  LC_VERSION_MIN_IPHONEOS = 0x25,
  LC_BUILD_VERSION = 0x32;
const DYLIB_COMMANDS = new Set([0xc, 0x20, 0x80000018, 0x8000001f, 0x80000023]); // LC_LOAD_DYLIB, LAZY, WEAK, REEXPORT, UPWARD
const PLATFORM_OS: Record<number, string> = { 1: 'darwin', 2: 'ios', 6: 'ios', 7: 'ios' }; // macOS, iOS, Mac Catalyst, iOS simulator

/** Mach-O magic numbers as the first four bytes read big-endian. */
export const MACHO_MAGICS: Record<number, { is64: boolean; le: boolean }> = {
  0xfeedface: { is64: false, le: false },
  0xfeedfacf: { is64: true, le: false },
  0xcefaedfe: { is64: false, le: true },
  0xcffaedfe: { is64: true, le: true },
};

/** GOARCH for a Mach-O cputype. */
export function machoArch(cputype: number): string {
  switch (cputype) {
    case 0x01000007:
      return 'amd64';
    case 0x7:
      return '386';
    case 0x0100000c:
      return 'arm64';
    case 0xc:
      return 'arm';
    case 0x01000012:
      return 'ppc64';
    default:
      return 'unknown';
  }
}

export function parseMachO(src: ByteSource): ParsedHeaders {
  const magic = src.read(0, 4, 'Mach-O magic').readUInt32BE(0);
  const kind = MACHO_MAGICS[magic];
  if (!kind) throw new FormatError(`unknown Mach-O magic 0x${magic.toString(16)}`);
  const { is64, le } = kind;
  const hsize = is64 ? 32 : 28;
  const h = new View(src.read(0, hsize, 'Mach-O header'), le, 'Mach-O header');
  const cputype = h.u32(4),
    ncmds = h.u32(16),
    sizeofcmds = h.u32(20);
  const cmds = new View(src.read(hsize, sizeofcmds, 'Mach-O load commands'), le, 'Mach-O load commands');

  const segments: Segment[] = [];
  const libraries: string[] = [];
  let goBuildInfo: { off: number; size: number } | null = null;
  let dataSection: { off: number; size: number } | null = null;
  let nsyms = -1;
  let definedSyms = -1;
  let os = 'darwin';
  let off = 0;
  for (let i = 0; i < ncmds; i++) {
    const cmd = cmds.u32(off),
      size = cmds.u32(off + 4);
    if (size < 8 || off + size > cmds.buf.length) throw new FormatError(`Mach-O load command ${i} (0x${cmd.toString(16)}) has a bad size ${size}`);
    const c = new View(cmds.buf.subarray(off, off + size), le, `Mach-O load command ${i}`);
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const w = (o: number): number => c.word(o, is64);
      const segname = c.fixedStr(8, 16);
      const vmaddr = w(24),
        fileoff = w(is64 ? 40 : 32),
        filesize = w(is64 ? 48 : 36);
      const nsects = c.u32(is64 ? 64 : 48);
      if (filesize > 0) segments.push({ vaddr: vmaddr, off: fileoff, size: filesize });
      const secSize = is64 ? 80 : 68;
      let s = is64 ? 72 : 56;
      for (let k = 0; k < nsects; k++, s += secSize) {
        const sectname = c.fixedStr(s, 16);
        const secSizeBytes = is64 ? c.u64(s + 40) : c.u32(s + 36);
        const secOff = c.u32(is64 ? s + 48 : s + 40);
        if (sectname === '__go_buildinfo') goBuildInfo = { off: secOff, size: secSizeBytes };
        else if (sectname === '__data' && segname === '__DATA' && !dataSection) dataSection = { off: secOff, size: secSizeBytes };
      }
    } else if (cmd === LC_SYMTAB) {
      nsyms = c.u32(12);
    } else if (cmd === LC_DYSYMTAB) {
      definedSyms = c.u32(12) + c.u32(20); // nlocalsym + nextdefsym
    } else if (DYLIB_COMMANDS.has(cmd)) {
      libraries.push(c.cstr(c.u32(8), size));
    } else if (cmd === LC_BUILD_VERSION) {
      os = PLATFORM_OS[c.u32(8)] ?? os;
    } else if (cmd === LC_VERSION_MIN_IPHONEOS) {
      os = 'ios';
    } else if (cmd === LC_VERSION_MIN_MACOSX) {
      os = 'darwin';
    }
    off += size;
  }
  // Go's -s keeps the undefined symbols dyld binds; stripped means no defined ones remain.
  const stripped = nsyms <= 0 || definedSyms === 0;
  return {
    format: 'macho',
    bits: is64 ? 64 : 32,
    littleEndian: le,
    os,
    osCertain: true,
    arch: machoArch(cputype),
    interpreter: null,
    libraries,
    stripped,
    buildInfoAreas: [goBuildInfo, dataSection].filter((a): a is { off: number; size: number } => a !== null),
    segments,
  };
}
