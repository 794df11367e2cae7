import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GoDeployError } from '../errors';
import { withFileErrors } from './fileErrors';

export interface AtomicWriteOptions {
  /** File mode; secrets use 0o600. Default 0o644. */
  mode?: number;
  /** Replace an existing file. Without it an existing file is an error and stays untouched. */
  overwrite?: boolean;
}

/**
 * Writes a file so that readers see either the old content or the whole new one:
 * the data goes to a temporary file in the same folder, is flushed, then renamed into
 * place (or hard-linked, which fails if the target appeared meanwhile, when overwriting
 * is not allowed). On any failure the temporary file is removed.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  return withFileErrors('write', target, () => writeThroughTemporary(target, content, options));
}

async function writeThroughTemporary(target: string, content: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  const handle = await fs.open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.chmod(mode); // the umask may have narrowed or widened it
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite) {
      await fs.rename(temp, target);
    } else {
      try {
        await fs.link(temp, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new GoDeployError(`${target} already exists`, { hint: 'it was left as it is; pass --force to replace it', exitCode: 2 });
        }
        throw e;
      }
      await fs.unlink(temp);
    }
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}
