import {
  buildGenerateModel,
  type CiKind,
  ciProviders,
  compareWithDisk,
  configFileName,
  describePlan,
  executePlan,
  findCiRepository,
  formatDiagnostic,
  generators,
  inspectModule,
  LocalRunner,
  type ModuleInspection,
  type Plan,
  planGenerate,
  planInit,
  renderFiles,
  usageError,
  validateConfigText,
} from '../../core';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CliIO } from '../io';
import { requireNoExtraArgs, type GlobalOptions } from '../context';
import { defineCommand } from '../spec';

export const initCommand = defineCommand({
  name: 'init',
  positionals: '',
  summary: 'write a commented godeploy.yaml from the module',
  options: [
    { name: 'force', type: 'boolean', description: 'replace an existing godeploy.yaml' },
    { name: 'main', type: 'string', value: 'PKG', description: 'the main package to deploy (default: the one that serves)' },
    { name: 'dry-run', type: 'boolean', description: 'print what would be written, and write nothing' },
    {
      name: 'ci',
      type: 'string',
      value: 'PROVIDER',
      completes: Object.keys(ciProviders),
      description: 'also write a CI pipeline that tests, builds and deploys: github (.github/workflows/godeploy.yml) or gitlab (.gitlab-ci.yml)',
    },
  ],
  help: `Writes a commented godeploy.yaml next to go.mod from the module's inspection.
Never replaces an existing file unless --force is given.
--ci github|gitlab also writes the CI pipeline of \`godeploy generate github-actions|gitlab-ci\`
at the repository's root, made from that godeploy.yaml.`,
  examples: [
    { line: 'godeploy init', comment: 'write godeploy.yaml next to go.mod, from what the module is' },
    { line: 'godeploy init --dry-run', comment: 'print the file it would write, and write nothing' },
    { line: 'godeploy init --main ./cmd/api --force', comment: 'deploy ./cmd/api, replacing the godeploy.yaml there is' },
    { line: 'godeploy init --ci github', comment: 'godeploy.yaml and a GitHub Actions workflow that deploys with it' },
  ],
  run: (io, g, args, o) => {
    requireNoExtraArgs('init', args);
    return runInit(io, g, { force: o.force, main: o.main, dryRun: o['dry-run'], ci: o.ci });
  },
});

export async function runInit(io: CliIO, g: GlobalOptions, opts: { force: boolean; main?: string; dryRun: boolean; ci?: string }): Promise<number> {
  const kind = opts.ci === undefined ? undefined : ciKindOf(opts.ci);
  const inspection = await inspectModule(g.dir);
  const init = planInit(inspection, { force: opts.force, main: opts.main });
  const pipeline = kind ? await planPipeline(io, init, inspection, kind, opts.force) : undefined;
  const plan: Plan = pipeline ? { title: `${init.title}, with its ${generators[pipeline.kind].title}`, steps: [...init.steps, ...pipeline.plan.steps] } : init;
  if (opts.dryRun) {
    io.out(describePlan(plan));
    return 0;
  }
  await executePlan(plan, new LocalRunner());
  for (const step of plan.steps) if (step.kind === 'write-file') io.out(`wrote ${step.path}`);
  if (pipeline?.note) io.out(pipeline.note);
  return 0;
}

/**
 * The CI pipeline made from the godeploy.yaml init is about to write, as `generate` makes it from
 * that file. An existing godeploy.yaml is refused up front (without --force), so nothing is written.
 */
async function planPipeline(io: CliIO, init: Plan, inspection: ModuleInspection, kind: CiKind, force: boolean) {
  const step = init.steps[0];
  if (step.kind !== 'write-file') throw new Error('init plans the godeploy.yaml it writes');
  if (!force && (await fs.stat(step.path).catch(() => undefined))) {
    throw usageError(
      `${path.relative(io.cwd, step.path) || configFileName} exists, and init --ci makes the pipeline from the godeploy.yaml it writes`,
      `to add the pipeline for the godeploy.yaml there is: godeploy generate ${kind}`,
    );
  }
  const validated = validateConfigText(step.path, step.content, inspection);
  if (!validated.config) throw new Error(`the godeploy.yaml init wrote does not validate:\n${validated.diagnostics.map(formatDiagnostic).join('\n')}`);
  const repository = await findCiRepository(inspection.dir);
  const model = buildGenerateModel(validated.config, inspection, { ci: { repository } });
  const files = await compareWithDisk(await renderFiles([kind], model, inspection.dir, { repositoryDir: repository.root }));
  const deploy = model.ci.deploys[0];
  return {
    kind,
    plan: planGenerate(files, { force }),
    note: deploy
      ? undefined
      : `the pipeline tests and builds; it deploys nowhere yet (dev is this machine, and a CI runner is thrown away after the job): once godeploy.yaml has an ssh or docker environment, \`godeploy generate ${kind} --env NAME --force\` adds its deploy job`,
  };
}

/** The pipeline of a CI provider: github → github-actions, gitlab → gitlab-ci. */
function ciKindOf(provider: string): CiKind {
  if (!Object.hasOwn(ciProviders, provider)) throw usageError(`--ci: unknown CI provider "${provider}"`, `providers: ${Object.keys(ciProviders).join(', ')}`);
  return ciProviders[provider as keyof typeof ciProviders];
}
