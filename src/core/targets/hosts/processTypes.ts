// The shapes of a several-process release's plan (processPlan.ts makes them), apart so that
// deployPlan.ts's HostPlan can carry one without importing the planner (which imports it).
import type { GenerateModel } from '../../generate/model';
import type { GateSpec } from '../../release/healthGate';
import type { ServiceManager } from './serviceManager';

/** One process of the host's release. */
export interface ProcessUnit {
  process: string;
  /** <app>-<process>: the unit, program or pid/log name. */
  service: string;
  executable: string;
  model: GenerateModel;
  manager: ServiceManager;
  gate: GateSpec;
  /** <service>.env */
  envFileName: string;
}

/** An executable to place: its name in the release, sha256 and size (null in a plan made before the build). */
export interface ExecutableArtifact {
  executable: string;
  sha256: string;
  size: number;
}

export interface ProcessCommands {
  /** PREPARE, then each executable linked from an earlier release with its sha256 ("reused EXE ID" / "missing EXE"). */
  openRelease: string[];
  /** Per executable: check the uploaded .EXE.upload and rename it. */
  place: Record<string, string[]>;
  /** Records the release's sha256, completes it, prints each definition's sha256 and current. */
  complete: string[];
  /** Per unit with a definition: install the uploaded file. */
  install: (string[] | null)[];
  switch: string[];
  switchBack: string[];
}

export interface ProcessesPlan {
  units: ProcessUnit[];
  /** The distinct executables, in the order of the first process running each. */
  executables: string[];
  artifacts: ExecutableArtifact[] | null;
  /** sha256 over every executable's name and sha256: the release's .sha256 (what LIVE_STATE compares). */
  releaseSha256: string;
  argv: ProcessCommands;
}
