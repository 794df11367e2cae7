import * as path from 'node:path';
import type { ModuleInspection } from '../gomod/inspect';
import { configFileName } from '../config/load';
import type { Plan } from '../plan/plan';
import { renderInitialConfig, type InitChoices } from './template';

/** The plan of `godeploy init`: one file written next to go.mod, never over an existing one unless forced. */
export function planInit(inspection: ModuleInspection, options: InitChoices & { force?: boolean } = {}): Plan {
  const file = path.join(inspection.dir, configFileName);
  return {
    title: `initialize Go Deploy for ${inspection.module}`,
    steps: [
      {
        kind: 'write-file',
        description: `write ${configFileName} from the module's inspection`,
        path: file,
        content: renderInitialConfig(inspection, options),
        mode: 0o644,
        overwrite: options.force === true,
      },
    ],
  };
}
