// Delta upload: send a host only the parts of a new executable that the executable it runs
// now lacks. Both are cut into content-defined chunks (a gear rolling hash picks the cut
// points, so an insertion moves the cuts with the content instead of shifting every block);
// the host's file is known by its chunk index, kept from when it was built here, never by
// its bytes. The plan is a list of pieces: a range of the live executable or a range of the
// literal bytes sent. The host assembles the file with dd and checks its sha256, so a wrong
// index can only cost a fallback to the whole file, never a wrong executable.
import { createHash } from 'node:crypto';

/** Chunk sizes: no cut before MIN bytes, a forced one at MAX, ~64 KiB more on average. */
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 256 * 1024;
const CUT_MASK = 0xffff0000 | 0;
/** The gear hash depends on its last 32 bytes only: hashing starts that far before MIN. */
const WINDOW = 32;

const GEAR = ((): Int32Array => {
  const t = new Int32Array(256);
  let s = 0x9e3779b9 | 0;
  for (let i = 0; i < 256; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    t[i] = s;
  }
  return t;
})();

/** An executable's chunks: their lengths in order and the first 128 bits of each one's sha256 (hex). */
export interface ChunkIndex {
  size: number;
  lengths: number[];
  hashes: string[];
}

/** A piece of the new file: `length` bytes at `offset` of the live executable ('base') or of the literal bytes sent. */
export interface DeltaPiece {
  from: 'base' | 'literal';
  offset: number;
  length: number;
}

export interface DeltaPlan {
  pieces: DeltaPiece[];
  /** Bytes that travel (the literal pieces, in order). */
  literalBytes: number;
  size: number;
}

/** Where the content-defined cuts of `bytes` fall: the chunk lengths, in order. */
export function chunkLengths(bytes: Uint8Array): number[] {
  const n = bytes.length;
  const lengths: number[] = [];
  let start = 0;
  while (start < n) {
    const end = Math.min(n, start + MAX_CHUNK);
    let cut = end;
    let h = 0;
    let i = Math.min(end, start + MIN_CHUNK - WINDOW);
    const firstCandidate = start + MIN_CHUNK - 1;
    for (; i < end && i < firstCandidate; i++) h = ((h << 1) + GEAR[bytes[i]]) | 0;
    for (; i < end; i++) {
      h = ((h << 1) + GEAR[bytes[i]]) | 0;
      if ((h & CUT_MASK) === 0) {
        cut = i + 1;
        break;
      }
    }
    lengths.push(cut - start);
    start = cut;
  }
  return lengths;
}

export function chunkIndex(bytes: Uint8Array): ChunkIndex {
  const lengths = chunkLengths(bytes);
  const hashes: string[] = [];
  let offset = 0;
  for (const l of lengths) {
    hashes.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + l))
        .digest('hex')
        .slice(0, 32),
    );
    offset += l;
  }
  return { size: bytes.length, lengths, hashes };
}

/** Pieces fewer than this are one dd each on the host; a plan with more is not worth it. */
const MAX_PIECES = 256;

/**
 * The pieces that make `next` from the base's chunks and literal bytes, adjacent ranges
 * merged; null when the base holds too little of `next` (under a quarter) for a delta to pay.
 */
export function planDelta(next: ChunkIndex, base: ChunkIndex): DeltaPlan | null {
  const where = new Map<string, number>();
  let offset = 0;
  base.lengths.forEach((l, i) => {
    if (!where.has(base.hashes[i])) where.set(base.hashes[i], offset);
    offset += l;
  });
  const pieces: DeltaPiece[] = [];
  let literalOffset = 0;
  let matched = 0;
  next.lengths.forEach((length, i) => {
    const at = where.get(next.hashes[i]);
    const piece: DeltaPiece = at === undefined ? { from: 'literal', offset: literalOffset, length } : { from: 'base', offset: at, length };
    if (at === undefined) literalOffset += length;
    else matched += length;
    const last = pieces[pieces.length - 1];
    if (last && last.from === piece.from && last.offset + last.length === piece.offset) last.length += length;
    else pieces.push(piece);
  });
  if (matched * 4 < next.size || pieces.length > MAX_PIECES) return null;
  return { pieces, literalBytes: literalOffset, size: next.size };
}

/** The literal pieces' bytes of `next`, in order (what is sent). */
export function literalOf(next: Uint8Array, plan: DeltaPlan): Buffer {
  const out = Buffer.allocUnsafe(plan.literalBytes);
  let at = 0;
  for (const p of plan.pieces) {
    if (p.from === 'literal') out.set(next.subarray(at, at + p.length), p.offset);
    at += p.length;
  }
  return out;
}

/** The pieces as arguments of ASSEMBLE_UPLOAD: "b" or "l", offset, length for each. */
export function pieceArgs(plan: DeltaPlan): string[] {
  return plan.pieces.flatMap((p) => [p.from === 'base' ? 'b' : 'l', String(p.offset), String(p.length)]);
}
