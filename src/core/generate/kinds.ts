import type { GenerateModel } from './model';
import { renderDockerfile, type DockerfileOptions } from './dockerfile';
import { renderDockerignore } from './dockerignore';
import { renderKubernetesManifests } from './kubernetes';
import { renderNginxSite } from './nginx';
import { renderSupervisorProgram } from './supervisor';
import { renderSystemdUnit } from './systemd';
import { renderGithubActions } from './ci/github';
import { renderGitlabCi } from './ci/gitlab';

/** The files a service is deployed with: what `generate all` writes. */
export type DeploymentKind = 'dockerfile' | 'dockerignore' | 'systemd' | 'nginx' | 'supervisor' | 'k8s';
export const deploymentKinds: readonly DeploymentKind[] = ['dockerfile', 'dockerignore', 'systemd', 'nginx', 'supervisor', 'k8s'];
/** CI pipelines that test, build and deploy with godeploy: one per repository, so never part of `all`. */
export type CiKind = 'github-actions' | 'gitlab-ci';
export const ciKinds: readonly CiKind[] = ['github-actions', 'gitlab-ci'];
/** `godeploy init --ci PROVIDER`: the pipeline each provider gets. */
export const ciProviders: Readonly<Record<'github' | 'gitlab', CiKind>> = { github: 'github-actions', gitlab: 'gitlab-ci' };

export type GeneratorKind = DeploymentKind | CiKind;
export const generatorKinds: readonly GeneratorKind[] = [...deploymentKinds, ...ciKinds];

/** Options that are about one invocation rather than the service (CLI flags). */
export interface RenderOptions {
  dockerfile?: DockerfileOptions;
}

export interface Generator {
  kind: GeneratorKind;
  /** "Dockerfile", "systemd unit", … for messages and command titles. */
  title: string;
  /** Where the file goes, relative to the output folder (the module's folder by default; for `root: 'repository'`, the repository's). */
  outputPath(model: GenerateModel): string;
  /** A CI pipeline goes to the repository's root folder, whichever folder of it the module is in. */
  root?: 'repository';
  /** File name of a user's override in the templates folder. */
  templateName: string;
  /**
   * One file per process of app.processes (a systemd unit, a supervisor program), rendered from
   * the process's own model (modelOfProcess: app.name is <app>-<process>). The one-process form is one file, as before.
   */
  perProcess?: true;
  render(model: GenerateModel, options: RenderOptions): string;
}

export const generators: Readonly<Record<GeneratorKind, Generator>> = {
  dockerfile: {
    kind: 'dockerfile',
    title: 'Dockerfile',
    outputPath: () => 'Dockerfile',
    templateName: 'Dockerfile.hbs',
    render: (m, o) => renderDockerfile(m, o.dockerfile),
  },
  dockerignore: {
    kind: 'dockerignore',
    title: '.dockerignore',
    outputPath: () => '.dockerignore',
    templateName: 'dockerignore.hbs',
    render: (m) => renderDockerignore(m),
  },
  systemd: {
    kind: 'systemd',
    title: 'systemd unit',
    outputPath: (m) => `deploy/systemd/${m.app.name}.service`,
    templateName: 'systemd.service.hbs',
    perProcess: true,
    render: (m) => renderSystemdUnit(m),
  },
  nginx: {
    kind: 'nginx',
    title: 'nginx site',
    outputPath: (m) => `deploy/nginx/${m.app.name}.conf`,
    templateName: 'nginx.conf.hbs',
    render: (m) => renderNginxSite(m),
  },
  supervisor: {
    kind: 'supervisor',
    title: 'supervisor program',
    outputPath: (m) => `deploy/supervisor/${m.app.name}.conf`,
    templateName: 'supervisor.conf.hbs',
    perProcess: true,
    render: (m) => renderSupervisorProgram(m),
  },
  k8s: {
    kind: 'k8s',
    title: 'Kubernetes manifests',
    outputPath: (m) => `deploy/k8s/${m.app.name}.yaml`,
    templateName: 'k8s.yaml.hbs',
    render: (m) => renderKubernetesManifests(m),
  },
  'github-actions': {
    kind: 'github-actions',
    title: 'GitHub Actions workflow',
    outputPath: () => '.github/workflows/godeploy.yml',
    root: 'repository',
    templateName: 'github-actions.yml.hbs',
    render: (m) => renderGithubActions(m),
  },
  'gitlab-ci': {
    kind: 'gitlab-ci',
    title: 'GitLab CI pipeline',
    outputPath: () => '.gitlab-ci.yml',
    root: 'repository',
    templateName: 'gitlab-ci.yml.hbs',
    render: (m) => renderGitlabCi(m),
  },
};

/** `all` expands to every deployment kind (not the CI pipelines), in a stable order. */
export function expandKind(kind: string): GeneratorKind[] | undefined {
  if (kind === 'all') return [...deploymentKinds];
  return (generatorKinds as readonly string[]).includes(kind) ? [kind as GeneratorKind] : undefined;
}
