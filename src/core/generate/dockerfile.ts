import { usageError } from '../errors';
import { serviceArguments } from './args';
import { contextComment, modFlag, sourceSteps } from './dockerSources';
import type { GenerateModel } from './model';
import { assertOneLineValues } from './oneLineValues';
import { modelOfProcess } from './processes';

export interface DockerfileOptions {
  /** Pack this already cross-compiled binary (path relative to the build context) instead of compiling in a builder stage. */
  fromBinary?: string;
  /** Several executables (app.processes): each executable's cross-compiled binary, by its path in the build context. */
  fromBinaries?: Record<string, string>;
}

/** The distinct executables of the model's processes and the main each is built from, in process order. */
export function imageExecutables(model: GenerateModel): { executable: string; main: string }[] {
  const seen = new Map<string, string>();
  for (const p of model.processes) if (!seen.has(p.executable)) seen.set(p.executable, p.main);
  if (!seen.size) seen.set(model.app.name, model.app.main);
  return [...seen].map(([executable, main]) => ({ executable, main }));
}

/** Whether the image holds several executables or runs a process of app.processes (else the one-process form, unchanged). */
const severalProcesses = (model: GenerateModel): boolean =>
  model.processes.length > 1 || (model.processes[0] !== undefined && model.processes[0].service !== model.app.name);

/** Default runtime images; each is a build ARG in the file, so a mirror can replace it. */
export const runtimeImages = {
  distrolessStatic: 'gcr.io/distroless/static-debian12:nonroot',
  distrolessBase: 'gcr.io/distroless/base-debian12:nonroot',
  alpine: 'alpine:3.21',
} as const;

/** The unprivileged user every runtime runs as: distroless's "nonroot", numeric so Kubernetes' runAsNonRoot can check it. */
export const NONROOT = '65532:65532';

const GOMODCACHE = '/go/pkg/mod';
const GOCACHE = '/root/.cache/go-build';

/**
 * A multi-stage Dockerfile (Go builder → small runtime) for the model's main package, or with
 * `fromBinary` a single stage packing a binary built elsewhere. Pure and deterministic.
 */
export function renderDockerfile(model: GenerateModel, options: DockerfileOptions = {}): string {
  assertOneLineValues(model, 'Dockerfile');
  const { app, docker } = model;
  if (app.cgo && docker.runtime === 'scratch') {
    throw usageError(
      `${app.module} needs cgo (${app.cgoReasons.join('; ') || 'it imports "C"'}), so its binary needs a C library that a scratch image does not have`,
      'set docker.runtime to distroless (the base-debian12 image has glibc) or alpine (musl) in godeploy.yaml, or remove the cgo dependency',
    );
  }
  const several = severalProcesses(model);
  if (several && options.fromBinary !== undefined && !options.fromBinaries) {
    throw usageError(
      `--from-binary packs one binary, and ${app.name} has several processes (${model.processes.map((p) => p.name).join(', ')})`,
      'generate the multi-stage Dockerfile (without --from-binary), which builds every executable, or deploy with docker.build: binary',
    );
  }
  const executables = imageExecutables(model);
  const binaries = options.fromBinaries
    ? Object.fromEntries(executables.map((x) => [x.executable, contextPath(options.fromBinaries![x.executable] ?? x.executable)]))
    : undefined;
  const binary = binaries ? binaries[executables[0].executable] : options.fromBinary === undefined ? undefined : contextPath(options.fromBinary);
  // The image's default (ENTRYPOINT, CMD, port, health check): the first process's.
  const first = several ? modelOfProcess(model, model.processes[0]) : model;
  const runtime = runtimeImage(model);
  const out: string[] = header(model, binary);

  const args = [...(binary ? [] : [`ARG GO_IMAGE=${builderImage(model)}`]), ...(runtime ? [`ARG RUNTIME_IMAGE=${runtime}`] : [])];
  if (args.length) out.push('', ...cgoComment(model), ...args);
  if (!binary) out.push('', ...buildStage(model, executables));

  out.push('', ...runtimeComment(model, binary));
  out.push(runtime ? 'FROM ${RUNTIME_IMAGE}' : 'FROM scratch');
  out.push('ARG VERSION=dev', 'ARG REVISION=unknown', `ARG SOURCE=${sourceUrl(app.module)}`);
  out.push(
    'LABEL org.opencontainers.image.title="' + app.name + '" \\',
    '      org.opencontainers.image.source="${SOURCE}" \\',
    '      org.opencontainers.image.version="${VERSION}" \\',
    '      org.opencontainers.image.revision="${REVISION}"',
  );
  if (docker.runtime === 'alpine') {
    out.push(
      'RUN apk add --no-cache ca-certificates tzdata \\',
      '    && addgroup -S -g 65532 nonroot \\',
      '    && adduser -S -D -H -u 65532 -G nonroot -s /sbin/nologin nonroot',
    );
  }
  if (docker.runtime === 'scratch' && !binary) {
    out.push('COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt');
  }
  if (!several) out.push(binary ? `COPY ${binary} /app/${app.name}` : `COPY --from=build /out/${app.name} /app/${app.name}`);
  else
    for (const x of executables)
      out.push(binaries ? `COPY ${binaries[x.executable]} /app/${x.executable}` : `COPY --from=build /out/${x.executable} /app/${x.executable}`);
  if (Object.keys(model.env).length > 0 || model.runtimeEnvNames.length > 0 || model.processes.some((p) => Object.keys(p.env).length > 0)) {
    out.push('# The environment from godeploy.yaml is given when the container starts (docker run --env-file), not baked in.');
  }
  if (several) out.push(...processComment(model));
  if (first.app.portEnv !== null && first.app.listens !== false) out.push(`ENV ${first.app.portEnv}=${first.app.port}`);
  const ports = several ? [...new Set(model.processes.flatMap((p) => (p.port === null ? [] : [p.port])))] : [app.port];
  out.push(...(ports.length ? [`EXPOSE ${ports.join(' ')}`] : []), `USER ${NONROOT}`);
  out.push(...healthcheck(first));
  out.push(`ENTRYPOINT ${execForm([`/app/${several ? first.app.executable : app.name}`])}`);
  const argv = serviceArguments(first, String(first.app.port));
  if (argv.length) {
    out.push(
      `# The service's arguments${first.app.portFlag !== null && first.app.listens !== false ? ` (the port by ${first.app.portFlag.split('=')[0]})` : ''}; \`docker run IMAGE ARGS…\` replaces them.`,
      `CMD ${execForm(argv)}`,
    );
  }
  out.push('');
  return out.join('\n');
}

/** Several processes: how each runs from this one image (Go Deploy starts a container per process). */
function processComment(model: GenerateModel): string[] {
  const lines = ['# One image for every process; the first is the default. Each runs as a container of its own:'];
  for (const p of model.processes) {
    const pm = modelOfProcess(model, p);
    const argv = serviceArguments(pm, String(pm.app.port));
    lines.push(
      `#   ${p.name}: docker run --entrypoint /app/${p.executable} IMAGE${argv.length ? ` ${argv.join(' ')}` : ''}${p.port === null ? '' : ` (port ${p.port})`}`,
    );
  }
  return lines;
}

function header(model: GenerateModel, binary: string | undefined): string[] {
  const { app, docker } = model;
  const regenerate = ['godeploy generate dockerfile', model.environment ? ` --env ${model.environment}` : '', binary ? ` --from-binary ${binary}` : ''].join(
    '',
  );
  const lines = [
    `# Dockerfile for ${app.name} (${app.module}), generated by Go Deploy.`,
    `# Regenerate it with \`${regenerate}\` instead of editing it`,
    '# (or put your own Dockerfile.hbs in the templates folder).',
    '#',
  ];
  if (binary) {
    lines.push(
      `# Packs the Linux binary Go Deploy cross-compiled (${binary}) into the runtime image:`,
      '# no build stage and no Go image. Build it from the module folder, after the binary:',
      `#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t ${app.name} .`,
      "# The binary must be executable and built for the image's platform (GOOS=linux, same GOARCH).",
    );
    if (!new RegExp(`^dist/${escapeRegExp(app.name)}_linux_[^/]+$`).test(binary)) {
      lines.push(`# The generated .dockerignore keeps only dist/${app.name}_linux_*: add a line "!${binary}" to it.`);
    }
  } else {
    lines.push(...contextComment(model, docker.buildkit));
  }
  const mirror = [binary ? '' : '--build-arg GO_IMAGE=<mirror>/golang:<tag>', runtimeImage(model) ? '--build-arg RUNTIME_IMAGE=<mirror>/<image>' : ''].filter(
    Boolean,
  );
  if (mirror.length) lines.push('# Behind a registry mirror or proxy, swap the images:', `#   ${mirror.join(' ')}`);
  return lines;
}

function buildStage(model: GenerateModel, executables: { executable: string; main: string }[]): string[] {
  const { app, docker, build } = model;
  const kit = docker.buildkit;
  const cross = kit && !app.cgo;
  const lines: string[] = [];
  if (cross) lines.push("# Compiles on the build machine's platform and cross-compiles to the target (docker build --platform).");
  lines.push(cross ? 'FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build' : 'FROM ${GO_IMAGE} AS build');
  if (app.cgo && docker.runtime === 'alpine') lines.push('RUN apk add --no-cache gcc musl-dev');
  if (kit) lines.push(`ENV GOMODCACHE=${GOMODCACHE} GOCACHE=${GOCACHE}`);
  lines.push(...sourceSteps(model, kit));

  const ldflags = goLdflags(build.ldflags);
  const used = (arg: string) => ldflags.includes('${' + arg + '}');
  const buildArgs = [used('VERSION') ? 'VERSION=dev' : '', used('REVISION') ? 'REVISION=unknown' : '', used('BUILD_DATE') ? 'BUILD_DATE=unknown' : ''].filter(
    Boolean,
  );
  if (cross) lines.push('ARG TARGETOS', 'ARG TARGETARCH');
  for (const a of buildArgs) lines.push(`ARG ${a}`);

  const tags = [...new Set([...build.tags, ...(docker.runtime === 'scratch' ? ['timetzdata'] : [])])];
  const env = [app.cgo ? 'CGO_ENABLED=1' : 'CGO_ENABLED=0', ...(cross ? ['GOOS=${TARGETOS}', 'GOARCH=${TARGETARCH}'] : [])].join(' ');
  for (const x of executables) {
    const goBuild = [
      'go build',
      modFlag(model),
      '-trimpath',
      tags.length ? `-tags=${tags.join(',')}` : '',
      ldflags ? `-ldflags="${ldflags}"` : '',
      `-o /out/${executables.length === 1 && !severalProcesses(model) ? app.name : x.executable}`,
      shellWord(executables.length === 1 && !severalProcesses(model) ? app.main : x.main),
    ]
      .filter(Boolean)
      .join(' ');
    if (kit) {
      lines.push(
        // A vendored build reads no module cache.
        ...(model.source.vendored ? [] : [`RUN --mount=type=cache,target=${GOMODCACHE} \\`]),
        `${model.source.vendored ? 'RUN' : '   '} --mount=type=cache,target=${GOCACHE} \\`,
        `    ${env} \\`,
        `    ${goBuild}`,
      );
    } else {
      lines.push(`RUN ${env} \\`, `    ${goBuild}`);
    }
  }
  return lines;
}

/** Why the images are what they are when cgo is on: the C library of builder and runtime must agree. */
function cgoComment(model: GenerateModel): string[] {
  const { app, docker } = model;
  if (!app.cgo) return [];
  const lines = ['# cgo is needed:', ...(app.cgoReasons.length ? app.cgoReasons : ['the module imports "C"']).map((r) => `#   ${r}`)];
  if (docker.runtime === 'alpine') {
    lines.push(
      "# so the binary links the C library dynamically. Alpine's C library is musl, not glibc: the",
      '# builder is golang:<version>-alpine (with gcc and musl-dev) so the binary links musl; one',
      '# built against glibc does not start on Alpine. Keep builder and runtime on the same C library.',
    );
  } else {
    lines.push(
      '# so the binary links glibc dynamically: the runtime is distroless base-debian12 (glibc,',
      '# libssl), not static-debian12, and the builder is golang:<version>-bookworm so its glibc is',
      "# no newer than the runtime's (both Debian 12).",
    );
  }
  return lines;
}

function runtimeComment(model: GenerateModel, binary: string | undefined): string[] {
  const { docker } = model;
  const lines: string[] = [];
  switch (docker.runtime) {
    case 'distroless':
      lines.push('# Runtime: distroless (no shell or package manager; CA certificates, time zones and the nonroot user).');
      break;
    case 'alpine':
      lines.push('# Runtime: Alpine with CA certificates, time zones and an unprivileged user (uid 65532).');
      break;
    case 'scratch':
      if (binary) {
        lines.push(
          '# Runtime: scratch, nothing but the binary (no registry needed). It has no CA certificates or time',
          '# zones: build the binary with -tags timetzdata if it needs time zones, and for outgoing TLS import',
          '# golang.org/x/crypto/x509roots/fallback or COPY a ca-certificates.crt to /etc/ssl/certs/.',
        );
      } else {
        lines.push(
          '# Runtime: scratch, nothing but the binary, CA certificates copied from the builder and',
          '# time zones compiled in (-tags timetzdata). No /etc/passwd, so the user is numeric.',
        );
      }
      break;
  }
  return lines;
}

function healthcheck(model: GenerateModel): string[] {
  const { app, docker } = model;
  if (app.healthType === 'process') {
    return [
      `# No HEALTHCHECK: healthCheck.type is process, so the service is healthy while it runs (Go Deploy checks it stays up ${app.healthForMs / 1000} s).`,
    ];
  }
  if (docker.runtime === 'alpine') {
    // Exec form: the path is an argument of its own ($1), never part of the script. The port
    // variable is read when the check runs (blue-green containers get another port).
    const port = app.portEnv !== null ? `\${${app.portEnv}}` : String(app.port);
    const check =
      app.healthType === 'tcp'
        ? ['/bin/sh', '-c', `nc -z 127.0.0.1 ${port} || exit 1`]
        : ['/bin/sh', '-c', `wget -q -O /dev/null "http://127.0.0.1:${port}$1" || exit 1`, 'healthcheck', app.healthPath];
    return [
      app.healthType === 'tcp'
        ? '# BusyBox nc checks that the port the service listens on accepts a connection.'
        : '# BusyBox wget checks the health endpoint on the port the service listens on.',
      `HEALTHCHECK --interval=30s --timeout=5s --start-period=${app.healthTimeoutSeconds}s --retries=3 \\`,
      `  CMD ${execForm(check)}`,
    ];
  }
  const what = app.healthType === 'tcp' ? `that port ${app.port} accepts a connection` : `GET ${app.healthPath}`;
  return [
    `# No HEALTHCHECK: the image has no shell or ${app.healthType === 'tcp' ? 'network tool' : 'HTTP client'} to run one. Check ${what}`,
    '# from outside (Go Deploy does after a deploy; Kubernetes uses probes).',
  ];
}

/** The builder image: builderImage as given when it names a tag or digest, else tagged with the go version. */
export function builderImage(model: GenerateModel): string {
  const image = model.docker.builderImage;
  if (image.includes('@') || /:[^/]+$/.test(image)) return image;
  // cgo: the builder's C library must match the runtime's (see runtimeComment).
  const variant = !model.app.cgo ? '' : model.docker.runtime === 'alpine' ? '-alpine' : '-bookworm';
  return `${image}:${model.app.goVersion}${variant}`;
}

/** The runtime image reference, or null for a literal `FROM scratch`. */
export function runtimeImage(model: GenerateModel): string | null {
  if (model.docker.runtimeImage) return model.docker.runtimeImage;
  switch (model.docker.runtime) {
    case 'distroless':
      return model.app.cgo ? runtimeImages.distrolessBase : runtimeImages.distrolessStatic;
    case 'alpine':
      return runtimeImages.alpine;
    case 'scratch':
      return null;
  }
}

/** ldflags for a double-quoted shell word, with {{.Version}}, {{.Commit}} and {{.Date}} as build ARGs. */
export function goLdflags(ldflags: string): string {
  const placeholders: Record<string, string> = { Version: '${VERSION}', Commit: '${REVISION}', Date: '${BUILD_DATE}' };
  return doubleQuoted(ldflags.trim()).replace(/\{\{\s*\.(Version|Commit|Date)\s*\}\}/g, (_, k: string) => placeholders[k]);
}

/** `https://<module>` when the module path starts with a host name (repository root for the big forges). */
export function sourceUrl(module: string): string {
  const parts = module.split('/');
  if (!parts[0].includes('.')) return '';
  const forge = ['github.com', 'gitlab.com', 'bitbucket.org', 'codeberg.org'].includes(parts[0]);
  const kept = forge ? parts.slice(0, 3) : parts.filter((p, i) => !(i === parts.length - 1 && i > 0 && /^v\d+$/.test(p)));
  return `https://${kept.join('/')}`;
}

function contextPath(p: string): string {
  const path = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (!path || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').includes('..') || !/^[A-Za-z0-9._/+-]+$/.test(path)) {
    throw usageError(
      `--from-binary ${JSON.stringify(p)} is not a plain path inside the build context`,
      'give the binary relative to the module folder, for example dist/hello_linux_amd64',
    );
  }
  return path;
}

/** A JSON array of words for exec-form CMD/ENTRYPOINT/HEALTHCHECK: each value one argument, escaped by JSON. */
function execForm(words: readonly string[]): string {
  return `[${words.map((w) => JSON.stringify(w)).join(', ')}]`;
}

function doubleQuoted(s: string): string {
  return s.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9._/+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
