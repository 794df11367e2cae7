import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { GoDeployError, ExitCode } from '../errors';
import type { Plan } from '../plan/plan';
import { generators, type GeneratorKind, type RenderOptions } from './kinds';
import type { GenerateModel } from './model';
import { modelOfProcess } from './processes';
import { readTemplate, renderTemplate } from './templates';
import { fileError } from '../fs/fileErrors';

export { resolveModelArgs } from './args';

export interface GeneratedFile {
  kind: GeneratorKind;
  /** Absolute path the file is written to. */
  path: string;
  /** Path relative to the output folder, for messages. */
  relativePath: string;
  content: string;
  /** The user's template that produced it, if one overrode the built-in generator. */
  template?: string;
}

export type FileState = 'new' | 'unchanged' | 'changed';

export interface ComparedFile extends GeneratedFile {
  state: FileState;
  /** What is on disk now (for `changed`). */
  existing?: string;
}

export type RenderFilesOptions = RenderOptions & { templatesDir?: string; repositoryDir?: string };

/**
 * Renders the files of the given kinds: built-in generators, or the user's templates where present.
 * A CI pipeline goes under `repositoryDir` (default `outDir`), the others under `outDir`.
 * A kind made per process (systemd, supervisor) gives one file per process of app.processes,
 * each rendered, and templated, with the process's model (modelOfProcess); the one-process
 * form gives the one file it always did.
 */
export async function renderFiles(
  kinds: readonly GeneratorKind[],
  model: GenerateModel,
  outDir: string,
  options: RenderFilesOptions = {},
): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const kind of kinds) {
    const g = generators[kind];
    const override = options.templatesDir ? await readTemplate(options.templatesDir, g.templateName) : undefined;
    const models = g.perProcess ? model.processes.map((p) => modelOfProcess(model, p)) : [model];
    for (const m of models) files.push(renderOne(kind, m, outDir, options, override));
  }
  return files;
}

/**
 * The systemd unit or supervisor program of ONE process, from its model (modelOfProcess(model,
 * process), args resolved), the user's template honoured: what a deploy installs for that process.
 */
export async function renderProcessFile(
  kind: 'systemd' | 'supervisor',
  processModel: GenerateModel,
  outDir: string,
  options: RenderFilesOptions = {},
): Promise<GeneratedFile> {
  const override = options.templatesDir ? await readTemplate(options.templatesDir, generators[kind].templateName) : undefined;
  return renderOne(kind, processModel, outDir, options, override);
}

function renderOne(
  kind: GeneratorKind,
  model: GenerateModel,
  outDir: string,
  options: RenderFilesOptions,
  override: { file: string; source: string } | undefined,
): GeneratedFile {
  const g = generators[kind];
  const builtin = g.render(model, options);
  const content = override ? renderTemplate(override.file, override.source, model, builtin) : builtin;
  const relativePath = g.outputPath(model);
  const base = g.root === 'repository' ? (options.repositoryDir ?? outDir) : outDir;
  return { kind, relativePath, path: path.join(base, relativePath), content, template: override?.file };
}

/** Compares each file with what is on disk. */
export async function compareWithDisk(files: readonly GeneratedFile[]): Promise<ComparedFile[]> {
  return Promise.all(
    files.map(async (f) => {
      let existing: string;
      try {
        existing = await fs.readFile(f.path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...f, state: 'new' as const };
        throw fileError(e, 'write', f.path);
      }
      return existing === f.content ? { ...f, state: 'unchanged' as const } : { ...f, state: 'changed' as const, existing };
    }),
  );
}

/** A unified diff from what is on disk to what would be written. */
export function diffOf(file: ComparedFile): string {
  return createTwoFilesPatch(`a/${file.relativePath}`, `b/${file.relativePath}`, file.existing ?? '', file.content, 'on disk', 'generated', { context: 3 });
}

/**
 * The plan that writes new and changed files. Without `force`, a file that exists and
 * differs stops the whole plan (nothing is written) with its diff: never a silent overwrite.
 */
export function planGenerate(files: readonly ComparedFile[], options: { force?: boolean } = {}): Plan {
  const changed = files.filter((f) => f.state === 'changed');
  if (changed.length && !options.force) {
    throw new GoDeployError(
      `${changed.map((f) => f.relativePath).join(', ')} ${changed.length === 1 ? 'exists and differs' : 'exist and differ'} from what Go Deploy would write:\n${changed.map(diffOf).join('\n')}`,
      {
        exitCode: ExitCode.failed,
        hint: 'nothing was written; review the diff, then pass --force to replace, or --stdout to print the generated text',
      },
    );
  }
  return {
    title: `generate ${files.map((f) => f.relativePath).join(', ')}`,
    steps: files
      .filter((f) => f.state !== 'unchanged')
      .map((f) => ({
        kind: 'write-file' as const,
        description: `${f.state === 'new' ? 'write' : 'replace'} ${f.relativePath} (${generators[f.kind].title}${f.template ? ` from ${path.basename(f.template)}` : ''})`,
        path: f.path,
        content: f.content,
        mode: 0o644,
        overwrite: f.state === 'changed',
      })),
  };
}
