// docker.registry: the release's image pushed to a registry by the engine that built it and
// pulled by the engine that runs it, through the Engine API. Credentials come from
// ${secret:…} / ${env:…} references (the editor's SecretStorage, the CLI's environment) and
// travel only in the API's X-Registry-Auth header: never on a command line, in a file or in
// the output.
import type { DockerConfig } from '../../config/model';
import { resolveReferences, type Redactor, type ReferenceSources } from '../../config/references';
import { GoDeployError, usageError } from '../../errors';
import type { Engine } from './engine';
import { splitImageRef } from './image';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** `registry` as written ("registry.example.com:5000/team"), without a trailing slash. */
export const registryPrefix = (registry: string): string => registry.replace(/\/+$/, '');

/** The registry's host[:port]: what the credentials are for. */
export const registryHost = (registry: string): string => registryPrefix(registry).split('/')[0];

/** <registry>/<app>:<tag>. */
export const registryRef = (registry: string, app: string, tag: string): string => `${registryPrefix(registry)}/${app}:${tag}`;

interface ProgressMessage {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

async function follow(engine: Engine, stream: NodeJS.ReadableStream, onStatus?: (m: ProgressMessage) => void): Promise<ProgressMessage[]> {
  return new Promise((resolve, reject) => {
    engine.docker.modem.followProgress(
      stream,
      (err: Error | null, all: ProgressMessage[]) => (err ? reject(err) : resolve(all)),
      (m: ProgressMessage) => onStatus?.(m),
    );
  });
}

function registryError(what: string, ref: string, message: string, auth: RegistryAuth | undefined): GoDeployError {
  const denied = /unauthorized|authentication required|denied|no basic auth credentials|401|403/i.test(message);
  const hint = denied
    ? auth
      ? `the registry refused the credentials for ${auth.serveraddress}: check docker.registryUser and docker.registryPassword (the CLI reads \${env:…}/\${secret:…} from its environment, the editor from SecretStorage)`
      : `the registry wants credentials: set docker.registryUser and docker.registryPassword (a \${secret:NAME} reference)`
    : `check that the engine reaches the registry (${ref.split('/')[0]}) and that docker.registry is right`;
  return new GoDeployError(`${what} ${ref} failed: ${message}`, { hint });
}

/** Pushes `ref` from `engine`; `onStatus` gets the engine's progress lines. */
export async function pushImage(engine: Engine, ref: string, auth?: RegistryAuth, onStatus?: (m: ProgressMessage) => void): Promise<void> {
  const { repo, tag } = splitImageRef(ref);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.docker.getImage(repo).push({ tag, ...(auth ? { authconfig: auth } : {}) });
  } catch (e) {
    throw registryError('pushing', ref, (e as Error).message, auth);
  }
  const failed = (await follow(engine, stream, onStatus)).find((m) => m.error);
  if (failed) throw registryError('pushing', ref, failed.errorDetail?.message ?? failed.error ?? 'unknown error', auth);
}

/** Pulls `ref` onto `engine`. */
export async function pullImage(engine: Engine, ref: string, auth?: RegistryAuth, onStatus?: (m: ProgressMessage) => void): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.docker.pull(ref, auth ? { authconfig: auth } : {});
  } catch (e) {
    throw registryError('pulling', ref, (e as Error).message, auth);
  }
  const failed = (await follow(engine, stream, onStatus)).find((m) => m.error);
  if (failed) throw registryError('pulling', ref, failed.errorDetail?.message ?? failed.error ?? 'unknown error', auth);
}

/**
 * The credentials for `docker.registry`, resolved from their references; the password (and
 * the user when it came from a reference) joins `redactor`. Undefined without registryUser.
 */
export async function registryCredentials(
  envName: string,
  docker: DockerConfig,
  sources: ReferenceSources,
  redactor: Redactor,
): Promise<RegistryAuth | undefined> {
  const where = `environments.${envName}.docker`;
  if (!docker.registry) {
    if (docker.registryUser || docker.registryPassword)
      throw usageError(
        `${where}.registryUser/registryPassword are set but ${where}.registry is not`,
        'name the registry (host[:port][/path]) or remove the credentials',
      );
    return undefined;
  }
  if (!docker.registryUser && !docker.registryPassword) return undefined;
  if (!docker.registryUser || !docker.registryPassword)
    throw usageError(`${where}: registryUser and registryPassword go together`, 'set both, the password as ${secret:NAME}');
  try {
    const user = await resolveReferences(docker.registryUser, sources, `${where}.registryUser`);
    const password = await resolveReferences(docker.registryPassword, sources, `${where}.registryPassword`);
    redactor.add(password.value);
    if (user.value !== docker.registryUser && user.value.length >= 3) redactor.add(user.value);
    return { username: user.value, password: password.value, serveraddress: registryHost(docker.registry) };
  } catch (e) {
    throw new GoDeployError((e as Error).message, {
      hint: "the CLI reads ${env:NAME} and ${secret:NAME} from its environment (export NAME=… or your CI's secret store); the editor keeps secrets in its SecretStorage",
    });
  }
}
