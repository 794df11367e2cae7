import type { BinaryInfo } from './binary/types';

/** One entry of a build matrix: GOOS/GOARCH and an optional variant (GOARM, GOAMD64, GOARM64). */
export interface BuildTarget {
  goos: string;
  goarch: string;
  variant: string | null;
  /** "linux/arm/7" */
  id: string;
}

export interface BuiltArtifact {
  target: string;
  /** Absolute path of the verified binary in the output folder. */
  path: string;
  /** Path relative to the output folder (as written in SHA256SUMS). */
  file: string;
  size: number;
  sha256: string;
  durationMs: number;
  binary: BinaryInfo;
}

export interface BuildResult {
  outDir: string;
  version: string;
  commit: string;
  /** Commit time (ISO 8601), used as the build date so builds are reproducible. */
  date: string;
  goVersion: string;
  artifacts: BuiltArtifact[];
  checksumsFile: string;
  manifestFile: string;
}

/** Progress of one target, for per-target progress in the CLI and the editor. */
export interface TargetProgress {
  target: string;
  state: 'queued' | 'building' | 'verifying' | 'done' | 'failed' | 'cancelled';
  message?: string;
}
