// The part of the Dockerfile's build stage that brings in the sources, for the three ways a
// Go module builds (buildSource.ts): the module alone (download, then build), a vendored
// module (vendor/ is the dependencies, -mod=vendor, nothing downloaded), and a module whose
// build reads folders above it (a go.work workspace or replaced modules: the context is the
// folder that holds them, and the build runs in the module's folder inside it).
import { inFolder } from './buildSource';
import type { GenerateModel } from './model';

const GOMODCACHE = '/go/pkg/mod';

/** The comment lines that say where to run `docker build` and with which context. */
export function contextComment(model: GenerateModel, buildkit: boolean): string[] {
  const { app, source } = model;
  const build = `${buildkit ? 'DOCKER_BUILDKIT=1 ' : ''}docker build`;
  const lines: string[] = [];
  const c = source.context;
  if (!c) {
    lines.push(
      '# Build it from the module folder (the build context must hold go.mod):',
      `#   ${build} --build-arg VERSION=$(git describe --tags --always --dirty) \\`,
      `#     --build-arg REVISION=$(git rev-parse HEAD) -t ${app.name} .`,
    );
  } else {
    const what =
      c.workspace !== null
        ? `the go.work workspace${c.workspace === '.' ? '' : ` in ${c.workspace}`} (go build uses it; every module it lists must be there)`
        : 'the folder holding this module and the modules its go.mod replaces';
    lines.push(
      `# The build context is ${c.root}, ${what}:`,
      `# the build reads ${c.modules.join(', ')}${c.workspace !== null ? ' and go.work' : ''}. Build it from the module folder`,
      `# (${c.module}) with that context; this module's .dockerignore does not apply there:`,
      `#   ${build} -f Dockerfile --build-arg VERSION=$(git describe --tags --always --dirty) \\`,
      `#     --build-arg REVISION=$(git rev-parse HEAD) -t ${app.name} ${c.root}`,
    );
  }
  for (const r of source.absoluteReplaces)
    lines.push(`# go.mod replaces ${r}: no build context holds an absolute folder, so this build fails until it is relative.`);
  return lines;
}

/** From WORKDIR to the last COPY: dependencies in their own layer (unless vendored), then the sources; ends in the module's folder. */
export function sourceSteps(model: GenerateModel, buildkit: boolean): string[] {
  const { source } = model;
  const download = buildkit ? `RUN --mount=type=cache,target=${GOMODCACHE} go mod download` : 'RUN go mod download';
  if (source.vendored) {
    return ['WORKDIR /src', '# vendor/ holds the dependencies (vendor/modules.txt): the build reads them (-mod=vendor) and downloads nothing.', 'COPY . .'];
  }
  const c = source.context;
  if (!c) {
    return [
      'WORKDIR /src',
      '# Dependencies first, in their own layer: reused until go.mod or go.sum changes (go.sum* may be absent).',
      'COPY go.mod go.sum* ./',
      download,
      'COPY . .',
    ];
  }
  const dest = (folder: string): string => (folder === '.' ? '/src/' : `/src/${folder}/`);
  const lines = [
    'WORKDIR /src',
    `# Dependencies first, in their own layer: reused until a go.mod, go.sum${c.workspace !== null ? ' or go.work' : ''} changes (the *.sum files may be absent).`,
  ];
  if (c.workspace !== null) lines.push(copy([inFolder(c.workspace, 'go.work'), inFolder(c.workspace, 'go.work.sum*')], dest(c.workspace)));
  for (const m of c.modules) lines.push(copy([inFolder(m, 'go.mod'), inFolder(m, 'go.sum*')], dest(m)));
  lines.push(`WORKDIR ${dest(c.module).slice(0, -1)}`, download);
  for (const m of c.modules) lines.push(copy([m], dest(m)));
  return lines;
}

/** The go build flag that says where dependencies come from, if any. */
export function modFlag(model: GenerateModel): string {
  return model.source.vendored ? '-mod=vendor' : '';
}

/** A COPY instruction; the JSON form when a path holds a space or a quote. */
function copy(sources: string[], dest: string): string {
  const all = [...sources, dest];
  return all.every((p) => /^[A-Za-z0-9._/*+@-]+$/.test(p)) ? `COPY ${all.join(' ')}` : `COPY [${all.map((p) => JSON.stringify(p)).join(', ')}]`;
}
