/**
 * What inspection reports about a Go module, per main package and per build target.
 * Facts are computed over the packages Go would compile (build constraints applied for
 * each target) in the main's import graph inside the module, its vendor/ and its workspace.
 */

/** A fact found in the module's files, with where it came from (paths relative to the module). */
export interface Finding {
  file: string;
  line: number;
  reason: string;
}

/** A GOOS/GOARCH pair with the build settings that select files. */
export interface BuildTarget {
  goos: string;
  goarch: string;
}

/** Everything that decides which files Go compiles (go/build.Context's knobs Go Deploy needs). */
export interface BuildContext extends BuildTarget {
  /** CGO_ENABLED for this target: Go's default is on for native builds, off for cross builds without CC. */
  cgoEnabled: boolean;
  /** User build tags (`build.tags` / `-tags`). */
  tags: string[];
  /** The toolchain's minor version (e.g. 19 for go1.19): release tags go1.1 … go1.N are satisfied. */
  goMinor: number;
}

/** One package as Go sees it for one build context. */
export interface GoPackage {
  /** Import path, e.g. example.com/shop/internal/store. */
  importPath: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the inspected module ("" for the root; may start with ../ in a workspace or be vendor/…). */
  rel: string;
  name: string;
  /** Go files compiled for the context (not tests), relative to dir. */
  goFiles: string[];
  /** Files among goFiles that import "C". */
  cgoFiles: string[];
  /** Imports of the compiled (non-test) files. */
  imports: string[];
  /**
   * Where the package comes from: this module, a workspace member (or a folder a go.mod `replace`s a
   * module with), vendor/, the standard library, a dependency go list found in the module cache, or not found.
   */
  origin: 'module' | 'workspace' | 'vendor' | 'std' | 'dependency' | 'missing';
}

export type PortSetting =
  /** The program reads its port from an environment variable (possibly through a flag default). `address`: the variable holds host:port (":8080"), not a bare port number. */
  | { kind: 'env'; name: string; address?: boolean }
  /** The program takes its port (or listen address) from a command-line flag. `address`: the flag's value is host:port, not a number. */
  | { kind: 'flag'; name: string; address: boolean }
  /** A fixed address in the code: the port cannot be changed from outside. */
  | { kind: 'fixed' };

export interface PortFacts {
  port: number | null;
  /** Where the default port comes from. */
  source: Finding | null;
  /** How the port reaches the program, best first (a flag whose default reads an env var gives both). */
  settings: PortSetting[];
}

export interface HealthFacts {
  /** A GET path whose handler can answer 2xx, resolved through constants and router prefixes. */
  path: string | null;
  source: Finding | null;
  /** Routes that look like health routes but cannot answer 2xx (http.NotFound, redirects), with why. */
  rejected: Finding[];
}

/** What serving looks like in a main's code. */
export interface ServeFacts {
  /** http: an HTTP server; tcp: listens without HTTP (gRPC, raw TCP); none: a worker or a tool. */
  kind: 'http' | 'tcp' | 'none';
  /** The listen/serve calls found. */
  evidence: Finding[];
}

export interface MainPackageInspection {
  /** "./cmd/api" or "." (relative to the inspected module; "../api/cmd/x" style for another workspace member). */
  path: string;
  importPath: string;
  /** What `go build` names the binary: last import-path element that is not a /vN suffix. */
  binaryName: string;
  /** The targets these facts were computed for, as "linux/amd64". */
  targets: string[];
  cgo: boolean;
  /** Non-standard packages in the import graph with cgo files, per target (file:line of import "C"). */
  cgoReasons: Finding[];
  serve: ServeFacts;
  /** Arguments that start the long-running part, e.g. a `replicate` or `serve` subcommand; null when run bare. */
  startArgs: { args: string[]; source: Finding } | null;
  port: PortFacts;
  health: HealthFacts;
  /** The service tells systemd when it is ready (sd_notify). */
  sdNotify: Finding | null;
  embedFiles: string[];
}

export interface WorkspaceMember {
  /** As written in go.work's use directive. */
  use: string;
  /** Relative to the inspected module. */
  dir: string;
  module: string | null;
  mains: string[];
  /** Modules of the workspace this member replaces with a local path (its go.mod `replace X => ../lib`). */
  replacesLocal: string[];
}
