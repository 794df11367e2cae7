import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import { formatDiagnostic } from '../../src/core/config/diagnostic';
import { buildGenerateModel, type GenerateModel, type ModelOptions } from '../../src/core/generate/model';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from './paths';

/**
 * The generator model for a fixture module (test/fixtures/modules/<fixture>) and a
 * godeploy.yaml given as text, exactly as the CLI builds it. Invalid config fails loudly.
 */
export async function modelFor(fixture: string, configYaml: string, options: ModelOptions = {}): Promise<GenerateModel> {
  const inspection = await inspectModule(path.join(fixtureModules, fixture));
  const r = validateConfigText('godeploy.yaml', configYaml, inspection);
  if (!r.config) throw new Error(`test config is invalid:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return buildGenerateModel(r.config, inspection, options);
}
