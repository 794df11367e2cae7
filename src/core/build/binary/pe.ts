// PE/COFF (PE32 and PE32+): machine, imported DLLs, COFF symbol table and the data
// sections where the Go linker puts its build info.
import { FormatError, View, vaddrToOffset, type ByteSource, type ParsedHeaders, type Segment } from './reader';

const IMAGE_SCN_CNT_CODE = 0x20,
  IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
const IMAGE_SCN_MEM_READ = 0x40000000,
  IMAGE_SCN_MEM_WRITE = 0x80000000,
  IMAGE_SCN_ALIGN_MASK = 0x00f00000;
const MAX_IMPORTS = 4096;

/** GOARCH for a COFF machine type. */
export function peArch(machine: number): string {
  switch (machine) {
    case 0x8664:
      return 'amd64';
    case 0x14c:
      return '386';
    case 0xaa64:
      return 'arm64';
    case 0x1c4:
    case 0x1c0:
      return 'arm';
    case 0x5064:
      return 'riscv64';
    default:
      return 'unknown';
  }
}

interface Section {
  name: string;
  va: number;
  vsize: number;
  off: number;
  rawSize: number;
  flags: number;
}

export function parsePe(src: ByteSource): ParsedHeaders {
  const dos = new View(src.read(0, 64, 'DOS header'), true, 'DOS header');
  const peOff = dos.u32(0x3c);
  if (src.read(peOff, 4, 'PE signature').toString('latin1') !== 'PE\0\0')
    throw new FormatError(`no PE signature at offset ${peOff} (an MS-DOS program, or damaged)`);
  const coff = new View(src.read(peOff + 4, 20, 'COFF header'), true, 'COFF header');
  const machine = coff.u16(0),
    nsections = coff.u16(2);
  const symPtr = coff.u32(8),
    nsyms = coff.u32(12),
    optSize = coff.u16(16);
  const opt = new View(src.read(peOff + 24, optSize, 'PE optional header'), true, 'PE optional header');
  const optMagic = opt.u16(0);
  if (optMagic !== 0x10b && optMagic !== 0x20b) throw new FormatError(`PE optional header magic 0x${optMagic.toString(16)} is neither PE32 nor PE32+`);
  const is64 = optMagic === 0x20b;
  const imageBase = is64 ? opt.u64(24) : opt.u32(28);
  const ndirs = opt.u32(is64 ? 108 : 92);
  const dirStart = is64 ? 112 : 96;
  const importDir = ndirs > 1 ? { rva: opt.u32(dirStart + 8), size: opt.u32(dirStart + 12) } : { rva: 0, size: 0 };

  const sh = new View(src.read(peOff + 24 + optSize, nsections * 40, 'PE section table'), true, 'PE section table');
  const sections: Section[] = [];
  for (let i = 0; i < nsections; i++) {
    const b = i * 40;
    sections.push({ name: sh.fixedStr(b, 8), vsize: sh.u32(b + 8), va: sh.u32(b + 12), rawSize: sh.u32(b + 16), off: sh.u32(b + 20), flags: sh.u32(b + 36) });
  }
  // Segments in virtual-address space (image base included), as Go's pointers are.
  const segments: Segment[] = sections
    .filter((s) => s.rawSize > 0)
    .map((s) => ({ vaddr: imageBase + s.va, off: s.off, size: Math.min(s.rawSize, s.vsize || s.rawSize) }));
  const rvaOffset = (rva: number, len: number, what: string): number => {
    const o = vaddrToOffset(segments, imageBase + rva, len);
    if (o === null) throw new FormatError(`${what} (RVA 0x${rva.toString(16)}) is not in any section`);
    return o;
  };
  const cstrAt = (rva: number, what: string): string => {
    const o = rvaOffset(rva, 1, what);
    return new View(src.read(o, Math.min(512, src.size - o), what), true, what).cstr(0, 512);
  };

  const libraries: string[] = [];
  if (importDir.rva !== 0 && importDir.size !== 0) {
    const base = rvaOffset(importDir.rva, 20, 'PE import directory');
    const maxEntries = Math.min(MAX_IMPORTS, Math.floor((src.size - base) / 20));
    const imports = new View(src.read(base, maxEntries * 20, 'PE import directory'), true, 'PE import directory');
    for (let i = 0; ; i++) {
      if (i >= maxEntries) throw new FormatError('PE import directory has no terminating entry');
      const nameRva = imports.u32(i * 20 + 12);
      if (nameRva === 0) break;
      libraries.push(cstrAt(nameRva, `PE import ${i} name`));
    }
  }

  // Go's DataStart: the first section that is exactly initialized, readable, writable data.
  const rw = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE;
  const isData = (s: Section): boolean => s.rawSize > 0 && (s.flags & IMAGE_SCN_CNT_INITIALIZED_DATA) !== 0 && (s.flags & IMAGE_SCN_CNT_CODE) === 0;
  const exact = sections.filter((s) => s.va !== 0 && s.rawSize > 0 && (s.flags & ~IMAGE_SCN_ALIGN_MASK) >>> 0 === rw >>> 0);
  const areas = [...exact, ...sections.filter((s) => isData(s) && !exact.includes(s))].map((s) => ({ off: s.off, size: s.rawSize }));

  return {
    format: 'pe',
    bits: is64 ? 64 : 32,
    littleEndian: true,
    os: 'windows',
    osCertain: true,
    arch: peArch(machine),
    interpreter: null,
    libraries,
    stripped: symPtr === 0 || nsyms === 0,
    buildInfoAreas: areas,
    segments,
  };
}
