import { crossCompileCommand } from './crossCompile';
import { acceptGeneratedCommand, discardGeneratedCommand, generateCommands, generatePickCommand } from './generate';
import { initializeCommand } from './initialize';
import { inspectModuleCommand } from './inspectModule';
import type { CommandFactory } from './registry';
import { validateConfigCommand } from './validateConfig';

/** Every command of the extension; package.json contributes the same ids (a test checks both agree). */
export const allCommands: readonly CommandFactory[] = [
  initializeCommand,
  inspectModuleCommand,
  validateConfigCommand,
  generatePickCommand,
  ...generateCommands,
  acceptGeneratedCommand,
  discardGeneratedCommand,
  crossCompileCommand,
];
