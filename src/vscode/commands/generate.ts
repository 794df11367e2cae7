import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeploymentKind, GeneratorKind } from '../../core/index';
import { loadEngine } from '../engine';
import { loadModuleConfig } from '../modules';
import type { CommandDeps, CommandFactory } from './registry';

/** What a Generate command did, returned for callers and tests. */
export interface GenerateResult {
  written: string[];
  unchanged: string[];
  /** Previews (diffs) waiting for Write or Discard, as Uri strings. */
  pending: string[];
}

const titles: Record<GeneratorKind | 'all', string> = {
  dockerfile: 'Dockerfile',
  dockerignore: '.dockerignore',
  systemd: 'systemd Unit',
  nginx: 'nginx Site',
  supervisor: 'supervisor Program',
  k8s: 'Kubernetes Manifests',
  all: 'All Deployment Files',
  'github-actions': 'GitHub Actions Workflow (CI)',
  'gitlab-ci': 'GitLab CI Pipeline (CI)',
};

/** A command each; the CI pipelines are in the Generate… quick pick only. */
const ids: Record<DeploymentKind | 'all', string> = {
  dockerfile: 'godeploy.generateDockerfile',
  dockerignore: 'godeploy.generateDockerignore',
  systemd: 'godeploy.generateSystemd',
  nginx: 'godeploy.generateNginx',
  supervisor: 'godeploy.generateSupervisor',
  k8s: 'godeploy.generateKubernetes',
  all: 'godeploy.generateAll',
};

/**
 * Writes new files at once and opens them; shows a diff for files that exist and differ,
 * writing only when the user accepts (Go Deploy: Write Generated File). Never overwrites silently.
 */
async function generate(deps: CommandDeps, kind: GeneratorKind | 'all', arg: unknown): Promise<GenerateResult | undefined> {
  const loaded = await loadModuleConfig(arg, 'generating');
  if (!loaded) return undefined;
  const { folder, config, inspection } = loaded;
  const engine = loadEngine();
  // ${env:NAME} in the arguments is read from the extension host's environment, as a deploy reads it.
  // A CI pipeline goes to the repository's root and deploys to the first ssh environment (else the first docker one, else nowhere).
  const repository = await engine.findCiRepository(folder.fsPath);
  const model = await engine.resolveModelArgs(
    engine.buildGenerateModel(config, inspection, { ci: { repository, godeployVersion: engine.godeployVersion() } }),
    {
      env: (name) => process.env[name],
      secret: () => undefined,
    },
  );
  const setting = vscode.workspace.getConfiguration('godeploy', folder).get<string>('templates');
  const templates = config.templates ?? (setting || undefined);
  const files = await engine.renderFiles(engine.expandKind(kind) ?? [], model, folder.fsPath, {
    templatesDir: templates ? path.resolve(folder.fsPath, templates) : undefined,
    repositoryDir: repository.root,
  });
  const compared = await engine.compareWithDisk(files);
  const fresh = compared.filter((f) => f.state === 'new');
  const plan = engine.planGenerate(fresh);
  deps.ctx.log.block(engine.describePlan(plan));
  await engine.executePlan(plan, new engine.LocalRunner());
  for (const f of fresh) await vscode.window.showTextDocument(vscode.Uri.file(f.path), { preview: false, preserveFocus: fresh.length > 1 });
  const pending: string[] = [];
  for (const f of compared.filter((c) => c.state === 'changed')) {
    deps.ctx.log.info(`${f.relativePath} differs from the generated text: showing the diff`);
    pending.push((await deps.previews.show(f)).toString());
  }
  const unchanged = compared.filter((f) => f.state === 'unchanged').map((f) => f.path);
  const summary = [
    fresh.length && `wrote ${fresh.map((f) => f.relativePath).join(', ')}`,
    unchanged.length && `${unchanged.length} up to date`,
    pending.length && `${pending.length} to review (Write or Discard in the diff's title bar)`,
  ]
    .filter(Boolean)
    .join('; ');
  void vscode.window.showInformationMessage(`Go Deploy: ${summary}.`);
  return { written: fresh.map((f) => f.path), unchanged, pending };
}

function generateCommand(kind: DeploymentKind | 'all'): CommandFactory {
  return { id: ids[kind], title: `Generate ${titles[kind]}`, runsCode: false, create: (deps) => (arg?: unknown) => generate(deps, kind, arg) };
}

export const generateCommands: readonly CommandFactory[] = (Object.keys(ids) as (DeploymentKind | 'all')[]).map(generateCommand);

/** Go Deploy: Generate…: pick what to generate. */
export const generatePickCommand: CommandFactory = {
  id: 'godeploy.generate',
  title: 'Generate',
  runsCode: false,
  create: (deps) => async (arg?: unknown) => {
    const picked = await vscode.window.showQuickPick(
      (Object.keys(titles) as (GeneratorKind | 'all')[]).map((k) => ({ label: titles[k], generator: k })),
      { title: 'Go Deploy: generate which files?' },
    );
    return picked ? generate(deps, picked.generator, arg) : undefined;
  },
};

export const acceptGeneratedCommand: CommandFactory = {
  id: 'godeploy.acceptGenerated',
  title: 'Write Generated File',
  runsCode: false,
  create:
    ({ ctx, previews }) =>
    async (arg?: unknown) => {
      const uri = previews.resolve(arg);
      if (!uri) return undefined;
      const written = await previews.accept(uri);
      ctx.log.info(`replaced ${written}`);
      await vscode.window.showTextDocument(vscode.Uri.file(written), { preview: false });
      return written;
    },
};

export const discardGeneratedCommand: CommandFactory = {
  id: 'godeploy.discardGenerated',
  title: 'Discard Generated File',
  runsCode: false,
  create:
    ({ previews }) =>
    async (arg?: unknown) => {
      const uri = previews.resolve(arg);
      if (uri) await previews.discard(uri);
      return uri?.toString();
    },
};
