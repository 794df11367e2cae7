import type { GenerateModel } from './model';
import { renderDockerfile, type DockerfileOptions } from './dockerfile';
import { renderDockerignore } from './dockerignore';
import { renderKubernetesManifests } from './kubernetes';
import { renderNginxSite } from './nginx';
import { renderSupervisorProgram } from './supervisor';
import { renderSystemdUnit } from './systemd';

export type GeneratorKind = 'dockerfile' | 'dockerignore' | 'systemd' | 'nginx' | 'supervisor' | 'k8s';
export const generatorKinds: readonly GeneratorKind[] = ['dockerfile', 'dockerignore', 'systemd', 'nginx', 'supervisor', 'k8s'];

/** Options that are about one invocation rather than the service (CLI flags). */
export interface RenderOptions {
  dockerfile?: DockerfileOptions;
}

export interface Generator {
  kind: GeneratorKind;
  /** "Dockerfile", "systemd unit", … for messages and command titles. */
  title: string;
  /** Where the file goes, relative to the output folder (the module's folder by default). */
  outputPath(model: GenerateModel): string;
  /** File name of a user's override in the templates folder. */
  templateName: string;
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
    render: (m) => renderSupervisorProgram(m),
  },
  k8s: {
    kind: 'k8s',
    title: 'Kubernetes manifests',
    outputPath: (m) => `deploy/k8s/${m.app.name}.yaml`,
    templateName: 'k8s.yaml.hbs',
    render: (m) => renderKubernetesManifests(m),
  },
};

/** `all` expands to every kind, in a stable order. */
export function expandKind(kind: string): GeneratorKind[] | undefined {
  if (kind === 'all') return [...generatorKinds];
  return (generatorKinds as readonly string[]).includes(kind) ? [kind as GeneratorKind] : undefined;
}
