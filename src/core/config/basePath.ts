import * as path from 'node:path';
import { usageError } from '../errors';

/** Folders of the operating system itself: a deploy writes releases/, shared/, current and .godeploy/ into its base. */
const systemFolders: ReadonlySet<string> = new Set([
  '/',
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/boot',
  '/var',
  '/root',
  '/home',
  '/tmp',
  '/run',
  '/opt',
  '/srv',
  '/mnt',
  '/media',
  '/var/lib',
  '/var/tmp',
  '/usr/local',
  '/usr/bin',
  '/usr/lib',
  '/usr/sbin',
]);

/** Kernel file systems: nothing under them is a folder to deploy into. */
const kernelFolders = ['/proc', '/sys', '/dev'];

/**
 * Why `base` (environments.NAME.path, as written: absolute or starting with ~) cannot be a
 * deploy base folder, or undefined if it can: a system folder, a home folder itself, or
 * anything under /proc, /sys or /dev. The path is normalized first (`/usr/../etc/` is /etc).
 */
export function systemFolderProblem(base: string): string | undefined {
  if (base === '~' || /^~\/*$/.test(base)) return 'the home folder itself';
  if (base.startsWith('~/')) {
    const rest = path.posix.normalize(base.slice(2));
    return rest === '.' || rest === '' || rest.startsWith('..') ? 'the home folder itself (or above it)' : undefined;
  }
  if (!base.startsWith('/')) return undefined;
  const normalized = path.posix.normalize(base).replace(/(.)\/+$/, '$1');
  if (systemFolders.has(normalized)) return `the system folder ${normalized}`;
  const kernel = kernelFolders.find((k) => normalized === k || normalized.startsWith(`${k}/`));
  if (kernel) return `${normalized === kernel ? '' : 'inside '}the kernel's folder ${kernel}`;
  if (/^\/home\/[^/]+$/.test(normalized)) return `the home folder ${normalized} itself`;
  return undefined;
}

export const systemFolderHint =
  'give the service a folder of its own, for example /opt/<app.name>, /srv/<app.name> or ~/apps/<app.name>: a deploy creates releases/, shared/, current and .godeploy/ in it';

/** The deploy engine's own guard: refuses a system folder as the base even when validation was bypassed. */
export function assertDeployBase(base: string, where: string): void {
  const problem = systemFolderProblem(base);
  if (problem) throw usageError(`${where} is ${problem}; Go Deploy does not deploy into it`, systemFolderHint);
}
