// Delta uploads: content-defined chunks find what two executables share even when bytes were
// inserted or removed; the plan rebuilds the new file exactly; the host's assembly script
// (run for real here, with this machine's dd and openssl) writes it and checks its sha256,
// and a wrong base never yields a wrong file. The chunk index cache keeps the newest only.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkIndex, chunkLengths, literalOf, pieceArgs, planDelta, type DeltaPlan } from '../../src/core/targets/hosts/delta';
import { loadChunkIndex, saveChunkIndex } from '../../src/core/targets/hosts/deltaCache';
import { localRunner } from '../../src/core/remote/hostRunner';
import { ASSEMBLE_UPLOAD, placeThenComplete } from '../../src/core/targets/hosts/releaseScripts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** What the host's dd does with a plan: the new file from the base's bytes and the literal bytes. */
function applyDelta(base: Uint8Array, literal: Uint8Array, plan: DeltaPlan): Buffer {
  return Buffer.concat(plan.pieces.map((p) => (p.from === 'base' ? base : literal).subarray(p.offset, p.offset + p.length)));
}

/** A deterministic pseudo-random buffer (so a failure reproduces). */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let s = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe('delta upload: chunks and plans', () => {
  const base = bytes(3_000_000, 7);

  it('cuts at content-defined points: every chunk between 16 KiB and 256 KiB (the last may be shorter), covering the file', () => {
    const lengths = chunkLengths(base);
    assert.equal(
      lengths.reduce((a, b) => a + b, 0),
      base.length,
    );
    for (const l of lengths.slice(0, -1)) assert.ok(l >= 16 * 1024 && l <= 256 * 1024, `chunk of ${l} bytes`);
    assert.ok(lengths.length > 10 && lengths.length < 200, `${lengths.length} chunks`);
    assert.deepEqual(chunkLengths(Buffer.from(base)), lengths, 'the same bytes cut the same way');
  });

  it('an insertion in the middle costs about one chunk: the rest is found in the base, shifted', () => {
    const next = Buffer.concat([base.subarray(0, 1_500_000), Buffer.from('a few inserted bytes'), base.subarray(1_500_000)]);
    const plan = planDelta(chunkIndex(next), chunkIndex(base));
    assert.ok(plan, 'a plan');
    assert.ok(plan.literalBytes < 600_000, `${plan.literalBytes} literal bytes`);
    assert.ok(plan.pieces.length <= 5, `${plan.pieces.length} pieces`);
    const rebuilt = applyDelta(base, literalOf(next, plan), plan);
    assert.equal(sha(rebuilt), sha(next));
  });

  it('a removal, a changed region and an appended tail rebuild exactly', () => {
    const next = Buffer.concat([base.subarray(0, 400_000), bytes(70_000, 99), base.subarray(500_000, 2_200_000), base.subarray(2_300_000), bytes(5_000, 3)]);
    const plan = planDelta(chunkIndex(next), chunkIndex(base));
    assert.ok(plan);
    assert.equal(plan.size, next.length);
    assert.equal(
      plan.pieces.reduce((a, p) => a + p.length, 0),
      next.length,
    );
    assert.equal(sha(applyDelta(base, literalOf(next, plan), plan)), sha(next));
  });

  it('no plan when the base shares too little (under a quarter): the whole file goes', () => {
    assert.equal(planDelta(chunkIndex(bytes(2_000_000, 11)), chunkIndex(base)), null);
  });

  it('pieceArgs are b|l, offset, length triples of plain numbers', () => {
    const next = Buffer.concat([bytes(40_000, 5), base]);
    const plan = planDelta(chunkIndex(next), chunkIndex(base))!;
    const args = pieceArgs(plan);
    assert.equal(args.length, plan.pieces.length * 3);
    for (let i = 0; i < args.length; i += 3) {
      assert.match(args[i], /^[bl]$/);
      assert.match(args[i + 1], /^\d+$/);
      assert.match(args[i + 2], /^[1-9]\d*$/);
    }
  });
});

describe('delta upload: ASSEMBLE_UPLOAD on this machine', () => {
  const runner = localRunner({ timeoutMs: 30_000 });
  const ID = '20261121T120000Z-v2';
  const BASE_ID = '20261121T110000Z-v1';
  let root: string;
  let b: string;
  let p: string;
  const base = bytes(2_000_000, 21);
  const next = Buffer.concat([base.subarray(0, 900_000), bytes(30_000, 8), base.subarray(950_000)]);
  const plan = planDelta(chunkIndex(next), chunkIndex(base))!;
  const literal = literalOf(next, plan);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'godeploy-delta-'));
    b = join(root, "base with 'quotes' and $HOME");
    mkdirSync(join(b, 'releases', BASE_ID), { recursive: true });
    writeFileSync(join(b, 'releases', BASE_ID, 'app'), base, { mode: 0o755 });
    p = join(b, 'releases', `.${ID}.partial`);
    mkdirSync(p);
    writeFileSync(join(p, '.app.literal'), literal, { mode: 0o600 });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const assemble = (want: string, pieces = pieceArgs(plan)) => runner.exec(['sh', '-c', ASSEMBLE_UPLOAD, 'sh', b, ID, 'app', want, BASE_ID, ...pieces]);

  it('writes the new executable (mode 755) with its .sha256, and removes the literal bytes', async () => {
    assert.ok(plan.literalBytes < next.length / 4, `${plan.literalBytes} of ${next.length} bytes sent`);
    const r = await assemble(sha(next));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(join(p, 'app'))), sha(next));
    assert.equal(statSync(join(p, 'app')).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(p, '.sha256'), 'utf8').trim(), sha(next));
    assert.deepEqual(readdirSync(p).sort(), ['.sha256', 'app']);
  });

  it('a base that is not what the index said: exit 4 naming both sha256s, nothing left behind', async () => {
    writeFileSync(join(b, 'releases', BASE_ID, 'app'), bytes(2_000_000, 22));
    const r = await assemble(sha(next));
    assert.equal(r.code, 4);
    assert.match(r.stderr, new RegExp(`sha256 of the assembled file is [0-9a-f]{64}, expected ${sha(next)}`));
    assert.deepEqual(readdirSync(p), []);
  });

  it('placeThenComplete: the checked executable, then the release completed in the same run (what COMPLETE_RELEASE prints)', async () => {
    const run = (want: string) => runner.exec(['sh', '-c', placeThenComplete(ASSEMBLE_UPLOAD), 'sh', b, ID, 'app', want, '', BASE_ID, ...pieceArgs(plan)]);
    const wrong = await run('0'.repeat(64));
    assert.equal(wrong.code, 4, 'a failed check stops before completing');
    assert.ok(existsSync(p), 'the partial release stays partial');
    writeFileSync(join(p, '.app.literal'), literal, { mode: 0o600 });
    const r = await run(sha(next));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'current \n');
    assert.ok(!existsSync(p));
    assert.equal(sha(readFileSync(join(b, 'releases', ID, 'app'))), sha(next));
  });

  it('a missing base release or unreadable pieces: exit 5, nothing left behind', async () => {
    const gone = await runner.exec(['sh', '-c', ASSEMBLE_UPLOAD, 'sh', b, ID, 'app', sha(next), '20261121T000000Z-nope', ...pieceArgs(plan)]);
    assert.equal(gone.code, 5);
    assert.deepEqual(readdirSync(p), []);
    writeFileSync(join(p, '.app.literal'), literal);
    const bad = await assemble(sha(next), ['x', '0', '10']);
    assert.equal(bad.code, 5);
    assert.ok(!existsSync(join(p, '.app.upload')) && !existsSync(join(p, 'app')));
  });
});

describe('delta upload: the chunk index cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'godeploy-chunks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps an index by sha256 and reads it back; a damaged or missing one reads as none', async () => {
    const data = bytes(500_000, 3);
    const index = chunkIndex(data);
    await saveChunkIndex(dir, sha(data), index);
    assert.deepEqual(await loadChunkIndex(dir, sha(data)), index);
    assert.equal(await loadChunkIndex(dir, 'f'.repeat(64)), null);
    assert.equal(await loadChunkIndex(dir, '../../etc/passwd'), null);
    writeFileSync(join(dir, `${sha(data)}.json`), JSON.stringify({ ...index, size: index.size + 1 }));
    assert.equal(await loadChunkIndex(dir, sha(data)), null, 'lengths that do not add up to the size');
    writeFileSync(join(dir, `${sha(data)}.json`), '{"size": 1');
    assert.equal(await loadChunkIndex(dir, sha(data)), null);
  });

  it('keeps the 8 newest', async () => {
    const shas: string[] = [];
    for (let i = 0; i < 10; i++) {
      const data = bytes(20_000, i + 1);
      shas.push(sha(data));
      await saveChunkIndex(dir, sha(data), chunkIndex(data));
      const t = new Date(Date.now() - (10 - i) * 60_000);
      utimesSync(join(dir, `${sha(data)}.json`), t, t);
    }
    await saveChunkIndex(dir, shas[9], chunkIndex(bytes(20_000, 10)));
    assert.deepEqual(
      readdirSync(dir).sort(),
      shas
        .slice(2)
        .map((s) => `${s}.json`)
        .sort(),
    );
  });
});
