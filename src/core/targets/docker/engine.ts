// A Docker Engine to talk to, through dockerode: `docker.host` of the environment, else
// DOCKER_HOST, else the local socket. unix:// and tcp:// (TLS files from DOCKER_CERT_PATH
// when DOCKER_TLS_VERIFY is set, as the docker CLI does), and ssh://user@host[:port][/socket]:
// the engine's unix socket on that host reached through the deploy engine's own ssh2
// connection (streamlocal forwarding, one channel per API request, handed to dockerode as
// the http agent's connections), so neither an ssh-agent nor a docker CLI is needed here.
// Every failure to reach the engine becomes one message that names the address and says
// what to do.
import { dockerOf, type EnvironmentConfig } from '../../config/model';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { HostRunner } from '../../remote/hostRunner';
import { GoDeployError } from '../../errors';

export const DEFAULT_ENGINE = 'unix:///var/run/docker.sock';

export interface EngineAddress {
  /** As written (docker.host, DOCKER_HOST) or the default. */
  url: string;
  kind: 'unix' | 'tcp' | 'ssh';
  /** unix: the socket here; ssh: the socket on the host (default /var/run/docker.sock). */
  socketPath?: string;
  host?: string;
  port?: number;
  /** ssh: the login user, when the address names one. */
  user?: string;
  /** Where the address came from, for messages. */
  from: string;
}

/** The engine address for an environment (docker.host), else DOCKER_HOST, else the local socket. */
export function engineAddress(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, where = 'docker.host'): EngineAddress {
  const [url, from] = configured ? [configured, where] : env.DOCKER_HOST ? [env.DOCKER_HOST, 'DOCKER_HOST'] : [DEFAULT_ENGINE, 'the default'];
  const m = /^([a-z]+):\/\/(.*)$/.exec(url);
  const scheme = m?.[1];
  if (scheme === 'unix' && m![2]) return { url, kind: 'unix', socketPath: m![2], from };
  if (scheme === 'tcp') {
    const hp = /^\[?([^\]]+?)\]?:(\d+)\/?$/.exec(m![2]);
    if (hp) return { url, kind: 'tcp', host: hp[1], port: Number(hp[2]), from };
  }
  if (scheme === 'ssh') {
    const s = /^(?:([^@/\s]+)@)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?(\/[^\s]*)?$/.exec(m![2]);
    if (s)
      return {
        url,
        kind: 'ssh',
        user: s[1],
        host: s[2].replace(/^\[|\]$/g, ''),
        port: s[3] ? Number(s[3]) : undefined,
        socketPath: s[4] && s[4] !== '/' ? s[4] : '/var/run/docker.sock',
        from,
      };
    throw new GoDeployError(`${from}: ${JSON.stringify(url)} is not an ssh engine address`, {
      hint: 'write ssh://USER@HOST[:PORT][/path/to/docker.sock]',
      exitCode: 2,
    });
  }
  if (scheme === 'npipe') {
    throw new GoDeployError(`${from}: ${url}: npipe:// engines (Docker Desktop on Windows) are not supported`, {
      hint: 'use unix://, tcp:// or ssh://',
      exitCode: 2,
    });
  }
  throw new GoDeployError(`${from}: ${JSON.stringify(url)} is not an engine address`, {
    hint: 'write unix:///path/to/docker.sock or tcp://HOST:PORT',
    exitCode: 2,
  });
}

export interface Engine {
  docker: Docker;
  address: EngineAddress;
  /** The engine's own answer to /version. */
  version: { Version: string; ApiVersion: string; Os: string; Arch: string };
  /** ssh engines: the host the engine runs on (commands, port forwards). */
  runner?: HostRunner;
  /** Where its containers' ports are reached from here. */
  reach: HostRunner['reach'];
  /** Ends the ssh connection of an ssh engine; nothing for the others. */
  close(): void;
}

/** The ssh connection an ssh:// engine is reached through. */
export interface EngineTunnel {
  runner: HostRunner;
  close(): void;
}

/** Connects and asks /version; a failure is a GoDeployError naming the address (exit 1). */
export async function openEngine(
  address: EngineAddress,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; tunnel?: EngineTunnel } = {},
): Promise<Engine> {
  const env = options.env ?? process.env;
  const timeout = options.timeoutMs ?? 10_000;
  // Loaded on first use: dockerode (with its gRPC for BuildKit) costs every CLI start ~60 ms otherwise.
  const { default: Dockerode } = await import('dockerode');
  // No timeout on the client: an image build or a health wait may take minutes. Only the
  // first request, which tells whether the engine is there at all, has one.
  const tunnel = options.tunnel;
  if (address.kind === 'ssh' && !tunnel?.runner.openUnixSocket) throw new Error(`${address.url}: an ssh engine needs an ssh connection to tunnel through`);
  const docker =
    address.kind === 'unix'
      ? new Dockerode({ socketPath: address.socketPath })
      : address.kind === 'ssh'
        ? // docker-modem hands `agent` to http.request (its typings leave it out).
          new Dockerode({ protocol: 'http', host: 'docker', port: 80, agent: tunnelAgent(tunnel!.runner, address.socketPath!) } as Docker.DockerOptions)
        : new Dockerode({ host: address.host, port: address.port, ...tlsOptions(env) });
  const reach = tunnel ? tunnel.runner.reach : engineReach(address).reach;
  try {
    // dockerode passes abortSignal on (its typings do not say so for version()).
    const version = docker.version.bind(docker) as unknown as (o: { abortSignal: AbortSignal }) => Promise<Docker.DockerVersion>;
    const v = await version({ abortSignal: AbortSignal.timeout(timeout) });
    return {
      docker,
      address,
      version: { Version: v.Version, ApiVersion: v.ApiVersion, Os: v.Os, Arch: v.Arch },
      runner: tunnel?.runner,
      reach,
      close: () => tunnel?.close(),
    };
  } catch (e) {
    tunnel?.close();
    throw engineError(address, e);
  }
}

/** An http agent whose every connection is a new streamlocal channel to `socketPath` on the ssh host. */
function tunnelAgent(runner: HostRunner, socketPath: string): Agent {
  const agent = new Agent({ keepAlive: false });
  // Node's Agent takes the socket from the callback when createConnection returns nothing.
  (agent as unknown as { createConnection: (o: unknown, cb: (err: Error | null, s?: unknown) => void) => undefined }).createConnection = (_o, cb) => {
    runner.openUnixSocket!(socketPath).then(
      (s) => cb(null, s),
      (e: Error) => cb(e),
    );
    return undefined;
  };
  return agent;
}

function tlsOptions(env: NodeJS.ProcessEnv): { protocol?: 'https'; ca?: Buffer; cert?: Buffer; key?: Buffer } {
  if (!env.DOCKER_TLS_VERIFY) return {};
  const dir = env.DOCKER_CERT_PATH;
  if (!dir)
    throw new GoDeployError('DOCKER_TLS_VERIFY is set but DOCKER_CERT_PATH is not', {
      hint: 'point DOCKER_CERT_PATH at the folder with ca.pem, cert.pem and key.pem',
      exitCode: 2,
    });
  const read = (f: string): Buffer => {
    try {
      return readFileSync(path.join(dir, f));
    } catch (e) {
      throw new GoDeployError(`cannot read ${path.join(dir, f)} (DOCKER_CERT_PATH): ${(e as Error).message}`, {
        hint: 'DOCKER_CERT_PATH needs ca.pem, cert.pem and key.pem',
        exitCode: 2,
      });
    }
  };
  return { protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** What went wrong reaching the engine, in the user's terms. */
export function engineError(address: EngineAddress, e: unknown): GoDeployError {
  if (e instanceof GoDeployError) return e;
  const err = e as NodeJS.ErrnoException & { statusCode?: number };
  const at = `the Docker engine at ${address.url} (${address.from})`;
  const start = address.kind === 'unix' ? 'start the engine (systemctl start docker, or dockerd)' : 'check that the engine listens there';
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') err.code = 'ETIMEDOUT';
  if (/HTTP request to an HTTPS server/i.test(err?.message ?? '')) {
    return new GoDeployError(`${at} wants TLS, and no client certificate was given`, {
      hint: 'set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem (as for the docker CLI)',
      cause: e,
    });
  }
  if (address.kind === 'tcp' && /SSL|TLS|CERT|certificate|EPROTO/i.test(`${err?.code ?? ''} ${err?.message ?? ''}`)) {
    return new GoDeployError(`the TLS handshake with ${at} failed: ${err?.message ?? String(e)}`, {
      hint: "check that the certificates in DOCKER_CERT_PATH are signed by the engine's CA and that its certificate names this address",
      cause: e,
    });
  }
  switch (err?.code) {
    case 'ENOENT':
      return new GoDeployError(`${at} is not running: ${address.socketPath} does not exist`, {
        hint: `${start}, or set docker.host to the engine you use`,
        cause: e,
      });
    case 'EACCES':
    case 'EPERM':
      return new GoDeployError(`permission denied on ${address.socketPath} (${at})`, {
        hint: 'add your user to the docker group and log in again, or use a rootless engine',
        cause: e,
      });
    case 'ECONNREFUSED':
      return new GoDeployError(`${at} refused the connection`, { hint: `${start}, or set docker.host to the engine you use`, cause: e });
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new GoDeployError(`${at} did not answer in time`, { hint: `${start}; a firewall may drop the connection`, cause: e });
    default:
      return new GoDeployError(`${at} could not be reached: ${err?.message ?? String(e)}`, { hint: start, cause: e });
  }
}

/** Where a container's port (published, or on the host's network) is reached from this machine: the engine's host. */
function engineReach(address: EngineAddress): Pick<HostRunner, 'reach'> {
  const host = address.kind === 'tcp' ? (address.host ?? '127.0.0.1') : '127.0.0.1';
  return { reach: async (port) => ({ host, port, close: async () => undefined }) };
}

/** The engine of a docker environment: docker.host, else DOCKER_HOST, else the local socket. */
export function environmentEngineAddress(e: { name: string; env: EnvironmentConfig }, env: NodeJS.ProcessEnv = process.env): EngineAddress {
  return engineAddress(dockerOf(e.env)?.host, env, `environments.${e.name}.docker.host`);
}
