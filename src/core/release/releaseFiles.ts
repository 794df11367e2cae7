// app.files at deploy time, on the deploying machine: each file of the module that ships in
// the release, where it lands, its mode (the executable bits kept), size and sha256. A
// templated file's text gets ${env:}/${secret:} replaced with the same resolver and rules as
// app.env; its content is then what is hashed and sent, and it is never logged. A templated
// file that holds a secret is written 0600. Any target uses this: the hosts put the files in
// the release folder, Docker in the image under /app.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { expandReleaseFiles } from '../config/filesRules';
import { resolveReferences, type Redactor, type ReferenceSources } from '../config/references';
import { GoDeployError } from '../errors';
import type { GenerateModel } from '../generate/model';

export interface ReleaseFile {
  /** Relative to the release folder (with /). */
  dest: string;
  /** Absolute path on this machine. */
  source: string;
  /** Relative to the module folder, as matched. */
  from: string;
  /** Permission bits: the source file's, 0600 for a templated file holding a secret. */
  mode: number;
  size: number;
  sha256: string;
  template: boolean;
  /** A templated file's resolved text (null: send the source file as it is). */
  content: Buffer | null;
  /** A templated file holding a ${secret:} value. */
  secret: boolean;
}

/** The names the model's release holds besides app.files: executables and env files. */
export function reservedNames(model: Pick<GenerateModel, 'processes' | 'app' | 'shared'>): { executables: string[]; envFiles: string[]; shared: string[] } {
  const processes = model.processes?.length ? model.processes : [{ executable: model.app.name, service: model.app.name }];
  return {
    executables: [...new Set(processes.map((p) => p.executable))],
    envFiles: [...new Set(processes.map((p) => `${p.service}.env`))],
    shared: model.shared,
  };
}

/**
 * Resolves app.files in `moduleDir`. `sources` resolves templated files (omitted: a plan,
 * which shows them by name and source size, never their values); `redactor` learns the
 * secrets they hold. A glob matching nothing or a clashing destination throws.
 */
export async function resolveReleaseFiles(
  moduleDir: string,
  model: Pick<GenerateModel, 'files' | 'processes' | 'app' | 'shared'>,
  sources?: ReferenceSources,
  redactor?: Redactor,
): Promise<ReleaseFile[]> {
  if (!model.files.length) return [];
  const { matches, problems } = expandReleaseFiles(moduleDir, model.files, reservedNames(model));
  if (problems.length) throw new GoDeployError(problems[0].message, { hint: problems[0].hint, exitCode: 2 });
  return Promise.all(
    matches.map(async (m): Promise<ReleaseFile> => {
      const source = path.join(moduleDir, ...m.from.split('/'));
      const st = await fs.stat(source);
      let mode = st.mode & 0o777;
      let content: Buffer | null = null;
      let secret = false;
      if (m.template && sources) {
        const r = await resolveReferences(await fs.readFile(source, 'utf8'), sources, `app.files[${m.entry}] (${m.from})`).catch((e: Error) => {
          throw new GoDeployError(e.message, { hint: 'a templated file takes ${env:NAME} and ${secret:NAME} as app.env does; write $$ for a literal $' });
        });
        for (const s of r.secrets) if (s.length >= 3) redactor?.add(s);
        if (r.secrets.length) mode = 0o600;
        secret = r.secrets.length > 0;
        content = Buffer.from(r.value);
      }
      const bytes = content ?? (await fs.readFile(source));
      return {
        dest: m.dest,
        source,
        from: m.from,
        mode,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        template: m.template,
        content,
        secret,
      };
    }),
  );
}

/** The relative symlink target from releases/<id>/<dir> to <base>/shared/<dir>: ../../shared/<dir> for a top-level folder. */
export function sharedLinkTarget(dir: string): string {
  const depth = dir.split('/').length;
  return `${'../'.repeat(depth + 1)}shared/${dir}`;
}
