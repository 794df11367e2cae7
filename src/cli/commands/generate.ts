import { loadProject } from '../../core/project';
import * as path from 'node:path';
import { runtimeKinds, type RuntimeKind } from '../../core/config/model';
import { usageError } from '../../core/errors';
import { environmentSources } from '../../core/config/references';
import { compareWithDisk, planGenerate, renderFiles, resolveModelArgs } from '../../core/generate/generate';
import { expandKind, generatorKinds } from '../../core/generate/kinds';
import { buildGenerateModel } from '../../core/generate/model';
import { describePlan } from '../../core/plan/plan';
import { executePlan, LocalRunner } from '../../core/plan/runner';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';

export const generateHelp = `godeploy generate KIND [--env NAME] [--out DIR] [--stdout] [--force] [--dry-run] [--runtime R] [--from-binary FILE]
  KIND: ${generatorKinds.join(', ')} or all.
  Writes deployment files from godeploy.yaml and the module's inspection (into the module's
  folder, or --out DIR). A file that exists and differs is never replaced without --force:
  the command prints its diff and writes nothing. --stdout prints instead of writing.
  Dockerfile options: --runtime distroless|scratch|alpine, --from-binary FILE (pack an
  already cross-compiled binary, path relative to the build context, with no build stage).`;

export interface GenerateFlags {
  env?: string;
  out?: string;
  stdout: boolean;
  force: boolean;
  dryRun: boolean;
  runtime?: string;
  fromBinary?: string;
  json: boolean;
}

export async function runGenerate(io: CliIO, g: GlobalOptions, args: string[], flags: GenerateFlags): Promise<number> {
  const [kindArg, ...extra] = args;
  if (!kindArg) throw usageError('generate: which files?', `give a KIND: ${generatorKinds.join(', ')} or all`);
  if (extra.length) throw usageError(`generate: unexpected argument ${JSON.stringify(extra[0])}`, 'generate one KIND at a time, or all');
  const kinds = expandKind(kindArg);
  if (!kinds) throw usageError(`generate: unknown kind "${kindArg}"`, `kinds: ${generatorKinds.join(', ')}, all`);
  if (flags.runtime !== undefined && !(runtimeKinds as readonly string[]).includes(flags.runtime)) {
    throw usageError(`--runtime: unknown runtime "${flags.runtime}"`, `runtimes: ${runtimeKinds.join(', ')}`);
  }
  const { moduleDir, inspection, config } = await loadProject(await resolveConfigPath(g));
  // ${env:NAME} in the arguments is read from this command's environment, as a deploy reads it.
  const model = await resolveModelArgs(
    buildGenerateModel(config, inspection, { environment: flags.env, runtime: flags.runtime as RuntimeKind | undefined }),
    environmentSources(io.env),
  );
  const outDir = flags.out ? path.resolve(g.dir, flags.out) : moduleDir;
  const templatesDir = config.templates ? path.resolve(moduleDir, config.templates) : undefined;
  const files = await renderFiles(kinds, model, outDir, { templatesDir, dockerfile: { fromBinary: flags.fromBinary } });

  if (flags.stdout) {
    if (files.length === 1) io.out(files[0].content);
    else for (const f of files) io.out(`# ==> ${f.relativePath} <==\n${f.content}`);
    return 0;
  }
  const compared = await compareWithDisk(files);
  const plan = planGenerate(compared, { force: flags.force });
  if (flags.dryRun) {
    io.out(describePlan(plan));
    return 0;
  }
  await executePlan(plan, new LocalRunner());
  if (flags.json) {
    io.json({
      files: compared.map((f) => ({ kind: f.kind, path: f.path, state: f.state === 'changed' ? 'replaced' : f.state === 'new' ? 'written' : 'unchanged' })),
    });
  } else {
    for (const f of compared)
      io.out(`${f.state === 'new' ? 'wrote    ' : f.state === 'changed' ? 'replaced ' : 'unchanged'} ${path.relative(io.cwd, f.path) || f.path}`);
  }
  return 0;
}
