/** The engine's public surface, bundled as dist/core.js and loaded by the extension on first use. */
export * from './errors';
export * from './cancellation';
export * from './config/diagnostic';
export * from './config/document';
export * from './config/load';
export * from './config/model';
export * from './config/references';
export { configSchema } from './config/schema';
export * from './gomod/inspect';
export * from './init/template';
export * from './init/plan';
export * from './plan/plan';
export * from './plan/runner';
export * from './fs/atomic';
export { renderConfigReference } from './config/reference';
export * from './generate/model';
export * from './generate/kinds';
export * from './generate/generate';
