import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError, usageError, ExitCode } from '../errors';
import { fileError } from '../fs/fileErrors';
import type { ModuleInspection } from '../gomod/inspect';
import { otherMemberMain } from '../init/chooseMain';
import { capDiagnostics, compareDiagnostics, formatDiagnostic, hasErrors, type ConfigDiagnostic } from './diagnostic';
import { ConfigDocument } from './document';
import { moduleFilesDiagnostics } from './filesRules';
import type { GoDeployConfig } from './model';
import { schemaDiagnostics } from './schema';
import { semanticDiagnostics } from './semantic';
import { decodeConfigBytes } from './utf8';

export const configFileName = 'godeploy.yaml';

export interface ValidationResult {
  /** The parsed data; typed only when there are no errors. */
  config: GoDeployConfig | undefined;
  document: ConfigDocument;
  diagnostics: ConfigDiagnostic[];
}

/**
 * Parses and validates config text: YAML syntax, the JSON Schema, semantic rules and,
 * when the module was inspected, the rules that depend on it (the main package).
 * Never throws on bad input: every problem becomes a located diagnostic. Given the file's
 * bytes, it also reports where they are not UTF-8 (rather than validating U+FFFD in their place).
 */
export function validateConfigText(file: string, content: string | Uint8Array, inspection?: ModuleInspection): ValidationResult {
  const { text, invalid } = typeof content === 'string' ? { text: content, invalid: undefined } : decodeConfigBytes(content);
  const document = ConfigDocument.parse(file, text);
  const diagnostics = document.syntaxDiagnostics();
  if (invalid) {
    diagnostics.push({
      file,
      line: invalid.line,
      col: invalid.col,
      endLine: invalid.line,
      endCol: invalid.col + 1,
      severity: 'error',
      path: '',
      message: `the file is not UTF-8: byte 0x${invalid.byte.toString(16).toUpperCase().padStart(2, '0')} is not valid UTF-8 here`,
      hint: 'save godeploy.yaml as UTF-8 (for a Latin-1 file: iconv -f latin1 -t utf-8); every value is written into generated files as is',
    });
  }
  const data = document.toData();
  if (document.dataError !== undefined) {
    if (!hasErrors(diagnostics))
      diagnostics.push(
        document.diagnosticAt([], 'value', 'error', `cannot read the file: ${document.dataError}`, 'remove the aliases (*name) that expand to too much data'),
      );
  } else if (data === undefined || data === null) {
    if (!hasErrors(diagnostics))
      diagnostics.push(
        document.diagnosticAt([], 'value', 'error', 'the file is empty', 'add an app: section (run `godeploy init` to write one from the module)'),
      );
  } else {
    // One message per problem: a value the parser could not read is reported as the syntax
    // error it is (a key left empty by a broken line below it included), and where the
    // semantic rules and the schema both object to one value, the more specific rule speaks.
    const brokenLines = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.line));
    const cascade = (d: ConfigDiagnostic) => brokenLines.has(d.line) || (/got nothing/.test(d.message) && brokenLines.has(d.line + 1));
    const checked = [...semanticDiagnostics(document, data), ...schemaDiagnostics(document, data)];
    if (inspection)
      checked.push(...moduleDiagnostics(document, data, inspection), ...moduleFilesDiagnostics(document, data, inspection.dir, inspection.module));
    const taken = new Set<string>();
    for (const d of checked) {
      const at = `${d.line}:${d.col}`;
      if (cascade(d) || (d.severity === 'error' && taken.has(at))) continue;
      if (d.severity === 'error') taken.add(at);
      diagnostics.push(d);
    }
  }
  diagnostics.sort(compareDiagnostics);
  return { config: hasErrors(diagnostics) ? undefined : (data as GoDeployConfig), document, diagnostics: capDiagnostics(diagnostics) };
}

function moduleDiagnostics(document: ConfigDocument, data: unknown, inspection: ModuleInspection): ConfigDiagnostic[] {
  const app = (data as { app?: { main?: unknown; processes?: unknown } }).app;
  if (typeof app !== 'object' || app === null) return [];
  const processes = typeof app.processes === 'object' && app.processes !== null ? Object.entries(app.processes as Record<string, unknown>) : [];
  if (!processes.length) return mainDiagnostics(document, ['app', 'main'], app.main, inspection);
  // Several processes: each main is checked where it is written; app.main only when set or
  // when a process leaves its main out (then it is the default that process takes).
  const out: ConfigDiagnostic[] = [];
  const mainOf = (p: unknown): unknown => (typeof p === 'object' && p !== null ? (p as { main?: unknown }).main : undefined);
  for (const [name, p] of processes) {
    const own = mainOf(p);
    if (own !== undefined) out.push(...mainDiagnostics(document, ['app', 'processes', name, 'main'], own, inspection));
  }
  const missing = processes.find(([, p]) => mainOf(p) === undefined);
  if (app.main !== undefined) out.push(...mainDiagnostics(document, ['app', 'main'], app.main, inspection));
  else if (missing && inspection.mains.length !== 1)
    out.push(
      document.diagnosticAt(
        ['app', 'processes', missing[0]],
        'key',
        'error',
        inspection.mains.length
          ? `app.processes.${missing[0]}.main is not set, nor app.main, and ${inspection.module} has ${inspection.mains.length} main packages: ${inspection.mains.join(', ')}`
          : `${inspection.module} has no main package to deploy`,
        inspection.mains.length
          ? `set main: to one of them for ${missing[0]}, for example: main: ${inspection.mains[0]}`
          : 'add a package main with a func main()',
      ),
    );
  return out;
}

/** The checks of a main package path at `at` (app.main, app.processes.P.main) against the module's mains. */
function mainDiagnostics(document: ConfigDocument, at: (string | number)[], main: unknown, inspection: ModuleInspection): ConfigDiagnostic[] {
  const key = at.join('.');
  const mains = inspection.mains;
  if (typeof main === 'string') {
    const normalized = main.replace(/\/+$/, '') || '.';
    if (!mains.includes(normalized)) {
      const other = otherMemberMain(inspection, main);
      if (other) {
        return [
          document.diagnosticAt(
            at,
            'value',
            'error',
            `${key}: ${JSON.stringify(main)} is in the workspace module ${other.member.module ?? other.member.dir} (${other.member.dir}), not in ${inspection.module}`,
            `a godeploy.yaml deploys a main of the module it sits beside: put one in ${other.member.dir} (\`godeploy -C ${other.member.dir} init\` from this folder)`,
          ),
        ];
      }
      return [
        document.diagnosticAt(
          at,
          'value',
          'error',
          `${key}: ${JSON.stringify(main)} is not a main package of ${inspection.module}`,
          mains.length ? `main packages: ${mains.join(', ')}` : 'the module has no main package (no non-test file with `package main`)',
        ),
      ];
    }
    return [];
  }
  if (mains.length > 1) {
    return [
      document.diagnosticAt(
        ['app'],
        'key',
        'error',
        `app.main is not set and ${inspection.module} has ${mains.length} main packages: ${mains.join(', ')}`,
        `set app.main to one of them, for example: main: ${mains[0]}`,
      ),
    ];
  }
  if (mains.length === 0) {
    return [
      document.diagnosticAt(
        ['app'],
        'key',
        'error',
        `${inspection.module} has no main package to deploy`,
        'add a package main with a func main(), or set app.main to it',
      ),
    ];
  }
  return [];
}

/**
 * Finds godeploy.yaml: in `cwd`, else next to the go.mod of `cwd` or its nearest parent.
 * Returns the path even when the file does not exist yet (for `init`), with `exists`.
 */
export async function locateConfigFile(cwd: string): Promise<{ file: string; exists: boolean }> {
  const here = path.join(cwd, configFileName);
  if (await isPresent(here)) return { file: here, exists: true };
  let dir = path.resolve(cwd);
  for (;;) {
    if (await isFile(path.join(dir, 'go.mod'))) {
      const file = path.join(dir, configFileName);
      return { file, exists: await isPresent(file) };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { file: here, exists: false };
    dir = parent;
  }
}

/** The config's bytes (validateConfigText decodes them); a missing, unreadable or non-file path is a one-line GoDeployError (exit 2). */
export async function readConfigFile(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw usageError(`${file} does not exist`, 'run `godeploy init` next to go.mod to write one, or pass --config FILE');
    throw fileError(e, 'read', file, 'config');
  }
}

/** Reads and validates a config file; throws a ConfigError listing every problem. */
export async function loadConfig(file: string, inspection?: ModuleInspection): Promise<ValidationResult & { config: GoDeployConfig }> {
  const text = await readConfigFile(file);
  const result = validateConfigText(file, text, inspection);
  if (!result.config) throw new ConfigError(result.diagnostics);
  return result as ValidationResult & { config: GoDeployConfig };
}

/** A config with errors: carries every diagnostic, formatted one per line. */
export class ConfigError extends GoDeployError {
  constructor(readonly diagnostics: ConfigDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} in ${errors[0]?.file ?? 'the config'}`, { exitCode: ExitCode.usage, location: errors[0] });
  }

  override format(): string {
    return this.diagnostics.map(formatDiagnostic).join('\n');
  }
}

/**
 * Something is at `p`, though maybe not a readable file (a folder, no permission): reading
 * it then says what is wrong, instead of a misleading "no godeploy.yaml".
 */
async function isPresent(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}
