import type { ModuleInspection } from '../gomod/inspect';
import { defaultAppName } from '../gomod/inspect';
import type { Finding, MainPackageInspection } from '../gomod/types';
import { chooseMain } from './chooseMain';

export { chooseMain } from './chooseMain';

export interface InitChoices {
  /** Main package to write; default: the one that serves (see chooseMain). */
  main?: string;
}

/** A commented godeploy.yaml built from what inspection found. Pure: same input, same text. */
export function renderInitialConfig(inspection: ModuleInspection, choices: InitChoices = {}): string {
  const main = chooseMain(inspection, choices.main);
  const facts = inspection.mainPackages.find((m) => m.path === main);
  const name = facts ? appNameOf(facts.binaryName) : defaultAppName(inspection, main);
  const others = inspection.mainPackages.length
    ? inspection.mainPackages.filter((m) => m.path !== main).map((m) => m.path)
    : inspection.mains.filter((m) => m !== main);
  const app = facts ? appLines(facts) : fallbackAppLines(inspection);
  const lines = [
    `# Go Deploy configuration for ${inspection.module}`,
    `# Check it with \`godeploy validate\`; the editor validates it as you type.`,
    `# Found by \`godeploy inspect\`${inspection.via === 'go list' ? ' (asking `go list`)' : ' (reading the build constraints in the files: `go list` could not answer here)'}; correct anything it got wrong.`,
    '',
    'app:',
    commented(`  name: ${scalar(name)}`, 'service, unit and container name'),
    commented(`  main: ${scalar(main)}`, `main package${others.length ? ` (others: ${others.join(', ')})` : ''}`),
    ...app,
    commented('  env: {}', 'for every environment; values may use ${env:NAME} or ${secret:NAME}'),
    '',
    'build:',
    (facts?.cgo ?? inspection.cgo)
      ? commented(
          '  targets: [linux/amd64]',
          `this main uses cgo (${cgoWhere(facts?.cgoReasons ?? inspection.cgoReasons)}): cross-compiling needs a C cross compiler`,
        )
      : '  targets: [linux/amd64]',
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

/** args, port and how it reaches the program, and the health check, each with where it was found. */
function appLines(m: MainPackageInspection): string[] {
  const out: string[] = [];
  if (m.startArgs)
    out.push(
      commented(
        `  args: [${m.startArgs.args.map(scalar).join(', ')}]`,
        `it runs as \`${[m.binaryName, ...m.startArgs.args].join(' ')}\` (${at(m.startArgs.source)})`,
      ),
    );
  const setting = m.port.settings.find((s) => s.kind !== 'fixed');
  // A listener whose address only a config file gives (no default, no flag, no variable) may not exist.
  const listens = m.serve.kind !== 'none' && (m.port.port !== null || setting !== undefined);
  if (m.port.port !== null) {
    out.push(commented(`  port: ${m.port.port}`, `found at ${at(m.port.source)}`));
  } else if (listens) {
    out.push(commented('  port: 8080', `it listens (${at(m.serve.evidence[0])}) but no default port was found; 8080 assumed`));
  } else if (m.serve.kind !== 'none') {
    out.push(commented('  # port: 8080', `it listens only where its configuration says (${at(m.serve.evidence[0])})`));
  }
  if (listens) {
    if (setting?.kind === 'flag')
      out.push(commented(`  portFlag: ${scalar(setting.address ? `${setting.name}=:{port}` : setting.name)}`, 'the port reaches it as this flag'));
    else if (setting?.kind === 'env' && setting.name !== 'PORT')
      out.push(commented(`  portEnv: ${scalar(setting.name)}`, 'the port reaches it as this environment variable'));
    else if (setting?.kind === 'env') out.push(commented('  # portEnv: PORT', 'it reads PORT, the default'));
    else out.push(commented('  # portEnv: PORT', 'no port flag or variable was found: it may not be configurable'));
  }
  out.push('  healthCheck:');
  if (m.health.path) {
    out.push(commented(`    path: ${scalar(m.health.path)}`, `found at ${at(m.health.source)}`));
  } else if (listens) {
    out.push(
      commented('    type: tcp', `no HTTP route that answers 2xx was found${m.health.rejected[0] ? ` (${m.health.rejected[0].reason})` : ''}: a connect check`),
    );
  } else {
    out.push(commented('    type: process', `it listens on no port${m.serve.kind !== 'none' ? ' by default' : ''}: healthy when it stays up for \`for\``));
    out.push('    for: 5s');
  }
  out.push('    timeout: 30s');
  return out;
}

/** The lines written when per-main facts are missing (an inspection from an older engine). */
function fallbackAppLines(inspection: ModuleInspection): string[] {
  return [
    commented(
      `  port: ${inspection.port ?? 8080}`,
      inspection.portSource ? `found at ${at(inspection.portSource)}` : 'no listen address was found in the code; 8080 assumed',
    ),
    '  healthCheck:',
    commented(
      `    path: ${scalar(inspection.healthPath ?? '/healthz')}`,
      inspection.healthPath ? 'found in the code' : 'assumed: the service should answer GET /healthz with 2xx',
    ),
    '    timeout: 30s',
  ];
}

function at(f: Finding | null | undefined): string {
  return f ? `${f.file}:${f.line}, ${f.reason}` : 'where, unknown';
}

function cgoWhere(reasons: Finding[]): string {
  return reasons.length ? `${reasons[0].file}:${reasons[0].line}${reasons.length > 1 ? ` and ${reasons.length - 1} more` : ''}` : 'see godeploy inspect';
}

/** An app name from a binary name: lower case, only the characters unit and container names allow. */
function appNameOf(binary: string): string {
  const name = binary
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return (name || 'app').slice(0, 63);
}

function scalar(s: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(s) ? s : JSON.stringify(s);
}

/** A line with its comment aligned at one column, as a person would write the file. */
function commented(line: string, comment: string): string {
  return `${line}${' '.repeat(Math.max(1, 32 - line.length))}# ${comment}`;
}
