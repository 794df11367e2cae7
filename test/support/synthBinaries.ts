// Small, well-formed ELF, Mach-O and PE files built byte by byte for the binary inspector's
// unit tests: they cover what the host toolchain cannot produce (big-endian, 32-bit,
// pre-Go 1.18 pointer build info, replaced modules, quoted settings).

/** cmd/go's sentinels around the module info (modload.infoStart / infoEnd). */
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

class Out {
  private chunks: Buffer[] = [];
  size = 0;
  constructor(
    readonly le: boolean,
    readonly base = 0,
  ) {}
  /** Appends `b` at the next multiple of `align`; returns its file offset. */
  place(b: Buffer, align = 1): number {
    const pad = (align - (this.size % align)) % align;
    if (pad) this.chunks.push(Buffer.alloc(pad));
    const off = this.size + pad;
    this.chunks.push(b);
    this.size = off + b.length;
    return off;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  u16(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  }
  u32(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  }
  u64(b: Buffer, o: number, v: number): void {
    if (this.le) b.writeBigUInt64LE(BigInt(v), o);
    else b.writeBigUInt64BE(BigInt(v), o);
  }
  word(b: Buffer, o: number, v: number, is64: boolean): void {
    if (is64) this.u64(b, o, v);
    else this.u32(b, o, v);
  }
}

export interface GoBlob {
  version: string;
  /** Module info lines (each ending in \n), without the sentinels. */
  modinfo: string;
  /** Pre-1.18 layout: pointers to Go strings instead of inline strings. */
  pointers?: boolean;
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** Places a build info blob (16-aligned) and returns its offset and size. */
function placeBlob(o: Out, blob: GoBlob, is64: boolean): { off: number; size: number } {
  const ptr = is64 ? 8 : 4;
  const mod = Buffer.concat([INFO_START, Buffer.from(blob.modinfo), INFO_END]);
  const head = Buffer.alloc(32);
  head.write('\xff Go buildinf:', 0, 'latin1');
  head[14] = ptr;
  if (!blob.pointers) {
    head[15] = 2;
    const body = Buffer.concat([head, uvarint(Buffer.byteLength(blob.version)), Buffer.from(blob.version), uvarint(mod.length), mod]);
    return { off: o.place(body, 16), size: body.length };
  }
  head[15] = o.le ? 0 : 1;
  const off = o.place(head, 16);
  const strHeader = (data: Buffer): number => {
    const dataOff = o.place(data, 1);
    const h = Buffer.alloc(2 * ptr);
    o.word(h, 0, o.base + dataOff, is64);
    o.word(h, ptr, data.length, is64);
    return o.place(h, ptr);
  };
  o.word(head, 16, o.base + strHeader(Buffer.from(blob.version)), is64);
  o.word(head, 16 + ptr, o.base + strHeader(mod), is64);
  return { off, size: o.size - off };
}

export interface ElfSpec {
  is64: boolean;
  le: boolean;
  machine: number;
  osabi?: number;
  interp?: string;
  needed?: string[];
  symtab?: boolean;
  /** Notes as [name, type, desc]; Go binaries carry ["Go", 4, buildid]. */
  notes?: [string, number, Buffer][];
  go?: GoBlob;
}

/** An ELF file: one R+W PT_LOAD mapping the whole file at 0x10000, plus what `spec` asks for. */
export function synthElf(spec: ElfSpec): Buffer {
  const { is64 } = spec;
  const o = new Out(spec.le, 0x10000);
  const ehsize = is64 ? 64 : 52,
    phentsize = is64 ? 56 : 32,
    shentsize = is64 ? 64 : 40;
  const phdrs: { type: number; flags: number; off: number; size: number; align: number }[] = [];
  const nph = 1 + (spec.interp ? 1 : 0) + (spec.needed ? 1 : 0) + (spec.notes ? 1 : 0);
  const eh = Buffer.alloc(ehsize);
  o.place(eh);
  const ph = Buffer.alloc(nph * phentsize);
  const phoff = o.place(ph);
  if (spec.interp) {
    const b = Buffer.from(`${spec.interp}\0`);
    phdrs.push({ type: 3, flags: 4, off: o.place(b), size: b.length, align: 1 });
  }
  if (spec.needed) {
    const names = Buffer.from(`\0${spec.needed.join('\0')}\0`);
    const strOff = o.place(names);
    const ent = is64 ? 16 : 8;
    const dyn = Buffer.alloc((spec.needed.length + 2) * ent);
    let pos = 1;
    spec.needed.forEach((n, i) => {
      o.word(dyn, i * ent, 1, is64);
      o.word(dyn, i * ent + ent / 2, pos, is64);
      pos += n.length + 1;
    });
    o.word(dyn, spec.needed.length * ent, 5, is64);
    o.word(dyn, spec.needed.length * ent + ent / 2, o.base + strOff, is64);
    phdrs.push({ type: 2, flags: 6, off: o.place(dyn, 8), size: dyn.length, align: 8 });
  }
  if (spec.notes) {
    const parts = spec.notes.map(([name, type, desc]) => {
      const n = Buffer.alloc(12 + Math.ceil((name.length + 1) / 4) * 4 + Math.ceil(desc.length / 4) * 4);
      o.u32(n, 0, name.length + 1);
      o.u32(n, 4, desc.length);
      o.u32(n, 8, type);
      n.write(name, 12, 'latin1');
      desc.copy(n, 12 + Math.ceil((name.length + 1) / 4) * 4);
      return n;
    });
    const all = Buffer.concat(parts);
    phdrs.push({ type: 4, flags: 4, off: o.place(all, 4), size: all.length, align: 4 });
  }
  const sections: { name: string; type: number; off: number; size: number }[] = [{ name: '', type: 0, off: 0, size: 0 }];
  if (spec.go) sections.push({ name: '.go.buildinfo', type: 1, ...placeBlob(o, spec.go, is64) });
  if (spec.symtab) {
    const s = Buffer.alloc(is64 ? 48 : 32);
    sections.push({ name: '.symtab', type: 2, off: o.place(s, 8), size: s.length });
  }
  const shstr = Buffer.from(
    `\0${sections
      .slice(1)
      .map((s) => s.name)
      .join('\0')}\0.shstrtab\0`,
  );
  sections.push({ name: '.shstrtab', type: 3, off: o.place(shstr), size: shstr.length });
  const sh = Buffer.alloc(sections.length * shentsize);
  const shoff = o.place(sh, 8);
  let nameAt = 1;
  sections.forEach((s, i) => {
    const b = i * shentsize;
    o.u32(sh, b, s.name ? nameAt : 0);
    if (s.name) nameAt += s.name.length + 1;
    o.u32(sh, b + 4, s.type);
    o.word(sh, is64 ? b + 24 : b + 16, s.off, is64);
    o.word(sh, is64 ? b + 32 : b + 20, s.size, is64);
  });
  phdrs.unshift({ type: 1, flags: 6, off: 0, size: o.size, align: 0x1000 });
  phdrs.forEach((p, i) => {
    const b = i * phentsize;
    o.u32(ph, b, p.type);
    if (is64) {
      o.u32(ph, b + 4, p.flags);
      o.u64(ph, b + 8, p.off);
      o.u64(ph, b + 16, o.base + p.off);
      o.u64(ph, b + 24, o.base + p.off);
      o.u64(ph, b + 32, p.size);
      o.u64(ph, b + 40, p.size);
      o.u64(ph, b + 48, p.align);
    } else {
      o.u32(ph, b + 4, p.off);
      o.u32(ph, b + 8, o.base + p.off);
      o.u32(ph, b + 12, o.base + p.off);
      o.u32(ph, b + 16, p.size);
      o.u32(ph, b + 20, p.size);
      o.u32(ph, b + 24, p.flags);
      o.u32(ph, b + 28, p.align);
    }
  });
  eh.write('\x7fELF', 0, 'latin1');
  eh[4] = is64 ? 2 : 1;
  eh[5] = spec.le ? 1 : 2;
  eh[6] = 1;
  eh[7] = spec.osabi ?? 0;
  o.u16(eh, 16, 2);
  o.u16(eh, 18, spec.machine);
  o.u32(eh, 20, 1);
  const at = is64 ? 54 : 42;
  o.word(eh, is64 ? 32 : 28, phoff, is64);
  o.word(eh, is64 ? 40 : 32, shoff, is64);
  o.u16(eh, at - 2, ehsize);
  o.u16(eh, at, phentsize);
  o.u16(eh, at + 2, phdrs.length);
  o.u16(eh, at + 4, shentsize);
  o.u16(eh, at + 6, sections.length);
  o.u16(eh, at + 8, sections.length - 1);
  return o.bytes();
}

export interface MachOSpec {
  cputype: number;
  platform: number;
  dylibs: string[];
  nsyms: number;
  definedSyms: number;
  go?: GoBlob;
}

/** A 64-bit little-endian Mach-O: one __DATA segment mapping the file at 0x100000000. */
export function synthMachO(spec: MachOSpec): Buffer {
  const o = new Out(true, 0x100000000);
  const dylibCmds = spec.dylibs.map((d) => {
    const c = Buffer.alloc(24 + Math.ceil((d.length + 1) / 8) * 8);
    c.writeUInt32LE(0xc, 0);
    c.writeUInt32LE(c.length, 4);
    c.writeUInt32LE(24, 8);
    c.write(d, 24, 'latin1');
    return c;
  });
  const seg = Buffer.alloc(72 + 80);
  const symtab = Buffer.alloc(24),
    dysymtab = Buffer.alloc(80),
    build = Buffer.alloc(24);
  const cmds = [seg, symtab, dysymtab, build, ...dylibCmds];
  const header = Buffer.alloc(32);
  o.place(header);
  for (const c of cmds) o.place(c);
  symtab.writeUInt32LE(2, 0);
  symtab.writeUInt32LE(24, 4);
  symtab.writeUInt32LE(spec.nsyms, 12);
  dysymtab.writeUInt32LE(0xb, 0);
  dysymtab.writeUInt32LE(80, 4);
  dysymtab.writeUInt32LE(spec.definedSyms, 12);
  dysymtab.writeUInt32LE(spec.nsyms - spec.definedSyms, 28);
  build.writeUInt32LE(0x32, 0);
  build.writeUInt32LE(24, 4);
  build.writeUInt32LE(spec.platform, 8);
  const blob = spec.go ? placeBlob(o, spec.go, true) : { off: 0, size: 0 };
  seg.writeUInt32LE(0x19, 0);
  seg.writeUInt32LE(seg.length, 4);
  seg.write('__DATA', 8, 'latin1');
  seg.writeBigUInt64LE(BigInt(o.base), 24);
  seg.writeBigUInt64LE(BigInt(o.size), 32);
  seg.writeBigUInt64LE(0n, 40);
  seg.writeBigUInt64LE(BigInt(o.size), 48);
  seg.writeUInt32LE(1, 64);
  seg.write('__go_buildinfo', 72, 'latin1');
  seg.write('__DATA', 88, 'latin1');
  seg.writeBigUInt64LE(BigInt(o.base + blob.off), 104);
  seg.writeBigUInt64LE(BigInt(blob.size), 112);
  seg.writeUInt32LE(blob.off, 120);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(spec.cputype, 4);
  header.writeUInt32LE(2, 12);
  header.writeUInt32LE(cmds.length, 16);
  header.writeUInt32LE(
    cmds.reduce((n, c) => n + c.length, 0),
    20,
  );
  return o.bytes();
}

export interface PeSpec {
  machine: number;
  pe32: boolean;
  dlls: string[];
  symbols: boolean;
  go?: GoBlob;
}

/** A PE file whose one section (.data, initialized R/W data) holds imports and build info. */
export function synthPe(spec: PeSpec): Buffer {
  const imageBase = spec.pe32 ? 0x400000 : 0x140000000;
  const SECT_RVA = 0x1000,
    FILE_ALIGN = 0x200;
  const optSize = spec.pe32 ? 96 + 16 * 8 : 112 + 16 * 8;
  const headers = Buffer.alloc(FILE_ALIGN);
  headers.write('MZ', 0, 'latin1');
  headers.writeUInt32LE(0x80, 0x3c);
  headers.write('PE\0\0', 0x80, 'latin1');
  const coff = 0x84,
    opt = coff + 20,
    secTab = opt + optSize;
  // The section's contents: build info first (Go puts it at the start of .data), then imports.
  const o = new Out(true, imageBase + SECT_RVA);
  if (spec.go) placeBlob(o, spec.go, !spec.pe32);
  const names = spec.dlls.map((d) => o.place(Buffer.from(`${d}\0`), 2));
  const desc = Buffer.alloc((spec.dlls.length + 1) * 20);
  names.forEach((n, i) => desc.writeUInt32LE(SECT_RVA + n, i * 20 + 12));
  const descOff = o.place(desc, 4);
  o.place(Buffer.alloc((FILE_ALIGN - (o.size % FILE_ALIGN)) % FILE_ALIGN));
  const data = o.bytes();
  headers.writeUInt16LE(spec.machine, coff);
  headers.writeUInt16LE(1, coff + 2);
  headers.writeUInt32LE(spec.symbols ? FILE_ALIGN + data.length : 0, coff + 8);
  headers.writeUInt32LE(spec.symbols ? 1 : 0, coff + 12);
  headers.writeUInt16LE(optSize, coff + 16);
  headers.writeUInt16LE(spec.pe32 ? 0x10b : 0x20b, opt);
  if (spec.pe32) headers.writeUInt32LE(imageBase, opt + 28);
  else headers.writeBigUInt64LE(BigInt(imageBase), opt + 24);
  const dirs = opt + (spec.pe32 ? 96 : 112);
  headers.writeUInt32LE(16, dirs - 4);
  headers.writeUInt32LE(SECT_RVA + descOff, dirs + 8);
  headers.writeUInt32LE(desc.length, dirs + 12);
  headers.write('.data', secTab, 'latin1');
  headers.writeUInt32LE(data.length, secTab + 8);
  headers.writeUInt32LE(SECT_RVA, secTab + 12);
  headers.writeUInt32LE(data.length, secTab + 16);
  headers.writeUInt32LE(FILE_ALIGN, secTab + 20);
  headers.writeUInt32LE(0xc0000040, secTab + 36);
  const symtab = spec.symbols ? Buffer.alloc(18 + 4) : Buffer.alloc(0);
  if (spec.symbols) symtab.writeUInt32LE(4, 18);
  return Buffer.concat([headers, data, symtab]);
}
