// ELF (32/64-bit, either byte order): machine, OS (OSABI, notes, interpreter), dynamic
// dependencies, symbol table and where the Go build info lives.
import { FormatError, View, vaddrToOffset, type ByteSource, type ParsedHeaders, type Segment } from './reader';

const PT_LOAD = 1,
  PT_DYNAMIC = 2,
  PT_INTERP = 3,
  PT_NOTE = 4;
const PF_X = 1,
  PF_W = 2;
const SHT_SYMTAB = 2,
  SHT_NOTE = 7,
  SHT_NOBITS = 8;
const DT_NULL = 0,
  DT_NEEDED = 1,
  DT_STRTAB = 5,
  DT_STRSZ = 10;

const OSABI: Record<number, string> = { 2: 'netbsd', 3: 'linux', 6: 'solaris', 9: 'freebsd', 12: 'openbsd' };
const NOTE_OS: Record<string, string> = { OpenBSD: 'openbsd', NetBSD: 'netbsd', FreeBSD: 'freebsd', DragonFly: 'dragonfly', Android: 'android' };
const GNU_ABI_OS: Record<number, string> = { 0: 'linux', 2: 'solaris', 3: 'freebsd' };

/** GOARCH for an ELF e_machine, class and byte order. */
export function elfArch(machine: number, is64: boolean, le: boolean): string {
  switch (machine) {
    case 62:
      return 'amd64';
    case 3:
      return '386';
    case 183:
      return 'arm64';
    case 40:
      return 'arm';
    case 243:
      return is64 ? 'riscv64' : 'unknown';
    case 21:
      return le ? 'ppc64le' : 'ppc64';
    case 22:
      return is64 ? 's390x' : 'unknown';
    case 8:
      return is64 ? (le ? 'mips64le' : 'mips64') : le ? 'mipsle' : 'mips';
    case 10:
      return 'mipsle';
    case 258:
      return is64 ? 'loong64' : 'unknown';
    case 43:
      return 'sparc64';
    default:
      return 'unknown';
  }
}

function osFromInterpreter(interp: string): string | null {
  if (/\/ld-linux|\/ld-musl|^\/lib(64)?\/ld64?\.so/.test(interp)) return 'linux';
  if (interp.startsWith('/system/bin/linker')) return 'android';
  if (interp.includes('ld-elf.so')) return 'freebsd';
  if (interp.includes('ld.elf_so')) return 'netbsd';
  if (interp === '/usr/libexec/ld.so') return 'openbsd';
  if (/^\/usr\/lib\/(amd64\/|64\/)?ld\.so\.1$/.test(interp)) return 'solaris';
  return null;
}

interface Note {
  name: string;
  type: number;
  desc: Buffer;
}

function parseNotes(buf: Buffer, le: boolean, align: number, out: Note[]): void {
  const v = new View(buf, le, 'ELF note');
  const pad = (n: number): number => (n + align - 1) & ~(align - 1);
  let off = 0;
  while (off + 12 <= buf.length && out.length < 256) {
    const namesz = v.u32(off),
      descsz = v.u32(off + 4),
      type = v.u32(off + 8);
    if (namesz > buf.length || descsz > buf.length) throw new FormatError(`ELF note at ${off} runs past its segment`);
    const nameOff = off + 12,
      descOff = pad(nameOff + namesz);
    if (descOff + descsz > buf.length) throw new FormatError(`ELF note at ${off} runs past its segment`);
    out.push({ name: buf.toString('latin1', nameOff, nameOff + namesz).replace(/\0+$/, ''), type, desc: buf.subarray(descOff, descOff + descsz) });
    off = descOff + pad(descsz);
  }
}

export function parseElf(src: ByteSource): ParsedHeaders {
  const ident = src.read(0, 16, 'ELF identification');
  const cls = ident[4],
    data = ident[5];
  if (cls !== 1 && cls !== 2) throw new FormatError(`ELF class ${cls} is neither 32-bit (1) nor 64-bit (2)`);
  if (data !== 1 && data !== 2) throw new FormatError(`ELF data encoding ${data} is neither little (1) nor big endian (2)`);
  const is64 = cls === 2,
    le = data === 1;
  const h = new View(src.read(0, is64 ? 64 : 52, 'ELF header'), le, 'ELF header');
  const machine = h.u16(18);
  const phoff = h.word(is64 ? 32 : 28, is64),
    shoff = h.word(is64 ? 40 : 32, is64);
  const at = is64 ? 54 : 42;
  const phentsize = h.u16(at),
    phnum = h.u16(at + 2),
    shentsize = h.u16(at + 4);
  let shnum = h.u16(at + 6),
    shstrndx = h.u16(at + 8);

  // Program headers.
  const phMin = is64 ? 56 : 32;
  if (phnum > 0 && phentsize < phMin) throw new FormatError(`ELF program header entry size ${phentsize} is smaller than ${phMin}`);
  const ph = new View(src.read(phoff, phnum * phentsize, 'ELF program header table'), le, 'ELF program header table');
  const segments: Segment[] = [];
  const notes: Note[] = [];
  let interpreter: string | null = null;
  let dynamic: { off: number; size: number } | null = null;
  let dataSegment: { off: number; size: number } | null = null;
  for (let i = 0; i < phnum; i++) {
    const b = i * phentsize;
    const type = ph.u32(b);
    const flags = is64 ? ph.u32(b + 4) : ph.u32(b + 24);
    const off = is64 ? ph.u64(b + 8) : ph.u32(b + 4),
      vaddr = is64 ? ph.u64(b + 16) : ph.u32(b + 8);
    const filesz = is64 ? ph.u64(b + 32) : ph.u32(b + 16),
      align = is64 ? ph.u64(b + 48) : ph.u32(b + 28);
    if (type === PT_LOAD) {
      segments.push({ vaddr, off, size: filesz });
      if (!dataSegment && (flags & (PF_X | PF_W)) === PF_W) dataSegment = { off, size: filesz };
    } else if (type === PT_INTERP) {
      interpreter = new View(src.read(off, filesz, 'ELF PT_INTERP'), le, 'ELF PT_INTERP').cstr(0);
    } else if (type === PT_DYNAMIC) {
      dynamic = { off, size: filesz };
    } else if (type === PT_NOTE) {
      parseNotes(src.read(off, filesz, 'ELF PT_NOTE segment'), le, align === 8 ? 8 : 4, notes);
    }
  }

  // Dynamic section: DT_NEEDED names in the DT_STRTAB string table.
  const libraries: string[] = [];
  if (dynamic) {
    const entSize = is64 ? 16 : 8;
    const d = new View(src.read(dynamic.off, dynamic.size - (dynamic.size % entSize), 'ELF dynamic section'), le, 'ELF dynamic section');
    const needed: number[] = [];
    let strtab = -1,
      strsz = -1;
    for (let e = 0; e + entSize <= d.buf.length; e += entSize) {
      const tag = d.word(e, is64),
        val = d.word(e + entSize / 2, is64);
      if (tag === DT_NULL) break;
      if (tag === DT_NEEDED) needed.push(val);
      else if (tag === DT_STRTAB) strtab = val;
      else if (tag === DT_STRSZ) strsz = val;
    }
    if (needed.length) {
      if (strtab < 0) throw new FormatError('ELF dynamic section has DT_NEEDED entries but no DT_STRTAB');
      const strOff = vaddrToOffset(segments, strtab, 1);
      if (strOff === null) throw new FormatError(`ELF DT_STRTAB address 0x${strtab.toString(16)} is not in any loaded segment`);
      const size = Math.min(strsz > 0 ? strsz : 1 << 20, src.size - strOff);
      const s = new View(src.read(strOff, size, 'ELF dynamic string table'), le, 'ELF dynamic string table');
      for (const n of needed) libraries.push(s.cstr(n, 1024));
    }
  }

  // Section headers (optional: a file may have had them removed).
  let symtab = false;
  let goBuildInfo: { off: number; size: number } | null = null;
  if (shoff !== 0) {
    const shMin = is64 ? 64 : 40;
    if (shentsize < shMin) throw new FormatError(`ELF section header entry size ${shentsize} is smaller than ${shMin}`);
    if (shnum === 0 || shstrndx === 0xffff) {
      // Extended numbering: the real counts live in section 0.
      const s0 = new View(src.read(shoff, shMin, 'ELF section header 0'), le, 'ELF section header 0');
      if (shnum === 0) shnum = s0.word(is64 ? 32 : 20, is64);
      if (shstrndx === 0xffff) shstrndx = s0.u32(is64 ? 40 : 24);
    }
    const sh = new View(src.read(shoff, shnum * shentsize, 'ELF section header table'), le, 'ELF section header table');
    const sec = (i: number): { name: number; type: number; off: number; size: number } => {
      const b = i * shentsize;
      return { name: sh.u32(b), type: sh.u32(b + 4), off: sh.word(is64 ? b + 24 : b + 16, is64), size: sh.word(is64 ? b + 32 : b + 20, is64) };
    };
    let names: View | null = null;
    if (shstrndx !== 0 && shstrndx < shnum) {
      const s = sec(shstrndx);
      names = new View(src.read(s.off, s.size, 'ELF section name table'), le, 'ELF section name table');
    }
    for (let i = 0; i < shnum; i++) {
      const s = sec(i);
      if (s.type === SHT_SYMTAB) symtab = true;
      if (s.type === SHT_NOTE && phnum === 0) parseNotes(src.read(s.off, s.size, 'ELF note section'), le, 4, notes);
      if (names && s.type !== SHT_NOBITS && s.name < names.buf.length && names.cstr(s.name, 64) === '.go.buildinfo') goBuildInfo = { off: s.off, size: s.size };
    }
  }

  // The OS: OSABI, then OS notes, then the interpreter; a Go binary without any is linux.
  let os: string | null = OSABI[ident[7]] ?? null;
  for (const n of notes) {
    if (os) break;
    if (NOTE_OS[n.name]) os = NOTE_OS[n.name];
    else if (n.name === 'GNU' && n.type === 1 && n.desc.length >= 16) os = GNU_ABI_OS[new View(n.desc, le, 'GNU ABI tag').u32(0)] ?? null;
  }
  if (!os && interpreter) os = osFromInterpreter(interpreter);
  const osCertain = os !== null;
  if (!os && notes.some((n) => n.name === 'Go' && n.type === 4)) os = 'linux';

  const areas = [goBuildInfo, dataSegment].filter((a): a is { off: number; size: number } => a !== null);
  return {
    format: 'elf',
    bits: is64 ? 64 : 32,
    littleEndian: le,
    os: os ?? 'unknown',
    osCertain,
    arch: elfArch(machine, is64, le),
    interpreter,
    libraries,
    stripped: !symtab,
    buildInfoAreas: areas,
    segments,
  };
}
