import type { ModuleInspection } from '../gomod/inspect';
import { defaultAppName } from '../gomod/inspect';
import { usageError } from '../errors';

export interface InitChoices {
  /** Main package to use when the module has several; default: the one named like the module, else the first. */
  main?: string;
}

/** Picks the main package for a new config, or explains why none fits. */
export function chooseMain(inspection: ModuleInspection, requested?: string): string {
  if (requested) {
    const normalized = requested.replace(/\/+$/, '') || '.';
    const withDot = normalized === '.' || normalized.startsWith('./') ? normalized : `./${normalized}`;
    if (!inspection.mains.includes(withDot)) {
      throw usageError(`${requested} is not a main package of ${inspection.module}`, inspection.mains.length ? `main packages: ${inspection.mains.join(', ')}` : 'the module has no main package');
    }
    return withDot;
  }
  if (inspection.mains.length === 0) {
    throw usageError(`${inspection.module} has no main package to deploy`, 'add a package main with a func main() first');
  }
  const moduleName = inspection.module.split('/').pop();
  return inspection.mains.find((m) => m.split('/').pop() === moduleName) ?? inspection.mains[0];
}

/** A commented godeploy.yaml built from what inspection found. Pure: same input, same text. */
export function renderInitialConfig(inspection: ModuleInspection, choices: InitChoices = {}): string {
  const main = chooseMain(inspection, choices.main);
  const name = defaultAppName(inspection, main);
  const others = inspection.mains.filter((m) => m !== main);
  const port = inspection.port ?? 8080;
  const portNote = inspection.portSource
    ? `found at ${inspection.portSource.file}:${inspection.portSource.line} (${inspection.portSource.reason})`
    : inspection.readsPortEnv
      ? 'the service reads PORT; no default was found, 8080 assumed'
      : 'no listen address was found in the code; 8080 assumed';
  const health = inspection.healthPath ?? '/healthz';
  const healthNote = inspection.healthPath ? 'found in the code' : 'assumed: the service should answer GET /healthz with 2xx';
  const lines = [
    `# Go Deploy configuration for ${inspection.module}`,
    `# Check it with \`godeploy validate\`; the editor validates it as you type.`,
    '',
    'app:',
    commented(`  name: ${scalar(name)}`, 'service, unit and container name'),
    commented(`  main: ${scalar(main)}`, `main package${others.length ? ` (others: ${others.join(', ')})` : ''}`),
    commented(`  port: ${port}`, `${portNote}; the service gets it as PORT`),
    '  healthCheck:',
    commented(`    path: ${scalar(health)}`, healthNote),
    '    timeout: 30s',
    commented('  env: {}', 'for every environment; values may use ${env:NAME} or ${secret:NAME}'),
    '',
    'build:',
    inspection.cgo ? commented('  targets: [linux/amd64]', 'this module uses cgo: cross-compiling needs a C cross compiler') : '  targets: [linux/amd64]',
    '  ldflags: "-s -w -X main.version={{.Version}}"',
    '',
    'environments:',
    '  dev:',
    commented('    type: local', 'this machine, no SSH'),
    '  # staging:',
    '  #   type: ssh',
    '  #   hosts:',
    commented('  #     - host: 203.0.113.10', 'an address or a Host alias from ~/.ssh/config'),
    '  #       user: deploy',
    '  #   processManager: systemd',
    '  #   keepReleases: 5',
    '  #   env:',
    '  #     DATABASE_URL: ${secret:DATABASE_URL}',
    '',
  ];
  return lines.join('\n');
}

function scalar(s: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(s) ? s : JSON.stringify(s);
}

/** A line with its comment aligned at one column, as a person would write the file. */
function commented(line: string, comment: string): string {
  return `${line}${' '.repeat(Math.max(1, 32 - line.length))}# ${comment}`;
}
