import { argsSource, configuredArgs, portReach } from '../config/launch';
import { canaryPolicyOf } from '../release/canary/policy';
import type { CanaryPolicy } from '../release/canary/types';
import type {
  DockerConfig,
  EnvironmentConfig,
  GoDeployConfig,
  HealthCheckType,
  KubernetesConfig,
  NginxConfig,
  RuntimeKind,
  SupervisorConfig,
  SystemdConfig,
} from '../config/model';
import { dockerOf, embeddedDefaultEnvironment, environmentNamed } from '../config/model';
import { scanReferences } from '../config/references';
import { parseDuration } from '../config/semantic';
import { usageError } from '../errors';
import { buildSourceOf, type BuildSource } from './buildSource';
import { defaultAppName, type ModuleInspection } from '../gomod/inspect';
import { buildCiModel, type CiModel, type CiModelOptions } from './ci/model';
import { buildProcesses, type ProcessModel } from './processList';

/** One entry of app.files: a path or glob relative to go.mod, where it goes in the release, and whether its text is templated. */
export interface ReleaseFileModel {
  from: string;
  /** Destination inside the release; null: the same relative path as in the module. */
  to: string | null;
  template: boolean;
}

/**
 * Everything a generator needs, with every default applied. Generators are pure
 * functions of this model; user templates (Handlebars) receive the same object.
 */
export interface GenerateModel {
  app: {
    name: string;
    module: string;
    /** Main package, "./cmd/api" or ".". */
    main: string;
    /**
     * Arguments after the executable (the environment's `args`, else app.args), without the
     * port flag: the values the program receives once `argsPending` is false.
     */
    args: string[];
    /** `app.args` or `environments.NAME.args`: where `args` came from, for messages. */
    argsFrom: string;
    /** `args` still hold ${env:…} references, as written: resolveModelArgs (args.ts) reads them. */
    argsPending: boolean;
    /** The port it listens on; 0 for a process of app.processes without one (listens false). */
    port: number;
    /** False for a process without a port (a worker): no PORT, no upstream, no Service, health type process. */
    listens: boolean;
    /** The executable's file name in a release (app.name, or the process's main's name for a process of app.processes). */
    executable: string;
    /** Environment variable the port reaches the service as (app.portEnv, default PORT), or null when it goes only by flag. */
    portEnv: string | null;
    /** app.portFlag as written (`-port`, `--listen=:{port}`), or null. */
    portFlag: string | null;
    /** How a release proves it is healthy: http (GET healthPath), tcp (a connect to the port), process (stays up for healthForMs). */
    healthType: HealthCheckType;
    healthPath: string;
    /** type process: milliseconds the process must stay up (healthCheck.for, default 5 s). */
    healthForMs: number;
    /** Seconds a release may take to become healthy. */
    healthTimeoutSeconds: number;
    /** Milliseconds between health polls. */
    healthIntervalMs: number;
    /** go.mod's go line, e.g. "1.21" (builder image tag). */
    goVersion: string;
    cgo: boolean;
    /** Why cgo is needed, "file:line reason" each. */
    cgoReasons: string[];
    embed: boolean;
    sdNotify: boolean;
  };
  build: {
    /** Linker flags with {{.Version}} etc. left in place for the build step to fill. */
    ldflags: string;
    tags: string[];
  };
  /** What a Docker build of the module reads: vendor/, or a context above the module (go.work workspace, replaced modules). */
  source: BuildSource;
  /**
   * The processes deployed together (app.processes in order; one named app.name without it).
   * modelOfProcess (processes.ts) gives each its own model: generators take those.
   */
  processes: ProcessModel[];
  /** app.files: what ships inside each release besides the executables. */
  files: ReleaseFileModel[];
  /** app.shared: folders under <base>/shared/ linked into every release (relative paths). */
  shared: string[];
  /** Plain (non-secret) environment values for the service: app.env merged with the environment's env. */
  env: Record<string, string>;
  /** Names whose values come from `${secret:…}`/`${env:…}` at deploy time (kept out of generated files). */
  runtimeEnvNames: string[];
  /** The environment the files are for, if one was named. */
  environment: string | null;
  paths: {
    /** Base folder on the target: releases/, current, shared/. */
    base: string;
    /** The executable of the live release: <base>/current/<name>. */
    binary: string;
    /** The env file (mode 0600): <base>/shared/<name>.env. */
    envFile: string;
    /** Folder for log files of the app (supervisor, local). */
    logDir: string;
  };
  docker: { runtime: RuntimeKind; buildkit: boolean; builderImage: string; runtimeImage: string | null };
  systemd: {
    user: string | null;
    memoryMax: string | null;
    goMemLimit: string | null;
    goMaxProcs: number | null;
    limitNOFILE: number;
    stopTimeoutSeconds: number;
    version: number | null;
  };
  nginx: {
    serverName: string;
    listen: number;
    version: string;
    tls: { certificate: string; certificateKey: string; certbot: boolean; listen: number; hsts: boolean } | null;
    realIpFrom: string[];
    balance: 'round-robin' | 'least_conn';
    upstreams: { address: string; weight: number; backup: boolean }[];
    /** strategy blue-green: the upstream's servers come from this file, which each deploy rewrites. */
    upstreamInclude: string | null;
    /**
     * strategy canary: the file (included at http level) holding the app's upstreams, the
     * weighted split between the live and the canary instance, the sticky cookie and the JSON
     * log format; each step of a rollout rewrites it.
     */
    canaryInclude: string | null;
    /** strategy canary: the JSON access log the analysis reads (Debian's logrotate rule for /var/log/nginx/*.log rotates it). */
    accessLog: string | null;
    /** `godeploy maintenance on` writes this file (server level; the site includes it by a glob, so its absence is "off"). */
    maintenanceInclude: string;
    /** The page maintenance mode answers with (503). */
    maintenancePage: string;
    clientMaxBodySize: string;
  };
  /** strategy blue-green or canary: the two ports the instances take turns on; null for restart. */
  blueGreen: { ports: [number, number] } | null;
  /** strategy canary: rollout.canary with its defaults; null for the other strategies. */
  canary: CanaryPolicy | null;
  supervisor: { user: string; logDir: string; stopTimeoutSeconds: number; configFile: string };
  kubernetes: {
    image: string;
    namespace: string | null;
    replicas: number;
    requests: { cpu: string; memory: string };
    limits: { cpu: string | null; memory: string };
    goMemLimit: string;
    ingress: { host: string; className: string | null; tlsSecret: string | null } | null;
    autoscaling: { minReplicas: number; maxReplicas: number; targetCPU: number } | null;
  };
  /** CI pipelines (github-actions, gitlab-ci): the repository, the godeploy to install, the environment to deploy to. */
  ci: CiModel;
}

export interface ModelOptions {
  /** Environment whose overrides apply (its path, env, docker/systemd/nginx/supervisor keys). */
  environment?: string;
  /** `--runtime` on the CLI: wins over the config. */
  runtime?: RuntimeKind;
  /** For CI pipelines: where the module is in its repository (findCiRepository) and the godeploy version; the environment is `environment`. */
  ci?: Omit<CiModelOptions, 'environment'>;
}

/** Builds the model from a validated config and the module's inspection. */
export function buildGenerateModel(config: GoDeployConfig, inspection: ModuleInspection, options: ModelOptions = {}): GenerateModel {
  const environments = config.environments ?? embeddedDefaultEnvironment;
  let env: EnvironmentConfig | undefined;
  if (options.environment !== undefined) {
    env = environmentNamed(config, options.environment);
    if (!env) throw usageError(`no environment "${options.environment}" in godeploy.yaml`, `environments: ${Object.keys(environments).join(', ') || '(none)'}`);
  }
  // Several processes without app.main: the first one's main names the app's (its default name).
  const firstProcessMain = config.app.main ? undefined : Object.values(config.app.processes ?? {}).find((p) => p.main)?.main;
  const main = firstProcessMain ? firstProcessMain.replace(/\/+$/, '') || '.' : resolveMain(config, inspection);
  const name = config.app.name ?? defaultAppName(inspection, main);
  // Several processes: the app's port is the first process's with one (the one nginx and an Ingress send traffic to).
  const firstProcessPort = Object.values(config.app.processes ?? {}).find((p) => p.port !== undefined)?.port;
  const port = firstProcessPort ?? config.app.port ?? inspection.port ?? 8080;
  // A local environment runs as the user on this machine: its releases live in the user's data folder.
  // Each key is read where its type takes it (a key of another type is ignored: validation warns).
  const ssh = env?.type === 'ssh' ? env : undefined;
  const hosts = env?.type === 'ssh' || env?.type === 'local' ? env : undefined;
  const proxied = env && env.type !== 'local' ? env : undefined; // ssh and docker: nginx in front, blue-green
  const base = hosts?.path ?? (env?.type === 'local' ? `~/.local/share/godeploy/${name}` : `/opt/${name}`);
  const { plain, runtime } = splitEnv({ ...(config.app.env ?? {}), ...(env?.env ?? {}) });
  const source = buildSourceOf(inspection);
  const rawArgs = configuredArgs(config.app, env);
  const argsPending = rawArgs.some((a) => scanReferences(a).references.length > 0);
  const reach = portReach(config.app);
  const health = { ...config.app.healthCheck, ...env?.healthCheck };
  const systemd: SystemdConfig = { ...config.systemd, ...ssh?.systemd };
  const nginx: NginxConfig = { ...config.nginx, ...proxied?.nginx };
  const supervisor: SupervisorConfig = { ...config.supervisor, ...ssh?.supervisor };
  const k8s: KubernetesConfig = config.kubernetes ?? {};
  const docker = { ...config.docker, ...pickImageKeys(env && dockerOf(env)) };
  const logDir = supervisor.logDir ?? `${base}/shared/logs`;
  const k8sMemory = k8s.limits?.memory ?? '256Mi';
  const serverName = nginx.serverName ?? '_';
  // A workspace builds with go.work's go line when it is the newer one.
  const goVersion = newerMinor(
    goMinor(inspection.goVersion),
    source.context?.workspace != null && inspection.work?.goVersion ? goMinor(inspection.work.goVersion) : null,
  );
  const app: GenerateModel['app'] = {
    name,
    module: inspection.module,
    main,
    args: argsPending ? rawArgs : rawArgs.map((a) => a.replace(/\$\$/g, '$')),
    argsFrom: argsSource(env, options.environment),
    argsPending,
    port,
    portEnv: reach.env,
    portFlag: reach.flag,
    healthType: health.type ?? 'http',
    healthPath: health.path ?? inspection.healthPath ?? '/healthz',
    healthForMs: parseDuration(health.for ?? '5s') ?? 5000,
    healthTimeoutSeconds: seconds(env?.healthCheck?.timeout ?? config.app.healthCheck?.timeout, 30),
    healthIntervalMs: parseDuration(env?.healthCheck?.interval ?? config.app.healthCheck?.interval ?? '1s') ?? 1000,
    goVersion,
    cgo: inspection.cgo,
    cgoReasons: inspection.cgoReasons.map((r) => `${r.file}:${r.line} ${r.reason}`),
    embed: inspection.embed,
    sdNotify: inspection.sdNotify !== null,
    listens: true,
    executable: name,
  };
  const processes = buildProcesses(
    config,
    env,
    app,
    { plain, runtime },
    (m) => (m ? m.replace(/\/+$/, '') || '.' : resolveMain(config, inspection)),
    splitEnv,
    parseDuration,
  );
  return {
    app,
    processes,
    files: (config.app.files ?? []).map((f) =>
      typeof f === 'string' ? { from: f, to: null, template: false } : { from: f.from, to: f.to ?? null, template: f.template ?? false },
    ),
    shared: (config.app.shared ?? []).map((d) => d.replace(/\/+$/, '')),
    build: { ldflags: config.build?.ldflags ?? '-s -w', tags: config.build?.tags ?? [] },
    source,
    env: plain,
    runtimeEnvNames: runtime,
    environment: options.environment ?? null,
    paths: { base, binary: `${base}/current/${name}`, envFile: `${base}/shared/${name}.env`, logDir },
    docker: {
      runtime: options.runtime ?? docker.runtime ?? 'distroless',
      buildkit: docker.buildkit ?? true,
      builderImage: docker.builderImage ?? 'golang',
      runtimeImage: docker.runtimeImage ?? null,
    },
    systemd: {
      user: systemd.user ?? null,
      memoryMax: systemd.memoryMax ?? null,
      goMemLimit: systemd.memoryMax ? ninetyPercent(systemd.memoryMax, 'binary') : null,
      goMaxProcs: systemd.goMaxProcs ?? null,
      limitNOFILE: systemd.limitNOFILE ?? 65536,
      stopTimeoutSeconds: seconds(systemd.stopTimeout, 10),
      version: systemd.version ?? null,
    },
    nginx: {
      serverName,
      listen: nginx.listen ?? 80,
      version: nginx.version ?? '1.22',
      tls: nginx.tls
        ? {
            certbot: nginx.tls.certbot ?? false,
            certificate: nginx.tls.certificate ?? `/etc/letsencrypt/live/${serverName}/fullchain.pem`,
            certificateKey: nginx.tls.certificateKey ?? `/etc/letsencrypt/live/${serverName}/privkey.pem`,
            listen: nginx.tls.listen ?? 443,
            hsts: nginx.tls.hsts ?? true,
          }
        : null,
      realIpFrom: nginx.realIpFrom ?? [],
      balance: nginx.balance ?? 'round-robin',
      upstreams: (nginx.upstreams ?? [{ address: `127.0.0.1:${port}` }]).map((u) => ({ address: u.address, weight: u.weight ?? 1, backup: u.backup ?? false })),
      upstreamInclude: proxied?.strategy === 'blue-green' ? `/etc/nginx/godeploy/${name}.upstream.conf` : null,
      canaryInclude: proxied?.strategy === 'canary' ? `/etc/nginx/godeploy/${name}.canary.conf` : null,
      accessLog: proxied?.strategy === 'canary' ? `/var/log/nginx/${name}.godeploy-access.log` : null,
      maintenanceInclude: `/etc/nginx/godeploy/${name}.maintenance.conf`,
      maintenancePage: `/etc/nginx/godeploy/${name}.maintenance.html`,
      clientMaxBodySize: nginx.clientMaxBodySize ?? '10M',
    },
    blueGreen: proxied?.strategy === 'blue-green' || proxied?.strategy === 'canary' ? { ports: proxied.blueGreen?.ports ?? [port + 1, port + 2] } : null,
    canary: proxied?.strategy === 'canary' ? canaryPolicyOf(proxied.rollout?.canary) : null,
    supervisor: {
      user: supervisor.user ?? name,
      logDir,
      stopTimeoutSeconds: seconds(supervisor.stopTimeout, 10),
      configFile: supervisor.configFile ?? '/etc/supervisor/supervisord.conf',
    },
    kubernetes: {
      image: k8s.image ?? `${name}:latest`,
      namespace: k8s.namespace ?? null,
      replicas: k8s.replicas ?? 2,
      requests: { cpu: k8s.requests?.cpu ?? '100m', memory: k8s.requests?.memory ?? '128Mi' },
      limits: { cpu: k8s.limits?.cpu ?? null, memory: k8sMemory },
      goMemLimit: ninetyPercent(k8sMemory, 'kubernetes'),
      ingress: k8s.ingress ? { host: k8s.ingress.host, className: k8s.ingress.className ?? null, tlsSecret: k8s.ingress.tlsSecret ?? null } : null,
      autoscaling: k8s.autoscaling ? autoscalingOf(k8s) : null,
    },
    ci: buildCiModel(config, goVersion, { ...options.ci, environment: options.environment }),
  };
}

/** app.main, or the module's only main package; several without app.main is an error listing them. */
export function resolveMain(config: GoDeployConfig, inspection: ModuleInspection): string {
  if (config.app.main) return config.app.main.replace(/\/+$/, '') || '.';
  if (inspection.mains.length === 1) return inspection.mains[0];
  if (inspection.mains.length === 0)
    throw usageError(`${inspection.module} has no main package to deploy`, 'add a package main with a func main(), or set app.main');
  throw usageError(
    `${inspection.module} has ${inspection.mains.length} main packages: ${inspection.mains.join(', ')}`,
    `set app.main in godeploy.yaml to one of them, for example: main: ${inspection.mains[0]}`,
  );
}

function pickImageKeys(d: DockerConfig | undefined) {
  if (!d) return {};
  const out: Record<string, unknown> = {};
  for (const k of ['runtime', 'buildkit', 'builderImage', 'runtimeImage'] as const) if (d[k] !== undefined) out[k] = d[k];
  return out;
}

/** Literal values go into generated files; values with references are resolved at deploy time. */
function splitEnv(env: Record<string, string | number | boolean>): { plain: Record<string, string>; runtime: string[] } {
  const plain: Record<string, string> = {};
  const runtime: string[] = [];
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    const s = String(v);
    if (typeof v === 'string' && scanReferences(s).references.length) runtime.push(k);
    else plain[k] = s.replace(/\$\$/g, '$');
  }
  return { plain, runtime };
}

function seconds(duration: string | undefined, fallback: number): number {
  const ms = duration ? parseDuration(duration) : undefined;
  return ms === undefined ? fallback : Math.max(1, Math.ceil(ms / 1000));
}

function newerMinor(a: string, b: string | null): string {
  if (b === null) return a;
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return bm > am || (bm === am && bn > an) ? b : a;
}

function goMinor(version: string | null): string {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  return m ? `${m[1]}.${m[2]}` : '1.22';
}

function autoscalingOf(k8s: KubernetesConfig): GenerateModel['kubernetes']['autoscaling'] {
  const minReplicas = k8s.autoscaling?.minReplicas ?? k8s.replicas ?? 2;
  return { minReplicas, maxReplicas: k8s.autoscaling?.maxReplicas ?? Math.max(10, minReplicas), targetCPU: k8s.autoscaling?.targetCPU ?? 80 };
}

/**
 * 90% of a memory size, in the unit Go's GOMEMLIMIT understands (MiB), leaving room for
 * non-heap memory. systemd reads K/M/G as powers of 1024; Kubernetes reads K/M/G as powers
 * of 1000 and Ki/Mi/Gi as powers of 1024.
 */
export function ninetyPercent(size: string, convention: 'binary' | 'kubernetes'): string {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(size);
  if (!m) throw usageError(`cannot read the memory size ${JSON.stringify(size)}`, 'use a size such as 512M or 1Gi');
  const suffix = m[2] ?? '';
  const power = ' KMGT'.indexOf(suffix[0] ?? ' ');
  const base = suffix.endsWith('i') || convention === 'binary' ? 1024 : 1000;
  const bytes = Number(m[1]) * base ** Math.max(0, power);
  return `${Math.max(1, Math.floor((bytes * 0.9) / 1024 ** 2))}MiB`;
}
