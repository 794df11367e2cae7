// Reads a compiled program's headers (ELF, Mach-O, PE) and the Go build info in it, with
// no external tools, and cross-checks the two. Anything wrong with the file is a
// GoDeployError that names it.
import { stat } from 'node:fs/promises';
import { GoDeployError } from '../../errors';
import { readRawBuildInfo } from './buildinfo';
import { parseElf } from './elf';
import { MACHO_MAGICS, parseMachO } from './macho';
import { parseModInfo } from './modinfo';
import { parsePe } from './pe';
import { bufferSource, FormatError, openFileSource, type ByteSource, type ParsedHeaders } from './reader';
import type { BinaryInfo, GoBuildInfo } from './types';

const DAMAGED_HINT = 'the file may be truncated (an interrupted copy or build) or damaged; rebuild or copy it again';
const NOT_PROGRAM_HINT = 'give the path of a compiled program (what `go build` writes)';

const FORMAT_NAME: Record<BinaryInfo['format'], string> = { elf: 'ELF', macho: 'Mach-O', pe: 'PE' };

/** GOOS pairs where the headers cannot tell the second from the first. */
const REFINES: Record<string, string[]> = { linux: ['android'], darwin: ['ios'], solaris: ['illumos'] };

function formatOfGoos(goos: string): BinaryInfo['format'] | null {
  if (goos === 'windows') return 'pe';
  if (goos === 'darwin' || goos === 'ios') return 'macho';
  if (['linux', 'android', 'freebsd', 'netbsd', 'openbsd', 'dragonfly', 'solaris', 'illumos'].includes(goos)) return 'elf';
  return null;
}

function parseHeaders(src: ByteSource): ParsedHeaders {
  if (src.size === 0) throw new FormatError('the file is empty');
  const head = src.read(0, Math.min(4, src.size), 'file header');
  if (head.length >= 4 && head.toString('latin1') === '\x7fELF') return parseElf(src);
  if (head.length >= 4 && MACHO_MAGICS[head.readUInt32BE(0)]) return parseMachO(src);
  if (head.length >= 4 && head.readUInt32BE(0) === 0xcafebabe) {
    throw new FormatError(
      'this is a universal (fat) Mach-O file or a Java class file',
      'extract one architecture first: lipo -thin ARCH -output FILE.ARCH FILE',
    );
  }
  if (head.length >= 2 && head.toString('latin1', 0, 2) === 'MZ') return parsePe(src);
  if (head.toString('latin1', 0, 2) === '#!') throw new FormatError('this is a script (#!), not a compiled program', NOT_PROGRAM_HINT);
  throw new FormatError(
    `not an ELF, Mach-O or PE program (it starts with ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`,
    NOT_PROGRAM_HINT,
  );
}

/** The headers' os/arch against the build info's GOOS/GOARCH: refined or a FormatError. */
function crossCheck(h: ParsedHeaders, bi: GoBuildInfo | null): { os: string; arch: string } {
  let { os, arch } = h;
  const goos = bi?.settings.GOOS,
    goarch = bi?.settings.GOARCH;
  if (goarch && goarch !== arch) {
    if (arch !== 'unknown') throw new FormatError(`the ${FORMAT_NAME[h.format]} headers say ${arch} but the embedded Go build info says GOARCH=${goarch}`);
    arch = goarch;
  }
  if (goos && goos !== os) {
    const weak = !h.osCertain || os === 'unknown';
    if ((REFINES[os] ?? []).includes(goos) || (weak && formatOfGoos(goos) === h.format)) os = goos;
    else throw new FormatError(`the ${FORMAT_NAME[h.format]} headers say ${os} but the embedded Go build info says GOOS=${goos}`);
  }
  return { os, arch };
}

function inspectSource(src: ByteSource): BinaryInfo {
  const h = parseHeaders(src);
  const raw = readRawBuildInfo(src, h);
  const buildInfo = raw && raw.modinfo ? parseModInfo(raw.modinfo) : null;
  const { os, arch } = crossCheck(h, buildInfo);
  return {
    format: h.format,
    os,
    arch,
    static: h.interpreter === null && h.libraries.length === 0,
    interpreter: h.interpreter,
    libraries: h.libraries,
    stripped: h.stripped,
    goVersion: raw ? raw.version : null,
    buildInfo,
    bits: h.bits,
    byteOrder: h.littleEndian ? 'little' : 'big',
  };
}

function damaged(file: string, e: unknown): unknown {
  if (e instanceof FormatError) return new GoDeployError(`${file}: ${e.message}`, { hint: e.hint ?? DAMAGED_HINT });
  return e;
}

/** Inspects binary contents already in memory; `name` is what errors call it. */
export function inspectBinaryBytes(buf: Buffer, name: string): BinaryInfo {
  try {
    return inspectSource(bufferSource(buf));
  } catch (e) {
    throw damaged(name, e);
  }
}

/** Reads a Go binary's headers and embedded build info (ELF, Mach-O, PE). */
export async function inspectBinary(file: string): Promise<BinaryInfo> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new GoDeployError(`${file}: is a directory, not a program`);
    if (!st.isFile()) throw new GoDeployError(`${file}: is not a regular file`);
  } catch (e) {
    if (e instanceof GoDeployError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new GoDeployError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${(e as Error).message})`}`, { cause: e });
  }
  let src: ByteSource & { close(): void };
  try {
    src = openFileSource(file);
  } catch (e) {
    throw new GoDeployError(`${file}: cannot open it (${(e as Error).message})`, { cause: e });
  }
  try {
    return inspectSource(src);
  } catch (e) {
    throw damaged(file, e);
  } finally {
    src.close();
  }
}
