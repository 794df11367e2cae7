import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../core/errors';
import { describeFailure, jsonFailureFromText, verboseFlag } from './failure';
import { runToExitCode } from './guard';
import { processIO, type CliIO } from './io';
import { requireFolder, resolveDir, requireNoExtraArgs, type GlobalOptions } from './context';
import { buildHelp, runBuildCommand } from './commands/build';
import { deployHelp, runDeploy } from './commands/deploy';
import { doctorHelp, runDoctor } from './commands/doctor';
import { logsHelp, runLogs } from './commands/logs';
import { rollbackHelp, runRollback } from './commands/rollback';
import { runStatus, statusHelp } from './commands/status';
import { generateHelp, runGenerate } from './commands/generate';
import { initHelp, runInit } from './commands/init';
import { inspectBinaryHelp, runInspectBinary } from './commands/inspectBinary';
import { inspectHelp, runInspect } from './commands/inspect';
import { lockHelp, runLock } from './commands/lock';
import { releasesHelp, runReleases } from './commands/releases';
import { runValidate, validateHelp } from './commands/validate';

declare const GODEPLOY_VERSION: string | undefined;

const usage = `godeploy: deploy Go services from the same godeploy.yaml the Go Deploy editor extension uses

Usage: godeploy [-C DIR] [--config FILE] [--verbose] COMMAND [options]

Commands:
  init [--force] [--main PKG] [--dry-run]   write a commented godeploy.yaml from the module
  inspect [DIR] [--json]                    report what Go Deploy sees in the module
  validate [--json]                         check godeploy.yaml; FILE:LINE:COL per problem
  generate KIND [--env NAME] [--out DIR] [--stdout] [--force] [--dry-run]
                                            write Dockerfile, .dockerignore, systemd, nginx,
                                            supervisor or k8s files (KIND all: every one)
  build [--target OS/ARCH[/VARIANT]]... [--out DIR] [--json]
                                            cross-compile in parallel, verify, checksum
  inspect-binary FILE [--json]              a compiled program: os/arch, linking, Go build info
  doctor ENV [--json] [--accept-new-host-key]
                                            preflight checks on every host of an environment
  lock status|release ENV [--json] [--force]
                                            the deploy lock on every host: who holds it, release it
  releases ENV [--json]                     the releases on every host, the live one marked
  deploy ENV [--dry-run] [--force] [--json] build, upload, switch behind the health gate, roll back on failure
  rollback ENV [--to RELEASE] [--json]      back to the previous (or named) release, health-gated
  status ENV [--json]                       live release, service state, uptime and health per host
  logs ENV [-f] [-n N] [--since D] [--grep RE] [--host H]
                                            the service's log from every host, prefixed with the host

Global options:
  -C DIR          run as if started in DIR
  --config FILE   use this config (default: godeploy.yaml here or next to the nearest go.mod)
  --verbose       on an error, also print its stack (for bug reports)
  -h, --help      show help (also: godeploy COMMAND --help)
  --version       print the version

Exit codes: 0 done, 1 the operation failed, 2 usage or config error. With --json, a
failure is also one line on stdout: {"error":{"message","hint","location","exitCode"}}.`;

const helps: Record<string, string> = {
  init: initHelp,
  inspect: inspectHelp,
  validate: validateHelp,
  generate: generateHelp,
  build: buildHelp,
  'inspect-binary': inspectBinaryHelp,
  doctor: doctorHelp,
  lock: lockHelp,
  releases: releasesHelp,
  deploy: deployHelp,
  rollback: rollbackHelp,
  status: statusHelp,
  logs: logsHelp,
};

/** Which options each command accepts (besides the global ones). */
const commandOptions: Record<string, string[]> = {
  init: ['force', 'main', 'dry-run'],
  inspect: ['json'],
  validate: ['json'],
  generate: ['env', 'out', 'stdout', 'force', 'dry-run', 'runtime', 'from-binary', 'json'],
  build: ['target', 'out', 'json'],
  'inspect-binary': ['json'],
  doctor: ['json', 'accept-new-host-key'],
  lock: ['json', 'force', 'accept-new-host-key'],
  releases: ['json', 'accept-new-host-key'],
  deploy: ['json', 'dry-run', 'force', 'accept-new-host-key'],
  rollback: ['json', 'to', 'accept-new-host-key'],
  status: ['json', 'accept-new-host-key'],
  logs: ['follow', 'lines', 'since', 'grep', 'host', 'json', 'dry-run', 'accept-new-host-key'],
};

/** Every option of every command; which command takes which is `commandOptions`. */
const optionSpec = {
  C: { type: 'string', short: 'C' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  main: { type: 'string' },
  'dry-run': { type: 'boolean' },
  env: { type: 'string' },
  out: { type: 'string' },
  stdout: { type: 'boolean' },
  runtime: { type: 'string' },
  'from-binary': { type: 'string' },
  target: { type: 'string', multiple: true },
  'accept-new-host-key': { type: 'boolean' },
  to: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  since: { type: 'string' },
  grep: { type: 'string' },
  host: { type: 'string', multiple: true },
} as const;

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    const failure = describeFailure(e, argv.includes(verboseFlag));
    io.err(failure.text);
    if (wantsJsonErrors(argv)) io.out(JSON.stringify(failure.json));
    return failure.exitCode;
  }
}

/**
 * --json was given to a command that takes it (or before any command could be read): a
 * failure is then also printed on stdout as one line of JSON, for scripts.
 */
export function wantsJsonErrors(argv: string[]): boolean {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: optionSpec });
    const command = positionals[0];
    return values.json === true && !(command !== undefined && command in commandOptions && !commandOptions[command].includes('json'));
  } catch {
    return argv.includes('--json');
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: optionSpec,
    });
  } catch (e) {
    throw usageError((e as Error).message.replace(/\. To specify .*$/s, ''), 'see `godeploy --help`');
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.version) {
    io.out(typeof GODEPLOY_VERSION === 'string' ? GODEPLOY_VERSION : 'dev');
    return 0;
  }
  if (!command) {
    io.out(usage);
    return values.help ? 0 : 2;
  }
  if (!(command in commandOptions)) {
    throw usageError(`unknown command "${command}"`, `commands: ${Object.keys(commandOptions).join(', ')}; see \`godeploy --help\``);
  }
  if (values.help) {
    io.out(helps[command]);
    return 0;
  }
  const global = new Set(['C', 'config', 'help', 'version', 'verbose']);
  for (const name of Object.keys(values)) {
    if (!global.has(name) && !commandOptions[command].includes(name)) {
      throw usageError(`${command} does not take --${name}`, `see \`godeploy ${command} --help\``);
    }
  }
  const g: GlobalOptions = { dir: resolveDir(io, values.C), config: values.config };
  if (values.C !== undefined) await requireFolder(g.dir, '-C');
  if (command === 'inspect' && args[0] !== undefined) await requireFolder(path.resolve(g.dir, args[0]), 'inspect');
  switch (command) {
    case 'init':
      requireNoExtraArgs('init', args);
      return runInit(io, g, { force: values.force === true, main: values.main, dryRun: values['dry-run'] === true });
    case 'inspect':
      if (args.length > 1) requireNoExtraArgs('inspect', args.slice(1));
      return runInspect(io, g, args, values.json === true);
    case 'validate':
      requireNoExtraArgs('validate', args);
      return runValidate(io, g, values.json === true);
    case 'generate':
      return runGenerate(io, g, args, {
        env: values.env,
        out: values.out,
        stdout: values.stdout === true,
        force: values.force === true,
        dryRun: values['dry-run'] === true,
        runtime: values.runtime,
        fromBinary: values['from-binary'],
        json: values.json === true,
      });
    case 'inspect-binary':
      return runInspectBinary(io, g, args, values.json === true);
    case 'build':
      return runBuildCommand(io, g, args, { targets: values.target ?? [], out: values.out, json: values.json === true });
    case 'doctor':
      return runDoctor(io, g, args, { json: values.json === true, acceptNewHostKey: values['accept-new-host-key'] === true });
    case 'lock':
      return runLock(io, g, args, { json: values.json === true, force: values.force === true, acceptNewHostKey: values['accept-new-host-key'] === true });
    case 'releases':
      return runReleases(io, g, args, { json: values.json === true, acceptNewHostKey: values['accept-new-host-key'] === true });
    case 'deploy':
      return runDeploy(io, g, args, {
        json: values.json === true,
        dryRun: values['dry-run'] === true,
        force: values.force === true,
        acceptNewHostKey: values['accept-new-host-key'] === true,
      });
    case 'rollback':
      return runRollback(io, g, args, { json: values.json === true, to: values.to, acceptNewHostKey: values['accept-new-host-key'] === true });
    case 'status':
      return runStatus(io, g, args, { json: values.json === true, acceptNewHostKey: values['accept-new-host-key'] === true });
    case 'logs':
      return runLogs(io, g, args, {
        follow: values.follow === true,
        lines: values.lines,
        since: values.since,
        grep: values.grep,
        host: values.host,
        json: values.json === true,
        dryRun: values['dry-run'] === true,
        acceptNewHostKey: values['accept-new-host-key'] === true,
      });
  }
  return 2;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runToExitCode(
    () => main(argv),
    (t) => {
      process.stderr.write(`${t}\n`);
      if (wantsJsonErrors(argv)) process.stdout.write(`${JSON.stringify(jsonFailureFromText(t, 1))}\n`);
    },
  );
}
