import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { userInfo } from 'node:os';
import { ExitCode, GoDeployError } from '../errors';

/** What a local file is to Go Deploy: the config (its problems exit 2) or something an operation writes (exit 1). */
export type FileRole = 'config' | 'output';

/**
 * Turns a Node fs error (EACCES, EISDIR, ENOSPC, ENOTDIR, EROFS…) met while reading or
 * writing `file` into a GoDeployError that names the path and says what to do. Anything
 * that is not such an error (a bug, a GoDeployError already) is returned unchanged.
 * The original error stays as the cause, for --verbose.
 */
export function fileError(e: unknown, action: 'read' | 'write', file: string, role: FileRole = 'output'): unknown {
  const { code, path: failed } = (e ?? {}) as NodeJS.ErrnoException;
  // Reading, the file the system names is the exact one (a file inside a folder being read);
  // writing, it may be a temporary name: the file the caller meant says more.
  const said = typeof code === 'string' ? describe(code, action, action === 'read' && typeof failed === 'string' ? failed : file) : undefined;
  if (!said || e instanceof GoDeployError) return e;
  const exitCode = role === 'config' && (action === 'read' || code === 'EISDIR' || code === 'ENOTDIR') ? ExitCode.usage : ExitCode.failed;
  return new GoDeployError(said.message, { hint: said.hint, exitCode, cause: e });
}

/** Runs `fn`, reporting an fs error on `file` as fileError does. */
export async function withFileErrors<T>(action: 'read' | 'write', file: string, fn: () => Promise<T>, role: FileRole = 'output'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fileError(e, action, file, role);
  }
}

/**
 * `mkdir -p`, failing with the real reason: Node's recursive mkdir reports ENOENT where a
 * folder could not be made (a read-only file system, no permission), so the first missing
 * folder is made alone to learn why.
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    while (
      path.dirname(missing) !== missing &&
      !(await fs.stat(path.dirname(missing)).then(
        () => true,
        () => false,
      ))
    )
      missing = path.dirname(missing);
    await fs.mkdir(missing);
    throw e;
  }
}

function describe(code: string, action: 'read' | 'write', file: string): { message: string; hint: string } | undefined {
  const folder = action === 'read' ? file : path.dirname(file);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return action === 'read'
        ? { message: `cannot read ${file}: permission denied`, hint: `make it readable for user ${whoami()} (chmod, or run as its owner)` }
        : { message: `cannot write ${file}: permission denied`, hint: `make ${folder} writable for user ${whoami()}, or write somewhere else (--out DIR)` };
    case 'EISDIR':
      return {
        message: `${file} is a folder, not a file`,
        hint: action === 'read' ? 'rename or remove that folder, or pass the file with --config FILE' : 'rename or remove that folder, or write somewhere else',
      };
    case 'ENOTDIR':
      return { message: `cannot ${action} ${file}: a part of that path is a file, not a folder`, hint: 'check the path (-C DIR, --config FILE or --out DIR)' };
    case 'ENOENT':
      return action === 'read'
        ? { message: `${file} does not exist`, hint: 'check the path, or run `godeploy init` next to go.mod to write a config' }
        : { message: `cannot write ${file}: its folder does not exist`, hint: `create ${folder} first, or write somewhere else` };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        message: `cannot write ${file}: no space left on the device${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}`,
        hint: `free some space where ${folder} is (df -h ${folder}) and run again; files being replaced were left as they were`,
      };
    case 'EROFS':
      return {
        message: `cannot write ${file}: the file system is read-only`,
        hint: 'write somewhere else (--out DIR), or remount that file system read-write',
      };
    case 'ELOOP':
      return { message: `cannot ${action} ${file}: too many symbolic links (a link that points to itself?)`, hint: 'fix or remove the symbolic link' };
    case 'ENAMETOOLONG':
      return { message: `cannot ${action} ${file}: the path is too long`, hint: 'use a shorter path' };
    case 'EMFILE':
    case 'ENFILE':
      return { message: `cannot ${action} ${file}: too many open files`, hint: 'raise the open-file limit (ulimit -n) and run again' };
    default:
      return undefined;
  }
}

function whoami(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'this user');
  }
}
