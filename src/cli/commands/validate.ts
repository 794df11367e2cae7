import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  checkTemplates,
  compareDiagnostics,
  formatDiagnostic,
  generators,
  hasErrors,
  inspectModule,
  type ModuleInspection,
  readConfigFile,
  usageError,
  validateConfigText,
} from '../../core';
import type { CliIO } from '../io';
import { requireNoExtraArgs, resolveConfigPath, type GlobalOptions } from '../context';
import { defineCommand, jsonOption } from '../spec';

export const validateCommand = defineCommand({
  name: 'validate',
  positionals: '',
  summary: 'check godeploy.yaml; FILE:LINE:COL per problem',
  options: [{ ...jsonOption, description: 'print {"file","valid","diagnostics"} as JSON, every problem with its place' }],
  help: `Checks godeploy.yaml: YAML syntax, the schema, semantic rules and the module's main package.
Prints one FILE:LINE:COL message per problem; exits 2 if there is any error.`,
  examples: [
    { line: 'godeploy validate', comment: 'check godeploy.yaml here (or next to the nearest go.mod)' },
    { line: 'godeploy --config deploy/godeploy.yaml validate --json', comment: 'check another config; every problem as JSON, for CI' },
  ],
  run: (io, g, args, o) => {
    requireNoExtraArgs('validate', args);
    return runValidate(io, g, o.json);
  },
});

export async function runValidate(io: CliIO, g: GlobalOptions, json: boolean): Promise<number> {
  const { file, exists } = await resolveConfigPath(g);
  if (!exists) throw usageError(`no godeploy.yaml at ${file}`, 'run `godeploy init` next to go.mod, or pass --config FILE');
  const text = await readConfigFile(file);
  const inspection = await inspectNear(file);
  const display = path.relative(io.cwd, file) || file;
  const result = validateConfigText(display.startsWith('..') ? file : display, text, inspection);
  if (result.config?.templates) {
    const at = result.document.diagnosticAt(['templates'], 'value', 'error', '');
    const dir = path.resolve(path.dirname(file), result.config.templates);
    const found = await checkTemplates(
      dir,
      Object.values(generators).map((g) => g.templateName),
      at,
    );
    result.diagnostics.push(...found.map((d) => ({ ...d, file: path.relative(io.cwd, d.file) || d.file })));
    result.diagnostics.sort(compareDiagnostics);
  }
  const failed = hasErrors(result.diagnostics);
  if (json) {
    io.json({ file, valid: !failed, diagnostics: result.diagnostics });
  } else {
    for (const d of result.diagnostics) io.err(formatDiagnostic(d));
    if (!failed) {
      const envs = Object.keys(result.config?.environments ?? { dev: null });
      io.out(`${display}: valid (environments: ${envs.join(', ')})`);
    }
  }
  return failed ? 2 : 0;
}

/** The module next to the config, for the checks that need it; none if there is no go.mod. */
async function inspectNear(file: string): Promise<ModuleInspection | undefined> {
  try {
    await fs.access(path.join(path.dirname(file), 'go.mod'));
  } catch {
    return undefined;
  }
  return inspectModule(path.dirname(file));
}
