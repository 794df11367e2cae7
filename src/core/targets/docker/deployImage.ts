// A docker deploy's image: built here and shipped when the target is remote and this machine
// has an engine, else built on the target (releaseImage.ts), tagged <app>:<release id> and
// <app>:<version>; shipped through docker.registry, or straight from the building engine.
import type { VersionInfo } from '../../build/version';
import type { BuildResult } from '../../build/types';
import type { DeployResult } from '../../environment/types';
import { imageTag } from './dockerPlan';
import type { Engine } from './engine';
import { buildingEngine, buildReleaseImage, shipImage, shipThroughRegistry } from './releaseImage';
import { registryRef } from './registry';
import { resolveReleaseFiles } from '../../release/releaseFiles';
import { HOST, type DockerDeployRun, type ReleaseImage } from './releaseStrategy';

export interface BuiltImage extends ReleaseImage {
  imageId: string;
  tags: string[];
  /** The engine that built it, when not the target's (it is shipped from there). */
  builder?: Engine;
}

export interface ImageInput {
  info: VersionInfo;
  /** The go build (docker.build: binary), the swarm probe executable, the tcp gate's probe image. */
  goBuild?: Promise<BuildResult>;
  probe?: Promise<string>;
  probeImage?: Promise<string>;
  /** Told the building engine as soon as it is open (the caller closes it). */
  onBuilder(builder: Engine | undefined): void;
}

/** Builds the release image; a failed build or image ends the deploy with its result. */
export async function buildDeployImage(run: DockerDeployRun, i: ImageInput): Promise<BuiltImage | DeployResult> {
  const { engine, e, id, emit, outcome, req } = run;
  const { app } = e.model;
  const i0 = Date.now();
  const tags = [`${app.name}:${id}`, `${app.name}:${imageTag(i.info.version)}`];
  // Not godeploy.* labels: a container inherits its image's labels, and those mark the release containers.
  const labels = { 'org.opencontainers.image.version': i.info.version, 'org.opencontainers.image.revision': i.info.commit };
  let artifact;
  let artifacts;
  let probeFile: string | undefined;
  let probeTag: string | undefined;
  try {
    artifacts = i.goBuild && (await i.goBuild).artifacts;
    artifact = artifacts?.[0];
    probeFile = await i.probe;
    probeTag = await i.probeImage;
  } catch (err) {
    return run.fail(err, 'build');
  }
  const builder = await buildingEngine(engine, req.buildEnv);
  i.onBuilder(builder);
  let imageId: string;
  try {
    imageId = await buildReleaseImage(builder ?? engine, {
      e,
      files: await resolveReleaseFiles(e.moduleDir, e.model, req.sources),
      artifact,
      artifacts,
      probe: probeFile,
      tags,
      labels,
      info: i.info,
      emit,
      onBuildOutput: req.onBuildOutput,
    });
  } catch (err) {
    return run.fail(err, 'image');
  }
  outcome.timings.image = Date.now() - i0;
  emit({
    host: HOST,
    step: 'image',
    state: 'done',
    message: `${tags.join(', ')} (${imageId.slice(7, 19)})${builder ? ` on ${builder.address.url}` : ''}`,
    ms: outcome.timings.image,
  });
  return { imageId, tags, builder, probeFile, probeTag };
}

/** The new release tag goes again when nothing will run this image. */
export const untagRelease = (run: DockerDeployRun, image: BuiltImage): Promise<void> =>
  (image.builder ?? run.engine).docker
    .getImage(`${run.e.model.app.name}:${run.id}`)
    .remove({ noprune: true })
    .then(
      () => undefined,
      () => undefined,
    );

/** Puts the image on the target's engine; a failed push or transfer ends the deploy with its result. */
export async function shipDeployImage(run: DockerDeployRun, { tags, builder }: BuiltImage): Promise<DeployResult | undefined> {
  const { engine, docker, emit, outcome } = run;
  if (docker.registry) {
    const t0 = Date.now();
    const registryTags = tags.map((t) => registryRef(docker.registry!, run.e.model.app.name, t.slice(t.indexOf(':') + 1)));
    try {
      await shipThroughRegistry(builder ?? engine, builder ? engine : undefined, tags, registryTags, run.registryAuth, emit);
    } catch (err) {
      return run.fail(err, 'push');
    }
    outcome.timings.registry = Date.now() - t0;
  } else if (builder) {
    const t0 = Date.now();
    try {
      await shipImage(builder, engine, tags, emit);
    } catch (err) {
      return run.fail(err, 'transfer');
    }
    outcome.timings.transfer = Date.now() - t0;
  }
  return undefined;
}
