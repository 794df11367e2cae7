// The part of the generator model a CI pipeline needs: where the module sits in the
// repository, which godeploy to install, and for each environment the pipeline deploys to,
// the files godeploy reads the SSH key and the hosts' keys from (so the pipeline writes its
// secrets exactly there) and the ${secret:…}/${env:…} names the deploy reads.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig, GoDeployConfig } from '../../config/model';
import { dockerOf, embeddedDefaultEnvironment, environmentNamed, hostsOf } from '../../config/model';
import { scanReferences } from '../../config/references';
import { usageError } from '../../errors';

/** A file godeploy reads, as written in godeploy.yaml (or its default) and as a shell word for the pipeline's script. */
export interface CiPath {
  /** `~/.ssh/known_hosts`, `./known_hosts`: as godeploy.yaml says it, or the default. */
  display: string;
  /**
   * The same file for a POSIX shell running in godeploy.yaml's folder: `"$HOME"/'.ssh/known_hosts'`
   * (godeploy expands `~` to $HOME), a relative path relative to that folder, as godeploy reads it.
   */
  shell: string;
}

export interface CiDeploy {
  /** The environment's name in godeploy.yaml: `godeploy deploy <environment>`. */
  environment: string;
  /** local, ssh or docker. */
  type: EnvironmentConfig['type'];
  /** What the deploy connects to, for comments: `root@web1:2222`, `ssh://deploy@engine`, `the CI runner itself`. */
  targets: string[];
  /**
   * What godeploy reads when it connects over SSH; null when the deploy uses no SSH (type local, or
   * a docker engine that is not ssh://).
   */
  ssh: {
    /** The environment's knownHostsFile, else ~/.ssh/known_hosts. */
    knownHostsFile: CiPath;
    /** Each distinct identityFile of the hosts; ~/.ssh/id_ed25519 (one of OpenSSH's default names) for hosts without one. */
    identityFiles: CiPath[];
    /** `ssh-keyscan -p 2222 web1`: the command that prints each host's known_hosts lines (to check before trusting). */
    keyscan: string[];
  } | null;
  /** Names the deploy reads from its environment: `${secret:NAME}` (a CI secret) … */
  secrets: string[];
  /** … and `${env:NAME}` (a CI variable). */
  variables: string[];
}

export interface CiModel {
  /** The version of godeploy that wrote the pipeline ("dev" for a development build). */
  godeployVersion: string;
  /** What the pipeline installs with `npm install --global` unless GODEPLOY_PACKAGE says otherwise: go-deploy@<version>. */
  npmPackage: string;
  /** godeploy.yaml's folder relative to the repository's root, with `/`; '.' at the root. The go and godeploy steps run there. */
  workingDirectory: string;
  /** go.mod relative to the repository's root (setup-go reads the Go version from it). */
  goMod: string;
  /** go.sum relative to the repository's root, or null when the module has none (no dependencies). */
  goSum: string | null;
  /** The golang image for GitLab: go.mod's go line, `golang:1.22`. */
  goImage: string;
  /** One deploy job each. */
  deploys: CiDeploy[];
}

/** Where the module is in its repository: found on disk by the CLI and the editor, then handed to the (pure) model. */
export interface CiRepository {
  /** The repository's root folder (absolute): the nearest folder up from the module holding `.git`, else the module's folder. */
  root: string;
  /** godeploy.yaml's folder relative to the root, with `/`; '.' at the root. */
  workingDirectory: string;
  /** The module has a go.sum. */
  goSum: boolean;
}

/** The npm package of the CLI; `godeploy` is its command. */
export const NPM_PACKAGE = 'go-deploy';

/** One of the names OpenSSH's client tries by default (`ssh -G` lists them), so godeploy reads a key written there. */
export const DEFAULT_IDENTITY_FILE = '~/.ssh/id_ed25519';
const DEFAULT_KNOWN_HOSTS_FILE = '~/.ssh/known_hosts';

declare const GODEPLOY_VERSION: string | undefined;

/** This godeploy's version: the build defines it in every bundle; "dev" when running from out/ (tests). */
export function godeployVersion(): string {
  return typeof GODEPLOY_VERSION === 'string' ? GODEPLOY_VERSION : 'dev';
}

/** Finds the repository the module folder is in (a `.git` folder or file, as in worktrees and submodules). */
export async function findCiRepository(moduleDir: string): Promise<CiRepository> {
  const start = path.resolve(moduleDir);
  let root = start;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) {
      root = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const relative = path.relative(root, start).split(path.sep).join('/');
  return { root, workingDirectory: relative || '.', goSum: await exists(path.join(start, 'go.sum')) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

export interface CiModelOptions {
  /** The environment to deploy to (`--env`); default: the first ssh environment, else the first docker one, else none. */
  environment?: string;
  repository?: Omit<CiRepository, 'root'>;
  godeployVersion?: string;
}

/**
 * The environment a pipeline deploys to when none is named: the first of type ssh, else the
 * first other one that is not this machine. Never a `type: local` one: on a hosted runner that
 * deploys to a machine thrown away when the job ends (a self-hosted runner that is the server
 * names it with --env).
 */
export function defaultCiEnvironment(config: Pick<GoDeployConfig, 'environments'>): string | undefined {
  const entries = Object.entries(config.environments ?? embeddedDefaultEnvironment);
  return (entries.find(([, e]) => e.type === 'ssh') ?? entries.find(([, e]) => e.type !== 'local'))?.[0];
}

export function buildCiModel(config: GoDeployConfig, goVersion: string, options: CiModelOptions = {}): CiModel {
  const version = options.godeployVersion ?? godeployVersion();
  const repository = options.repository ?? { workingDirectory: '.', goSum: true };
  const wd = repository.workingDirectory;
  const inRepo = (file: string): string => (wd === '.' ? file : `${wd}/${file}`);
  const name = options.environment ?? defaultCiEnvironment(config);
  const deploys: CiDeploy[] = [];
  if (name !== undefined) {
    const env = environmentNamed(config, name);
    if (!env) {
      throw usageError(`no environment "${name}" in godeploy.yaml`, `environments: ${Object.keys(config.environments ?? {}).join(', ') || '(none)'}`);
    }
    deploys.push(ciDeploy(config, name, env));
  }
  return {
    godeployVersion: version,
    npmPackage: /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version) ? `${NPM_PACKAGE}@${version}` : NPM_PACKAGE,
    workingDirectory: wd,
    goMod: inRepo('go.mod'),
    goSum: repository.goSum ? inRepo('go.sum') : null,
    goImage: `golang:${goVersion}`,
    deploys,
  };
}

function ciDeploy(config: GoDeployConfig, name: string, env: EnvironmentConfig): CiDeploy {
  const refs = referencesOf({ ...config, environments: { [name]: env } });
  const hosts = hostsOf(env);
  const engine = sshEngine(dockerOf(env)?.host);
  const targets = hosts.length
    ? hosts.map((h) => `${h.user ? `${h.user}@` : ''}${h.host}${h.port !== undefined ? `:${h.port}` : ''}`)
    : engine
      ? [engine.url]
      : [env.type === 'local' ? 'the CI runner itself' : (dockerOf(env)?.host ?? 'the Docker engine of DOCKER_HOST, else the local socket')];
  const endpoints = hosts.length ? hosts.map((h) => ({ host: h.host, port: h.port, identityFile: h.identityFile })) : engine ? [engine] : [];
  const knownHosts = env.type === 'local' ? undefined : env.knownHostsFile;
  return {
    environment: name,
    type: env.type,
    targets,
    ssh: endpoints.length
      ? {
          knownHostsFile: ciPath(knownHosts ?? DEFAULT_KNOWN_HOSTS_FILE),
          identityFiles: [...new Set(endpoints.map((e) => e.identityFile ?? DEFAULT_IDENTITY_FILE))].map(ciPath),
          keyscan: [...new Set(endpoints.map((e) => `ssh-keyscan ${e.port !== undefined && e.port !== 22 ? `-p ${e.port} ` : ''}${e.host}`))],
        }
      : null,
    secrets: refs.secret,
    variables: refs.env,
  };
}

/** An ssh:// docker.host (the engine reached over SSH), or undefined. */
function sshEngine(host: string | undefined): { url: string; host: string; port?: number; identityFile?: undefined } | undefined {
  const m = host ? /^ssh:\/\/(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?/.exec(host) : null;
  return m ? { url: host!, host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : undefined } : undefined;
}

/** Every `${secret:NAME}` and `${env:NAME}` in the config's string values, sorted, each once. */
function referencesOf(value: unknown): { secret: string[]; env: string[] } {
  const found = { secret: new Set<string>(), env: new Set<string>() };
  const visit = (v: unknown): void => {
    if (typeof v === 'string') for (const r of scanReferences(v).references) found[r.kind].add(r.name);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit);
  };
  visit(value);
  return { secret: [...found.secret].sort(), env: [...found.env].sort() };
}

/** The file as godeploy finds it (expandHome: `~/` is $HOME, a relative path is relative to godeploy.yaml's folder), as a shell word. */
function ciPath(p: string): CiPath {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  if (p === '~') return { display: p, shell: '"$HOME"' };
  if (p.startsWith('~/')) return { display: p, shell: `"$HOME"/${quote(p.slice(2))}` };
  return { display: p, shell: quote(p) };
}
