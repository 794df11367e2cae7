import {
  buildGenerateModel,
  compareWithDisk,
  describePlan,
  environmentSources,
  executePlan,
  expandKind,
  findCiRepository,
  generatorKinds,
  loadProject,
  LocalRunner,
  planGenerate,
  renderFiles,
  resolveModelArgs,
  type RuntimeKind,
  runtimeKinds,
  usageError,
} from '../../core';
import * as path from 'node:path';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { defineCommand, jsonOption } from '../spec';

export const generateCommand = defineCommand({
  name: 'generate',
  positionals: 'KIND',
  choices: { KIND: [...generatorKinds, 'all'] },
  summary: 'write Dockerfile, .dockerignore, systemd, nginx,\nsupervisor or k8s files (KIND all: every one), or a\nCI pipeline (github-actions, gitlab-ci)',
  options: [
    {
      name: 'env',
      type: 'string',
      value: 'NAME',
      completes: 'environment',
      description:
        'the files are for environment NAME: its path, env and docker/systemd/nginx/supervisor keys apply; a CI pipeline deploys to NAME (default: the first ssh environment, else the first docker one, else none)',
    },
    {
      name: 'out',
      type: 'string',
      value: 'DIR',
      completes: 'directory',
      description: "write into DIR instead of the module's folder (a CI pipeline: instead of the repository's root)",
    },
    { name: 'stdout', type: 'boolean', description: 'print the files instead of writing them' },
    { name: 'force', type: 'boolean', description: 'replace a file that exists and differs (without it, its diff is printed and nothing is written)' },
    { name: 'dry-run', type: 'boolean', description: 'print what would be written, and write nothing' },
    {
      name: 'runtime',
      type: 'string',
      value: 'R',
      completes: runtimeKinds,
      description: `the Dockerfile's runtime image: ${runtimeKinds.join(', ')} (wins over the config)`,
    },
    {
      name: 'from-binary',
      type: 'string',
      value: 'FILE',
      completes: 'file',
      description: 'a Dockerfile that packs this already cross-compiled binary (path relative to the build context), with no build stage',
    },
    { ...jsonOption, description: 'print each file and whether it was written, replaced or unchanged, as JSON' },
  ],
  help: `KIND: ${generatorKinds.join(', ')} or all.
Writes deployment files from godeploy.yaml and the module's inspection (into the module's
folder, or --out DIR). A file that exists and differs is never replaced without --force:
the command prints its diff and writes nothing. --stdout prints instead of writing.
Dockerfile options: --runtime distroless|scratch|alpine, --from-binary FILE (pack an
already cross-compiled binary, path relative to the build context, with no build stage).
With app.processes, systemd and supervisor write a file per process
(deploy/systemd/APP-PROCESS.service, deploy/supervisor/APP-PROCESS.conf), k8s one file with a
Deployment per process (a Service for those with a port), nginx one site for the first
process with a port.
CI pipelines (not part of all) go to the repository's root: github-actions writes
.github/workflows/godeploy.yml, gitlab-ci writes .gitlab-ci.yml. Each runs go test,
godeploy validate and godeploy build, then godeploy deploy ENV from the default branch
(--env NAME, default the first ssh environment) with the SSH key and known_hosts lines
from the CI's secret store; the comments at its top say which secrets to set.`,
  examples: [
    { line: 'godeploy generate dockerfile', comment: 'write a Dockerfile (multi-stage, distroless) for the module' },
    { line: 'godeploy generate systemd --env prod --stdout', comment: 'print the systemd unit for environment prod' },
    { line: 'godeploy generate all --dry-run', comment: 'print every file it would write, and write nothing' },
    { line: 'godeploy generate github-actions --env prod', comment: 'a GitHub Actions workflow that tests, builds and deploys to prod' },
    {
      line: 'godeploy generate dockerfile --from-binary dist/app_linux_amd64 --runtime scratch --force',
      comment: 'pack an already built binary into a scratch image, replacing the Dockerfile',
    },
  ],
  run: (io, g, args, o) =>
    runGenerate(io, g, args, {
      env: o.env,
      out: o.out,
      stdout: o.stdout,
      force: o.force,
      dryRun: o['dry-run'],
      runtime: o.runtime,
      fromBinary: o['from-binary'],
      json: o.json,
    }),
});

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
  // A CI pipeline goes to the root of the repository the module is in, and runs in the module's folder there.
  const repository = await findCiRepository(moduleDir);
  // ${env:NAME} in the arguments is read from this command's environment, as a deploy reads it.
  const model = await resolveModelArgs(
    buildGenerateModel(config, inspection, { environment: flags.env, runtime: flags.runtime as RuntimeKind | undefined, ci: { repository } }),
    environmentSources(io.env),
  );
  const outDir = flags.out ? path.resolve(g.dir, flags.out) : moduleDir;
  const templatesDir = config.templates ? path.resolve(moduleDir, config.templates) : undefined;
  const files = await renderFiles(kinds, model, outDir, {
    templatesDir,
    dockerfile: { fromBinary: flags.fromBinary },
    repositoryDir: flags.out ? outDir : repository.root,
  });

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
