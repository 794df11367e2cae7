/** What Go Deploy reads from a compiled Go binary, in Go's own names (GOOS/GOARCH). */
export interface BinaryInfo {
  format: 'elf' | 'macho' | 'pe';
  /** GOOS: linux, darwin, windows, freebsd, … ("unknown" if the headers do not say). */
  os: string;
  /** GOARCH: amd64, arm64, arm, 386, riscv64, … */
  arch: string;
  /** No dynamic loader and no shared-library dependencies. */
  static: boolean;
  /** ELF: PT_INTERP path; others: null. */
  interpreter: string | null;
  /** Shared libraries the binary needs (ELF DT_NEEDED, Mach-O LC_LOAD_DYLIB, PE imports). */
  libraries: string[];
  /** No symbol table (built with -s, or stripped afterwards). */
  stripped: boolean;
  /** Go version the linker embedded (go1.19.8), or null if it is not a Go binary. */
  goVersion: string | null;
  /** Module build info embedded by the Go linker (what `go version -m` prints). */
  buildInfo: GoBuildInfo | null;
  /** Word size and byte order from the headers. */
  bits?: 32 | 64;
  byteOrder?: 'little' | 'big';
}

export interface GoModule {
  path: string;
  version: string;
  sum: string | null;
  /** A `=>` replacement of this module, when there is one. */
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** Main package path (the `path` line). */
  path: string;
  main: GoModule | null;
  deps: GoModule[];
  /** `build` lines: -trimpath, CGO_ENABLED, GOOS, GOARCH, GOARM, vcs.revision, … */
  settings: Record<string, string>;
}
