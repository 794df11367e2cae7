import { crossCompileCommand } from './crossCompile';
import { openDashboardCommand } from './dashboard';
import { deployCommand } from './deploy';
import { runDoctorCommand } from './doctor';
import { setUpHostsCommand } from './setup';
import { acceptGeneratedCommand, discardGeneratedCommand, generateCommands, generatePickCommand } from './generate';
import { initializeCommand } from './initialize';
import { stopTailingCommand, tailLogsCommand } from './logs';
import { inspectModuleCommand } from './inspectModule';
import { restartHostCommand, runCommandCommand, startHostCommand, stopHostCommand } from './operations';
import type { CommandFactory } from './registry';
import { releaseLockCommand } from './releaseLock';
import { abortRolloutCommand, maintenanceOffCommand, maintenanceOnCommand, promoteRolloutCommand } from './rollout';
import { showReleasesCommand } from './releases';
import { selectEnvironmentCommand } from './selectEnvironment';
import { rollbackCommand } from './rollback';
import { deleteSecretCommand, setSecretCommand } from './secrets';
import { showLogCommand } from './showLog';
import { addCliToTerminalPathCommand, removeCliFromTerminalPathCommand } from './terminalCli';
import {
  checkHealthCommand,
  copyHostCommand,
  editEnvironmentCommand,
  openSshTerminalCommand,
  refreshEnvironmentsCommand,
  switchReleaseCommand,
} from './treeActions';
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
  deployCommand,
  rollbackCommand,
  releaseLockCommand,
  showReleasesCommand,
  runDoctorCommand,
  setUpHostsCommand,
  tailLogsCommand,
  stopTailingCommand,
  checkHealthCommand,
  openSshTerminalCommand,
  copyHostCommand,
  restartHostCommand,
  stopHostCommand,
  startHostCommand,
  runCommandCommand,
  switchReleaseCommand,
  editEnvironmentCommand,
  refreshEnvironmentsCommand,
  selectEnvironmentCommand,
  openDashboardCommand,
  promoteRolloutCommand,
  abortRolloutCommand,
  maintenanceOnCommand,
  maintenanceOffCommand,
  setSecretCommand,
  deleteSecretCommand,
  showLogCommand,
  addCliToTerminalPathCommand,
  removeCliFromTerminalPathCommand,
];
