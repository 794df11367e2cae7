import { controlCharacterIn, imageReferenceProblem, supervisorValueProblem, urlPathProblem } from './characters';
import { isObject } from './raw';
import type { ConfigDiagnostic } from './diagnostic';
import { formatPath, type ConfigDocument, type PathSegment } from './document';

/**
 * Every value stays inside its directive: the strings of godeploy.yaml are written into
 * Dockerfiles, units, nginx sites, supervisor programs and URLs, one value per line or
 * token. These rules refuse, at the value's line, what no generator can write safely.
 */
export function valueDiagnostics(document: ConfigDocument, data: unknown): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  const refuse = (path: PathSegment[], problem: string, hint: string) =>
    out.push(document.diagnosticAt(path, 'value', 'error', `${formatPath(path)} holds ${problem}`, hint));
  walkStrings(data, [], (value, path) => {
    if (isFreeText(path)) return;
    const control = controlCharacterIn(value);
    if (control) {
      refuse(
        path,
        `${control.name} at character ${control.index + 1}`,
        'this value is written into a generated file or a URL on one line: remove the character (a line break here would start a directive of its own)',
      );
      return;
    }
    const rule = ruleFor(path);
    const problem = rule?.check(value);
    if (rule && problem) out.push(document.diagnosticAt(path, 'value', 'error', `${formatPath(path)}: ${rule.what}: ${problem}`, rule.hint));
  });
  return out;
}

interface ValueRule {
  what: string;
  check(value: string): string | undefined;
  hint: string;
}

const healthPath: ValueRule = {
  what: 'not a URL path',
  check: urlPathProblem,
  hint: 'write the path part of a URL, starting with "/" (for example /healthz); percent-encode other characters, a space as %20',
};
const imageReference: ValueRule = {
  what: 'not an image reference',
  check: imageReferenceProblem,
  hint: 'write a reference such as golang, registry.example.com/team/app:1.2 or name@sha256:…',
};
const nginxFile: ValueRule = {
  what: 'nginx reads "$" in this path as a variable',
  check: (v) => (v.includes('$') ? `a "$" at character ${v.indexOf('$') + 1}` : undefined),
  hint: 'nginx has no escape for "$"; rename the file or link it from a path without "$"',
};
const supervisorPath: ValueRule = {
  what: 'supervisor cannot read this path',
  check: (v) => {
    const problem = supervisorValueProblem(v);
    return problem ? `it holds ${problem}` : undefined;
  },
  hint: 'choose a folder without " ;" or " #"',
};

/** The rule of a value by where it is (environment overrides have the same keys one level down). */
function ruleFor(path: readonly PathSegment[]): ValueRule | undefined {
  const key = (path[0] === 'environments' ? path.slice(2) : path).join('.');
  switch (key) {
    case 'app.healthCheck.path':
    case 'healthCheck.path':
      return healthPath;
    case 'docker.builderImage':
    case 'docker.runtimeImage':
    case 'kubernetes.image':
      return imageReference;
    case 'nginx.tls.certificate':
    case 'nginx.tls.certificateKey':
      return nginxFile;
    case 'supervisor.logDir':
      return supervisorPath;
    default:
      return undefined;
  }
}

/** Values whose line breaks and tabs mean something: env values (escaped or refused per target) and hook commands (shell). */
function isFreeText(path: readonly PathSegment[]): boolean {
  return (path.length >= 2 && path[path.length - 2] === 'env') || path.includes('hooks');
}

function walkStrings(value: unknown, path: PathSegment[], visit: (value: string, path: PathSegment[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}
