import * as path from 'node:path';
import { type BinaryInfo, inspectBinary, usageError } from '../../core';
import type { CliIO } from '../io';
import type { GlobalOptions } from '../context';
import { defineCommand, jsonOption } from '../spec';

export const inspectBinaryCommand = defineCommand({
  name: 'inspect-binary',
  positionals: 'FILE',
  summary: 'a compiled program: os/arch, linking, Go build info',
  options: [{ ...jsonOption, description: "print the file's facts as JSON" }],
  help: `Reports what a compiled program is: format (ELF, Mach-O, PE), GOOS/GOARCH, static or
dynamically linked (interpreter and libraries), stripped or not, and for Go programs the
Go version, main module and build settings the linker embedded (like \`go version -m\`).
Reads the file only; needs no Go toolchain and never runs the program.`,
  examples: [
    { line: 'godeploy inspect-binary dist/hello_v1.2.0_linux_arm64', comment: 'its platform, linking and the Go build info in it' },
    { line: 'godeploy inspect-binary /usr/local/bin/app --json', comment: "a program's facts, as JSON" },
  ],
  run: (io, g, args, o) => runInspectBinary(io, g, args, o.json),
});

/** Build settings worth a line of their own in the human output. */
const NOTABLE = [
  '-trimpath',
  '-ldflags',
  '-tags',
  '-buildmode',
  'CGO_ENABLED',
  'GOARM',
  'GOAMD64',
  'GO386',
  'GOMIPS',
  'GOMIPS64',
  'GOPPC64',
  'vcs.revision',
  'vcs.modified',
  'vcs.time',
];

export async function runInspectBinary(io: CliIO, g: GlobalOptions, args: string[], json: boolean): Promise<number> {
  if (args.length !== 1)
    throw usageError(args.length ? 'inspect-binary takes one FILE' : 'inspect-binary needs a FILE', 'godeploy inspect-binary FILE [--json]');
  const file = path.resolve(g.dir, args[0]);
  const info = await inspectBinary(file);
  if (json) {
    io.json({ file, ...info });
    return 0;
  }
  io.out(formatBinaryInfo(file, info));
  return 0;
}

export function formatBinaryInfo(file: string, b: BinaryInfo): string {
  const format = { elf: 'ELF', macho: 'Mach-O', pe: 'PE' }[b.format];
  const shape = b.bits ? ` (${b.bits}-bit${b.byteOrder ? `, ${b.byteOrder}-endian` : ''})` : '';
  const linking = b.static
    ? 'static'
    : `dynamic${b.interpreter ? `, interpreter ${b.interpreter}` : ''}${b.libraries.length ? `; needs ${b.libraries.join(', ')}` : ''}`;
  const lines = [
    `file      ${file}`,
    `format    ${format}${shape}`,
    `target    ${b.os}/${b.arch}`,
    `linking   ${linking}`,
    `stripped  ${b.stripped ? 'yes (no symbol table)' : 'no'}`,
    `go        ${b.goVersion ?? 'not a Go program (no Go build info)'}`,
  ];
  const bi = b.buildInfo;
  if (bi) {
    if (bi.path) lines.push(`path      ${bi.path}`);
    if (bi.main) lines.push(`module    ${bi.main.path} ${bi.main.version}${bi.main.replace ? ` => ${bi.main.replace.path} ${bi.main.replace.version}` : ''}`);
    lines.push(`deps      ${bi.deps.length === 0 ? 'none' : `${bi.deps.length} module${bi.deps.length === 1 ? '' : 's'}`}`);
    const notable = NOTABLE.filter((k) => k in bi.settings).map(
      (k) => `${k}=${/[\s"]/.test(bi.settings[k]) ? JSON.stringify(bi.settings[k]) : bi.settings[k]}`,
    );
    if (notable.length) lines.push(`settings  ${notable.join(' ')}`);
  }
  return lines.join('\n');
}
