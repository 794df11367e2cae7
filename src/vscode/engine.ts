import type * as Core from '../core/index';

let engine: typeof Core | undefined;

/**
 * The engine (yaml, ajv, inspection, later ssh2 and dockerode) lives in dist/core.js and
 * is loaded on first use, so activation parses only the small extension bundle.
 */
export function loadEngine(): typeof Core {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  engine ??= require('./core.js') as typeof Core;
  return engine;
}
