import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatBinaryInfo, runInspectBinary } from '../../src/cli/commands/inspectBinary';
import type { CliIO } from '../../src/cli/io';
import { inspectBinary, inspectBinaryBytes } from '../../src/core/build/binary/inspect';
import { goUnquote, parseModInfo } from '../../src/core/build/binary/modinfo';
import type { BinaryInfo } from '../../src/core/build/binary/types';
import { GoDeployError } from '../../src/core/errors';
import { synthElf, synthMachO, synthPe, type GoBlob } from '../support/synthBinaries';
import { prng } from '../support/prng';

const REAL = '/usr/bin/true';
const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function rejects(buf: Buffer, name: string, pattern: RegExp): GoDeployError {
  try {
    inspectBinaryBytes(buf, name);
  } catch (e) {
    assert.ok(e instanceof GoDeployError, `expected a GoDeployError, got ${(e as Error)?.stack ?? e}`);
    assert.ok(e.message.startsWith(`${name}: `), `names the file: ${e.message}`);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`${name}: expected a GoDeployError matching ${pattern}`);
}

const MODINFO_118 = [
  'path\texample.com/svc/cmd/api',
  'mod\texample.com/svc\tv1.2.3\th1:abc=',
  'dep\tgithub.com/a/b\tv0.1.0\th1:def=',
  'dep\tgithub.com/c/d\tv1.0.0\th1:ghi=',
  '=>\t../d\t(devel)\t',
  'build\t-compiler=gc',
  'build\t-ldflags="-s -w -X \\"main.version=1.0\\""',
  'build\t-trimpath=true',
  'build\tCGO_ENABLED=0',
  'build\tGOARCH=amd64',
  'build\tGOOS=linux',
  'build\tvcs.revision=0123456789abcdef',
  '',
].join('\n');
const modinfoFor = (goos: string, goarch: string, extra = ''): string =>
  `path\texample.com/x\nmod\texample.com/x\t(devel)\t\nbuild\tGOOS=${goos}\nbuild\tGOARCH=${goarch}\n${extra}`;
const go = (goos: string, goarch: string, pointers = false): GoBlob => ({ version: 'go1.21.4', modinfo: modinfoFor(goos, goarch), pointers });
const GO_NOTE: [string, number, Buffer] = ['Go', 4, Buffer.from('buildid/xyz')];

describe('binary inspection: malformed files give GoDeployErrors that name the file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'godeploy-bin-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an empty file, a missing file, a directory, a script', async () => {
    const empty = path.join(dir, 'empty');
    writeFileSync(empty, '');
    await assert.rejects(
      inspectBinary(empty),
      (e: unknown) => e instanceof GoDeployError && e.message === `${empty}: the file is empty` && /truncated/.test(e.hint ?? ''),
    );
    await assert.rejects(inspectBinary(path.join(dir, 'nope')), (e: unknown) => e instanceof GoDeployError && /nope: no such file$/.test(e.message));
    mkdirSync(path.join(dir, 'sub'));
    await assert.rejects(inspectBinary(path.join(dir, 'sub')), (e: unknown) => e instanceof GoDeployError && /sub: is a directory/.test(e.message));
    rejects(Buffer.from('#!/bin/sh\necho hi\n'), 'run.sh', /is a script/);
    rejects(Buffer.from('cafebabe00000002', 'hex'), 'fat', /universal \(fat\) Mach-O/);
  });

  it('random bytes are "not an ELF, Mach-O or PE program"', () => {
    const rnd = prng(7);
    const buf = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
    buf[0] = 0x42;
    const e = rejects(buf, 'random.bin', /not an ELF, Mach-O or PE program \(it starts with 42 /);
    assert.match(e.hint ?? '', /compiled program/);
  });

  it('a truncated ELF header, and an ELF whose program headers lie past the end', () => {
    const real = readFileSync(REAL);
    rejects(real.subarray(0, 20), 'short', /ELF header at offset 0 \(64 bytes\) is past the end of the file \(20 bytes\)/);
    const bad = Buffer.from(real);
    bad.writeBigUInt64LE(BigInt(real.length + 4096), 32);
    rejects(bad, 'phoff', new RegExp(`ELF program header table at offset ${real.length + 4096} .* is past the end of the file \\(${real.length} bytes\\)`));
    const huge = Buffer.from(real);
    huge.writeBigUInt64LE(0xffffffffffffff00n, 32);
    rejects(huge, 'hugephoff', /implausibly large/);
    rejects(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), 'dos', /no PE signature at offset 0/);
    rejects(
      synthMachO({ cputype: 0x0100000c, platform: 1, dylibs: ['/usr/lib/libSystem.B.dylib'], nsyms: 1, definedSyms: 1 }).subarray(0, 100),
      'macho',
      /Mach-O load commands .* past the end/,
    );
  });

  it('a damaged Go build info blob (length prefix past the end) is an error, not a crash', () => {
    const elf = synthElf({ is64: true, le: true, machine: 62, symtab: true, notes: [GO_NOTE], go: go('linux', 'amd64') });
    const at = elf.indexOf('\xff Go buildinf:', 0, 'latin1');
    const bad = Buffer.from(elf);
    bad[at + 32] = 0xff;
    bad[at + 33] = 0xff;
    bad[at + 34] = 0x7f; // version length 2 MB
    rejects(bad, 'go.bin', /Go build info version at offset \d+ \(2097151 bytes\) is past the end/);
  });

  it('fuzz: 300 seeded mutations of a real binary (first 64 KB) and 300 of synthetic Go binaries never throw anything but GoDeployError', () => {
    const rnd = prng(20240521);
    const pick = (n: number): number => Math.floor(rnd() * n);
    const seeds: [string, Buffer, number][] = [
      [REAL, readFileSync(REAL).subarray(0, 64 * 1024), 300],
      [
        'elf32be-pointers',
        synthElf({
          is64: false,
          le: false,
          machine: 8,
          symtab: true,
          interp: '/lib/ld.so.1',
          needed: ['libc.so.6'],
          notes: [GO_NOTE],
          go: go('linux', 'mips', true),
        }),
        100,
      ],
      [
        'macho',
        synthMachO({ cputype: 0x0100000c, platform: 1, dylibs: ['/usr/lib/libSystem.B.dylib'], nsyms: 10, definedSyms: 4, go: go('darwin', 'arm64', true) }),
        100,
      ],
      ['pe', synthPe({ machine: 0x8664, pe32: false, dlls: ['kernel32.dll'], symbols: true, go: go('windows', 'amd64') }), 100],
    ];
    const interesting = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];
    const outcomes: Record<string, { parsed: number; rejected: number }> = {};
    for (const [name, original, count] of seeds) {
      const tally = (outcomes[name] = { parsed: 0, rejected: 0 });
      for (let i = 0; i < count; i++) {
        const buf = Buffer.from(original);
        // Headers live near the start: aim half of the mutations at the first 512 bytes.
        const at = (): number => (rnd() < 0.5 ? pick(Math.min(512, buf.length)) : pick(buf.length));
        const kind = pick(4);
        if (kind === 0) for (let k = 1 + pick(8); k > 0; k--) buf[at()] = pick(256);
        else if (kind === 1) {
          const o = at() & ~3;
          if (o + 4 <= buf.length) buf.writeUInt32LE(interesting[pick(interesting.length)] >>> 0, o);
        } else if (kind === 2) {
          const o = at() & ~7;
          if (o + 8 <= buf.length) buf.writeBigUInt64LE(BigInt(interesting[pick(interesting.length)]) * BigInt(1 + pick(3)), o);
        }
        let input = kind === 3 ? buf.subarray(0, pick(buf.length)) : buf;
        if (kind !== 3 && rnd() < 0.2) input = input.subarray(0, input.length - pick(64));
        try {
          const r = inspectBinaryBytes(input, `${name}#${i}`);
          assert.ok(
            ['elf', 'macho', 'pe'].includes(r.format) && typeof r.os === 'string' && typeof r.arch === 'string' && Array.isArray(r.libraries),
            `${name}#${i}: a well-formed result`,
          );
          tally.parsed++;
        } catch (e) {
          if (!(e instanceof GoDeployError)) assert.fail(`${name}#${i} (mutation kind ${kind}) threw a non-GoDeployError: ${(e as Error)?.stack ?? e}`);
          assert.ok(e.message.startsWith(`${name}#${i}: `));
          tally.rejected++;
        }
      }
    }
    const summary = Object.entries(outcomes)
      .map(([n, t]) => `${n} ${t.parsed}/${t.rejected}`)
      .join(', ');
    for (const [name, , count] of seeds) {
      const t = outcomes[name];
      assert.equal(t.parsed + t.rejected, count);
      assert.ok(t.parsed >= count / 10 && t.rejected >= count / 10, `the mutations of ${name} exercised both paths (parsed/rejected): ${summary}`);
    }
    process.stderr.write(`      (fuzz, parsed/rejected: ${summary})\n`);
  });
});

describe('binary inspection: headers and build info', () => {
  it(`a real dynamically linked system binary (${REAL}): interpreter, libc, stripped, no Go`, async () => {
    const r = await inspectBinary(REAL);
    assert.equal(r.format, 'elf');
    assert.equal(r.os, 'linux', 'from the GNU ABI tag note / interpreter');
    assert.equal(r.arch, HOST_ARCH[process.arch]);
    assert.equal(r.static, false);
    assert.match(r.interpreter ?? '', /^\/lib.*\/ld-linux[-\w.]*\.so\.\d$/);
    assert.ok(r.libraries.includes('libc.so.6'), r.libraries.join(', '));
    assert.equal(r.goVersion, null);
    assert.equal(r.buildInfo, null);
    assert.deepEqual(inspectBinaryBytes(readFileSync(REAL), REAL), r, 'reading from a file and from memory agree');
  });

  it('ELF64 little-endian, Go 1.18+ inline build info: settings, deps, replacement, quoted -ldflags', () => {
    const r = inspectBinaryBytes(
      synthElf({ is64: true, le: true, machine: 62, symtab: true, notes: [GO_NOTE], go: { version: 'go1.21.4', modinfo: MODINFO_118 } }),
      'x',
    );
    assert.deepEqual(r, {
      format: 'elf',
      os: 'linux',
      arch: 'amd64',
      static: true,
      interpreter: null,
      libraries: [],
      stripped: false,
      goVersion: 'go1.21.4',
      bits: 64,
      byteOrder: 'little',
      buildInfo: {
        path: 'example.com/svc/cmd/api',
        main: { path: 'example.com/svc', version: 'v1.2.3', sum: 'h1:abc=' },
        deps: [
          { path: 'github.com/a/b', version: 'v0.1.0', sum: 'h1:def=' },
          { path: 'github.com/c/d', version: 'v1.0.0', sum: 'h1:ghi=', replace: { path: '../d', version: '(devel)', sum: null } },
        ],
        settings: {
          '-compiler': 'gc',
          '-ldflags': '-s -w -X "main.version=1.0"',
          '-trimpath': 'true',
          CGO_ENABLED: '0',
          GOARCH: 'amd64',
          GOOS: 'linux',
          'vcs.revision': '0123456789abcdef',
        },
      },
    });
  });

  it('ELF32 big-endian MIPS with pre-1.18 pointer build info, dynamic, stripped', () => {
    const modinfo = 'path\texample.com/old\nmod\texample.com/old\tv0.0.1\t\n';
    const r = inspectBinaryBytes(
      synthElf({
        is64: false,
        le: false,
        machine: 8,
        interp: '/lib/ld.so.1',
        needed: ['libc.so.6', 'libpthread.so.0'],
        notes: [GO_NOTE],
        go: { version: 'go1.16.15', modinfo, pointers: true },
      }),
      'old',
    );
    assert.equal(r.arch, 'mips');
    assert.equal(r.os, 'linux');
    assert.equal(r.bits, 32);
    assert.equal(r.byteOrder, 'big');
    assert.equal(r.static, false);
    assert.equal(r.interpreter, '/lib/ld.so.1');
    assert.deepEqual(r.libraries, ['libc.so.6', 'libpthread.so.0']);
    assert.equal(r.stripped, true);
    assert.equal(r.goVersion, 'go1.16.15');
    assert.deepEqual(r.buildInfo, { path: 'example.com/old', main: { path: 'example.com/old', version: 'v0.0.1', sum: null }, deps: [], settings: {} });
  });

  it('e_machine and byte order give GOARCH; ppc64/ppc64le, mips64le, riscv64, s390x, 386, arm', () => {
    const cases: [number, boolean, boolean, string][] = [
      [21, true, false, 'ppc64'],
      [21, true, true, 'ppc64le'],
      [8, true, true, 'mips64le'],
      [8, false, true, 'mipsle'],
      [243, true, true, 'riscv64'],
      [22, true, false, 's390x'],
      [3, false, true, '386'],
      [40, false, true, 'arm'],
      [183, true, true, 'arm64'],
    ];
    for (const [machine, is64, le, arch] of cases) {
      const r = inspectBinaryBytes(synthElf({ is64, le, machine, notes: [GO_NOTE], go: go('linux', arch, !le) }), arch);
      assert.equal(r.arch, arch);
      assert.equal(r.os, 'linux');
      assert.equal(r.goVersion, 'go1.21.4');
    }
  });

  it('the OS from OSABI, OS notes, the GNU ABI tag, or the build info when the headers only guess', () => {
    const os = (spec: Parameters<typeof synthElf>[0]): string => inspectBinaryBytes(synthElf(spec), 'os').os;
    assert.equal(os({ is64: true, le: true, machine: 62, osabi: 9, go: go('freebsd', 'amd64') }), 'freebsd');
    assert.equal(os({ is64: true, le: true, machine: 62, notes: [['OpenBSD', 1, Buffer.alloc(4)], GO_NOTE], go: go('openbsd', 'amd64') }), 'openbsd');
    assert.equal(os({ is64: true, le: true, machine: 62, notes: [['NetBSD', 1, Buffer.alloc(4)]] }), 'netbsd');
    assert.equal(os({ is64: true, le: true, machine: 62, notes: [['GNU', 1, Buffer.alloc(16)]] }), 'linux');
    assert.equal(os({ is64: true, le: true, machine: 183, notes: [GO_NOTE], go: go('android', 'arm64') }), 'android');
    assert.equal(os({ is64: true, le: true, machine: 62, notes: [['DragonFly', 1, Buffer.alloc(4)], GO_NOTE], go: go('dragonfly', 'amd64') }), 'dragonfly');
    assert.equal(os({ is64: true, le: true, machine: 62, go: go('illumos', 'amd64'), interp: '/usr/lib/amd64/ld.so.1' }), 'illumos');
    assert.equal(os({ is64: true, le: true, machine: 62 }), 'unknown', 'no OSABI, note or interpreter, and not Go');
  });

  it('cross-check: headers that contradict the build info are reported', () => {
    rejects(
      synthElf({ is64: true, le: true, machine: 183, notes: [GO_NOTE], go: go('linux', 'amd64') }),
      'liar',
      /the ELF headers say arm64 but the embedded Go build info says GOARCH=amd64/,
    );
    rejects(
      synthElf({ is64: true, le: true, machine: 62, osabi: 9, go: go('linux', 'amd64') }),
      'liar',
      /the ELF headers say freebsd but the embedded Go build info says GOOS=linux/,
    );
    rejects(synthElf({ is64: true, le: true, machine: 62, notes: [GO_NOTE], go: go('windows', 'amd64') }), 'liar', /headers say linux but .* GOOS=windows/);
    rejects(
      synthMachO({ cputype: 0x01000007, platform: 1, dylibs: [], nsyms: 0, definedSyms: 0, go: go('darwin', 'arm64') }),
      'liar',
      /Mach-O headers say amd64 .* GOARCH=arm64/,
    );
    rejects(synthPe({ machine: 0x14c, pe32: true, dlls: [], symbols: false, go: go('linux', '386') }), 'liar', /PE headers say windows .* GOOS=linux/);
  });

  it('Mach-O: arch, darwin or ios by platform, dylibs, stripped means no defined symbols', () => {
    const libs = ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/Security.framework/Versions/A/Security'];
    const mac = inspectBinaryBytes(
      synthMachO({ cputype: 0x0100000c, platform: 1, dylibs: libs, nsyms: 100, definedSyms: 90, go: go('darwin', 'arm64') }),
      'mac',
    );
    assert.deepEqual(
      { ...mac, buildInfo: null },
      {
        format: 'macho',
        os: 'darwin',
        arch: 'arm64',
        static: false,
        interpreter: null,
        libraries: libs,
        stripped: false,
        goVersion: 'go1.21.4',
        buildInfo: null,
        bits: 64,
        byteOrder: 'little',
      },
    );
    assert.equal(mac.buildInfo?.settings.GOOS, 'darwin');
    const ios = inspectBinaryBytes(
      synthMachO({ cputype: 0x0100000c, platform: 2, dylibs: libs, nsyms: 10, definedSyms: 0, go: go('ios', 'arm64', true) }),
      'ios',
    );
    assert.equal(ios.os, 'ios');
    assert.equal(ios.stripped, true, 'only undefined (imported) symbols left');
    const amd = inspectBinaryBytes(synthMachO({ cputype: 0x01000007, platform: 1, dylibs: [], nsyms: 0, definedSyms: 0 }), 'amd');
    assert.deepEqual([amd.arch, amd.static, amd.stripped, amd.goVersion], ['amd64', true, true, null]);
  });

  it('PE: PE32+ and PE32, imported DLLs, COFF symbols, build info in .data (inline and pointers)', () => {
    const w64 = inspectBinaryBytes(
      synthPe({ machine: 0xaa64, pe32: false, dlls: ['kernel32.dll', 'ws2_32.dll'], symbols: true, go: go('windows', 'arm64') }),
      'a.exe',
    );
    assert.deepEqual(
      [w64.os, w64.arch, w64.bits, w64.static, w64.libraries, w64.stripped, w64.goVersion],
      ['windows', 'arm64', 64, false, ['kernel32.dll', 'ws2_32.dll'], false, 'go1.21.4'],
    );
    const w32 = inspectBinaryBytes(synthPe({ machine: 0x14c, pe32: true, dlls: ['kernel32.dll'], symbols: false, go: go('windows', '386', true) }), 'b.exe');
    assert.deepEqual(
      [w32.os, w32.arch, w32.bits, w32.libraries, w32.stripped, w32.buildInfo?.settings.GOARCH],
      ['windows', '386', 32, ['kernel32.dll'], true, '386'],
    );
  });

  it('module info parsing follows runtime/debug.ParseBuildInfo, errors included', () => {
    assert.equal(goUnquote('"a\\tb\\x41\\u00e9\\101\\\\"'), 'a\tbAéA\\');
    assert.equal(goUnquote('`raw \\n`'), 'raw \\n');
    assert.equal(goUnquote('"unterminated'), null);
    assert.equal(goUnquote('"bad \\q"'), null);
    const bi = parseModInfo('path\tp\nbuild\t"we=ird"="v a l"\nbuild\tEMPTY=\nunknown\tline\nbuild\tNOEOL=1');
    assert.deepEqual(bi.settings, { 'we=ird': 'v a l', EMPTY: '' }, 'quoted key, empty value; a last line without newline is ignored, like Go');
    assert.throws(() => parseModInfo('mod\tonly\n'), /expected 2 or 3 columns, got 1/);
    assert.throws(() => parseModInfo('=>\ta\tb\tc\n'), /replacement with no module/);
    assert.throws(() => parseModInfo('build\tnovalue\n'), /build setting without "key="/);
  });

  it('inspect-binary: human and --json output', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'godeploy-bincli-'));
    try {
      writeFileSync(
        path.join(dir, 'svc'),
        synthElf({ is64: true, le: true, machine: 62, symtab: true, notes: [GO_NOTE], go: { version: 'go1.21.4', modinfo: MODINFO_118 } }),
      );
      const outs: string[] = [];
      const jsons: unknown[] = [];
      const io: CliIO = { out: (t) => outs.push(t), err: () => undefined, json: (v) => jsons.push(v), progress: () => undefined, cwd: dir, env: {} };
      assert.equal(await runInspectBinary(io, { dir }, ['svc'], false), 0);
      const text = outs.join('\n');
      for (const line of [
        'format    ELF (64-bit, little-endian)',
        'target    linux/amd64',
        'linking   static',
        'stripped  no',
        'go        go1.21.4',
        'module    example.com/svc v1.2.3',
        'deps      2 modules',
      ])
        assert.ok(text.includes(line), `${line}\n---\n${text}`);
      assert.match(text, /^settings {2}-trimpath=true -ldflags="-s -w -X \\"main.version=1.0\\"" CGO_ENABLED=0 vcs.revision=0123456789abcdef$/m);
      assert.equal(await runInspectBinary(io, { dir }, ['svc'], true), 0);
      const j = jsons[0] as BinaryInfo & { file: string };
      assert.equal(j.file, path.join(dir, 'svc'));
      assert.equal(j.buildInfo?.deps.length, 2);
      await assert.rejects(runInspectBinary(io, { dir }, [], false), (e: unknown) => e instanceof GoDeployError && e.exitCode === 2);
      assert.match(
        formatBinaryInfo('/bin/x', {
          format: 'elf',
          os: 'linux',
          arch: 'amd64',
          static: false,
          interpreter: '/lib64/ld-linux-x86-64.so.2',
          libraries: ['libc.so.6'],
          stripped: true,
          goVersion: null,
          buildInfo: null,
        }),
        /linking {3}dynamic, interpreter \/lib64\/ld-linux-x86-64.so.2; needs libc.so.6\nstripped {2}yes \(no symbol table\)\ngo {8}not a Go program/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
