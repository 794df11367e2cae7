// What a docker deploy hands to the way it puts the release live (docker.mode and strategy):
// one container replaced (containerRelease.ts), a container on the idle port behind nginx
// (blueGreenRelease.ts) or a swarm service updated (swarmRelease.ts). dockerDeploy.ts runs
// the common frame (plan, connect, lock, image, unlock) and calls a strategy's phases in order.
import type { DockerConfig } from '../../config/model';
import type { DeployEvent, DeployRequest, DeployResult, HostDeployResult, RollbackRequest, RollbackResult } from '../../environment/types';
import type { LoadedEnvironment } from '../../environment/load';
import type { ContainerSpec } from './containerSpec';
import type { Engine, EngineAddress } from './engine';
import type { RegistryAuth } from './registry';

/** The host name a docker deploy's events carry. */
export const HOST = 'engine';

/** The steps a docker deploy can fail at. */
export type DockerDeployStep = 'connect' | 'preflight' | 'lock' | 'build' | 'image' | 'transfer' | 'push' | 'container' | 'switch';

/** One docker deploy, connected to its engine: what every strategy reads. */
export interface DockerDeployRun {
  req: DeployRequest;
  /** The environment, its service's arguments resolved. */
  e: LoadedEnvironment;
  docker: DockerConfig;
  engine: Engine;
  address: EngineAddress;
  /** The new release's id and version. */
  id: string;
  version: string;
  /** The service's environment, resolved. */
  values: Record<string, string>;
  registryAuth?: RegistryAuth;
  /** user@host, labelled on the release. */
  deployedBy: string;
  /** The engine's host's outcome, filled in as the deploy goes. */
  outcome: HostDeployResult;
  emit(ev: DeployEvent): void;
  redact(text: string): string;
  /** The release container's spec for `image` with `env`, listening on `port`. */
  specFor(image: string, env: Record<string, string>, port?: number): ContainerSpec;
  /** A fresh connection to the engine (closed with the deploy). */
  reconnect(): Promise<Engine>;
  /** The deploy's result; `fail` marks the outcome failed and emits the failed step. */
  result(ok: boolean, extra?: Partial<DeployResult>): DeployResult;
  fail(err: unknown, step: DockerDeployStep, extra?: Partial<DeployResult>): DeployResult;
}

/** The image built and shipped for the release, and the health probe that came with it. */
export interface ReleaseImage {
  /** Swarm: the probe executable packed into the image. */
  probeFile?: string;
  /** A container's tcp gate: the probe image. */
  probeTag?: string;
}

/** How a release goes live. Each phase that returns a result ends the deploy with it. */
export interface ReleaseStrategy {
  /** Before the lock: whether the engine can take the release. */
  preflight(): Promise<DeployResult | undefined>;
  /** Under the lock: what runs now (sets outcome.previous). */
  survey(): Promise<DeployResult | undefined>;
  /** Whether what runs now already runs image `imageId` with this environment. */
  runsAlready(imageId: string): Promise<boolean>;
  /** What there would be to do: "nothing to <verb>". */
  verb: 'update' | 'replace';
  /** Puts the shipped image live and tidies old releases. */
  release(image: ReleaseImage): Promise<DeployResult>;
}

/** One docker rollback, connected to its engine and holding its lock: what each way of rolling back reads. */
export interface DockerRollbackRun {
  req: RollbackRequest;
  e: LoadedEnvironment;
  engine: Engine;
  address: EngineAddress;
  /** The engine's host's outcome, and the release it goes back to (by host). */
  outcome: HostDeployResult;
  targets: Record<string, string>;
  emit(ev: DeployEvent): void;
  redact(text: string): string;
  /** A fresh connection to the engine (closed with the rollback). */
  reconnect(): Promise<Engine>;
  /** The rollback's result; `fail` marks the outcome failed and emits the failed step. */
  done(ok: boolean, cancelled?: boolean): RollbackResult;
  fail(err: unknown, step: 'connect' | 'lock'): RollbackResult;
}
