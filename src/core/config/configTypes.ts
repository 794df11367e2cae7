// Generated from schemas/godeploy.schema.json by scripts/config-types.mjs: do not edit.
// Change the schema, then run `node scripts/config-types.mjs` (test/unit/config-types.test.ts fails while this file differs).
// model.ts gives these types the names the rest of the code uses.

/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "releaseFile".
 */
export type ReleaseFileConfig =
  | string
  | {
      /**
       * A path or glob relative to go.mod.
       */
      from: string;
      /**
       * Destination inside the release folder (a folder when it ends with / or the glob matches several files). Default: the same path as in the module.
       */
      to?: string;
      /**
       * Replace ${env:NAME} (and ${secret:…}) in the file's text at deploy time, with the same rules as app.env. Default false: shipped as is.
       */
      template?: boolean;
    };
/**
 * A place the service is deployed to. Its type decides which keys apply; a key of another type is reported and ignored.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "environment".
 */
export type EnvironmentConfig = SshEnvironmentConfig | LocalEnvironmentConfig | DockerEnvironmentConfig;
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "hook".
 */
export type HookConfig =
  | string
  | {
      /**
       * The shell command.
       */
      run: string;
      /**
       * all (default): every host. primary: once per deploy, on the first host of the rollout, under the deploy lock (database migrations).
       */
      on?: 'all' | 'primary';
      /**
       * Run on the deploying machine, in the module's folder, instead of on the hosts: preDeploy before the build, postDeploy after the deploy.
       */
      local?: boolean;
    };
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration = string;
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "args".
 */
export type Args = string[];
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "notify".
 */
export type NotifyConfig = WebhookConfig[];

/**
 * Go Deploy configuration. Lives next to go.mod.
 */
export interface GoDeployConfig {
  /**
   * The Go service being deployed.
   */
  app: {
    /**
     * Service, unit and container name. Default: the name go build gives the main package's binary (the last element of its import path, skipping a /v2, /v3… major-version suffix).
     */
    name?: string;
    /**
     * Main package to build, relative to go.mod (for example ./cmd/shop-api). Default: the module's only main package.
     */
    main?: string;
    /**
     * Arguments the service is started with, after the executable (for example [serve, --config, /etc/app.yml]); an environment's args replace them. Each arrives as written ($, %, quotes and spaces included): systemd ExecStart and supervisor command= quote them by their own rules, the Dockerfile puts them in CMD after the ENTRYPOINT, Kubernetes in the container's args, type local and docker containers on the command line. ${env:NAME} is read from the environment of the machine that runs generate or deploy, as app.env values are ($$ is a literal $); ${secret:…} is refused (argv is visible to every user of a host: pass secrets in app.env).
     */
    args?: Args;
    /**
     * Port the service listens on. It reaches the service as the environment variable app.portEnv (default PORT), or as the flag app.portFlag when that is set. With app.processes it is not used: each process listens on its own port (app.processes.NAME.port), and a warning says so.
     */
    port?: number;
    /**
     * Environment variable the service reads its port from (default PORT, none when only portFlag is set). Set it to the name the program reads, e.g. WHOAMI_PORT_NUMBER. It is set to the port in the systemd unit (Environment=), supervisor's environment=, the Dockerfile's ENV, the Kubernetes container's env and a deploy's env file and containers; a blue-green instance gets its own port. app.env may not set it.
     */
    portEnv?: string;
    /**
     * Command-line flag the service takes its port from, e.g. -port or --web.listen-address=:{port}. Without '=' the flag gets the port number (-port=8080); with '=' the text after it is the value, where {port} is replaced by the port. It goes before the args: in ExecStart (a blue-green template unit gives each instance its port, %i), supervisor's command=, the Dockerfile's CMD (the image's port), Kubernetes args and the command line of type local and docker containers. When set, the port is passed only this way unless portEnv is set too.
     */
    portFlag?: string;
    /**
     * HTTP check that gates every release switch.
     */
    healthCheck?: HealthCheckConfig;
    /**
     * Environment for the service in every environment.
     */
    env?: EnvMap;
    /**
     * Several processes deployed together as one release (an api and a worker, say): a map from a process name to its main, args, port and health check. They switch together: each is restarted and health-gated in the order written here, and a failure rolls all of them back. Without it the app is one process (app.main). Kamal calls these roles' commands; Procfile users know them as process types.
     */
    processes?: {
      [k: string]: ProcessConfig;
    };
    /**
     * Files shipped with every release, next to the executable (config files, templates, migrations): paths or globs relative to go.mod. Checked by sha256 on the host like the executable and reused from an earlier release when unchanged; copied into the image for docker environments. Capistrano and Deployer call files kept outside releases linked_files; these are inside each release instead, so a rollback brings the old ones back.
     */
    files?: ReleaseFileConfig[];
    /**
     * Folders that outlive releases (uploads, caches, SQLite data): relative paths kept under <path>/shared/ and linked into every release at the same relative path; created on the first deploy, never pruned or rolled back. Capistrano's linked_dirs, Deployer's shared_dirs.
     */
    shared?: string[];
  };
  /**
   * How the service is compiled.
   */
  build?: {
    /**
     * GOOS/GOARCH[/variant] list to build.
     */
    targets?: string[];
    /**
     * Linker flags; {{.Version}} is replaced by `git describe --tags --always --dirty`.
     */
    ldflags?: string;
    /**
     * Go build tags.
     */
    tags?: string[];
    /**
     * C compiler per target, for modules that need cgo (for example linux/arm64: aarch64-linux-gnu-gcc). This machine's own platform needs none.
     */
    cc?: {
      [k: string]: string;
    };
  };
  /**
   * Where the service is deployed, by name. Default: one environment `dev` of type local.
   */
  environments?: {
    [k: string]: EnvironmentConfig;
  };
  /**
   * Folder (relative to godeploy.yaml) with template overrides: Dockerfile.hbs, dockerignore.hbs, systemd.service.hbs, nginx.conf.hbs, supervisor.conf.hbs, k8s.yaml.hbs, github-actions.yml.hbs, gitlab-ci.yml.hbs (Handlebars, rendered with the same model as the built-in generators).
   */
  templates?: string;
  /**
   * How images are built (generate dockerfile, docker environments).
   */
  docker?: DockerImageConfig;
  /**
   * The generated systemd unit.
   */
  systemd?: SystemdConfig;
  /**
   * The generated nginx site.
   */
  nginx?: NginxConfig;
  /**
   * The generated supervisor program.
   */
  supervisor?: SupervisorConfig;
  /**
   * The generated Kubernetes manifests.
   */
  kubernetes?: KubernetesConfig;
  /**
   * Webhooks told after every deploy, rollback and failed deploy or rollback, in every environment (an environment's own notify list replaces this one): a generic JSON payload, or a Slack or Microsoft Teams message. A webhook that fails or does not answer is reported and never fails the deploy.
   */
  notify?: NotifyConfig;
}
/**
 * One process of the app: its own main package, arguments, port and health check. It runs as its own systemd unit, supervisor program, container or swarm service named <app.name>-<process>; the others' keys (app.main, app.args, …) are the defaults of what it leaves out.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "process".
 */
export interface ProcessConfig {
  /**
   * Main package of this process, relative to go.mod. Default: app.main, else the module's only main package. Processes sharing a main share its executable in the release.
   */
  main?: string;
  /**
   * Arguments of this process, after the executable (for example [work, --queue, default]). Default: app.args (an environment's args replace app.args, not these).
   */
  args?: Args;
  /**
   * Port this process listens on. Default: none (a process without a port gets no PORT, no nginx upstream and no Kubernetes Service, and its health check must be type process). Two processes cannot share a port. The generated nginx site and Kubernetes Ingress send traffic to the first process with a port.
   */
  port?: number;
  /**
   * Environment variable this process reads its port from (default: app.portEnv, else PORT).
   */
  portEnv?: string;
  /**
   * Command-line flag this process takes its port from (as app.portFlag).
   */
  portFlag?: string;
  /**
   * How this process proves it is healthy. Default: app.healthCheck for a process with a port, else type process.
   */
  healthCheck?: HealthCheckConfig;
  /**
   * Environment of this process only, over app.env and the environment's env.
   */
  env?: EnvMap;
  /**
   * systemd unit limits of this process (over the top-level systemd keys).
   */
  systemd?: {
    /**
     * MemoryMax= of this process's unit; its GOMEMLIMIT is 90% of it.
     */
    memoryMax?: string;
    /**
     * GOMAXPROCS of this process.
     */
    goMaxProcs?: number;
    /**
     * LimitNOFILE= of this process's unit.
     */
    limitNOFILE?: number;
  };
  /**
   * Kubernetes Deployment of this process (over the top-level kubernetes keys).
   */
  kubernetes?: {
    /**
     * Replicas of this process's Deployment (default: kubernetes.replicas).
     */
    replicas?: number;
  };
}
/**
 * type ssh: hosts reached over SSH, where systemd, supervisor or nothing runs the service.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "sshEnvironment".
 */
export interface SshEnvironmentConfig {
  /**
   * local (this machine), ssh (hosts reached over SSH) or docker (a Docker Engine).
   */
  type: 'ssh';
  /**
   * Hosts of an ssh environment.
   */
  hosts: HostConfig[];
  /**
   * known_hosts file used to verify host keys, relative to godeploy.yaml. Default ~/.ssh/known_hosts.
   */
  knownHostsFile?: string;
  /**
   * OpenSSH client config file for the hosts and their ProxyJump hops (read with ssh -G -F, instead of ~/.ssh/config), relative to godeploy.yaml. Default: OpenSSH's own.
   */
  sshConfigFile?: string;
  /**
   * Compress the SSH connections (zlib@openssh.com), for slow links. Default false.
   */
  compression?: boolean;
  /**
   * Send a host only the parts of a new executable that its live one lacks (content-defined chunks, known from when this machine built the live one), assembled and sha256-checked on the host; the whole file otherwise. false: always the whole file. Default true.
   */
  deltaUpload?: boolean;
  /**
   * Base folder on the target. Default /opt/<app.name> (for local: ~/.local/share/godeploy/<app.name>).
   */
  path?: string;
  /**
   * systemd, supervisor or none.
   */
  processManager?: 'systemd' | 'supervisor' | 'none';
  /**
   * How many releases to keep on each host. Default 5.
   */
  keepReleases?: number;
  /**
   * Environment for the service in this environment, added to app.env.
   */
  env?: EnvMap;
  /**
   * Arguments for this environment; the whole list replaces app.args (the port flag still comes first).
   */
  args?: Args;
  /**
   * Overrides of the top-level systemd settings for this environment.
   */
  systemd?: SystemdConfig;
  /**
   * Overrides of the top-level nginx settings for this environment.
   */
  nginx?: NginxConfig;
  /**
   * Overrides of the top-level supervisor settings for this environment.
   */
  supervisor?: SupervisorConfig;
  /**
   * How a release replaces the live one: restart (stop, switch, start; the default), blue-green (two instances on two ports behind nginx; the idle one is started, checked, then nginx switches all traffic to it) or canary (the new release starts beside the live one behind nginx and takes a growing share of real traffic in the steps of rollout.canary, judged from nginx's access log; a breach sends all traffic back and stops it).
   */
  strategy?: 'restart' | 'blue-green' | 'canary';
  /**
   * Ports of the two instances with strategy blue-green or canary.
   */
  blueGreen?: {
    /**
     * The two ports the blue and green instances listen on. Default [app.port + 1, app.port + 2]; nginx keeps listening where it does.
     *
     * @minItems 2
     * @maxItems 2
     */
    ports?: [number, number];
  };
  /**
   * How a deploy goes over the hosts of an ssh environment, and the steps of a canary release (strategy: canary).
   */
  rollout?: {
    /**
     * How many hosts are deployed at once. Default: all of them.
     */
    parallel?: number;
    /**
     * Rolling batches of this many hosts: each batch must pass its health gates before the next starts; a failing batch stops the rollout and rolls back the hosts already switched. Default: one batch of all hosts.
     */
    batch?: number;
    /**
     * strategy canary: the traffic steps, how each is judged, and stickiness. Default steps [{weight: 10, pause: 1m}, {weight: 50, pause: 1m}, {weight: 100}].
     */
    canary?: {
      /**
       * The canary's share of traffic, step by step: weights (percent) that increase and end at 100; each step before the last holds for its pause while its traffic is judged.
       */
      steps?: {
        /**
         * Percent of requests sent to the new release during this step (1 to 100).
         */
        weight: number;
        /**
         * How long the step holds before the next (required before the last step); at least analysis.window.
         */
        pause?: Duration;
      }[];
      /**
       * How each step's traffic is judged, from the nginx site's JSON access log: per version, requests, 5xx rate and p50/p95 latency.
       */
      analysis?: {
        /**
         * How much traffic one judgement covers: a window closes once it is this long and holds minRequests canary requests. Default 30s.
         */
        window?: Duration;
        /**
         * The highest share of the canary's requests answered with a 5xx (percent, 0 to 100). Default 1%.
         */
        maxErrorRate?: number | string;
        /**
         * The highest canary p95 latency as a multiple of the live release's p95 in the same window (latencies under 5 ms count as 5 ms). Default: not judged.
         */
        maxP95LatencyRatio?: number;
        /**
         * Canary requests a window needs before it is judged. Default 50.
         */
        minRequests?: number;
      };
      /**
       * cookie (default): a client keeps the version it was first sent to, by a cookie nginx sets; none: every request is split on its own.
       */
      sticky?: 'cookie' | 'none';
      /**
       * When a step's pause ends without a judged window and insufficientTrafficWait passes too: fail (default; the canary is aborted) or promote (the next step starts).
       */
      onInsufficientTraffic?: 'fail' | 'promote';
      /**
       * How long past a step's pause to wait for enough canary requests. Default 5m.
       */
      insufficientTrafficWait?: Duration;
    };
  };
  /**
   * Commands run with sh in the new release's folder with its environment: on every host (on: all, the default), once on the first host (on: primary), or on the deploying machine in the module's folder (local: true).
   */
  hooks?: {
    /**
     * Before the switch (for example database migrations); a failing command stops the deploy and the live release keeps serving.
     */
    preDeploy?: HookConfig[];
    /**
     * After the new release passed its health check; a failing command is reported (exit 1) but does not roll back.
     */
    postDeploy?: HookConfig[];
  };
  /**
   * Overrides of app.healthCheck for this environment.
   */
  healthCheck?: HealthCheckConfig;
  /**
   * Webhooks of this environment: the whole list replaces the top-level notify (notify: [] sends nothing from this environment).
   */
  notify?: NotifyConfig;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "host".
 */
export interface HostConfig {
  /**
   * An address or a Host alias from ~/.ssh/config.
   */
  host: string;
  /**
   * SSH port. Default: from ~/.ssh/config, else 22.
   */
  port?: number;
  /**
   * SSH user. Default: from ~/.ssh/config, else the current user.
   */
  user?: string;
  /**
   * Private key file. Default: from ~/.ssh/config and ssh-agent.
   */
  identityFile?: string;
  /**
   * The processes (app.processes names) this host runs. Default: all of them. Kamal's roles.
   */
  roles?: string[];
}
/**
 * type local: this machine, the service run as a process of the user.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "localEnvironment".
 */
export interface LocalEnvironmentConfig {
  /**
   * local (this machine), ssh (hosts reached over SSH) or docker (a Docker Engine).
   */
  type: 'local';
  /**
   * Base folder on the target. Default /opt/<app.name> (for local: ~/.local/share/godeploy/<app.name>).
   */
  path?: string;
  /**
   * How many releases to keep on each host. Default 5.
   */
  keepReleases?: number;
  /**
   * Environment for the service in this environment, added to app.env.
   */
  env?: EnvMap;
  /**
   * Arguments for this environment; the whole list replaces app.args (the port flag still comes first).
   */
  args?: Args;
  /**
   * Commands run with sh in the new release's folder with its environment: on every host (on: all, the default), once on the first host (on: primary), or on the deploying machine in the module's folder (local: true).
   */
  hooks?: {
    /**
     * Before the switch (for example database migrations); a failing command stops the deploy and the live release keeps serving.
     */
    preDeploy?: HookConfig[];
    /**
     * After the new release passed its health check; a failing command is reported (exit 1) but does not roll back.
     */
    postDeploy?: HookConfig[];
  };
  /**
   * Overrides of app.healthCheck for this environment.
   */
  healthCheck?: HealthCheckConfig;
  /**
   * Webhooks of this environment: the whole list replaces the top-level notify (notify: [] sends nothing from this environment).
   */
  notify?: NotifyConfig;
}
/**
 * type docker: a Docker Engine (local, tcp:// or ssh://) running the service as a container or a swarm service.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "dockerEnvironment".
 */
export interface DockerEnvironmentConfig {
  /**
   * local (this machine), ssh (hosts reached over SSH) or docker (a Docker Engine).
   */
  type: 'docker';
  /**
   * known_hosts file used to verify host keys, relative to godeploy.yaml. Default ~/.ssh/known_hosts.
   */
  knownHostsFile?: string;
  /**
   * OpenSSH client config file for the hosts and their ProxyJump hops (read with ssh -G -F, instead of ~/.ssh/config), relative to godeploy.yaml. Default: OpenSSH's own.
   */
  sshConfigFile?: string;
  /**
   * Compress the SSH connections (zlib@openssh.com), for slow links. Default false.
   */
  compression?: boolean;
  /**
   * How many releases to keep on each host. Default 5.
   */
  keepReleases?: number;
  /**
   * Environment for the service in this environment, added to app.env.
   */
  env?: EnvMap;
  /**
   * Arguments for this environment; the whole list replaces app.args (the port flag still comes first).
   */
  args?: Args;
  /**
   * Docker engine settings of a docker environment.
   */
  docker?: DockerConfig;
  /**
   * Overrides of the top-level nginx settings for this environment.
   */
  nginx?: NginxConfig;
  /**
   * How a release replaces the live one: restart (stop, switch, start; the default), blue-green (two instances on two ports behind nginx; the idle one is started, checked, then nginx switches all traffic to it) or canary (the new release starts beside the live one behind nginx and takes a growing share of real traffic in the steps of rollout.canary, judged from nginx's access log; a breach sends all traffic back and stops it).
   */
  strategy?: 'restart' | 'blue-green' | 'canary';
  /**
   * Ports of the two instances with strategy blue-green or canary.
   */
  blueGreen?: {
    /**
     * The two ports the blue and green instances listen on. Default [app.port + 1, app.port + 2]; nginx keeps listening where it does.
     *
     * @minItems 2
     * @maxItems 2
     */
    ports?: [number, number];
  };
  /**
   * Overrides of app.healthCheck for this environment.
   */
  healthCheck?: HealthCheckConfig;
  /**
   * Webhooks of this environment: the whole list replaces the top-level notify (notify: [] sends nothing from this environment).
   */
  notify?: NotifyConfig;
  /**
   * How a deploy goes over the hosts of an ssh environment, and the steps of a canary release (strategy: canary).
   */
  rollout?: {
    /**
     * How many hosts are deployed at once. Default: all of them.
     */
    parallel?: number;
    /**
     * Rolling batches of this many hosts: each batch must pass its health gates before the next starts; a failing batch stops the rollout and rolls back the hosts already switched. Default: one batch of all hosts.
     */
    batch?: number;
    /**
     * strategy canary: the traffic steps, how each is judged, and stickiness. Default steps [{weight: 10, pause: 1m}, {weight: 50, pause: 1m}, {weight: 100}].
     */
    canary?: {
      /**
       * The canary's share of traffic, step by step: weights (percent) that increase and end at 100; each step before the last holds for its pause while its traffic is judged.
       */
      steps?: {
        /**
         * Percent of requests sent to the new release during this step (1 to 100).
         */
        weight: number;
        /**
         * How long the step holds before the next (required before the last step); at least analysis.window.
         */
        pause?: Duration;
      }[];
      /**
       * How each step's traffic is judged, from the nginx site's JSON access log: per version, requests, 5xx rate and p50/p95 latency.
       */
      analysis?: {
        /**
         * How much traffic one judgement covers: a window closes once it is this long and holds minRequests canary requests. Default 30s.
         */
        window?: Duration;
        /**
         * The highest share of the canary's requests answered with a 5xx (percent, 0 to 100). Default 1%.
         */
        maxErrorRate?: number | string;
        /**
         * The highest canary p95 latency as a multiple of the live release's p95 in the same window (latencies under 5 ms count as 5 ms). Default: not judged.
         */
        maxP95LatencyRatio?: number;
        /**
         * Canary requests a window needs before it is judged. Default 50.
         */
        minRequests?: number;
      };
      /**
       * cookie (default): a client keeps the version it was first sent to, by a cookie nginx sets; none: every request is split on its own.
       */
      sticky?: 'cookie' | 'none';
      /**
       * When a step's pause ends without a judged window and insufficientTrafficWait passes too: fail (default; the canary is aborted) or promote (the next step starts).
       */
      onInsufficientTraffic?: 'fail' | 'promote';
      /**
       * How long past a step's pause to wait for enough canary requests. Default 5m.
       */
      insufficientTrafficWait?: Duration;
    };
  };
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "envMap".
 */
export interface EnvMap {
  [k: string]: string | number | boolean;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "docker".
 */
export interface DockerConfig {
  /**
   * Docker Engine address: unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://user@host.
   */
  host?: string;
  /**
   * bridge (default, publishes the port) or host.
   */
  network?: 'bridge' | 'host';
  /**
   * container (default) or swarm.
   */
  mode?: 'container' | 'swarm';
  /**
   * docker.mode swarm: how many tasks the service runs. Default 2.
   */
  replicas?: number;
  /**
   * docker.mode swarm: publish app.port through the swarm's routing mesh (default true); false for a service reached only on its overlay network.
   */
  publish?: boolean;
  /**
   * docker.mode swarm: an existing overlay network the service joins.
   */
  overlayNetwork?: string;
  /**
   * Registry (host[:port][/path]) the built image is pushed to and the engine pulls it from. Without it images travel straight to the engine.
   */
  registry?: string;
  /**
   * User name for docker.registry: a literal or a ${env:NAME} / ${secret:NAME} reference.
   */
  registryUser?: string;
  /**
   * Password or token for docker.registry, as a reference only: ${secret:NAME} (the editor's SecretStorage, the CLI's environment) or ${env:NAME}.
   */
  registryPassword?: string;
  /**
   * Runtime image: distroless (default), scratch or alpine.
   */
  runtime?: 'distroless' | 'scratch' | 'alpine';
  /**
   * binary (default: pack the cross-compiled binary) or dockerfile.
   */
  build?: 'binary' | 'dockerfile';
  /**
   * Memory limit of the container (docker run --memory); GOMEMLIMIT is set to 90% of it.
   */
  memory?: string;
  /**
   * Restart policy of the container: unless-stopped (default), always, on-failure or no.
   */
  restart?: 'unless-stopped' | 'always' | 'on-failure' | 'no';
  /**
   * Size at which the container's json-file log is rotated (max-size). Default 10m.
   */
  logMaxSize?: string;
  /**
   * How many rotated log files the engine keeps per container (max-file). Default 3.
   */
  logMaxFiles?: number;
  /**
   * Use BuildKit cache mounts for the module and build caches (default true); false writes a plain cached layer instead.
   */
  buildkit?: boolean;
  /**
   * Builder image name; its tag is the module's go version (a build ARG, so a mirror can be swapped in). Default golang.
   */
  builderImage?: string;
  /**
   * Runtime image reference overriding the one implied by runtime (a build ARG).
   */
  runtimeImage?: string;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "dockerImage".
 */
export interface DockerImageConfig {
  /**
   * Runtime image: distroless (default, static nonroot), scratch or alpine. Modules that need cgo get a runtime with a C library.
   */
  runtime?: 'distroless' | 'scratch' | 'alpine';
  /**
   * Use BuildKit cache mounts for the module and build caches (default true); false writes a plain cached layer instead.
   */
  buildkit?: boolean;
  /**
   * Builder image name; its tag is the module's go version (a build ARG, so a mirror can be swapped in). Default golang.
   */
  builderImage?: string;
  /**
   * Runtime image reference overriding the one implied by runtime (a build ARG).
   */
  runtimeImage?: string;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "systemd".
 */
export interface SystemdConfig {
  /**
   * Dedicated user the service runs as. Default: DynamicUser=yes.
   */
  user?: string;
  /**
   * MemoryMax= of the unit; GOMEMLIMIT is set to 90% of it.
   */
  memoryMax?: string;
  /**
   * GOMAXPROCS for the service.
   */
  goMaxProcs?: number;
  /**
   * LimitNOFILE= (default 65536).
   */
  limitNOFILE?: number;
  /**
   * How long the app may take to drain on SIGTERM; TimeoutStopSec is set above it. Default 10s.
   */
  stopTimeout?: Duration;
  /**
   * systemd version of the target; directives newer than it are left out. Default: all directives.
   */
  version?: number;
  /**
   * journald limits `godeploy setup` installs on each host (a drop-in /etc/systemd/journald.conf.d/<app>.conf, then journald restarts). Left alone when absent.
   */
  journal?: {
    /**
     * SystemMaxUse= of journald: how much disk the journal may take, such as 200M or 1G.
     */
    maxUse: string;
  };
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "nginx".
 */
export interface NginxConfig {
  /**
   * server_name (default _).
   */
  serverName?: string;
  /**
   * Port nginx listens on for HTTP (default 80).
   */
  listen?: number;
  /**
   * nginx version of the target, for syntax that changed (http2). Default 1.22.
   */
  version?: string;
  /**
   * Serve HTTPS (and redirect HTTP to it).
   */
  tls?: {
    /**
     * Certificate chain file. Default with certbot: /etc/letsencrypt/live/<serverName>/fullchain.pem.
     */
    certificate?: string;
    /**
     * Private key file. Default with certbot: /etc/letsencrypt/live/<serverName>/privkey.pem.
     */
    certificateKey?: string;
    /**
     * Use the certbot layout for the certificate paths and serve /.well-known/acme-challenge.
     */
    certbot?: boolean;
    /**
     * HTTPS port (default 443).
     */
    listen?: number;
    /**
     * Send Strict-Transport-Security (default true).
     */
    hsts?: boolean;
  };
  /**
   * Trusted proxies whose X-Forwarded-For is believed (set_real_ip_from).
   */
  realIpFrom?: string[];
  /**
   * Load balancing across upstreams: round-robin (default) or least_conn.
   */
  balance?: 'round-robin' | 'least_conn';
  /**
   * Backend instances (default: 127.0.0.1:<app.port>).
   */
  upstreams?: {
    address: string;
    weight?: number;
    backup?: boolean;
  }[];
  /**
   * client_max_body_size (default 10M); fractions are converted to a size nginx reads.
   */
  clientMaxBodySize?: string;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "supervisor".
 */
export interface SupervisorConfig {
  /**
   * User the program runs as (default: the app name).
   */
  user?: string;
  /**
   * Folder for the program's log files (default <path>/shared/logs).
   */
  logDir?: string;
  /**
   * How long the app may take to drain on SIGTERM (stopwaitsecs is set above it). Default 10s.
   */
  stopTimeout?: Duration;
  /**
   * supervisord.conf on the host: deploys run `supervisorctl -c` with it and install the program into the conf.d folder next to it. Default /etc/supervisor/supervisord.conf.
   */
  configFile?: string;
}
/**
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "kubernetes".
 */
export interface KubernetesConfig {
  /**
   * Image reference the Deployment runs (default <app.name>:latest).
   */
  image?: string;
  /**
   * Namespace of every object (default: none, the kubectl context's).
   */
  namespace?: string;
  /**
   * Replicas (default 2).
   */
  replicas?: number;
  /**
   * Resource requests (default cpu 100m, memory 128Mi).
   */
  requests?: {
    cpu?: string;
    memory?: string;
  };
  /**
   * Resource limits (default memory 256Mi); GOMEMLIMIT is 90% of the memory limit.
   */
  limits?: {
    cpu?: string;
    memory?: string;
  };
  /**
   * Add an Ingress.
   */
  ingress?: {
    host: string;
    className?: string;
    tlsSecret?: string;
  };
  /**
   * Add a HorizontalPodAutoscaler.
   */
  autoscaling?: {
    minReplicas?: number;
    maxReplicas?: number;
    /**
     * Target average CPU utilisation in percent (default 80).
     */
    targetCPU?: number;
  };
}
/**
 * How a release proves it is healthy before it takes traffic.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "healthCheck".
 */
export interface HealthCheckConfig {
  /**
   * http (default): GET healthCheck.path must answer 2xx. tcp: the port must accept a TCP connection (gRPC and other non-HTTP servers). process: the process must stay up for healthCheck.for (workers with no port).
   */
  type?: 'http' | 'tcp' | 'process';
  /**
   * Path of an HTTP GET that must answer 2xx once a release is up (type http).
   */
  path?: string;
  /**
   * How long a release may take to become healthy. Default 30s.
   */
  timeout?: Duration;
  /**
   * Time between health polls once the first 2 s have passed (the first checks come after 10, 20, 40, then every 50 ms). Default 1s.
   */
  interval?: Duration;
  /**
   * type process: how long the process must stay up to count as healthy. Default 5s.
   */
  for?: Duration;
}
/**
 * A webhook POSTed a JSON document (10 s timeout by default) once the deploy or rollback has ended; its answer (HTTP status, or why it failed) is printed with the result, the URL never.
 *
 * This interface was referenced by `GoDeployConfig`'s JSON-Schema
 * via the `definition` "webhook".
 */
export interface WebhookConfig {
  /**
   * Where to POST: ${secret:NAME} (the editor's SecretStorage, the CLI's environment) or ${env:NAME}, resolved like env values. A literal http(s) URL works, but validate warns: webhook URLs carry their token.
   */
  url: string;
  /**
   * generic (default): {event, environment, app, release, version, who (user@machine that deployed), startedAt, finishedAt, durationMs, result (live, unchanged, rolled-back, failed or cancelled), ok, hosts [{host, address, result, release (rollbacks), error}], error, warnings}; slack: a Slack incoming-webhook message ({text, blocks}); teams: a Microsoft Teams Workflows or incoming-webhook message holding an Adaptive Card.
   */
  format?: 'generic' | 'slack' | 'teams';
  /**
   * When to send: deploy (a deploy went live or found nothing to change), rollback (a rollback went live), failure (a deploy or rollback failed or was cancelled). Default: all three.
   */
  on?: ('deploy' | 'rollback' | 'failure')[];
  /**
   * How long to wait for the webhook's answer before reporting it as failed. Default 10s.
   */
  timeout?: Duration;
}
